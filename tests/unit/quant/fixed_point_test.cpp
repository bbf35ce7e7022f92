// fixed_point_test.cpp: gemmlowp's and TFLite's fixed-point requantization (lib/quant/src/fixed_point.cpp).
// The references below restate the published definitions another way (a floor division instead of
// a nudge and a truncation, a sign and a magnitude instead of a mask and a threshold), so that the
// two formulations check each other; tests/python/oracle/test_torch_quant_fixed_point.py compares
// against a big-integer transcription of the published sources on many more inputs.
// requantize() is exercise quant.fixed_point.requantize (tests/exercises/quant).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/quant/fixed_point.hpp"
#include "test_helpers.hpp"

namespace {

namespace quant = gb::quant;
constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();

std::int64_t floor_div(std::int64_t n, std::int64_t d) {  // d > 0
  std::int64_t q = n / d;
  if (n % d != 0 && n < 0) --q;
  return q;
}

// a * b / 2^31 rounded to nearest, ties toward +infinity: floor(a * b / 2^31 + 1/2).
std::int32_t high_mul_reference(std::int32_t a, std::int32_t b) {
  if (a == kMin && b == kMin) return kMax;
  const std::int64_t ab = static_cast<std::int64_t>(a) * b;
  return static_cast<std::int32_t>(floor_div(ab + (std::int64_t{1} << 30), std::int64_t{1} << 31));
}

// x / 2^e rounded to nearest, ties away from zero: sign(x) * floor((|x| + 2^(e-1)) / 2^e).
std::int32_t divide_reference(std::int32_t x, int e) {
  if (e == 0) return x;
  const std::int64_t magnitude = x < 0 ? -static_cast<std::int64_t>(x) : x;
  const std::int64_t r = (magnitude + (std::int64_t{1} << (e - 1))) >> e;
  return static_cast<std::int32_t>(x < 0 ? -r : r);
}

std::vector<std::int32_t> edge_values() {
  return {kMin, kMin + 1, -(1 << 30) - 1, -(1 << 30), -3, -2, -1, 0, 1, 2, 3, 1 << 30, (1 << 30) + 1, kMax - 1, kMax};
}

TEST(HighMul, EqualsTheRoundedProductOnEdgesAndRandomPairs) {
  for (std::int32_t a : edge_values())
    for (std::int32_t b : edge_values())
      EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(a, b), high_mul_reference(a, b)) << a << " * " << b;
  gb::Rng rng(1);
  for (int i = 0; i < 20000; ++i) {
    const auto a = static_cast<std::int32_t>(rng.next_u32()), b = static_cast<std::int32_t>(rng.next_u32());
    ASSERT_EQ(quant::saturating_rounding_doubling_high_mul(a, b), high_mul_reference(a, b)) << a << " * " << b;
  }
}

TEST(HighMul, TiesRoundTowardPlusInfinityAndTheOneOverflowSaturates) {
  // 1 * 2^30 / 2^31 = 0.5 -> 1;  -1 * 2^30 / 2^31 = -0.5 -> 0;  -3 * 2^30 / 2^31 = -1.5 -> -1.
  EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
  EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
  EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
  // Q0.31: 0.5 * 0.5 = 0.25.
  EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(1 << 30, 1 << 30), 1 << 29);
  // (-1) * (-1) = +1 does not fit in Q0.31: the largest value instead.
  EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(kMin, kMin), kMax);
  EXPECT_EQ(quant::saturating_rounding_doubling_high_mul(kMin, kMax), -kMax);
}

