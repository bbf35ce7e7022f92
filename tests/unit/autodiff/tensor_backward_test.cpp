// tensor_backward_test.cpp: the backward pass itself: accumulation at shared nodes, topological
// order, no_grad, retain_graph, seeds, gradients of gradients, errors, and what it records.
#include "gb/trace/recorder.hpp"
#include "gb/trace/replay.hpp"
#include "tensor_gradcheck.hpp"

namespace ad = gb::autodiff;
using namespace gb_test;

namespace {
Variable leaf(double v) { return Variable(gb::Tensor::scalar(v, gb::DType::f64), true); }
Variable leaf(const std::vector<double>& v, const Shape& s) { return Variable(gb::Tensor::from_values(v, s, gb::DType::f64), true); }
double value_of(const Variable& v) { return v.value().item(); }
}  // namespace

// LESSONS.md, second example: x = 3, y1 = x + 1, y2 = 2x, loss = (y1 - y2)^2 = 4, x.grad = 4.
TEST(TensorBackward, AccumulatesAtANodeUsedTwice) {
  Variable x = leaf(3);
  Variable y1 = x + ad::scalar_like(x, 1);
  Variable y2 = ad::scalar_like(x, 2) * x;
  Variable loss = ad::pow(y1 - y2, 2.0);
  EXPECT_EQ(value_of(loss), 4);
  loss.backward();
  EXPECT_EQ(value_of(x.grad()), 4);
  // x * x: the two edges into mul each carry one share
  Variable z = leaf(5);
  (z * z).backward();
  EXPECT_EQ(value_of(z.grad()), 10);
}

TEST(TensorBackward, GradientsAccumulateAcrossCallsUntilZeroed) {
  Variable x = leaf(2);
  (x * x).backward();
  (x * x).backward();
  EXPECT_EQ(value_of(x.grad()), 8);
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(TensorBackward, OrderVisitsEveryNodeBeforeItsInputs) {
  Variable x = leaf(1);
  Variable a = ad::exp(x);
  Variable b = a * a;
  Variable c = b + a;  // a is used by b and by c: a must come after both
  auto order = ad::backward_order(c);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0]->op, "add");
  EXPECT_EQ(order[1]->op, "mul");
  EXPECT_EQ(order[2]->op, "exp");
  c.backward();
  const double e = std::exp(1.0);
  EXPECT_NEAR(value_of(x.grad()), 2 * e * e + e, 1e-12);
}

TEST(TensorBackward, NoGradRecordsNothing) {
  Variable x = leaf(2);
  {
    ad::NoGradGuard no_grad;
    EXPECT_FALSE(ad::grad_enabled());
    Variable y = x * x;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
    EXPECT_GB_ERROR(y.backward(), "requires grad");
  }
  EXPECT_TRUE(ad::grad_enabled());
  EXPECT_TRUE((x * x).requires_grad());
}

TEST(TensorBackward, SecondBackwardNeedsRetainGraph) {
  Variable x = leaf(2);
  Variable y = ad::exp(x);
  y.backward(gb::Tensor(), /*retain_graph=*/true);
  y.backward();  // allowed: the first one kept the graph
  EXPECT_NEAR(value_of(x.grad()), 2 * std::exp(2.0), 1e-12);
  EXPECT_GB_ERROR(y.backward(), "retain_graph");
  EXPECT_TRUE(y.grad_fn()->released);
}

TEST(TensorBackward, SeedsAndErrors) {
  Variable x = leaf({1, 2, 3}, {3});
  Variable y = x * x;
  EXPECT_GB_ERROR(y.backward(), "non-scalar");
  EXPECT_GB_ERROR(y.backward(gb::Tensor::ones({2}, gb::DType::f64)), "seed");
  y.backward(gb::Tensor::from_values({1, 0, 2}, {3}, gb::DType::f64));
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{2, 0, 12}));
  Variable c(gb::Tensor::scalar(1.0, gb::DType::f64));
  EXPECT_GB_ERROR(c.backward(), "requires grad");
  EXPECT_GB_ERROR(ad::grad(ad::sum(x * x), {c}), "require grad");
  EXPECT_GB_ERROR(Variable(gb::Tensor::arange(3, gb::DType::i64), true), "floating");
  EXPECT_GB_ERROR(Variable().value(), "undefined");
  EXPECT_GB_ERROR(y.set_requires_grad(false), "leaf");
}

