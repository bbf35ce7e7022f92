// optim_test.cpp: SGD, Adam, AdamW and the schedules against the formulas of torch.optim, written
// out again here in double precision (the PyTorch oracle is tests/python/oracle/test_torch_optim.py).
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/optim.hpp"
#include "test_helpers.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::autodiff::Variable;
namespace nn = gb::nn;

Variable parameter(const std::vector<double>& values, DType dtype = DType::f64) {
  return Variable(Tensor::from_values(values, {static_cast<std::int64_t>(values.size())}, dtype), true, "w");
}

// Gives p the gradient g (by backward of sum(p * g)).
void set_grad(Variable p, const std::vector<double>& g) {
  p.zero_grad();
  const Variable c = gb::autodiff::constant(Tensor::from_values(g, p.shape(), p.dtype()));
  gb::autodiff::sum(gb::autodiff::mul(p, c)).backward();
}

// A few steps of gradients, the same for every test.
std::vector<std::vector<double>> gradients(std::size_t n, int steps) {
  gb::Rng rng(7);
  std::vector<std::vector<double>> out(steps, std::vector<double>(n));
  for (auto& g : out)
    for (double& v : g) v = rng.normal();
  return out;
}

const std::vector<double> kStart = {0.5, -1.25, 2.0, 0.0, -0.3};

