// qparams_test.cpp: the affine map (lib/quant/src/qparams.cpp). choose_qparams itself is exercise
// quant.qparams.from_min_max (tests/exercises/quant); here the map is built from explicit (S, Z) where
// it can be, so these tests check quantize/dequantize on their own. PyTorch checks the same functions
// value for value in tests/python/oracle/test_torch_quant.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/quant/qparams.hpp"
#include "test_helpers.hpp"

namespace {

using gb::DType;
using gb::Tensor;
namespace quant = gb::quant;

quant::QParams per_tensor(double scale, std::int32_t zero_point, DType dtype = DType::u8) {
  quant::QParams p;
  p.dtype = dtype;
  p.scale = {scale};
  p.zero_point = {zero_point};
  return p;
}

Tensor f32(const std::vector<double>& v) { return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}); }

TEST(QRange, Int8Uint8AndTheRestrictedInt8Range) {
  EXPECT_EQ(quant::qrange(DType::i8).qmin, -128);
  EXPECT_EQ(quant::qrange(DType::i8).qmax, 127);
  EXPECT_EQ(quant::qrange(DType::i8, true).qmin, -127);
  EXPECT_EQ(quant::qrange(DType::u8).qmin, 0);
  EXPECT_EQ(quant::qrange(DType::u8).qmax, 255);
  EXPECT_ERROR(quant::qrange(DType::u8, true), "qrange", "int8");
  EXPECT_ERROR(quant::qrange(DType::f32), "qrange", "f32");
}

// The worked example of LESSONS.md with the (S, Z) it gives: S = 3/255, Z = 85.
TEST(Quantize, WorkedExampleOnItsGrid) {
  const Tensor q = quant::quantize(f32({-1.0, 0.0, 0.5, 2.0}), per_tensor(3.0 / 255.0, 85));
  ASSERT_EQ(q.dtype(), DType::u8);
  EXPECT_EQ(q.to_vector(), (std::vector<double>{0, 85, 127, 255}));  // 0.5 / S = 42.5 -> 42 (to even)
  const Tensor s = quant::quantize(f32({-1.0, 0.0, 0.5, 2.0}), per_tensor(2.0 / 127.0, 0, DType::i8));
  EXPECT_EQ(s.to_vector(), (std::vector<double>{-64, 0, 32, 127}));  // -1 / S = -63.5 -> -64 (to even)
}

// S = 1/4 is a power of two: x * (1/S) is exact, so every x = (k + 1/2) S is a true tie.
TEST(Quantize, TiesRoundToEvenBeforeTheZeroPointIsAdded) {
  const std::vector<double> x = {0.125, 0.375, 0.625, -0.125, -0.375, -0.625};  // k + 0.5 = 0.5, 1.5, 2.5, ...
  const Tensor q = quant::quantize(f32(x), per_tensor(0.25, 3, DType::i8));
  // round(0.5) = 0, round(1.5) = 2, round(2.5) = 2, round(-0.5) = -0, round(-1.5) = -2, round(-2.5) = -2, then + 3.
  EXPECT_EQ(q.to_vector(), (std::vector<double>{3, 5, 5, 3, 1, 1}));
}

TEST(Quantize, SaturatesOutsideTheGridAndInfinitiesToo) {
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor q = quant::quantize(f32({-1e30, -inf, 1e30, inf, 3.0e9}), per_tensor(0.01, 10));
  EXPECT_EQ(q.to_vector(), (std::vector<double>{0, 0, 255, 255, 255}));
  const Tensor s = quant::quantize(f32({-1e30, 1e30}), per_tensor(0.01, 0, DType::i8));
  EXPECT_EQ(s.to_vector(), (std::vector<double>{-128, 127}));
  quant::QParams r = per_tensor(0.01, 0, DType::i8);
  r.restricted = true;
  EXPECT_EQ(quant::quantize(f32({-1e30}), r).to_vector(), (std::vector<double>{-127}));
}

TEST(Quantize, RoundTripErrorIsAtMostHalfAStepInsideTheRange) {
  gb::Rng rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const double scale = std::exp(rng.uniform(-8.0, 2.0));
    const auto z = static_cast<std::int32_t>(rng.randint(0, 256));
    const quant::QParams p = per_tensor(scale, z);
    const double lo = scale * (0 - z), hi = scale * (255 - z);  // the real ends of the grid
    const Tensor x = rng.uniform({200}, lo, hi);
    const Tensor back = quant::dequantize(quant::quantize(x, p), p);
    for (std::int64_t i = 0; i < 200; ++i)
      EXPECT_LE(std::fabs(back.at({i}) - x.at({i})), 0.5 * scale * (1 + 1e-4))  // (+ float32 rounding)
          << "S " << scale << " Z " << z;
    // Real 0 is a code of its own: it comes back exactly.
    EXPECT_EQ(quant::fake_quantize(f32({0.0}), p).item(), 0.0);
  }
}

TEST(Dequantize, IsScaleTimesCodeMinusZeroPoint) {
  const quant::QParams p = per_tensor(0.5, 100);
  const Tensor q = Tensor::from_values({0, 100, 101, 255}, {4}, DType::u8);
  EXPECT_EQ(quant::dequantize(q, p).to_vector(), (std::vector<double>{-50.0, 0.0, 0.5, 77.5}));
  const quant::QTensor t = quant::quantize_tensor(f32({1.0, -3.0}), per_tensor(0.5, -2, DType::i8));
  EXPECT_EQ(t.values.to_vector(), (std::vector<double>{0, -8}));
  EXPECT_EQ(t.dequantize().to_vector(), (std::vector<double>{1.0, -3.0}));
}

