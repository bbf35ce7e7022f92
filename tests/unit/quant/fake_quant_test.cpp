// fake_quant_test.cpp: FakeQuant (fake_quant.hpp): the forward staircase on LESSONS.md's worked
// example, the straight-through backward and its boundary convention, per-channel grids, LSQ's scale
// gradient, bad input, and the FakeQuantize module (observe in training, frozen in eval).
// PyTorch checks the same values in tests/python/oracle/test_torch_qat.py.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/quant/fake_quant.hpp"

namespace ad = gb::autodiff;
namespace q = gb::quant;
using ad::Variable;
using gb::DType;
using gb::Tensor;

namespace {

q::QParams grid(double s, std::int32_t z, DType dtype = DType::u8, bool restricted = false) {
  q::QParams p;
  p.dtype = dtype;
  p.scale = {s};
  p.zero_point = {z};
  p.restricted = restricted;
  return p;
}

Tensor f32(const std::vector<double>& v) { return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}); }

// The rule written out in double: S (clamp(round_half_even(x / S) + Z) - Z).
double by_formula(double x, double s, int z, int qmin, int qmax) {
  const double code = std::nearbyint(x / s) + z;
  return s * (std::min(std::max(code, double(qmin)), double(qmax)) - z);
}

}  // namespace

TEST(FakeQuant, LessonsWorkedExampleUint8) {
  // r = [-1, 0, 0.5, 2] -> S = 3/255, Z = 85 -> codes [0, 85, 127, 255] -> S (q - Z).
  const q::QParams p = grid(3.0 / 255, 85);
  const std::vector<double> y = q::fake_quant(Variable(f32({-1, 0, 0.5, 2})), p).value().to_vector();
  const double s = 3.0 / 255;
  EXPECT_NEAR(y[0], s * (0 - 85), 1e-6);
  EXPECT_EQ(y[1], 0.0);  // real 0 is exact: Z is its code
  EXPECT_NEAR(y[2], s * (127 - 85), 1e-6);
  EXPECT_NEAR(y[3], s * (255 - 85), 1e-6);
}

TEST(FakeQuant, ValuesFollowTheFormulaAndAreIdempotent) {
  const q::QParams p = grid(0.05, -3, DType::i8);
  std::vector<double> xs;
  for (int i = -400; i <= 400; ++i) xs.push_back(i * 0.0173);
  const Tensor y = q::fake_quant(Variable(f32(xs)), p).value();
  const std::vector<double> yv = y.to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i)
    EXPECT_NEAR(yv[i], by_formula(xs[i], 0.05, -3, -128, 127), 1e-6) << "x = " << xs[i];
  // A value already on the grid stays where it is.
  EXPECT_EQ(q::fake_quant(Variable(y), p).value().to_vector(), yv);
}

TEST(FakeQuant, GradientIsTheMaskTimesTheAdjoint) {
  // int8, S = 1, Z = 0: codes -128..127. x / S rounds half to even: 127.4 -> 127 (inside), 127.6 -> 128
  // (outside), -128.5 -> -128 (inside: the even neighbour), -128.6 -> -129 (outside).
  const std::vector<double> xs = {0.3, 127.4, 127.6, -128.5, -128.6, 126.5, -1e6};
  const Variable x(f32(xs), true, "x");
  const Variable w = ad::constant(f32({1, 2, 3, 4, 5, 6, 7}));
  ad::sum(ad::mul(q::fake_quant(x, grid(1.0, 0, DType::i8)), w)).backward();
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{1, 2, 0, 4, 0, 6, 0}));
  EXPECT_EQ(q::ste_mask(f32(xs), grid(1.0, 0, DType::i8)).to_vector(), (std::vector<double>{1, 1, 0, 1, 0, 1, 0}));
}