// torch.optim.SGD per element, in doubles (the reference).
std::vector<double> reference_sgd(const nn::SGDOptions& o, int steps) {
  std::vector<double> p = kStart, buf(p.size());
  const auto grads = gradients(p.size(), steps);
  for (int t = 0; t < steps; ++t) {
    for (std::size_t i = 0; i < p.size(); ++i) {
      double d = grads[t][i] + o.weight_decay * p[i];
      if (o.momentum != 0) {
        buf[i] = t == 0 ? d : o.momentum * buf[i] + (1 - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
      }
      p[i] -= o.lr * d;
    }
  }
  return p;
}

// torch.optim.Adam / AdamW per element, in doubles.
std::vector<double> reference_adam(const nn::AdamOptions& o, bool decoupled, int steps) {
  std::vector<double> p = kStart, m(p.size()), v(p.size());
  const auto grads = gradients(p.size(), steps);
  for (int t = 1; t <= steps; ++t) {
    for (std::size_t i = 0; i < p.size(); ++i) {
      double g = grads[t - 1][i];
      if (decoupled) p[i] *= 1 - o.lr * o.weight_decay;
      else g += o.weight_decay * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(o.beta1, t)), v_hat = v[i] / (1 - std::pow(o.beta2, t));
      p[i] -= o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
  }
  return p;
}

std::vector<double> run(nn::Optimizer& opt, const Variable& p, int steps) {
  const auto grads = gradients(p.numel(), steps);
  for (int t = 0; t < steps; ++t) {
    set_grad(p, grads[t]);
    opt.step();
  }
  return p.value().to_vector();
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << "element " << i;
}

TEST(OptimSgd, PlainStepIsMinusLrTimesGradient) {
  const Variable p = parameter({1.0, 2.0});
  nn::SGD sgd({p}, {.lr = 0.5});
  set_grad(p, {0.25, -4.0});
  sgd.step();
  EXPECT_EQ(p.value().to_vector(), (std::vector<double>{1.0 - 0.125, 2.0 + 2.0}));
  EXPECT_TRUE(sgd.state(0).empty()) << "plain SGD keeps no state";
}

TEST(OptimSgd, MomentumDampeningNesterovAndWeightDecayFollowTorch) {
  const std::vector<nn::SGDOptions> cases = {
      {.lr = 0.1, .momentum = 0.9},
      {.lr = 0.1, .momentum = 0.9, .dampening = 0.3},
      {.lr = 0.05, .momentum = 0.8, .nesterov = true},
      {.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01},
      {.lr = 0.2, .weight_decay = 0.1},
  };
  for (const nn::SGDOptions& o : cases) {
    const Variable p = parameter(kStart);
    nn::SGD sgd({p}, o);
    expect_near(run(sgd, p, 4), reference_sgd(o, 4), 1e-12);
  }
}

TEST(OptimSgd, Float32ParametersStayCloseToTheDoubleReference) {
  const nn::SGDOptions o{.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01};
  const Variable p = parameter(kStart, DType::f32);
  nn::SGD sgd({p}, o);
  expect_near(run(sgd, p, 4), reference_sgd(o, 4), 1e-5);
  EXPECT_EQ(sgd.state(0).at("momentum_buffer").dtype(), DType::f32);
}

TEST(OptimAdam, FollowsTorchWithAndWithoutWeightDecay) {
  for (double wd : {0.0, 0.05}) {
    const nn::AdamOptions o{.lr = 0.01, .weight_decay = wd};
    const Variable p = parameter(kStart);
    nn::Adam adam({p}, o);
    expect_near(run(adam, p, 5), reference_adam(o, false, 5), 1e-12);
    EXPECT_EQ(adam.state(0).at("step").item(), 5);
  }
}

TEST(OptimAdam, FirstStepMovesEveryCoordinateByAboutLr) {
  // Bias correction makes m_hat = g and v_hat = g^2 at t = 1: the step is lr * g / (|g| + eps).
  const Variable p = parameter({1.0, 1.0, 1.0});
  nn::Adam adam({p}, {.lr = 0.1});
  set_grad(p, {1e-3, -50.0, 3.0});
  adam.step();
  expect_near(p.value().to_vector(), {0.9, 1.1, 0.9}, 1e-6);
}

TEST(OptimAdamW, DecaysTheWeightOutsideTheAdaptiveStep) {
  const nn::AdamOptions o{.lr = 0.01, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1};
  const Variable p = parameter(kStart);
  nn::AdamW adamw({p}, o);
  expect_near(run(adamw, p, 5), reference_adam(o, true, 5), 1e-12);
  // With a zero gradient only the decay acts: p * (1 - lr * wd), exactly.
  const Variable q = parameter({2.0});
  nn::AdamW decay_only({q}, {.lr = 0.5, .weight_decay = 0.2});
  set_grad(q, {0.0});
  decay_only.step();
  EXPECT_DOUBLE_EQ(q.value().item(), 2.0 * (1 - 0.5 * 0.2));
  EXPECT_EQ(nn::AdamW({q}).options().weight_decay, 0.01) << "PyTorch's default";
}

TEST(OptimBase, ParametersWithoutGradientAreSkippedAndZeroGradForgets) {
  const Variable used = parameter({1.0}), unused = parameter({5.0});
  nn::Adam adam({used, unused}, {.lr = 0.1});
  set_grad(used, {2.0});
  adam.step();
  EXPECT_NE(used.value().item(), 1.0);
  EXPECT_EQ(unused.value().item(), 5.0);
  EXPECT_TRUE(adam.state(1).empty());
  adam.zero_grad();
  EXPECT_FALSE(used.grad().defined());
  const double before = used.value().item();
  adam.step();  // no gradients: nothing moves
  EXPECT_EQ(used.value().item(), before);
}

TEST(OptimBase, TheParameterKeepsItsIdentityAndStorage) {
  const Variable p = parameter({1.0, 2.0});
  const Tensor storage = p.value();
  nn::SGD sgd({p}, {.lr = 1.0});
  set_grad(p, {1.0, 1.0});
  sgd.step();
  EXPECT_TRUE(p.value().shares_storage_with(storage));
  EXPECT_FALSE(p.grad().requires_grad()) << "the update itself records no graph";
}

TEST(OptimBase, BadArgumentsAreErrors) {
  EXPECT_ERROR(nn::SGD({}, {}), "SGD", "non-empty");
  EXPECT_ERROR(nn::SGD({Variable(Tensor::ones({2}), false)}, {}), "require grad");
  const Variable p = parameter({1.0});
  EXPECT_ERROR(nn::SGD({p, p}, {}), "each parameter once");
  EXPECT_ERROR(nn::SGD({p}, {.lr = -1}), "learning rate");
  EXPECT_ERROR(nn::SGD({p}, {.lr = 0.1, .nesterov = true}), "nesterov");
  EXPECT_ERROR(nn::Adam({p}, {.beta1 = 1.0}), "beta1");
  EXPECT_ERROR(nn::Adam({p}, {.eps = -1}), "eps");
  nn::SGD sgd({p}, {});
  EXPECT_ERROR(sgd.set_lr(std::nan("")), "learning rate");
}

TEST(OptimState, ReloadedStateContinuesBitForBit) {
  for (int kind = 0; kind < 3; ++kind) {
    auto make = [&](const Variable& p) -> std::unique_ptr<nn::Optimizer> {
      if (kind == 0) return std::make_unique<nn::SGD>(std::vector<Variable>{p}, nn::SGDOptions{.lr = 0.1, .momentum = 0.9});
      if (kind == 1) return std::make_unique<nn::Adam>(std::vector<Variable>{p}, nn::AdamOptions{.lr = 0.01});
      return std::make_unique<nn::AdamW>(std::vector<Variable>{p});
    };
    const auto grads = gradients(kStart.size(), 3);
    const Variable a = parameter(kStart, DType::f32);
    auto first = make(a);
    for (int t = 0; t < 2; ++t) {
      set_grad(a, grads[t]);
      first->step();
    }
    const auto saved = first->state_dict();
    const Variable b = parameter(a.value().to_vector(), DType::f32);
    auto second = make(b);
    second->set_lr(0.5);  // overwritten by the loaded "lr"
    second->load_state_dict(saved);
    EXPECT_EQ(second->lr(), first->lr());
    set_grad(a, grads[2]);
    first->step();
    set_grad(b, grads[2]);
    second->step();
    EXPECT_EQ(a.value().to_vector(), b.value().to_vector()) << first->name();
  }
}

TEST(OptimState, StateDictHasTorchsLayoutAndIsACopy) {
  const Variable p = parameter({1.0, 2.0});
  nn::Adam adam({p}, {});
  set_grad(p, {1.0, 1.0});
  adam.step();
  auto state = adam.state_dict();
  EXPECT_EQ(state.size(), 4u);
  EXPECT_EQ(state.at("lr").item(), 1e-3);
  EXPECT_EQ(state.at("state.0.step").dtype(), DType::i64);
  EXPECT_EQ(state.at("state.0.exp_avg").shape(), (gb::Shape{2}));
  state.at("state.0.exp_avg").set({0}, 99);
  EXPECT_NE(adam.state(0).at("exp_avg").at({0}), 99);
}

TEST(OptimState, BadStateIsRejectedWithoutChangingAnything) {
  const Variable p = parameter({1.0, 2.0});
  nn::Adam adam({p}, {});
  set_grad(p, {1.0, 1.0});
  adam.step();
  const auto good = adam.state_dict();
  auto bad = good;
  bad.erase("state.0.exp_avg_sq");
  EXPECT_ERROR(adam.load_state_dict(bad), "every field", "parameter 0");
  bad = good;
  bad["state.0.exp_avg"] = Tensor::zeros({3}, DType::f64);
  EXPECT_ERROR(adam.load_state_dict(bad), "state.0.exp_avg", "f64[2]", "f64[3]");
  bad = good;
  bad["state.1.step"] = Tensor::scalar(1, DType::i64);
  EXPECT_ERROR(adam.load_state_dict(bad), "i < 1");
  bad = good;
  bad["state.0.momentum_buffer"] = Tensor::zeros({2}, DType::f64);
  EXPECT_ERROR(adam.load_state_dict(bad), "unexpected key 'state.0.momentum_buffer'");
  bad = good;
  bad.erase("lr");
  EXPECT_ERROR(adam.load_state_dict(bad), "'lr'");
  bad = good;
  bad["lr"] = Tensor::scalar(-1, DType::f64);
  EXPECT_ERROR(adam.load_state_dict(bad), "'lr'");
  EXPECT_EQ(adam.state(0).at("step").item(), 1);
  EXPECT_EQ(adam.lr(), 1e-3);
}

// --- schedules ----------------------------------------------------------------------------------------

TEST(ScheduleStepLR, HalvesEveryStepSizeEpochs) {
  const Variable p = parameter({1.0});
  nn::SGD sgd({p}, {.lr = 0.8});
  nn::StepLR schedule(sgd, 2, 0.5);
  std::vector<double> rates = {sgd.lr()};
  for (int e = 0; e < 6; ++e) {
    schedule.step();
    rates.push_back(sgd.lr());
  }
  EXPECT_EQ(rates, (std::vector<double>{0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1}));
  EXPECT_EQ(schedule.last_epoch(), 6);
  EXPECT_ERROR(nn::StepLR(sgd, 0), "step_size");
}

TEST(ScheduleCosine, FollowsTheHalfCosineAndClimbsBackAfterTMax) {
  const Variable p = parameter({1.0});
  nn::SGD sgd({p}, {.lr = 0.1});
  const double eta_min = 0.001, t_max = 5;
  nn::CosineAnnealingLR schedule(sgd, 5, eta_min);
  for (int e = 1; e <= 15; ++e) {
    schedule.step();
    const double closed = eta_min + (0.1 - eta_min) * (1 + std::cos(std::numbers::pi * e / t_max)) / 2;
    EXPECT_NEAR(sgd.lr(), closed, 1e-15) << "epoch " << e;
  }
  EXPECT_ERROR(nn::CosineAnnealingLR(sgd, 0), "T_max");
}

TEST(ScheduleState, RestoredScheduleContinuesTheSameRates) {
  const Variable p = parameter({1.0});
  nn::SGD a({p}, {.lr = 0.1}), b({p}, {.lr = 0.1});
  nn::CosineAnnealingLR sa(a, 7), sb(b, 7);
  for (int e = 0; e < 3; ++e) sa.step();
  sb.set_state(sa.state());
  b.set_lr(a.lr());
  for (int e = 0; e < 4; ++e) {
    sa.step();
    sb.step();
    EXPECT_EQ(a.lr(), b.lr());
  }
  EXPECT_ERROR(sb.set_state({-1, 0.1}), "last_epoch");
}

}  // namespace
