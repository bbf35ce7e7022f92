// Exercise quant.fixed_point.requantize (lesson 23-quantization-basics): requantize in
// lib/quant/src/fixed_point.cpp, the last step of every integer layer. An int8 layer's int32
// accumulator acc stands for the real value Sx * Sw * acc; on the next layer's grid that is
//   q = saturate(Z_out + M * acc, qmin, qmax),   M = Sx * Sw / S_out,
// with M * acc computed in fixed point by multiply_by_quantized_multiplier (TFLite's
// MultiplyByQuantizedMultiplier: M = multiplier * 2^(shift - 31)). Add the zero point and clamp
// in 64 bits, so that nothing can overflow before the clamp.
//
// Run only this exercise:  quant_exercise_tests --gtest_filter='Task_23_2_Requantize.*'
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "../core/exercise_checks.hpp"
#include "gb/core/rng.hpp"
#include "gb/quant/fixed_point.hpp"

namespace {

namespace quant = gb::quant;
constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();

// Within one code of the float computation round(Z + M * acc), clamped (the fixed-point product
// rounds twice, each time by at most half a unit).
TEST(Task_23_2_Requantize, MatchesTheFloatResultWithinOneCode) {
  gb::Rng rng(23);
  for (int i = 0; i < 5000; ++i) {
    const double m = std::exp(rng.uniform(-14.0, 0.0));
    const quant::QuantizedMultiplier qm = quant::quantize_multiplier(m);
    const auto acc = static_cast<std::int32_t>(rng.randint(-3000000, 3000000));
    const auto z = static_cast<std::int32_t>(rng.randint(0, 256));
    const double real = std::ldexp(static_cast<double>(qm.multiplier), qm.shift - 31) * acc;
    const double expected = std::clamp(std::round(z + real), 0.0, 255.0);
    const std::int32_t got = quant::requantize(acc, qm, z, quant::QRange{0, 255});
    ASSERT_LE(std::fabs(got - expected), 1.0) << "acc " << acc << " M " << m << " Z " << z;
  }
}

// Small cases worked by hand from the published semantics (M = 1/2 is multiplier 2^30, shift 0).
TEST(Task_23_2_Requantize, AddsTheZeroPointAfterTheProduct) {
  const quant::QuantizedMultiplier half = quant::quantize_multiplier(0.5);
  EXPECT_EQ(quant::requantize(100, half, 0, quant::QRange{-128, 127}), 50);
  EXPECT_EQ(quant::requantize(100, half, 10, quant::QRange{-128, 127}), 60);
  EXPECT_EQ(quant::requantize(-100, half, 128, quant::QRange{0, 255}), 78);
  EXPECT_EQ(quant::requantize(5, half, 0, quant::QRange{-128, 127}), 3);    // 2.5: the high-mul rounds ties up
  EXPECT_EQ(quant::requantize(-5, half, 0, quant::QRange{-128, 127}), -2);  // -2.5 -> -2
}

TEST(Task_23_2_Requantize, SaturatesAtBothEndsOfTheGrid) {
  const quant::QuantizedMultiplier half = quant::quantize_multiplier(0.5);
  EXPECT_EQ(quant::requantize(1000, half, 0, quant::QRange{-128, 127}), 127);
  EXPECT_EQ(quant::requantize(-1000, half, 0, quant::QRange{-128, 127}), -128);
  EXPECT_EQ(quant::requantize(kMax, half, 0, quant::QRange{0, 255}), 255);
  EXPECT_EQ(quant::requantize(kMin, half, 0, quant::QRange{0, 255}), 0);
  // Z + M * acc beyond int32: with M just below 1, M * acc is about 2^31 - 2, and Z = 255 on top
  // of it must still clamp, not wrap around.
  const quant::QuantizedMultiplier big = quant::quantize_multiplier(1.0 - 1e-9);
  ASSERT_EQ(big.shift, 0);
  EXPECT_EQ(quant::requantize(kMax, big, 255, quant::QRange{0, 255}), 255);
  EXPECT_EQ(quant::requantize(kMin, big, -128, quant::QRange{-128, 127}), -128);
}

// A fused ReLU is only a narrower grid: qmin = Z_out (real 0), so negative results become real 0.
TEST(Task_23_2_Requantize, AFusedReluRaisesQminToTheZeroPoint) {
  const quant::QuantizedMultiplier m = quant::quantize_multiplier(0.01);
  EXPECT_EQ(quant::requantize(-5000, m, 20, quant::QRange{20, 255}), 20);
  EXPECT_EQ(quant::requantize(5000, m, 20, quant::QRange{20, 255}), 70);
}

TEST(Task_23_2_Requantize, AnEmptyRangeIsAnError) {
  const std::string m = gb_exercise::error_message_of(
      [] { quant::requantize(1, quant::quantize_multiplier(0.5), 0, quant::QRange{10, -10}); });
  EXPECT_CONTAINS(m, "requantize");
  EXPECT_CONTAINS(m, "qmin <= qmax");
}

}  // namespace