TEST(RoundingDivideByPot, RoundsToNearestWithTiesAwayFromZero) {
  EXPECT_EQ(quant::rounding_divide_by_pot(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(quant::rounding_divide_by_pot(-5, 1), -3);  // -2.5 -> -3
  EXPECT_EQ(quant::rounding_divide_by_pot(-1, 1), -1);  // -0.5 -> -1
  EXPECT_EQ(quant::rounding_divide_by_pot(-6, 2), -2);  // -1.5 -> -2
  EXPECT_EQ(quant::rounding_divide_by_pot(kMin, 31), -1);
  EXPECT_EQ(quant::rounding_divide_by_pot(kMax, 31), 1);
  for (int e = 0; e <= 31; ++e)
    for (std::int32_t x : edge_values()) EXPECT_EQ(quant::rounding_divide_by_pot(x, e), divide_reference(x, e)) << x << " / 2^" << e;
  gb::Rng rng(2);
  for (int i = 0; i < 20000; ++i) {
    const auto x = static_cast<std::int32_t>(rng.next_u32());
    const int e = static_cast<int>(rng.randint(0, 32));
    ASSERT_EQ(quant::rounding_divide_by_pot(x, e), divide_reference(x, e)) << x << " / 2^" << e;
  }
  EXPECT_ERROR(quant::rounding_divide_by_pot(1, -1), "rounding_divide_by_pot", "[0, 31]", "-1");
  EXPECT_ERROR(quant::rounding_divide_by_pot(1, 32), "rounding_divide_by_pot", "32");
}

TEST(QuantizeMultiplier, SignificandInHalfToOneTimesAPowerOfTwo) {
  gb::Rng rng(3);
  for (int i = 0; i < 2000; ++i) {
    const double m = std::exp(rng.uniform(-20.0, 10.0));
    const quant::QuantizedMultiplier q = quant::quantize_multiplier(m);
    EXPECT_GE(q.multiplier, 1 << 30);
    const double back = std::ldexp(static_cast<double>(q.multiplier), q.shift - 31);
    EXPECT_LE(std::fabs(back - m), std::ldexp(1.0, q.shift - 32) * (1 + 1e-12)) << m;  // half a unit of Q0.31
  }
  EXPECT_EQ(quant::quantize_multiplier(0.5).multiplier, 1 << 30);
  EXPECT_EQ(quant::quantize_multiplier(0.5).shift, 0);
  EXPECT_EQ(quant::quantize_multiplier(1.0).shift, 1);
  EXPECT_EQ(quant::quantize_multiplier(0.75).multiplier, 3 << 29);
}

TEST(QuantizeMultiplier, EdgeCasesFollowTflite) {
  EXPECT_EQ(quant::quantize_multiplier(0.0).multiplier, 0);
  EXPECT_EQ(quant::quantize_multiplier(0.0).shift, 0);
  // Just below 1: the significand rounds up to 2^31, so it becomes 2^30 with one more power of two.
  const quant::QuantizedMultiplier up = quant::quantize_multiplier(1.0 - std::ldexp(1.0, -40));
  EXPECT_EQ(up.multiplier, 1 << 30);
  EXPECT_EQ(up.shift, 1);
  // 2^-32 needs shift -31 (kept); 2^-33 would need -32: flushed to zero.
  EXPECT_EQ(quant::quantize_multiplier(std::ldexp(1.0, -32)).shift, -31);
  EXPECT_EQ(quant::quantize_multiplier(std::ldexp(1.0, -33)).multiplier, 0);
  EXPECT_EQ(quant::quantize_multiplier(std::ldexp(1.0, -33)).shift, 0);
  EXPECT_ERROR(quant::quantize_multiplier(-0.5), "quantize_multiplier", ">= 0", "-0.5");
  EXPECT_ERROR(quant::quantize_multiplier(std::nan("")), "quantize_multiplier", "finite");
  EXPECT_ERROR(quant::quantize_multiplier(INFINITY), "quantize_multiplier", "inf");
}

// x * M within one unit of the exact product (two roundings of at most half a unit each).
TEST(MultiplyByQuantizedMultiplier, IsTheRealProductWithinOne) {
  gb::Rng rng(4);
  for (int i = 0; i < 20000; ++i) {
    const double m = std::exp(rng.uniform(-12.0, 0.0));
    const quant::QuantizedMultiplier q = quant::quantize_multiplier(m);
    const auto x = static_cast<std::int32_t>(rng.randint(-(std::int64_t{1} << 31), std::int64_t{1} << 31));
    const long double exact = static_cast<long double>(x) * q.multiplier * std::ldexp(1.0L, q.shift - 31);
    const std::int32_t got = quant::multiply_by_quantized_multiplier(x, q);
    ASSERT_LE(std::fabs(static_cast<long double>(got) - exact), 1.0L) << x << " * " << m;
  }
}

TEST(MultiplyByQuantizedMultiplier, TwoRoundingsCanDifferFromOne) {
  // M = 1/4: multiplier 2^30 (0.5), shift -1. 5 * 0.25 = 1.25, but 5 * 0.5 = 2.5 rounds up to 3 and
  // 3 / 2 = 1.5 rounds to 2: the known price of TFLite's double rounding.
  const quant::QuantizedMultiplier quarter = quant::quantize_multiplier(0.25);
  EXPECT_EQ(quarter.multiplier, 1 << 30);
  EXPECT_EQ(quarter.shift, -1);
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(5, quarter), 2);
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(3, quarter), 1);   // 0.75 -> 1
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(-3, quarter), -1);  // -1.5 -> -1, then -0.5 -> -1
}

TEST(MultiplyByQuantizedMultiplier, LeftShiftsSaturateInsteadOfOverflowing) {
  const quant::QuantizedMultiplier four = quant::quantize_multiplier(4.0);  // 0.5 * 2^3
  EXPECT_EQ(four.shift, 3);
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(1000, four), 4000);
  // kMax * 8 overflows int32 before the high-mul: it saturates to kMax, times 0.5.
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(kMax, four), quant::saturating_rounding_doubling_high_mul(kMax, 1 << 30));
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(kMin, four), kMin / 2);
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(7, 1 << 30, 40), kMax / 2 + 1);  // saturated, then * 0.5
  EXPECT_EQ(quant::multiply_by_quantized_multiplier(0, 1 << 30, 40), 0);
  EXPECT_ERROR(quant::multiply_by_quantized_multiplier(1, 1 << 30, -32), "multiply_by_quantized_multiplier", "-32");
}

}  // namespace
