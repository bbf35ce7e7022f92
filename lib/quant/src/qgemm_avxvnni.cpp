// qgemm_avxvnni.cpp: the integer micro-kernel on AVX-VNNI, 6 x 16, vpdpbusd on ymm registers.
//
// AVX-VNNI (Alder Lake, Zen 5) is AVX-512 VNNI's vpdpbusd with a VEX encoding, on 256-bit registers
// only, for CPUs without AVX-512. The same layout as qgemm_avx512vnni.cpp with 8 lanes per register:
// one step q loads 2 x 32 bytes of B (16 columns x 4 k), broadcasts 4 bytes of each of the 6 rows and
// issues 12 vpdpbusd (384 multiply-adds): 12 accumulators + 2 B + 1 broadcast = 15 of the 16 ymm
// registers (the fp32 rung 6 tile, 6 x 16, with 4 times the work per instruction).
// Built with -mavx2 -mfma -mavxvnni; entered only after __builtin_cpu_supports("avxvnni") (qgemm.cpp).
#include "qmicro_kernel.hpp"

#if defined(__AVXVNNI__)
#include <immintrin.h>

#include "qtile_avx2.hpp"

namespace gb::quant::detail {
namespace {

constexpr std::int64_t kMR = 6, kNR = 16;

__m256i broadcast_4_bytes(const std::uint8_t* p) {
  std::int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

void qs8_gemm_6x16_avxvnni(std::int64_t kgroups, const void* a_, const void* b_, const std::int32_t* col_term,
                           const std::int32_t* b_zero, const std::int32_t* row_term, bool accumulate,
                           std::int32_t* c, std::int64_t ldc) {
  const auto* a = static_cast<const std::uint8_t*>(a_);
  const auto* b = static_cast<const std::int8_t*>(b_);
  __m256i acc[kMR][2];
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_si256();
  for (std::int64_t q = 0; q < kgroups; ++q) {
    const std::int8_t* bq = b + q * kNR * 4;
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bq + 32));
    const std::uint8_t* aq = a + q * kMR * 4;
#pragma GCC unroll 6
    for (std::int64_t i = 0; i < kMR; ++i) {
      const __m256i ai = broadcast_4_bytes(aq + i * 4);
      acc[i][0] = _mm256_dpbusd_avx_epi32(acc[i][0], ai, b0);
      acc[i][1] = _mm256_dpbusd_avx_epi32(acc[i][1], ai, b1);
    }
  }
  store_tile_6x16_avx2<kMR>(acc, col_term, b_zero, row_term, accumulate, c, ldc);
}

}  // namespace

QMicroKernel avxvnni_qkernel() { return {kMR, kNR, QPacking::u8s8_k4, qs8_gemm_6x16_avxvnni, "qs8_gemm_6x16_avxvnni"}; }

}  // namespace gb::quant::detail
#else
// Not built for x86-64: the run-time check (qgemm.cpp) never selects this variant.
namespace gb::quant::detail {
QMicroKernel avxvnni_qkernel() { return portable_qkernel(); }
}  // namespace gb::quant::detail
#endif
