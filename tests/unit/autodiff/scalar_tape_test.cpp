// scalar_tape_test.cpp: reverse mode on the scalar tape: every op against central differences,
// accumulation at shared nodes, no_grad, retain_graph, gradients of gradients, Hessians.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/hessian.hpp"
#include "gb/autodiff/numerical.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/tape.hpp"
#include "scalar_test_helpers.hpp"

namespace ad = gb::autodiff;
using V = ad::Var<double>;

TEST(ScalarTape, GoldenExampleOneBackwardPass) {
  ad::Tape<double> tape;
  const V x1 = tape.variable(2), x2 = tape.variable(5);
  const V f = ad::log(x1) + x1 * x2 - ad::sin(x2);
  EXPECT_NEAR(f.value(), 11.652071, 1e-6);
  EXPECT_EQ(tape.size(), 7u);  // two inputs and five ops: v1 .. v5
  const std::vector<double> g = tape.gradient(f, {x1, x2});
  EXPECT_DOUBLE_EQ(g[0], 5.5);
  EXPECT_NEAR(g[1], 2 - std::cos(5.0), 1e-15);
  EXPECT_NEAR(g[1], 1.716338, 1e-6);
}

TEST(ScalarTape, AccumulatesAtANodeUsedTwice) {
  // x = 3, y1 = x + 1, y2 = 2x, loss = (y1 - y2)^2 = 4: dy1 = -4, dy2 = 4, x.grad = -4 + 2 * 4 = 4.
  ad::Tape<double> tape;
  const V x = tape.variable(3);
  const V y1 = x + 1.0, y2 = 2.0 * x;
  const V loss = ad::pow(y1 - y2, 2.0);
  EXPECT_DOUBLE_EQ(loss.value(), 4);
  const std::vector<double> adjoint = tape.adjoints(loss, true);
  EXPECT_DOUBLE_EQ(adjoint[y1.index()], -4);
  EXPECT_DOUBLE_EQ(adjoint[y2.index()], 4);
  EXPECT_DOUBLE_EQ(adjoint[x.index()], 4);
  // A diamond used many times: f = x * x * x * x, f' = 4 x^3.
  const V z = tape.variable(1.5);
  const V four = z * z * z * z;
  EXPECT_DOUBLE_EQ(tape.gradient(four, {z})[0], 4 * 1.5 * 1.5 * 1.5);
}

TEST(ScalarTape, EveryOpAgreesWithCentralDifferences) {
  std::mt19937 rng(7);
  for (const auto& c : gb_autodiff_test::unary_cases()) {
    const ad::ExprPtr f = ad::parse(std::string(c.name) + "(x)");
    std::uniform_real_distribution<double> point(c.lo, c.hi);
    for (int k = 0; k < 20; ++k) {
      const double x = point(rng);
      ad::Tape<double> tape;
      const V in = tape.variable(x);
      const V y = ad::evaluate(*f, ad::Environment<V>{{"x", in}}, [&](double v) { return tape.constant(v); });
      const double numeric = ad::difference(
          [&](double t) { return ad::evaluate(*f, ad::Environment<double>{{"x", t}}); }, x, 1e-6, ad::Difference::central);
      EXPECT_NEAR(tape.gradient(y, {in})[0], numeric, 1e-7 * (1 + std::fabs(numeric))) << c.name << " at " << x;
    }
  }
  for (const char* text : {"x * y", "x / y", "x ^ y", "y ^ x", "x - y", "-x", "x ^ 3", "x + 2", "2 / x"}) {
    const ad::ExprPtr f = ad::parse(text);
    for (double x : {0.6, 1.9}) {
      ad::Tape<double> tape;
      const V in = tape.variable(x);
      const ad::Environment<V> env = {{"x", in}, {"y", tape.variable(1.3)}};
      const V y = ad::evaluate(*f, env, [&](double v) { return tape.constant(v); });
      const double numeric = ad::difference(
          [&](double t) { return ad::evaluate(*f, ad::Environment<double>{{"x", t}, {"y", 1.3}}); }, x, 1e-6,
          ad::Difference::central);
      EXPECT_NEAR(tape.gradient(y, {in})[0], numeric, 1e-7 * (1 + std::fabs(numeric))) << text;
    }
  }
}

TEST(ScalarTape, BackwardAccumulatesIntoGradUntilZeroGrad) {
  ad::Tape<double> tape;
  const V x = tape.variable(2);
  const V y = x * x;
  tape.backward(y, true);
  EXPECT_DOUBLE_EQ(x.grad(), 4);
  tape.backward(y);  // PyTorch adds into .grad: 4 + 4
  EXPECT_DOUBLE_EQ(x.grad(), 8);
  tape.zero_grad();
  EXPECT_DOUBLE_EQ(x.grad(), 0);
}

