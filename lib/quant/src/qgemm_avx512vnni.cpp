// qgemm_avx512vnni.cpp: the integer micro-kernel on AVX-512 VNNI, 6 x 64, vpdpbusd on zmm registers.
//
// vpdpbusd (_mm512_dpbusd_epi32) takes 64 unsigned bytes and 64 signed bytes and adds, in each of its
// 16 int32 lanes, the sum of 4 products: 64 multiply-adds in one instruction, with no intermediate
// saturation (vpmaddubsw's problem, see qgemm_avx2.cpp). One step q of the kernel:
//
//   b0 b1 b2 b3 <- 4 x 64 bytes of the B sliver: 64 columns x 4 k     (4 loads)
//   for each of the 6 rows i:  ai <- the 4 bytes a[i, 4q..4q+3] in every lane (1 broadcast)
//                              acc[i][x] += dpbusd(ai, bx)           (4 vpdpbusd)
//
// 24 accumulators + 4 B registers + 1 broadcast = 29 of the 32 zmm registers; 10 loads feed 24 vpdpbusd
// (1536 multiply-adds). Compare rung 7 of the fp32 ladder: 384 multiply-adds per step of 12 x 32.
// Built with -mavx512f -mavx512bw -mavx512vl -mavx512vnni (lib/quant/CMakeLists.txt); entered only
// after __builtin_cpu_supports("avx512vnni") and friends (qgemm.cpp).
#include "qmicro_kernel.hpp"

#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#include <immintrin.h>

namespace gb::quant::detail {
namespace {

constexpr std::int64_t kMR = 6, kNR = 64;

// The 4 bytes a[p..p+3] as one int32 in every lane (memcpy: no aliasing of uint8 as int32).
__m512i broadcast_4_bytes(const std::uint8_t* p) {
  std::int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

void qs8_gemm_6x64_avx512vnni(std::int64_t kgroups, const void* a_, const void* b_, const std::int32_t* col_term,
                              const std::int32_t* b_zero, const std::int32_t* row_term, bool accumulate,
                              std::int32_t* c, std::int64_t ldc) {
  const auto* a = static_cast<const std::uint8_t*>(a_);
  const auto* b = static_cast<const std::int8_t*>(b_);
  __m512i acc[kMR][4];
  for (auto& row : acc) row[0] = row[1] = row[2] = row[3] = _mm512_setzero_si512();
  for (std::int64_t q = 0; q < kgroups; ++q) {
    const std::int8_t* bq = b + q * kNR * 4;
    const __m512i b0 = _mm512_loadu_si512(bq), b1 = _mm512_loadu_si512(bq + 64);
    const __m512i b2 = _mm512_loadu_si512(bq + 128), b3 = _mm512_loadu_si512(bq + 192);
    const std::uint8_t* aq = a + q * kMR * 4;
#pragma GCC unroll 6
    for (std::int64_t i = 0; i < kMR; ++i) {
      const __m512i ai = broadcast_4_bytes(aq + i * 4);
      acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], ai, b0);
      acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], ai, b1);
      acc[i][2] = _mm512_dpbusd_epi32(acc[i][2], ai, b2);
      acc[i][3] = _mm512_dpbusd_epi32(acc[i][3], ai, b3);
    }
  }
  // The zero-point terms, once per tile: + col_term[j] + b_zero[j] * row_term[i].
  __m512i col[4], zero[4];
  for (int x = 0; x < 4; ++x) {
    col[x] = _mm512_loadu_si512(col_term + 16 * x);
    zero[x] = _mm512_loadu_si512(b_zero + 16 * x);
  }
#pragma GCC unroll 6
  for (std::int64_t i = 0; i < kMR; ++i) {
    const __m512i r = _mm512_set1_epi32(row_term[i]);
    for (int x = 0; x < 4; ++x) {
      __m512i v = _mm512_add_epi32(_mm512_add_epi32(acc[i][x], col[x]), _mm512_mullo_epi32(zero[x], r));
      std::int32_t* out = c + i * ldc + 16 * x;
      if (accumulate) v = _mm512_add_epi32(v, _mm512_loadu_si512(out));
      _mm512_storeu_si512(out, v);
    }
  }
}

}  // namespace

QMicroKernel avx512vnni_qkernel() {
  return {kMR, kNR, QPacking::u8s8_k4, qs8_gemm_6x64_avx512vnni, "qs8_gemm_6x64_avx512vnni"};
}

}  // namespace gb::quant::detail
#else
// Not built for x86-64: the run-time check (qgemm.cpp) never selects this variant.
namespace gb::quant::detail {
QMicroKernel avx512vnni_qkernel() { return portable_qkernel(); }
}  // namespace gb::quant::detail
#endif
