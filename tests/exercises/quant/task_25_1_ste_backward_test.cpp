// Exercise quant.qat.ste_backward (lesson 25-quantization-aware-training): the backward pass of
// FakeQuant, fake_quant_backward in lib/quant/src/fake_quant.cpp.
//
// FakeQuant's forward is a staircase, y = S (clamp(round(x / S) + Z, qmin, qmax) - Z), whose true
// derivative is 0 almost everywhere. The straight-through estimator (Bengio et al. 2013; PyTorch's
// fake_quantize_per_tensor_affine) counts round() as the identity:
//   dx = dy   where q = round(x / S) + Z lies in [qmin, qmax] (both ends included)
//   dx = 0    where q falls outside (the clamp cut x off: y does not move with x there)
// round() is half to even, computed as PyTorch does in float32: q = Z + nearbyint(x * (1.0f / S)).
//
// Run only this exercise:  quant_exercise_tests --gtest_filter='Task_25_1_SteBackward.*'
#include <gtest/gtest.h>

#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/quant/fake_quant.hpp"

namespace ad = gb::autodiff;
namespace q = gb::quant;
using gb::DType;
using gb::Tensor;

namespace {

q::QParams per_tensor(double s, std::int32_t z, DType dtype) {
  q::QParams p;
  p.dtype = dtype;
  p.scale = {s};
  p.zero_point = {z};
  return p;
}

Tensor f32(const std::vector<double>& v) { return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}); }

}  // namespace

TEST(Task_25_1_SteBackward, InsideTheGridTheGradientPassesUnchanged) {
  // uint8, S = 0.1, Z = 10: the grid covers x in about [-1.05, 24.55).
  const Tensor x = f32({-1.0, 0.0, 0.04, 3.3, 24.4});
  const Tensor dy = f32({0.5, -2.0, 3.0, 7.25, -1.0});
  EXPECT_EQ(q::fake_quant_backward(x, dy, per_tensor(0.1, 10, DType::u8)).to_vector(), dy.to_vector());
}

TEST(Task_25_1_SteBackward, OutsideTheGridTheGradientIsZero) {
  // int8, S = 0.5, Z = 0: codes -128..127 cover x in [-64.25, 63.75].
  const Tensor x = f32({-100.0, -64.3, 63.8, 1000.0, 1.0});
  const Tensor dy = f32({1.0, 2.0, 3.0, 4.0, 5.0});
  EXPECT_EQ(q::fake_quant_backward(x, dy, per_tensor(0.5, 0, DType::i8)).to_vector(),
            (std::vector<double>{0, 0, 0, 0, 5}));
}

TEST(Task_25_1_SteBackward, BothEndsOfTheGridCountAsInsideAfterRoundingHalfToEven) {
  // int8, S = 1, Z = 0. 127.5 rounds to 128 (even): outside. -128.5 rounds to -128 (even): inside.
  // 127.4 -> 127 and -128.4 -> -128: inside, on the ends of the grid.
  const Tensor x = f32({127.4, 127.5, -128.4, -128.5, -129.5, 126.5});
  const Tensor dy = Tensor::ones({6});
  EXPECT_EQ(q::fake_quant_backward(x, dy, per_tensor(1.0, 0, DType::i8)).to_vector(),
            (std::vector<double>{1, 0, 1, 1, 0, 1}));
}

TEST(Task_25_1_SteBackward, TheZeroPointShiftsTheGrid) {
  // uint8, S = 1, Z = 200: codes 0..255 stand for x in [-200, 55].
  const Tensor x = f32({-200.0, -200.6, 55.0, 55.6, 0.0});
  EXPECT_EQ(q::fake_quant_backward(x, Tensor::ones({5}), per_tensor(1.0, 200, DType::u8)).to_vector(),
            (std::vector<double>{1, 0, 1, 0, 1}));
}

TEST(Task_25_1_SteBackward, PerChannelUsesEachChannelsGrid) {
  // w [3, 2]: one grid per row (axis 0), as for the filters of a layer.
  q::QParams p;
  p.dtype = DType::i8;
  p.restricted = true;  // [-127, 127]
  p.axis = 0;
  p.scale = {0.01, 1.0, 100.0};
  p.zero_point = {0, 0, 0};
  const Tensor w = Tensor::from_values({1.0, 2.0, 1.0, 200.0, -12700.0, -12760.0}, {3, 2});
  EXPECT_EQ(q::fake_quant_backward(w, Tensor::ones({3, 2}), p).to_vector(), (std::vector<double>{1, 0, 1, 0, 1, 0}));
}

TEST(Task_25_1_SteBackward, AutogradThroughFakeQuantUsesTheRule) {
  const ad::Variable x(f32({0.3, 30.0, -0.3}), true, "x");
  const ad::Variable w = ad::constant(f32({2.0, 3.0, 4.0}));
  ad::sum(ad::mul(q::fake_quant(x, per_tensor(0.1, 0, DType::u8)), w)).backward();
  // 0.3 -> code 3 (inside); 30 -> code 300 (outside); -0.3 -> code -3 (outside: uint8 starts at 0).
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{2, 0, 0}));
}