TEST(ScalarTape, SecondBackwardNeedsRetainGraph) {
  ad::Tape<double> tape;
  const V x = tape.variable(2);
  const V y = ad::sin(x) * x;
  tape.gradient(y, {x});
  try {
    tape.gradient(y, {x});
    FAIL() << "a second backward through a freed graph must throw";
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
  ad::Tape<double> kept;
  const V a = kept.variable(2);
  const V b = ad::sin(a) * a;
  const std::vector<double> first = kept.gradient(b, {a}, true);
  EXPECT_EQ(kept.gradient(b, {a}), first);
}

TEST(ScalarTape, NoGradRecordsConstants) {
  ad::Tape<double> tape;
  const V x = tape.variable(3);
  V frozen;
  {
    ad::NoGrad<double> guard(tape);
    frozen = x * x;  // a constant 9: nothing flows back through it
  }
  EXPECT_TRUE(tape.grad_enabled());
  const V y = frozen * x;
  EXPECT_DOUBLE_EQ(y.value(), 27);
  EXPECT_DOUBLE_EQ(tape.gradient(y, {x})[0], 9);  // not 27 = d(x^3)/dx
}

TEST(ScalarTape, GradientsOfGradientsThroughTheRecordedBackward) {
  // f = x^3 y + sin(x): df/dx = 3x^2 y + cos x, d2f/dx2 = 6 x y - sin x, d2f/dxdy = 3 x^2.
  ad::Tape<double> tape;
  const V x = tape.variable(0.8), y = tape.variable(-1.3);
  const V f = ad::pow(x, 3.0) * y + ad::sin(x);
  const std::vector<V> g = tape.gradient_graph(f, {x, y});
  EXPECT_NEAR(g[0].value(), 3 * 0.64 * -1.3 + std::cos(0.8), 1e-14);
  EXPECT_NEAR(g[1].value(), 0.512, 1e-14);
  const std::vector<double> h = tape.gradient(g[0], {x, y}, true);
  EXPECT_NEAR(h[0], 6 * 0.8 * -1.3 - std::sin(0.8), 1e-13);
  EXPECT_NEAR(h[1], 3 * 0.64, 1e-13);
  // Third order: d3f/dx3 = 6y - cos x.
  const std::vector<V> g2 = tape.gradient_graph(g[0], {x});
  EXPECT_NEAR(tape.gradient(g2[0], {x})[0], 6 * -1.3 - std::cos(0.8), 1e-12);
  // At a stationary point the gradient is 0 but its derivative is not: f = (x - 3)^2 at x = 3.
  ad::Tape<double> t2;
  const V z = t2.variable(3);
  const V q = ad::pow(z - 3.0, 2.0);
  const V dq = t2.gradient_graph(q, {z})[0];
  EXPECT_DOUBLE_EQ(dq.value(), 0);
  EXPECT_DOUBLE_EQ(t2.gradient(dq, {z})[0], 2);
}

TEST(ScalarTape, HessianForwardOverReverse) {
  // Rosenbrock: f = (1 - x)^2 + 100 (y - x^2)^2; H = [[2 - 400 y + 1200 x^2, -400 x], [-400 x, 200]].
  auto rosenbrock = [](const auto& v) { return ad::pow(1.0 - v[0], 2.0) + 100.0 * ad::pow(v[1] - v[0] * v[0], 2.0); };
  const double x = 1.2, y = 0.7;
  const ad::Matrix h = ad::hessian(rosenbrock, {x, y});
  EXPECT_NEAR(h[0][0], 2 - 400 * y + 1200 * x * x, 1e-10);
  EXPECT_NEAR(h[0][1], -400 * x, 1e-10);
  EXPECT_NEAR(h[1][0], -400 * x, 1e-10);
  EXPECT_NEAR(h[1][1], 200, 1e-10);
  // A quadratic form 1/2 x^T A x has Hessian A (symmetric A).
  auto quadratic = [](const auto& v) { return 0.5 * (2.0 * v[0] * v[0] + 2.0 * v[0] * v[1] + 3.0 * v[1] * v[1]); };
  const ad::Matrix a = ad::hessian(quadratic, {0.3, -0.4});
  EXPECT_NEAR(a[0][0], 2, 1e-14);
  EXPECT_NEAR(a[0][1], 1, 1e-14);
  EXPECT_NEAR(a[1][1], 3, 1e-14);
  const ad::ValueAndGradient vg = ad::value_and_grad(rosenbrock, {x, y});
  EXPECT_NEAR(vg.gradient[0], -2 * (1 - x) - 400 * x * (y - x * x), 1e-10);
  EXPECT_THROW(ad::hessian(rosenbrock, {}), gb::Error);
}

TEST(ScalarTape, VarsOfAnotherTapeAreAnError) {
  ad::Tape<double> a, b;
  const V x = a.variable(1), y = b.variable(2);
  EXPECT_THROW(x + y, gb::Error);
  EXPECT_THROW(a.gradient(y, {x}), gb::Error);
  EXPECT_THROW(V() * x, gb::Error);
  EXPECT_THROW(V().value(), gb::Error);
}
