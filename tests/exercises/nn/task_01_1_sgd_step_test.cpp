// Exercise nn.optim.sgd_step (lesson 01-what-a-framework-does): the SGD update with momentum,
// sgd_step in lib/nn/src/optim.cpp. PyTorch's published rule (torch.optim.SGD), per element, with
// g the gradient, p the parameter and buf the momentum buffer:
//   g   = g + weight_decay * p                       (L2 regularisation through the gradient)
//   buf = g                                          on the first step (the buffer starts at g)
//   buf = momentum * buf + (1 - dampening) * g        on every later step
//   g   = g + momentum * buf   with nesterov,  else  g = buf
//   p   = p - lr * g
// (Sutskever et al. 2013 write momentum as v = mu v - lr g; PyTorch folds lr out of the buffer.)
//
// Run only this exercise:  nn_exercise_tests --gtest_filter='Task_01_1_SgdStep.*'
#include <gtest/gtest.h>

#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/nn/optim.hpp"

namespace {

using gb::Tensor;
using gb::autodiff::Variable;
namespace nn = gb::nn;

Variable parameter(const std::vector<double>& values, gb::DType dtype = gb::DType::f64) {
  return Variable(Tensor::from_values(values, {static_cast<std::int64_t>(values.size())}, dtype), true, "p");
}

// One optimizer step with gradient g.
void step_with(nn::SGD& sgd, Variable p, const std::vector<double>& g) {
  p.zero_grad();
  const Variable weights = gb::autodiff::constant(Tensor::from_values(g, p.shape(), p.dtype()));
  gb::autodiff::sum(gb::autodiff::mul(p, weights)).backward();  // d/dp sum(p * g) = g
  sgd.step();
}

TEST(Task_01_1_SgdStep, WithoutMomentumItIsGradientDescent) {
  const Variable p = parameter({1.0, -2.0, 0.5});
  nn::SGD sgd({p}, {.lr = 0.1});
  step_with(sgd, p, {4.0, -1.0, 0.0});
  EXPECT_DOUBLE_EQ(p.value().at({0}), 1.0 - 0.1 * 4.0);
  EXPECT_DOUBLE_EQ(p.value().at({1}), -2.0 + 0.1 * 1.0);
  EXPECT_DOUBLE_EQ(p.value().at({2}), 0.5);
}

TEST(Task_01_1_SgdStep, TheBufferStartsAtTheFirstGradientThenAccumulates) {
  const Variable p = parameter({1.0, 1.0});
  nn::SGD sgd({p}, {.lr = 0.5, .momentum = 0.9});
  step_with(sgd, p, {2.0, -1.0});
  // Step 1: buf = g, so the step equals plain gradient descent.
  EXPECT_DOUBLE_EQ(sgd.state(0).at("momentum_buffer").at({0}), 2.0);
  EXPECT_DOUBLE_EQ(p.value().at({0}), 1.0 - 0.5 * 2.0);
  EXPECT_DOUBLE_EQ(p.value().at({1}), 1.0 + 0.5 * 1.0);
  step_with(sgd, p, {1.0, 1.0});
  // Step 2: buf = 0.9 buf + g.
  const double buf0 = 0.9 * 2.0 + 1.0, buf1 = 0.9 * -1.0 + 1.0;
  EXPECT_DOUBLE_EQ(sgd.state(0).at("momentum_buffer").at({0}), buf0);
  EXPECT_DOUBLE_EQ(sgd.state(0).at("momentum_buffer").at({1}), buf1);
  EXPECT_DOUBLE_EQ(p.value().at({0}), 0.0 - 0.5 * buf0);
  EXPECT_DOUBLE_EQ(p.value().at({1}), 1.5 - 0.5 * buf1);
}

TEST(Task_01_1_SgdStep, DampeningScalesOnlyTheNewGradient) {
  const Variable p = parameter({0.0});
  nn::SGD sgd({p}, {.lr = 1.0, .momentum = 0.5, .dampening = 0.75});
  step_with(sgd, p, {8.0});  // the first step is not dampened: buf = g
  EXPECT_DOUBLE_EQ(p.value().item(), -8.0);
  step_with(sgd, p, {8.0});  // buf = 0.5 * 8 + (1 - 0.75) * 8 = 6
  EXPECT_DOUBLE_EQ(sgd.state(0).at("momentum_buffer").item(), 6.0);
  EXPECT_DOUBLE_EQ(p.value().item(), -14.0);
}

TEST(Task_01_1_SgdStep, NesterovStepsWithTheGradientPlusMomentumTimesTheBuffer) {
  const Variable p = parameter({1.0});
  nn::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  step_with(sgd, p, {1.0});  // buf = 1; step = g + 0.9 buf = 1.9
  EXPECT_DOUBLE_EQ(p.value().item(), 1.0 - 0.1 * 1.9);
  step_with(sgd, p, {2.0});  // buf = 0.9 + 2 = 2.9; step = 2 + 0.9 * 2.9
  EXPECT_DOUBLE_EQ(sgd.state(0).at("momentum_buffer").item(), 2.9);
  EXPECT_DOUBLE_EQ(p.value().item(), 1.0 - 0.1 * 1.9 - 0.1 * (2.0 + 0.9 * 2.9));
}

TEST(Task_01_1_SgdStep, WeightDecayIsAddedToTheGradientBeforeTheBuffer) {
  const Variable p = parameter({2.0});
  nn::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.5});
  step_with(sgd, p, {1.0});  // g = 1 + 0.5 * 2 = 2 -> buf = 2
  EXPECT_DOUBLE_EQ(sgd.state(0).at("momentum_buffer").item(), 2.0);
  EXPECT_DOUBLE_EQ(p.value().item(), 2.0 - 0.1 * 2.0);
}

TEST(Task_01_1_SgdStep, ManyStepsOnFloat32MatchTheFormula) {
  const std::vector<double> start = {0.3, -0.7, 1.1, 0.0};
  const Variable p = parameter(start, gb::DType::f32);
  const nn::SGDOptions o{.lr = 0.05, .momentum = 0.8, .nesterov = true, .weight_decay = 0.01};
  nn::SGD sgd({p}, o);
  std::vector<double> q = start, buf(start.size());
  for (int t = 0; t < 6; ++t) {
    std::vector<double> g(start.size());
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = 0.25 * static_cast<double>((t + 1) * (i + 1) % 5) - 0.5;
    step_with(sgd, p, g);
    for (std::size_t i = 0; i < q.size(); ++i) {
      const double d = g[i] + o.weight_decay * q[i];
      buf[i] = t == 0 ? d : o.momentum * buf[i] + d;
      q[i] -= o.lr * (d + o.momentum * buf[i]);
    }
  }
  for (std::size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(p.value().at({static_cast<std::int64_t>(i)}), q[i], 1e-6);
}

}  // namespace
