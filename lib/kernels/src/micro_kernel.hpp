// micro_kernel.hpp: the micro-kernel contract, the only thing the ISA-specific files include.
//
// gemm_v6_avx2.cpp and gemm_v7_avx512.cpp are compiled with -mavx2 -mfma / -mavx512f. Any inline
// function they instantiated (std::min, a std::vector member, ...) could be merged by the linker with
// the portable copy and then run on a CPU without those instructions, so they include nothing but
// this plain-C header and <immintrin.h>.
#pragma once

#include <cstdint>

namespace gb::kernels::detail {

// c[i*ldc + j] += alpha * sum_p a[p*mr + i] * b[p*nr + j] for the full mr x nr tile (gemm.hpp draws it).
using MicroKernelFn = void (*)(std::int64_t kc, float alpha, const float* a, const float* b, float* c,
                               std::int64_t ldc);
struct MicroKernel {
  std::int64_t mr, nr;
  MicroKernelFn fn;
  const char* name;  // XNNPACK-style: f32_gemm_6x16_avx2
};

MicroKernel memory_kernel();    // gemm_v4_packed.cpp: 4 x 8, C updated in memory at every step p
MicroKernel register_kernel();  // gemm_v5_micro.cpp: 4 x 8, the C tile held in registers
MicroKernel avx2_kernel();      // gemm_v6_avx2.cpp: 6 x 16 (built with -mavx2 -mfma)
MicroKernel avx512_kernel();    // gemm_v7_avx512.cpp: 12 x 32 (built with -mavx512f)
MicroKernel best_kernel();      // gemm.cpp: avx512, else avx2, else register (checked at run time)

}  // namespace gb::kernels::detail
