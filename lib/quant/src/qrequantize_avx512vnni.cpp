// qrequantize_avx512vnni.cpp: the output stage (qrequantize.cpp) on AVX-512, 8 outputs per step.
//
// The fixed-point product needs 64 bits (a 32 x 32-bit product, then a rounded shift by 31), so each
// step widens 8 int32 accumulators to 8 int64 lanes of a zmm register and does, lane by lane, exactly
// the scalar steps: saturate(acc + bias), the saturating left shift, vpmuldq (signed 32 x 32 -> 64),
// the nudge and the truncating shift by 31, the rounding shift right (per-lane shift counts: vpsravq),
// the zero point, the clamp, and vpmovqb to 8 bytes. The last n % 8 outputs use masked loads and stores.
// It needs only AVX-512F; it lives in a file named *_avx512vnni.cpp to get the AVX-512 flags
// (lib/quant/CMakeLists.txt) and is entered under the same run-time check as the VNNI kernel.
#include "qmicro_kernel.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>

namespace gb::quant::detail {
namespace {

__m512i widen(const std::int32_t* p, __mmask8 mask) {
  return _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(mask, p));
}

void requantize_row_avx512(const std::int32_t* acc, std::int64_t n, const std::int32_t* multiplier,
                           const std::int32_t* left, const std::int32_t* right, const std::int32_t* bias,
                           std::int64_t zero, std::int64_t qmin, std::int64_t qmax, std::uint8_t* out) {
  const __m512i int32_min = _mm512_set1_epi64(-2147483648LL), int32_max = _mm512_set1_epi64(2147483647LL);
  const __m512i one = _mm512_set1_epi64(1), zeros = _mm512_setzero_si512();
  const __m512i nudge_pos = _mm512_set1_epi64(1LL << 30), nudge_neg = _mm512_set1_epi64(1 - (1LL << 30));
  const __m512i low31 = _mm512_set1_epi64(0x7fffffff);
  const __m512i vzero = _mm512_set1_epi64(zero), vmin = _mm512_set1_epi64(qmin), vmax = _mm512_set1_epi64(qmax);
  for (std::int64_t j = 0; j < n; j += 8) {
    const __mmask8 mask = n - j >= 8 ? static_cast<__mmask8>(0xff) : static_cast<__mmask8>((1u << (n - j)) - 1);
    __m512i x = _mm512_add_epi64(widen(acc + j, mask), widen(bias + j, mask));
    x = _mm512_min_epi64(_mm512_max_epi64(x, int32_min), int32_max);
    x = _mm512_min_epi64(_mm512_max_epi64(_mm512_sllv_epi64(x, widen(left + j, mask)), int32_min), int32_max);
    const __m512i m = widen(multiplier + j, mask);
    // SaturatingRoundingDoublingHighMul: (x * m + nudge) / 2^31 truncated toward zero.
    const __m512i product = _mm512_mul_epi32(x, m);
    const __m512i nudged =
        _mm512_add_epi64(product, _mm512_mask_blend_epi64(_mm512_cmpge_epi64_mask(product, zeros), nudge_neg, nudge_pos));
    __m512i high = _mm512_srai_epi64(_mm512_add_epi64(nudged, _mm512_and_si512(_mm512_srai_epi64(nudged, 63), low31)), 31);
    const __mmask8 overflow = _mm512_cmpeq_epi64_mask(x, int32_min) & _mm512_cmpeq_epi64_mask(m, int32_min);
    high = _mm512_mask_blend_epi64(overflow, high, int32_max);
    // RoundingDivideByPOT: floor(high / 2^right) + (remainder > threshold).
    const __m512i r = widen(right + j, mask);
    const __m512i pot_mask = _mm512_sub_epi64(_mm512_sllv_epi64(one, r), one);
    const __m512i threshold = _mm512_add_epi64(_mm512_srai_epi64(pot_mask, 1),
                                               _mm512_maskz_mov_epi64(_mm512_cmplt_epi64_mask(high, zeros), one));
    const __m512i rounded = _mm512_add_epi64(
        _mm512_srav_epi64(high, r),
        _mm512_maskz_mov_epi64(_mm512_cmpgt_epi64_mask(_mm512_and_si512(high, pot_mask), threshold), one));
    const __m512i q = _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(vzero, rounded), vmin), vmax);
    _mm512_mask_cvtepi64_storeu_epi8(out + j, mask, q);
  }
}

}  // namespace

RequantizeRowFn avx512_requantize_row() { return requantize_row_avx512; }

}  // namespace gb::quant::detail
#else
namespace gb::quant::detail {
RequantizeRowFn avx512_requantize_row() { return nullptr; }
}  // namespace gb::quant::detail
#endif
