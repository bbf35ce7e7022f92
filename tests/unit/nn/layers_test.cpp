// layers_test.cpp: the layer classes (layers.hpp): parameter and buffer names like torch.nn, default
// initialisation, train/eval, state_dict round trips, descriptions, and a small CNN that learns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>

#include "gb/nn/functional.hpp"
#include "gb/nn/init.hpp"
#include "gb/nn/layers.hpp"
#include "layer_test_helpers.hpp"

using namespace gb_nn_test;
namespace nn = gb::nn;
namespace kn = gb::kernels;
using gb::DType;

namespace {

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Variable>>& named) {
  std::vector<std::string> out;
  for (const auto& [name, v] : named) out.push_back(name);
  return out;
}

// The digits CNN of lesson 01 (1x8x8 images, 10 classes).
std::shared_ptr<nn::Sequential> digits_cnn(gb::Rng& rng) {
  const auto pad1 = kn::Conv2dParams::square(1, 1);
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv2d>(1, 16, 3, rng, pad1), std::make_shared<nn::BatchNorm>(16, true),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(kn::Pool2dParams::square(2)),
      std::make_shared<nn::Conv2d>(16, 32, 3, rng, pad1), std::make_shared<nn::BatchNorm>(32, true),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(kn::Pool2dParams::square(2)),
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.25, 3), std::make_shared<nn::Linear>(128, 10, rng)});
}

}  // namespace

TEST(Init, KaimingUniformWithASqrt5IsUniformOverOneOverSqrtFanIn) {
  gb::Rng rng(1);
  const Tensor w = nn::kaiming_uniform({200, 50, 2, 2}, rng, std::sqrt(5.0));  // fan_in = 200
  const std::vector<double> v = w.to_vector();
  const double bound = 1.0 / std::sqrt(200.0);
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  EXPECT_GE(*lo, -bound);
  EXPECT_LT(*hi, bound);
  EXPECT_GT(*hi, 0.99 * bound);  // 40000 draws reach the ends
  EXPECT_LT(*lo, -0.99 * bound);
  double mean = 0.0, square = 0.0;
  for (double x : v) mean += x / static_cast<double>(v.size());
  for (double x : v) square += (x - mean) * (x - mean) / static_cast<double>(v.size());
  EXPECT_NEAR(mean, 0.0, 0.01 * bound);
  EXPECT_NEAR(square, bound * bound / 3.0, 0.02 * bound * bound);  // the variance of U(-b, b) is b^2 / 3
  EXPECT_EQ(nn::fans({10, 64}), (std::pair<std::int64_t, std::int64_t>{64, 10}));
  EXPECT_EQ(nn::fans({16, 2, 3, 3}), (std::pair<std::int64_t, std::int64_t>{18, 144}));
  const std::vector<double> x = nn::xavier_uniform({30, 20}, rng).to_vector();
  EXPECT_LT(*std::max_element(x.begin(), x.end()), std::sqrt(6.0 / 50.0));
  EXPECT_ERROR(nn::fans({5}), "fans", "at least 2 axes");
}