TEST(TensorBackward, GradReturnsAdjointsWithoutTouchingGrad) {
  Variable x = leaf({1, 2}, {2});
  Variable w = leaf({3, 4}, {2});
  Variable h = x * w;
  Variable loss = ad::sum(h);
  std::vector<Variable> g = ad::grad(loss, {x, h, w}, gb::Tensor(), {true, false});
  EXPECT_EQ(g[0].value().to_vector(), (std::vector<double>{3, 4}));
  EXPECT_EQ(g[1].value().to_vector(), (std::vector<double>{1, 1}));
  EXPECT_EQ(g[2].value().to_vector(), (std::vector<double>{1, 2}));
  EXPECT_FALSE(x.grad().defined());
  Variable unused = leaf(1);
  EXPECT_EQ(ad::grad(loss, {unused})[0].value().item(), 0);
}

TEST(TensorBackward, GradientsOfGradients) {
  // f(x) = x^3: f' = 3x^2, f'' = 6x, f''' = 6
  Variable x = leaf(2);
  Variable y = ad::pow(x, 3.0);
  Variable d1 = ad::grad(y, {x}, gb::Tensor(), {true, true})[0];
  EXPECT_NEAR(value_of(d1), 12, 1e-12);
  ASSERT_TRUE(d1.requires_grad());
  Variable d2 = ad::grad(d1, {x}, gb::Tensor(), {true, true})[0];
  EXPECT_NEAR(value_of(d2), 12, 1e-12);
  Variable d3 = ad::grad(d2, {x})[0];
  EXPECT_NEAR(value_of(d3), 6, 1e-12);
}

TEST(TensorBackward, SecondDerivativesOfEveryUnaryOpMatchCentralDifferences) {
  // d/dx of the gradient (a recorded backward pass), checked numerically like any forward function.
  gb::Rng rng(61);
  const std::vector<std::pair<const char*, Variable (*)(const Variable&)>> ops = {
      {"sigmoid", ad::sigmoid}, {"tanh", ad::tanh}, {"exp", ad::exp}, {"log", ad::log}, {"gelu", ad::gelu},
      {"softmax", [](const Variable& v) { return ad::softmax(v); }},
      {"log_softmax", [](const Variable& v) { return ad::log_softmax(v); }}};
  for (const auto& [name, op] : ops) {
    SCOPED_TRACE(name);
    Tensor x = positive64(rng, {2, 3});
    Fn gradient = [op = op](const std::vector<Variable>& v) {
      gb::autodiff::EnableGradGuard on;  // weighted_loss evaluates under no_grad; grad needs a graph
      Variable leafx = v[0].requires_grad() ? v[0] : Variable(v[0].value(), true);
      Variable y = ad::sum(ad::mul(op(leafx), ad::constant(gb::Tensor::full(leafx.shape(), 0.7, gb::DType::f64))));
      return ad::grad(ad::sum(ad::mul(y, y)), {leafx}, gb::Tensor(), {true, true})[0];
    };
    expect_gradients_match(gradient, {x}, 62, 1e-5);
  }
}

TEST(TensorBackward, BackwardWithCreateGraphGivesDifferentiableGrad) {
  Variable x = leaf(3);
  ad::pow(x, 2.0).backward(gb::Tensor(), false, /*create_graph=*/true);
  Variable g = x.grad();  // 2x, with a graph
  EXPECT_TRUE(g.requires_grad());
  EXPECT_NEAR(value_of(ad::grad(g, {x})[0]), 2, 1e-12);
  x.zero_grad();  // breaks the cycle x -> grad -> graph -> x
}

TEST(TensorBackward, RecordsForwardNodesAndBackwardBadgesOnlyWhenRecording) {
  Variable x(gb::Tensor::scalar(2.0, gb::DType::f64), true, "x");
  {
    Variable y = x * x;  // nobody records: nothing happens
    y.backward();
  }
  gb::trace::Recorder rec("test", "autodiff recording");
  {
    gb::trace::ScopedRecorder attach(rec);
    Variable y = ad::log(x) + x * x;
    y.backward();
  }
  const gb::trace::Recording& r = rec.recording();
  EXPECT_NO_THROW(gb::trace::validate(r));  // e.g. the two edges x -> mul have distinct ids
  const gb::trace::Scene* scene = r.find_scene("autodiff");
  ASSERT_NE(scene, nullptr);
  int nodes = 0, gradients = 0;
  std::string first_gradient, last_gradient;
  for (const auto& step : r.steps) {
    for (const auto& change : step.changes) {
      if (change.kind == gb::trace::ChangeKind::add_node) ++nodes;
      if (change.kind == gb::trace::ChangeKind::set_gradient) {
        ++gradients;
        if (first_gradient.empty()) first_gradient = change.target;
        last_gradient = change.target;
      }
    }
  }
  EXPECT_EQ(nodes, 4);  // x, log, mul, add
  EXPECT_GE(gradients, 4);
  EXPECT_EQ(first_gradient, "v3");  // the output first ...
  EXPECT_EQ(last_gradient, "v0");   // ... the input x last: reverse order
}
