// qmicro_kernel.hpp: the integer micro-kernel contract, the only header the ISA-specific files include.
//
// qgemm_avx2.cpp, qgemm_avxvnni.cpp and qgemm_avx512vnni.cpp are compiled with their instruction sets.
// An inline function they instantiated (std::min, a std::vector member, ...) could be merged by the
// linker with the portable copy and then run on a CPU without those instructions, so they include
// nothing but this plain header and <immintrin.h> (as lib/kernels/src/micro_kernel.hpp).
//
// The contract (qgemm_packed.cpp packs, the kernels compute). A sliver of A holds MR rows, a sliver of
// B holds NR columns, both in groups of G consecutive k (G = 4 for u8 x s8 bytes, G = 2 for int16):
//
//   a[(q * MR + i) * G + t] = A[i, Gq + t]       b[(q * NR + j) * G + t] = B[j, Gq + t]   (zero past K)
//
//   raw[i][j] = sum_q sum_t a[(q*MR + i)*G + t] * b[(q*NR + j)*G + t]
//   c[i*ldc + j] = (accumulate ? c[i*ldc + j] : 0) + raw[i][j] + col_term[j] + b_zero[j] * row_term[i]
//
// col_term[j] = -a_zero * colsum_B[j] and row_term[i] = kc * a_zero - rowsum_A[i] (sums over this KC
// block) are the zero-point corrections of qgemm.hpp, computed once while packing: the inner loop
// multiplies raw bytes only.
#pragma once

#include <cstdint>

namespace gb::quant::detail {

enum class QPacking {
  u8s8_k4,   // A uint8, B int8, 4 k per 32-bit lane (vpdpbusd; the portable kernel)
  s16_k2,    // A and B widened to int16, 2 k per 32-bit lane (vpmaddwd)
};

using QMicroKernelFn = void (*)(std::int64_t kgroups, const void* a, const void* b, const std::int32_t* col_term,
                                const std::int32_t* b_zero, const std::int32_t* row_term, bool accumulate,
                                std::int32_t* c, std::int64_t ldc);

struct QMicroKernel {
  std::int64_t mr = 0, nr = 0;
  QPacking packing = QPacking::u8s8_k4;
  QMicroKernelFn fn = nullptr;
  const char* name = "";  // XNNPACK-style: qs8_gemm_6x64_avx512vnni
};

QMicroKernel portable_qkernel();    // qgemm_packed.cpp: 4 x 16, plain C++ (any CPU)
QMicroKernel avx2_qkernel();        // qgemm_avx2.cpp: 6 x 16, vpmaddwd on int16
QMicroKernel avxvnni_qkernel();     // qgemm_avxvnni.cpp: 6 x 16, vpdpbusd on ymm
QMicroKernel avx512vnni_qkernel();  // qgemm_avx512vnni.cpp: 6 x 64, vpdpbusd on zmm

}  // namespace gb::quant::detail

// The output stage on one row of n outputs (qrequantize.cpp computes the per-channel arrays):
//   out[j] = clamp(zero + M_j * saturate_int32(acc[j] + bias[j]), qmin, qmax),
//   M_j = multiplier[j] * 2^(left[j] - right[j] - 31), left in [0, 31], right in [0, 31]
namespace gb::quant::detail {
using RequantizeRowFn = void (*)(const std::int32_t* acc, std::int64_t n, const std::int32_t* multiplier,
                                 const std::int32_t* left, const std::int32_t* right, const std::int32_t* bias,
                                 std::int64_t zero, std::int64_t qmin, std::int64_t qmax, std::uint8_t* out);
RequantizeRowFn avx512_requantize_row();  // qrequantize_avx512vnni.cpp (nullptr where not built)
}  // namespace gb::quant::detail