TEST(FakeQuant, RestrictedInt8ClampsAtMinus127) {
  const q::QParams p = grid(1.0, 0, DType::i8, /*restricted=*/true);
  const Variable x(f32({-127.0, -127.6, 127.0}), true);
  const Variable y = q::fake_quant(x, p);
  EXPECT_EQ(y.value().to_vector(), (std::vector<double>{-127, -127, 127}));
  ad::sum(y).backward();
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{1, 0, 1}));
}

TEST(FakeQuant, PerChannelUsesEachChannelsGrid) {
  // x [2, 3] with channels along axis 1: three grids.
  q::QParams p;
  p.dtype = DType::i8;
  p.axis = 1;
  p.scale = {0.1, 1.0, 10.0};
  p.zero_point = {0, 2, -1};
  const std::vector<double> xs = {0.26, 0.26, 26.0, -20.0, 200.0, -2000.0};
  const Variable x(Tensor::from_values(xs, {2, 3}), true);
  const Variable y = q::fake_quant(x, p);
  const std::vector<double> yv = y.value().to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::size_t c = i % 3;
    EXPECT_NEAR(yv[i], by_formula(xs[i], p.scale[c], p.zero_point[c], -128, 127), 1e-5) << i;
  }
  ad::sum(y).backward();
  // -20 / 0.1 = -200 is below -128: outside. 200 + 2 = 202 > 127: outside. -2000 / 10 - 1 = -201: outside.
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{1, 1, 1, 0, 0, 0}));
}

TEST(FakeQuant, InfinitiesSaturateWithoutGradientNaNIsAnError) {
  const double inf = std::numeric_limits<double>::infinity();
  const Variable x(f32({inf, -inf}), true);
  const Variable y = q::fake_quant(x, grid(0.5, 10));
  EXPECT_EQ(y.value().to_vector(), (std::vector<double>{0.5 * (255 - 10), 0.5 * (0 - 10)}));
  ad::sum(y).backward();
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{0, 0}));
  EXPECT_THROW(q::fake_quant(Variable(f32({1, std::nan("")})), grid(0.5, 10)), gb::Error);
}

TEST(FakeQuant, BadGridsAndInputsAreErrorsNamingTheOp) {
  const Variable x(f32({1, 2}));
  try {
    q::fake_quant(x, grid(0.0, 0));
    FAIL() << "a zero scale must throw";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_EQ(e.op(), "fake_quant");
  }
  EXPECT_THROW(q::fake_quant(x, grid(1.0, 300)), gb::Error);              // Z outside uint8
  EXPECT_THROW(q::fake_quant(Variable(Tensor::ones({2}, DType::f64)), grid(1.0, 0)), gb::Error);
  q::QParams per_channel = grid(1.0, 0, DType::i8);
  per_channel.axis = 0;
  per_channel.scale = {1.0, 1.0, 1.0};
  per_channel.zero_point = {0, 0, 0};
  EXPECT_THROW(q::fake_quant(x, per_channel), gb::Error);  // 3 scales for 2 channels
  per_channel.axis = 1;
  EXPECT_THROW(q::fake_quant(x, per_channel), gb::Error);  // no axis 1
  EXPECT_THROW(q::fake_quant(Variable(), grid(1.0, 0)), gb::Error);
  EXPECT_THROW(q::fake_quant_backward(f32({1, 2}), f32({1}), grid(1.0, 0)), gb::Error);
}

TEST(FakeQuant, CreateGraphDifferentiatesTheMaskAsAConstant) {
  // y = sum(fq(x) * x): dy/dx = fq(x) + x * mask; differentiated again, d/dx sum(dy/dx) = 2 * mask.
  const Variable x(f32({0.3, 5.0, 300.0}), true);
  const Variable y = ad::sum(ad::mul(q::fake_quant(x, grid(0.1, 0)), x));
  const std::vector<Variable> g = ad::grad(y, {x}, Tensor(), {.retain_graph = true, .create_graph = true});
  const std::vector<double> gv = g[0].value().to_vector();
  EXPECT_NEAR(gv[0], 0.3 + 0.3, 1e-6);
  EXPECT_NEAR(gv[1], 5.0 + 5.0, 1e-5);
  EXPECT_NEAR(gv[2], 25.5 + 0.0, 1e-5);  // 300 / 0.1 > 255: clamped to 25.5, mask 0
  const std::vector<Variable> h = ad::grad(ad::sum(g[0]), {x});
  EXPECT_EQ(h[0].value().to_vector(), (std::vector<double>{2, 2, 0}));
}

