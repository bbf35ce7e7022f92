// tensor_vjp_test.cpp: every differentiable op's VJP against central differences in f64, on random
// inputs and shapes including broadcasting; values against gb_core or closed forms.
#include <cmath>

#include "tensor_gradcheck.hpp"

namespace ad = gb::autodiff;
using namespace gb_test;

namespace {

using BinaryFn = Variable (*)(const Variable&, const Variable&);

void check_binary(BinaryFn op, bool positive, std::uint64_t seed) {
  gb::Rng rng(seed);
  for (const auto& [sa, sb] : kBroadcastPairs) {
    SCOPED_TRACE(gb::shape_str(sa) + " and " + gb::shape_str(sb));
    Tensor a = positive ? positive64(rng, sa) : normal64(rng, sa);
    Tensor b = positive ? positive64(rng, sb) : normal64(rng, sb);
    expect_gradients_match([op](const std::vector<Variable>& v) { return op(v[0], v[1]); }, {a, b}, seed);
    expect_gradients_match([op](const std::vector<Variable>& v) { return op(v[1], v[0]); }, {a, b}, seed);
  }
}

void check_unary(Variable (*op)(const Variable&), bool positive, std::uint64_t seed) {
  gb::Rng rng(seed);
  for (const Shape& shape : {Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 3}}) {
    Tensor x = positive ? positive64(rng, shape) : normal64(rng, shape);
    expect_gradients_match([op](const std::vector<Variable>& v) { return op(v[0]); }, {x}, seed);
  }
}

}  // namespace

TEST(TensorVjpElementwise, AddSubMatchCentralDifferences) {
  check_binary([](const Variable& a, const Variable& b) { return ad::add(a, b); }, false, 1);
  check_binary([](const Variable& a, const Variable& b) { return ad::sub(a, b); }, false, 2);
}

TEST(TensorVjpElementwise, DivPowMatchCentralDifferences) {
  check_binary([](const Variable& a, const Variable& b) { return ad::div(a, b); }, true, 3);
  check_binary([](const Variable& a, const Variable& b) { return ad::pow(a, b); }, true, 4);
}

TEST(TensorVjpElementwise, NegAndConstantPowMatch) {
  check_unary([](const Variable& x) { return ad::neg(x); }, false, 5);
  check_unary([](const Variable& x) { return ad::pow(x, 3.0); }, false, 6);
}

TEST(TensorVjpElementwise, ValuesAgreeWithCore) {
  gb::Rng rng(7);
  Tensor a = normal64(rng, {2, 3}), b = normal64(rng, {3});
  EXPECT_TRUE(gb::allclose(ad::add(Variable(a), Variable(b)).value(), gb::add(a, b)));
  EXPECT_TRUE(gb::allclose(ad::pow(Variable(gb::Tensor::full({2}, 2.0, gb::DType::f64)), 3.0).value(),
                           gb::Tensor::full({2}, 8.0, gb::DType::f64)));
  EXPECT_GB_ERROR(ad::add(Variable(a), Variable(normal64(rng, {4}))), "add");
  EXPECT_GB_ERROR(ad::mul(Variable(a), Variable()), "undefined");
  EXPECT_GB_ERROR(ad::exp(Variable(gb::Tensor::arange(3, gb::DType::i32))), "floating");
}

TEST(TensorVjpActivations, MatchCentralDifferences) {
  check_unary(ad::relu, false, 11);
  check_unary(ad::sigmoid, false, 12);
  check_unary(ad::tanh, false, 13);
  check_unary(ad::exp, false, 14);
  check_unary(ad::log, true, 15);
  check_unary(ad::gelu, false, 16);
}

TEST(TensorVjpActivations, ValuesAreStableAndDocumented) {
  Tensor x = gb::Tensor::from_values({-1000, 0, 1000}, {3}, gb::DType::f64);
  std::vector<double> s = ad::sigmoid(Variable(x)).value().to_vector();
  EXPECT_EQ(s[0], 0.0);
  EXPECT_EQ(s[1], 0.5);
  EXPECT_EQ(s[2], 1.0);
  // gelu(1) with the tanh approximation: 0.5 (1 + tanh(sqrt(2/pi) 1.044715)) = 0.8411919906
  EXPECT_NEAR(ad::gelu(Variable(gb::Tensor::scalar(1.0, gb::DType::f64))).value().item(), 0.8411919906082768, 1e-12);
}

TEST(TensorVjpReduce, SumMeanMaxMatchCentralDifferences) {
  gb::Rng rng(21);
  Tensor x = normal64(rng, {2, 3, 4});
  for (const std::vector<std::int64_t>& axes : {std::vector<std::int64_t>{}, {0}, {-1}, {0, 2}}) {
    for (bool keepdim : {false, true}) {
      expect_gradients_match([&](const std::vector<Variable>& v) { return ad::sum(v[0], axes, keepdim); }, {x});
      expect_gradients_match([&](const std::vector<Variable>& v) { return ad::mean(v[0], axes, keepdim); }, {x});
      expect_gradients_match([&](const std::vector<Variable>& v) { return ad::max(v[0], axes, keepdim); }, {x});
    }
  }
}