// Per channel: channel c of the result equals quantizing slice c with (S_c, Z_c), on axis 0 and 1,
// for a non-contiguous input.
TEST(Quantize, PerChannelEqualsPerTensorOnEachSlice) {
  gb::Rng rng(7);
  const Tensor base = rng.normal({5, 4, 3}, 0.0, 2.0);
  const Tensor x = base.permute({1, 0, 2});  // [4, 5, 3], strided
  for (std::int64_t axis : {0, 1}) {
    quant::QParams p;
    p.dtype = DType::i8;
    p.axis = axis;
    p.scale.clear();
    p.zero_point.clear();
    for (std::int64_t c = 0; c < x.size(axis); ++c) {
      p.scale.push_back(0.01 + 0.02 * static_cast<double>(c));
      p.zero_point.push_back(static_cast<std::int32_t>(c) - 2);
    }
    const Tensor q = quant::quantize(x, p);
    const Tensor back = quant::dequantize(q, p);
    for (std::int64_t c = 0; c < x.size(axis); ++c) {
      const quant::QParams pc = per_tensor(p.scale[static_cast<std::size_t>(c)], p.zero_point[static_cast<std::size_t>(c)], DType::i8);
      EXPECT_EQ(q.select(axis, c).to_vector(), quant::quantize(x.select(axis, c).contiguous(), pc).to_vector());
      // Dequantizing agrees to the last bit or so: PyTorch's per-channel kernel multiplies in double,
      // its per-tensor kernel in float32, and glassbox follows each.
      const std::vector<double> got = back.select(axis, c).to_vector();
      const std::vector<double> want = quant::dequantize(q.select(axis, c).contiguous(), pc).to_vector();
      for (std::size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(static_cast<float>(got[i]), static_cast<float>(want[i]));
    }
  }
}

TEST(Quantize, BadInputsAreErrorsNamingWhatWasWrong) {
  const quant::QParams p = per_tensor(0.1, 0, DType::i8);
  EXPECT_ERROR(quant::quantize(f32({1.0, std::nan("")}), p), "quantize", "NaN", "index 1");
  EXPECT_ERROR(quant::quantize(Tensor::zeros({2}, DType::f64), p), "quantize", "f32", "f64");
  EXPECT_ERROR(quant::quantize(Tensor(), p), "quantize", "undefined");
  EXPECT_ERROR(quant::quantize(f32({1.0}), per_tensor(0.0, 0)), "quantize", "scale");
  EXPECT_ERROR(quant::quantize(f32({1.0}), per_tensor(std::nan(""), 0)), "quantize", "scale");
  EXPECT_ERROR(quant::quantize(f32({1.0}), per_tensor(0.1, 300)), "quantize", "zero point", "300");
  EXPECT_ERROR(quant::quantize(f32({1.0}), per_tensor(0.1, 0, DType::i32)), "qrange", "i32");
  quant::QParams two = per_tensor(0.1, 0);
  two.scale = {0.1, 0.2};
  EXPECT_ERROR(quant::quantize(f32({1.0}), two), "quantize", "2 scales and 1 zero points");
  two.zero_point = {0, 0};
  EXPECT_ERROR(quant::quantize(f32({1.0}), two), "quantize", "per-tensor");
  two.axis = 0;
  EXPECT_ERROR(quant::quantize(f32({1.0, 2.0, 3.0}), two), "quantize", "axis 0", "2 scales");
  two.axis = 1;
  EXPECT_ERROR(quant::quantize(f32({1.0, 2.0}), two), "quantize", "rank 1");
  EXPECT_ERROR(quant::dequantize(Tensor::zeros({2}, DType::i8), per_tensor(0.1, 0)), "dequantize", "u8", "i8");
}

TEST(QParams, StrNamesTheMap) {
  EXPECT_EQ(per_tensor(0.5, 3, DType::i8).str(), "int8 S=0.5 Z=3");
  quant::QParams p = per_tensor(0.5, 0, DType::i8);
  p.axis = 0;
  p.scale = {0.1, 0.2};
  p.zero_point = {0, 0};
  EXPECT_EQ(p.str(), "int8 per-channel(axis 0, 2 channels)");
}

// per_tensor_qparams / per_channel_qparams read the min and max and call choose_qparams (the exercise).
TEST(ChooseFromTensor, PerChannelIsPerTensorOfEachChannel) {
  gb::Rng rng(11);
  const Tensor w = rng.normal({6, 3, 2, 2}, 0.0, 1.0);
  for (bool symmetric : {false, true}) {
    const quant::QParams p = quant::per_channel_qparams(w, 0, DType::i8, symmetric);
    ASSERT_EQ(p.scale.size(), 6u);
    EXPECT_EQ(p.axis, 0);
    for (std::int64_t c = 0; c < 6; ++c) {
      const quant::QParams pc = quant::per_tensor_qparams(w.select(0, c), DType::i8, symmetric);
      EXPECT_EQ(p.scale[static_cast<std::size_t>(c)], pc.scale[0]);
      EXPECT_EQ(p.zero_point[static_cast<std::size_t>(c)], pc.zero_point[0]);
    }
  }
  const Tensor x = f32({-1.0, 0.0, 0.5, 2.0});
  const quant::QParams p = quant::per_tensor_qparams(x, DType::u8);
  EXPECT_EQ(p.zero_point[0], 85);
  EXPECT_ERROR(quant::per_tensor_qparams(Tensor::zeros({0})), "per_tensor_qparams", "non-empty");
  EXPECT_ERROR(quant::per_tensor_qparams(f32({1.0, INFINITY})), "per_tensor_qparams", "finite", "index 1");
  EXPECT_ERROR(quant::per_channel_qparams(w, 4), "per_channel_qparams", "axis");
}

}  // namespace