TEST(Linear, NamesShapesAndDefaultInitialisationLikeTorch) {
  gb::Rng rng(2), same(2);
  nn::Linear layer(64, 10, rng), twin(64, 10, same);
  EXPECT_EQ(names_of(layer.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(layer.weight.shape(), (Shape{10, 64}));
  EXPECT_EQ(layer.bias.shape(), (Shape{10}));
  EXPECT_EQ(layer.parameter_count(), 650);
  for (const Variable& p : layer.parameters()) {
    EXPECT_TRUE(p.requires_grad());
    for (double v : p.value().to_vector()) EXPECT_LT(std::fabs(v), 1.0 / 8.0);  // 1 / sqrt(64)
  }
  EXPECT_EQ(layer.weight.value().to_vector(), twin.weight.value().to_vector());  // the same seed, the same values
  EXPECT_EQ(nn::Linear(3, 2, rng, false).named_parameters().size(), 1u);
  EXPECT_EQ(layer.describe(), "Linear(in_features=64, out_features=10, bias=True)");
  EXPECT_ERROR(nn::Linear(0, 3, rng), "Linear", "in_features");
  EXPECT_ERROR(layer(Variable(random(rng, {4, 63}))), "linear", "[N, 64]", "[4, 63]");
}

TEST(Conv2d, NamesShapesAndDefaultInitialisationLikeTorch) {
  gb::Rng rng(3);
  nn::Conv2d conv(4, 6, 3, rng, kn::Conv2dParams::square(2, 1, 1, 2));
  EXPECT_EQ(names_of(conv.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(conv.weight.shape(), (Shape{6, 2, 3, 3}));
  const double bound = 1.0 / std::sqrt(18.0);  // fan_in = IC/groups * KH * KW
  for (const Variable& p : conv.parameters())
    for (double v : p.value().to_vector()) EXPECT_LT(std::fabs(v), bound);
  EXPECT_EQ(conv.describe(), "Conv2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2)");
  EXPECT_EQ(nn::Conv2d(1, 16, 3, rng).describe(), "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1))");
  EXPECT_EQ(nn::Conv2d(2, 2, 1, rng, kn::Conv2dParams::square(1, 0, 2), false).describe(),
            "Conv2d(2, 2, kernel_size=(1, 1), stride=(1, 1), dilation=(2, 2), bias=False)");
  EXPECT_EQ(conv(Variable(random(rng, {2, 4, 7, 7}))).shape(), (Shape{2, 6, 4, 4}));
  EXPECT_ERROR(nn::Conv2d(3, 4, 3, rng, kn::Conv2dParams::square(1, 0, 1, 2)), "Conv2d", "groups");
}

TEST(BatchNorm, ParametersBuffersAndTheBatchCounter) {
  nn::BatchNorm bn(3, true);
  EXPECT_EQ(names_of(bn.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  const auto state = bn.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, v] : state) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"bias", "num_batches_tracked", "running_mean", "running_var", "weight"}));
  EXPECT_EQ(state.at("num_batches_tracked").dtype(), DType::i64);
  EXPECT_EQ(state.at("num_batches_tracked").ndim(), 0u);
  EXPECT_EQ(state.at("running_var").to_vector(), std::vector<double>(3, 1.0));
  gb::Rng rng(4);
  const Tensor x = random(rng, {4, 3, 2, 2}, DType::f32, 3.0);
  bn(Variable(x));
  bn(Variable(x));
  EXPECT_EQ(bn.state_dict().at("num_batches_tracked").item(), 2.0);
  const std::vector<double> running_mean = bn.state_dict().at("running_mean").to_vector();
  EXPECT_NE(running_mean, std::vector<double>(3, 0.0));  // the buffer itself was updated
  bn.eval();
  const std::vector<double> y_eval = bn(Variable(x)).value().to_vector();
  EXPECT_EQ(bn.state_dict().at("num_batches_tracked").item(), 2.0);  // eval counts nothing
  EXPECT_EQ(bn.state_dict().at("running_mean").to_vector(), running_mean);
  bn.train();
  EXPECT_NE(bn(Variable(x)).value().to_vector(), y_eval);  // the batch's statistics, not the running ones
  EXPECT_EQ(bn.describe(), "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_ERROR(bn(Variable(random(rng, {4, 3}))), "BatchNorm2d", "[N, C, H, W]");
  EXPECT_ERROR(bn(Variable(random(rng, {4, 2, 2, 2}))), "BatchNorm2d", "3 channels");
  nn::BatchNorm bn1(2, false);
  EXPECT_EQ(bn1(Variable(random(rng, {5, 2}))).shape(), (Shape{5, 2}));
  EXPECT_EQ(bn1(Variable(random(rng, {5, 2, 4}))).shape(), (Shape{5, 2, 4}));
  EXPECT_ERROR(bn1(Variable(random(rng, {5, 2, 4, 4}))), "BatchNorm1d", "[N, C] or [N, C, L]");
}

TEST(Activations, LayersApplyTheirFunction) {
  const Tensor x = Tensor::from_values({-2, -0.5, 0, 0.5, 2}, {5});
  const std::vector<double> v = x.to_vector();
  const auto y = [&](nn::Module&& m) { return m(Variable(x)).value().to_vector(); };
  const std::vector<double> relu = y(nn::ReLU()), sigmoid = y(nn::Sigmoid()), tanh = y(nn::Tanh()), gelu = y(nn::GELU());
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_FLOAT_EQ(relu[i], std::max(v[i], 0.0));
    EXPECT_FLOAT_EQ(sigmoid[i], 1.0 / (1.0 + std::exp(-v[i])));
    EXPECT_FLOAT_EQ(tanh[i], std::tanh(v[i]));
    EXPECT_NEAR(gelu[i], 0.5 * v[i] * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v[i] + 0.044715 * std::pow(v[i], 3)))), 1e-6);
  }
  EXPECT_EQ(nn::GELU().describe(), "GELU(approximate='tanh')");
}

