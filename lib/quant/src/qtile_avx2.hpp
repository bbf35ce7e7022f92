// qtile_avx2.hpp: the end of a 6 x 16 int32 tile on AVX2, shared by the AVX2 and AVX-VNNI kernels.
//
// The micro-kernel multiplied raw bytes; here each accumulator gets its zero-point terms (qmicro_kernel.hpp):
//   c[i, j] (+)= acc[i, j] + col_term[j] + b_zero[j] * row_term[i]
// Included only by files built with -mavx2 (qgemm_avx2.cpp, qgemm_avxvnni.cpp).
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace gb::quant::detail {

template <std::int64_t MR>
inline void store_tile_6x16_avx2(__m256i (&acc)[MR][2], const std::int32_t* col_term, const std::int32_t* b_zero,
                                 const std::int32_t* row_term, bool accumulate, std::int32_t* c, std::int64_t ldc) {
  const __m256i col0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_term));
  const __m256i col1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col_term + 8));
  const __m256i zero0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b_zero));
  const __m256i zero1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b_zero + 8));
#pragma GCC unroll 6
  for (std::int64_t i = 0; i < MR; ++i) {
    const __m256i r = _mm256_set1_epi32(row_term[i]);
    __m256i v0 = _mm256_add_epi32(_mm256_add_epi32(acc[i][0], col0), _mm256_mullo_epi32(zero0, r));
    __m256i v1 = _mm256_add_epi32(_mm256_add_epi32(acc[i][1], col1), _mm256_mullo_epi32(zero1, r));
    auto* out = reinterpret_cast<__m256i*>(c + i * ldc);
    if (accumulate) {
      v0 = _mm256_add_epi32(v0, _mm256_loadu_si256(out));
      v1 = _mm256_add_epi32(v1, _mm256_loadu_si256(out + 1));
    }
    _mm256_storeu_si256(out, v0);
    _mm256_storeu_si256(out + 1, v1);
  }
}

}  // namespace gb::quant::detail
