// gemm_v6_avx2.cpp: rung 6: the micro-kernel in AVX2 + FMA intrinsics, 6 x 16.
//
// What changes over rung 5: only the micro-kernel, written for the machine. A ymm register holds 8
// floats and _mm256_fmadd_ps does 8 multiply-adds with one rounding. The 6 x 16 tile of C takes
// 12 of the 16 ymm registers (6 rows x 2 registers); each step p loads 2 registers of B, broadcasts
// 6 values of A one at a time, and issues 12 FMAs: 96 flops for 8 loads. Twelve independent
// accumulators also hide the FMA latency (4 cycles, 2 per cycle: 8 must be in flight). This is the
// shape of OpenBLAS's Haswell and XNNPACK's f32_gemm_6x16 kernels.
// This file is built with -mavx2 -mfma (lib/kernels/CMakeLists.txt) and only entered after
// __builtin_cpu_supports("avx2") and ("fma") said yes (gemm.cpp); see micro_kernel.hpp for why it
// includes nothing else.
#include "micro_kernel.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace gb::kernels::detail {
namespace {

constexpr std::int64_t kMR = 6, kNR = 16;

void f32_gemm_6x16_avx2(std::int64_t kc, float alpha, const float* a, const float* b, float* c,
                        std::int64_t ldc) {
  // One named variable per accumulator register (row r, columns 0-7 and 8-15), as XNNPACK writes
  // them: with an array, GCC 12 kept a copy of the tile on the stack and stored it at every step.
  __m256 c0l = _mm256_setzero_ps(), c0h = c0l, c1l = c0l, c1h = c0l, c2l = c0l, c2h = c0l;
  __m256 c3l = c0l, c3h = c0l, c4l = c0l, c4h = c0l, c5l = c0l, c5h = c0l;
  for (std::int64_t p = 0; p < kc; ++p, a += kMR, b += kNR) {
    const __m256 bl = _mm256_loadu_ps(b), bh = _mm256_loadu_ps(b + 8);  // row p of the B sliver
    __m256 ai = _mm256_broadcast_ss(a + 0);                              // A[0][p] in all 8 lanes
    c0l = _mm256_fmadd_ps(ai, bl, c0l), c0h = _mm256_fmadd_ps(ai, bh, c0h);
    ai = _mm256_broadcast_ss(a + 1);
    c1l = _mm256_fmadd_ps(ai, bl, c1l), c1h = _mm256_fmadd_ps(ai, bh, c1h);
    ai = _mm256_broadcast_ss(a + 2);
    c2l = _mm256_fmadd_ps(ai, bl, c2l), c2h = _mm256_fmadd_ps(ai, bh, c2h);
    ai = _mm256_broadcast_ss(a + 3);
    c3l = _mm256_fmadd_ps(ai, bl, c3l), c3h = _mm256_fmadd_ps(ai, bh, c3h);
    ai = _mm256_broadcast_ss(a + 4);
    c4l = _mm256_fmadd_ps(ai, bl, c4l), c4h = _mm256_fmadd_ps(ai, bh, c4h);
    ai = _mm256_broadcast_ss(a + 5);
    c5l = _mm256_fmadd_ps(ai, bl, c5l), c5h = _mm256_fmadd_ps(ai, bh, c5h);
  }
  // C += alpha * tile, one row (two registers) at a time.
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 tile[kMR][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}, {c4l, c4h}, {c5l, c5h}};
  for (std::int64_t i = 0; i < kMR; ++i) {
    float* row = c + i * ldc;
    _mm256_storeu_ps(row, _mm256_fmadd_ps(va, tile[i][0], _mm256_loadu_ps(row)));
    _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, tile[i][1], _mm256_loadu_ps(row + 8)));
  }
}

}  // namespace

MicroKernel avx2_kernel() { return {kMR, kNR, f32_gemm_6x16_avx2, "f32_gemm_6x16_avx2"}; }

}  // namespace gb::kernels::detail
#else
// Not an x86-64 compiler: the run-time check (gemm.cpp) never selects this rung.
namespace gb::kernels::detail {
MicroKernel avx2_kernel() { return register_kernel(); }
}  // namespace gb::kernels::detail
#endif
