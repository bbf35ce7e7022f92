// fixed_point.cpp: requantization with integers only (fixed_point.hpp, lesson 23).
//
// The real multiplier M = Sx * Sw / S_out is known offline; at run time a device without floating
// point multiplies the int32 accumulator by M with one 32 x 32 -> 64-bit product and two roundings:
//   1. SaturatingRoundingDoublingHighMul(x, multiplier): x * multiplier / 2^31, rounded;
//   2. RoundingDivideByPOT(., right): / 2^right, rounded.
// These are gemmlowp's and TensorFlow Lite's definitions (written here from their published semantics);
// the intermediate products use int64 so that no step can overflow.
#include "gb/quant/fixed_point.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>

#include "gb/core/error.hpp"

namespace gb::quant {

namespace {

constexpr std::int32_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kInt32Max = std::numeric_limits<std::int32_t>::max();

std::int32_t saturate_int32(std::int64_t v) {
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(v, kInt32Min, kInt32Max));
}

}  // namespace

std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b) {
  // The only product whose doubled high half does not fit: (-2^31) * (-2^31) * 2 / 2^32 = 2^31.
  if (a == kInt32Min && b == kInt32Min) return kInt32Max;
  const std::int64_t ab = static_cast<std::int64_t>(a) * static_cast<std::int64_t>(b);  // |ab| <= 2^62
  // (2 * ab) / 2^32 = ab / 2^31. Add half of 2^31 and divide (C++ division truncates toward zero):
  // for ab >= 0 that is floor(ab / 2^31 + 1/2); for ab < 0 the nudge 1 - 2^30 makes truncation give
  // ceil(ab / 2^31 - 1/2 + 2^-31), i.e. again floor(ab / 2^31 + 1/2). Either way a tie rounds UP
  // (toward +infinity), the behaviour of ARM's vqrdmulh instruction that gemmlowp matches.
  const std::int64_t nudge = ab >= 0 ? (std::int64_t{1} << 30) : (1 - (std::int64_t{1} << 30));
  return static_cast<std::int32_t>((ab + nudge) / (std::int64_t{1} << 31));
}

std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent) {
  if (exponent < 0 || exponent > 31)
    throw Error("rounding_divide_by_pot", "an exponent in [0, 31]", std::to_string(exponent));
  // x >> e is floor(x / 2^e) (an arithmetic shift, defined for negative x since C++20); the bits
  // shifted out are the remainder. Round up when the remainder is more than half of 2^e, or exactly
  // half for a negative x: nearest, ties away from zero.
  const std::int64_t mask = (std::int64_t{1} << exponent) - 1;
  const std::int64_t remainder = static_cast<std::int64_t>(x) & mask;
  const std::int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  const std::int64_t floor = static_cast<std::int64_t>(x) >> exponent;
  return static_cast<std::int32_t>(floor + (remainder > threshold ? 1 : 0));
}

QuantizedMultiplier quantize_multiplier(double m) {
  if (!std::isfinite(m) || m < 0.0) {
    std::ostringstream given;
    given << m;
    throw Error("quantize_multiplier", "a finite real multiplier >= 0", given.str());
  }
  if (m == 0.0) return {0, 0};
  // m = q * 2^shift with q in [0.5, 1): q is the Q0.31 significand, 2^shift the power of two.
  int shift = 0;
  const double q = std::frexp(m, &shift);
  auto q_fixed = static_cast<std::int64_t>(std::round(q * static_cast<double>(std::int64_t{1} << 31)));
  if (q_fixed == (std::int64_t{1} << 31)) {  // q rounded up to 1.0: use 0.5 and one more power of two
    q_fixed /= 2;
    ++shift;
  }
  // Below 2^-32 every product would shift out to 0 anyway: say so with a zero multiplier, as TFLite.
  if (shift < -31) return {0, 0};
  return {static_cast<std::int32_t>(q_fixed), shift};
}

std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier, int shift) {
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  if (right > 31)
    throw Error("multiply_by_quantized_multiplier", "a shift >= -31", std::to_string(shift));
  // M >= 1 (shift > 0): scale x up first so the high-mul keeps every bit. TFLite computes
  // x * (1 << left) in int32, undefined when it overflows; here it saturates to int32 instead.
  std::int32_t scaled = x;
  if (left > 0) {
    if (left > 31)
      scaled = x > 0 ? kInt32Max : (x < 0 ? kInt32Min : 0);
    else
      scaled = saturate_int32(static_cast<std::int64_t>(x) * (std::int64_t{1} << left));
  }
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right);
}

std::int32_t requantize(std::int32_t acc, QuantizedMultiplier m, std::int32_t zero_point, QRange range) {
  // BEGIN EXERCISE(quant.fixed_point.requantize)
  if (range.qmin > range.qmax)
    throw Error("requantize", "a range with qmin <= qmax",
                "[" + std::to_string(range.qmin) + ", " + std::to_string(range.qmax) + "]");
  // The accumulator on the output's grid: M * acc in fixed point, then the output's zero point,
  // then the grid's ends (int64, so that Z + M * acc cannot overflow before the clamp).
  const std::int64_t scaled = multiply_by_quantized_multiplier(acc, m.multiplier, m.shift);
  const std::int64_t q = static_cast<std::int64_t>(zero_point) + scaled;
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(q, range.qmin, range.qmax));
  // END EXERCISE
}

}  // namespace gb::quant
