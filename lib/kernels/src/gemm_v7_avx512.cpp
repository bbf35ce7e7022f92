// gemm_v7_avx512.cpp: rung 7: the micro-kernel in AVX-512F, 12 x 32.
//
// What changes over rung 6: wider registers and more of them. A zmm register holds 16 floats and
// there are 32 of them, so the C tile grows to 12 x 32 (24 accumulators, 2 registers of B, 1 for the
// broadcast of A): each step p does 384 flops for 2 loads of B and 12 broadcasts, twice the work per
// loaded byte of rung 6. On CPUs that run 512-bit FMAs as two 256-bit halves (AMD Zen 4) the peak is
// the same as AVX2 and the gain comes only from fewer instructions; on Intel server cores with two
// 512-bit FMA units it is up to twice the peak.
// Built with -mavx512f (lib/kernels/CMakeLists.txt); entered only after
// __builtin_cpu_supports("avx512f") (gemm.cpp).
#include "micro_kernel.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>

namespace gb::kernels::detail {
namespace {

constexpr std::int64_t kMR = 12, kNR = 32;

void f32_gemm_12x32_avx512(std::int64_t kc, float alpha, const float* a, const float* b, float* c,
                           std::int64_t ldc) {
  __m512 acc[kMR][2];
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b + p * kNR);
    const __m512 b1 = _mm512_loadu_ps(b + p * kNR + 16);
    for (std::int64_t i = 0; i < kMR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[p * kMR + i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha);
  for (std::int64_t i = 0; i < kMR; ++i) {
    float* row = c + i * ldc;
    _mm512_storeu_ps(row, _mm512_fmadd_ps(va, acc[i][0], _mm512_loadu_ps(row)));
    _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(va, acc[i][1], _mm512_loadu_ps(row + 16)));
  }
}

}  // namespace

MicroKernel avx512_kernel() { return {kMR, kNR, f32_gemm_12x32_avx512, "f32_gemm_12x32_avx512"}; }

}  // namespace gb::kernels::detail
#else
// Not an x86-64 compiler: the run-time check (gemm.cpp) never selects this rung.
namespace gb::kernels::detail {
MicroKernel avx512_kernel() { return register_kernel(); }
}  // namespace gb::kernels::detail
#endif