TEST(FakeQuantLearned, ScaleGradientIsLsqs) {
  // uint8, Z = 0, S = 0.5: x = 1.2 -> code 2 (inside): dS = (2 - 0) - 1.2 / 0.5 = -0.4;
  // x = 200 -> 400 > 255 (outside): dS = 255 - 0; x = -3 -> -6 < 0 (outside): dS = 0 - 0 = 0.
  const Variable x(f32({1.2, 200.0, -3.0}), true);
  const Variable s(f32({0.5}), true, "S");
  const Variable y = q::fake_quant_learned(x, s, 0, {0, 255}, /*grad_factor=*/1.0);
  EXPECT_EQ(y.value().to_vector(), (std::vector<double>{1.0, 127.5, 0.0}));
  ad::sum(y).backward();
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{1, 0, 0}));
  EXPECT_NEAR(s.grad().value().item(), -0.4 + 255.0 + 0.0, 1e-4);
  EXPECT_THROW(q::fake_quant_learned(x, Variable(f32({0.5, 1.0}), true), 0, {0, 255}), gb::Error);
  EXPECT_THROW(q::fake_quant_learned(x, s, 300, {0, 255}), gb::Error);
}

TEST(FakeQuantize, ObservesInTrainingFreezesInEvalPassesThroughBeforeAnyRange) {
  q::FakeQuantize fq({.dtype = DType::u8, .symmetric = false, .observer = q::Calibrator::minmax});
  const Tensor a = f32({0.0, 1.0, 2.0, 5.1});
  fq.eval();
  EXPECT_FALSE(fq.has_range());
  EXPECT_EQ(fq(Variable(a)).value().to_vector(), a.to_vector()) << "no range yet: the identity";
  EXPECT_THROW(fq.qparams(), gb::Error);
  fq.train();
  fq(Variable(a));  // observes [0, 5.1]
  ASSERT_TRUE(fq.has_range());
  EXPECT_NEAR(fq.qparams().scale[0], 5.1 / 255, 1e-9);
  EXPECT_EQ(fq.qparams().zero_point[0], 0);
  fq.eval();
  fq(Variable(f32({-10.0, 10.0})));  // eval: frozen
  EXPECT_NEAR(fq.qparams().scale[0], 5.1 / 255, 1e-9);
  fq.set_calibrating(true);
  fq(Variable(f32({-10.0, 10.0})));  // calibrating: observes in eval mode too
  EXPECT_NEAR(fq.qparams().scale[0], 20.0 / 255, 1e-9);
  fq.enable_fake_quant(false);
  EXPECT_EQ(fq(Variable(f32({0.123}))).value().item(), static_cast<float>(0.123));
  EXPECT_NE(fq.describe().find("uint8"), std::string::npos) << fq.describe();
}

TEST(FakeQuantize, ClippingObserversNarrowTheRange) {
  q::FakeQuantize fq({.dtype = DType::u8, .observer = q::Calibrator::percentile, .percentile = 99.0});
  fq.train();
  std::vector<double> v(1000, 0.5);
  v[0] = 100.0;  // one outlier
  fq(Variable(Tensor::from_values(v, {1000})));
  EXPECT_LT(fq.qparams().scale[0], 100.0 / 255 / 10) << "the percentile clips the outlier";
  const std::vector<double> y = fq(Variable(Tensor::from_values(v, {1000}))).value().to_vector();
  EXPECT_NEAR(y[1], 0.5, fq.qparams().scale[0]);
}
