// qgemm_avx2.cpp: the integer micro-kernel on AVX2 without VNNI, 6 x 16, vpmaddwd on int16.
//
// Why not vpmaddubsw (u8 x s8 -> int16, two products summed)? Its int16 sum saturates: 255 * 127 * 2 =
// 64770 > 32767, so a row of large activations against large weights silently clips (gemmlowp and
// FBGEMM restrict activations or weights to 7 bits to use it; we want every uint8 and int8 exact).
// So the packing widens both operands to int16 (qgemm_packed.cpp, QPacking::s16_k2) and the kernel
// uses vpmaddwd (_mm256_madd_epi16): int16 x int16, two products summed into an int32 lane, at most
// 2 * 255 * 128 = 65280, exact. One step q covers 2 k:
//
//   b0 b1 <- 2 x 32 bytes: 16 columns x 2 int16 k       ai <- a[i, 2q], a[i, 2q+1] as one int32, broadcast
//   acc[i][x] += madd(ai, bx)                            (12 vpmaddwd + 12 vpaddd per step: 192 multiply-adds)
//
// Half the work per instruction of AVX-VNNI, and B takes twice the bytes; still twice the multiply-adds
// per instruction of the fp32 AVX2 kernel (8 FMAs).
// Built with -mavx2 -mfma; entered only after __builtin_cpu_supports("avx2") (qgemm.cpp).
#include "qmicro_kernel.hpp"

#if defined(__AVX2__)
#include <immintrin.h>

#include "qtile_avx2.hpp"

namespace gb::quant::detail {
namespace {

constexpr std::int64_t kMR = 6, kNR = 16;

__m256i broadcast_2_int16(const std::int16_t* p) {
  std::int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

void qs8_gemm_6x16_avx2(std::int64_t kgroups, const void* a_, const void* b_, const std::int32_t* col_term,
                        const std::int32_t* b_zero, const std::int32_t* row_term, bool accumulate, std::int32_t* c,
                        std::int64_t ldc) {
  const auto* a = static_cast<const std::int16_t*>(a_);
  const auto* b = static_cast<const std::int16_t*>(b_);
  __m256i acc[kMR][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
  for (std::int64_t q = 0; q < kgroups; ++q) {
    const std::int16_t* bq = b + q * kNR * 2;
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq + 16));
    const std::int16_t* aq = a + q * kMR * 2;
#pragma GCC unroll 6
    for (std::int64_t i = 0; i < kMR; ++i) {
      const __m256i ai = broadcast_2_int16(aq + i * 2);
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(ai, b0));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(ai, b1));
    }
  }
  store_tile_6x16_avx2<kMR>(acc, col_term, b_zero, row_term, accumulate, c, ldc);
}

}  // namespace

QMicroKernel avx2_qkernel() { return {kMR, kNR, QPacking::s16_k2, qs8_gemm_6x16_avx2, "qs8_gemm_6x16_avx2"}; }

}  // namespace gb::quant::detail
#else
// Not built for x86-64: the run-time check (qgemm.cpp) never selects this variant.
namespace gb::quant::detail {
QMicroKernel avx2_qkernel() { return portable_qkernel(); }
}  // namespace gb::quant::detail
#endif