TEST(Pooling, LayersDescribeThemselvesLikeTorch) {
  EXPECT_EQ(nn::MaxPool2d(kn::Pool2dParams::square(2)).describe(),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  kn::Pool2dParams p = kn::Pool2dParams::square(3, 2, 1, true);
  p.count_include_pad = false;
  EXPECT_EQ(nn::AvgPool2d(p).describe(), "AvgPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)");
  EXPECT_EQ(nn::Dropout(0.25).describe(), "Dropout(p=0.25, inplace=False)");
  EXPECT_ERROR(nn::Dropout(1.25), "Dropout", "[0, 1]");
}

TEST(Sequential, NamesChildrenLikeTorchAndRunsThemInOrder) {
  gb::Rng rng(5);
  auto model = digits_cnn(rng);
  EXPECT_EQ(model->size(), 11u);
  EXPECT_EQ(names_of(model->named_parameters()),
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "5.weight",
                                      "5.bias", "10.weight", "10.bias"}));
  EXPECT_EQ(model->parameter_count(), 16 * 9 + 16 + 32 + 32 * 16 * 9 + 32 + 64 + 1280 + 10);
  EXPECT_EQ(model->state_dict().count("5.num_batches_tracked"), 1u);
  EXPECT_EQ(model->state_dict().size(), 10u + 3u * 2u);
  EXPECT_EQ(model->str().rfind("Sequential\n  (0): Conv2d(1, 16, kernel_size=(3, 3)", 0), 0u);
  const Tensor x = random(rng, {6, 1, 8, 8});
  EXPECT_EQ((*model)(Variable(x)).shape(), (Shape{6, 10}));
  EXPECT_ERROR(model->add(nullptr), "register_module");
}

TEST(Sequential, EvalIsDeterministicAndStateDictsRoundTrip) {
  gb::Rng rng(6), other(7);
  auto model = digits_cnn(rng), copy = digits_cnn(other);
  const Tensor x = random(rng, {5, 1, 8, 8});
  (*model)(Variable(x));  // one training step of the running statistics
  model->eval();
  copy->eval();
  const std::vector<double> y = (*model)(Variable(x)).value().to_vector();
  EXPECT_EQ((*model)(Variable(x)).value().to_vector(), y);  // no dropout, no statistics updates in eval
  EXPECT_NE((*copy)(Variable(x)).value().to_vector(), y);
  copy->load_state_dict(model->state_dict());
  EXPECT_EQ((*copy)(Variable(x)).value().to_vector(), y);
  EXPECT_FALSE(copy->training());
  EXPECT_FALSE((*copy)[9].training());  // eval() reached every child
  auto state = model->state_dict();
  state.erase("1.running_var");
  EXPECT_ERROR(copy->load_state_dict(state), "load_state_dict", "1.running_var");
}

TEST(Sequential, TheDigitsCnnFitsABatchWithPlainSgd) {
  // Reverse mode through every layer: 30 SGD steps must drive the loss on one fixed batch down.
  gb::Rng rng(8);
  auto model = digits_cnn(rng);
  const Tensor x = random(rng, {32, 1, 8, 8});
  std::vector<double> labels(32);
  for (double& l : labels) l = static_cast<double>(rng.randint(0, 10));
  const Tensor y = Tensor::from_values(labels, {32}, DType::i64);
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 30; ++step) {
    model->zero_grad();
    Variable loss = nn::cross_entropy((*model)(Variable(x)), y);
    loss.backward();
    (step == 0 ? first : last) = loss.value().item();
    ad::NoGradGuard no_grad;
    for (const Variable& p : model->parameters()) {
      Tensor value = p.value();
      value.copy_from(gb::sub(value, gb::mul(p.grad().value(), Tensor::scalar(0.1))));
    }
  }
  EXPECT_GT(first, 1.5);
  EXPECT_LT(last, 0.5 * first);
  model->eval();
  EXPECT_GT(nn::accuracy((*model)(Variable(x)).value(), y), 0.5);
}
