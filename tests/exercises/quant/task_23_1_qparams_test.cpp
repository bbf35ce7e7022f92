// Exercise quant.qparams.from_min_max (lesson 23-quantization-basics): choose_qparams in
// lib/quant/src/qparams.cpp, the scale S and zero point Z that put an integer grid on [min, max].
// The rules are PyTorch's MinMaxObserver (torch.ao.quantization.observer, _calculate_qparams):
//   widen the range to contain 0:   lo = min(min, 0), hi = max(max, 0)
//   affine:     S = (hi - lo) / (qmax - qmin),          Z = clamp(qmin - round(lo / S), qmin, qmax)
//   symmetric:  S = max(-lo, hi) / ((qmax - qmin) / 2),  Z = 0 for int8, 128 for uint8
//   S is never below float32's epsilon; round() is half to even (torch.round).
// Grids: int8 [-128, 127], restricted int8 [-127, 127], uint8 [0, 255].
//
// Run only this exercise:  quant_exercise_tests --gtest_filter='Task_23_1_QParamsFromMinMax.*'
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "../core/exercise_checks.hpp"
#include "gb/quant/qparams.hpp"

namespace {

using gb::DType;
namespace quant = gb::quant;

// LESSONS.md section 8: r = [-1, 0, 0.5, 2] as uint8 gives S = 3/255 and Z = 85.
TEST(Task_23_1_QParamsFromMinMax, AffineWorkedExample) {
  const auto [scale, zero_point] = quant::choose_qparams(-1.0, 2.0, DType::u8);
  EXPECT_DOUBLE_EQ(scale, 3.0 / 255.0);
  EXPECT_EQ(zero_point, 85);
}

// ... and symmetric on the restricted int8 grid: amax = 2, S = 2/127, Z = 0.
TEST(Task_23_1_QParamsFromMinMax, SymmetricWorkedExample) {
  const auto [scale, zero_point] = quant::choose_qparams(-1.0, 2.0, DType::i8, true, true);
  EXPECT_DOUBLE_EQ(scale, 2.0 / 127.0);
  EXPECT_EQ(zero_point, 0);
}

// The full int8 grid has 255 steps: symmetric S = amax / 127.5 (PyTorch's qint8 observers).
// uint8 symmetric keeps real 0 in the middle, at code 128.
TEST(Task_23_1_QParamsFromMinMax, SymmetricHalvesTheWholeGrid) {
  const auto [s8, z8] = quant::choose_qparams(-3.0, 1.0, DType::i8, true);
  EXPECT_DOUBLE_EQ(s8, 3.0 / 127.5);
  EXPECT_EQ(z8, 0);
  const auto [su, zu] = quant::choose_qparams(-0.5, 6.0, DType::u8, true);
  EXPECT_DOUBLE_EQ(su, 6.0 / 127.5);
  EXPECT_EQ(zu, 128);
}

// A range that does not contain 0 is widened to contain it, so real 0 is always a code.
TEST(Task_23_1_QParamsFromMinMax, TheRangeIsWidenedToContainZero) {
  const auto [s, z] = quant::choose_qparams(1.0, 3.0, DType::u8);  // as [0, 3]
  EXPECT_DOUBLE_EQ(s, 3.0 / 255.0);
  EXPECT_EQ(z, 0);
  const auto [sn, zn] = quant::choose_qparams(-4.0, -2.0, DType::i8);  // as [-4, 0]
  EXPECT_DOUBLE_EQ(sn, 4.0 / 255.0);
  EXPECT_EQ(zn, 127);
}

// lo / S exactly halfway between two integers rounds to the even one (torch.round), not away from 0:
// [-2.5, 252.5] on uint8 has S = 1 and lo / S = -2.5, so Z = 0 - (-2) = 2.
TEST(Task_23_1_QParamsFromMinMax, ZeroPointRoundsHalfToEven) {
  const auto [s, z] = quant::choose_qparams(-2.5, 252.5, DType::u8);
  EXPECT_DOUBLE_EQ(s, 1.0);
  EXPECT_EQ(z, 2);
  const auto [s2, z2] = quant::choose_qparams(-3.5, 251.5, DType::u8);
  EXPECT_DOUBLE_EQ(s2, 1.0);
  EXPECT_EQ(z2, 4);
}

// An all-zero tensor still gets a grid: S = float32 epsilon, not a division by zero.
TEST(Task_23_1_QParamsFromMinMax, AZeroRangeGetsTheSmallestScale) {
  const double eps = std::numeric_limits<float>::epsilon();
  const auto [s, z] = quant::choose_qparams(0.0, 0.0, DType::u8);
  EXPECT_EQ(s, eps);
  EXPECT_EQ(z, 0);
  const auto [s8, z8] = quant::choose_qparams(0.0, 0.0, DType::i8);
  EXPECT_EQ(s8, eps);
  EXPECT_EQ(z8, -128);
  const auto [ss, zs] = quant::choose_qparams(0.0, 0.0, DType::i8, true);
  EXPECT_EQ(ss, eps);
  EXPECT_EQ(zs, 0);
}

// Every affine choice maps lo and hi to codes within half a step of qmin and qmax, and 0 to Z.
TEST(Task_23_1_QParamsFromMinMax, TheGridCoversTheRange) {
  for (double lo : {-7.0, -1.0, -0.01, 0.0})
    for (double hi : {0.0, 0.02, 1.0, 13.0}) {
      if (lo == 0.0 && hi == 0.0) continue;
      for (DType dt : {DType::u8, DType::i8}) {
        const quant::QRange r = quant::qrange(dt);
        const auto [s, z] = quant::choose_qparams(lo, hi, dt);
        EXPECT_GT(s, 0.0);
        EXPECT_NEAR(z + lo / s, r.qmin, 0.5 + 1e-9) << lo << " " << hi;
        EXPECT_NEAR(z + hi / s, r.qmax, 0.5 + 1e-9) << lo << " " << hi;
      }
    }
}

TEST(Task_23_1_QParamsFromMinMax, BadInputsAreErrorsNamingThem) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  std::string m = gb_exercise::error_message_of([&] { quant::choose_qparams(2.0, 1.0); });
  EXPECT_CONTAINS(m, "choose_qparams");
  EXPECT_CONTAINS(m, "min <= max");
  m = gb_exercise::error_message_of([&] { quant::choose_qparams(nan, 1.0); });
  EXPECT_CONTAINS(m, "finite");
  m = gb_exercise::error_message_of([&] { quant::choose_qparams(-1.0, inf); });
  EXPECT_CONTAINS(m, "inf");
  m = gb_exercise::error_message_of([&] { quant::choose_qparams(-1.0, 1.0, DType::f32); });
  EXPECT_CONTAINS(m, "f32");
  m = gb_exercise::error_message_of([&] { quant::choose_qparams(-1.0, 1.0, DType::u8, false, true); });
  EXPECT_CONTAINS(m, "int8");
}

}  // namespace