TEST(TensorVjpReduce, MaxSharesTheAdjointAmongTies) {
  Variable x(gb::Tensor::from_values({1, 3, 3, 2}, {4}, gb::DType::f64), true);
  ad::max(x).backward();
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{0, 0.5, 0.5, 0}));
}

TEST(TensorVjpShape, ReshapeTransposePermuteBroadcastMatch) {
  gb::Rng rng(31);
  Tensor x = normal64(rng, {2, 3, 4});
  expect_gradients_match([](const std::vector<Variable>& v) { return ad::reshape(v[0], {4, -1}); }, {x});
  expect_gradients_match([](const std::vector<Variable>& v) { return ad::transpose(v[0], 0, 2); }, {x});
  expect_gradients_match([](const std::vector<Variable>& v) { return ad::permute(v[0], {2, 0, 1}); }, {x});
  // reshape of a non-contiguous view copies (like torch.reshape)
  expect_gradients_match([](const std::vector<Variable>& v) { return ad::reshape(ad::transpose(v[0]), {-1}); }, {x});
  Tensor small = normal64(rng, {3, 1});
  expect_gradients_match([](const std::vector<Variable>& v) { return ad::broadcast_to(v[0], {2, 3, 4}); }, {small});
  expect_gradients_match([](const std::vector<Variable>& v) { return ad::sum_to_shape(v[0], {3, 1}); }, {x});
}

TEST(TensorVjpShape, SumToShapeUndoesBroadcasting) {
  Variable g(gb::Tensor::ones({2, 3, 4}, gb::DType::f64));
  EXPECT_EQ(ad::sum_to_shape(g, {3, 1}).value().to_vector(), (std::vector<double>{8, 8, 8}));
  EXPECT_EQ(ad::sum_to_shape(g, {}).value().item(), 24);
  EXPECT_GB_ERROR(ad::sum_to_shape(g, {5}), "sum_to_shape");
}

TEST(TensorVjpMatmul, MatchesCentralDifferencesWithBatchesAndVectors) {
  gb::Rng rng(41);
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3}, {3, 4}}, {{3}, {3, 2}}, {{2, 3}, {3}}, {{3}, {3}}, {{2, 2, 3}, {3, 2}}, {{2, 1, 2, 3}, {3, 3, 2}}};
  for (const auto& [sa, sb] : shapes) {
    SCOPED_TRACE(gb::shape_str(sa) + " @ " + gb::shape_str(sb));
    Tensor a = normal64(rng, sa), b = normal64(rng, sb);
    EXPECT_TRUE(gb::allclose(ad::matmul(Variable(a), Variable(b)).value(), gb::matmul(a, b)));
    expect_gradients_match([](const std::vector<Variable>& v) { return ad::matmul(v[0], v[1]); }, {a, b});
  }
  EXPECT_GB_ERROR(ad::matmul(Variable(normal64(rng, {2, 3})), Variable(normal64(rng, {4, 2}))), "[2, 3] and [4, 2]");
}

TEST(TensorVjpMatmul, FastFloatPathAgreesWithReference) {
  gb::Rng rng(42);
  Tensor a = rng.normal({17, 33}), b = rng.normal({33, 9});
  EXPECT_TRUE(gb::allclose(ad::matmul(Variable(a), Variable(b.transpose().contiguous().transpose())).value(),
                           gb::matmul(a, b), 1e-4, 1e-4));
}

TEST(TensorVjpSoftmax, MatchCentralDifferencesAndAreStable) {
  gb::Rng rng(51);
  Tensor x = normal64(rng, {3, 4});
  for (std::int64_t axis : {0, 1, -1}) {
    expect_gradients_match([axis](const std::vector<Variable>& v) { return ad::softmax(v[0], axis); }, {x});
    expect_gradients_match([axis](const std::vector<Variable>& v) { return ad::log_softmax(v[0], axis); }, {x});
  }
  Tensor big = gb::Tensor::from_values({1000, 0, -1000}, {3}, gb::DType::f64);
  std::vector<double> y = ad::log_softmax(Variable(big)).value().to_vector();
  EXPECT_EQ(y[0], 0.0);
  EXPECT_EQ(y[1], -1000.0);
  EXPECT_NEAR(gb::sum(ad::softmax(Variable(big)).value()).item(), 1.0, 1e-15);
  EXPECT_GB_ERROR(ad::softmax(Variable(big), 1), "softmax");
  EXPECT_GB_ERROR(ad::softmax(Variable(gb::Tensor::scalar(1.0, gb::DType::f64))), "softmax");
}
