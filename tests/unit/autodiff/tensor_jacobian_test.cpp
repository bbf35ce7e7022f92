// tensor_jacobian_test.cpp: jacrev, jacfwd, hessian against closed forms and each other; pass counts.
#include "tensor_gradcheck.hpp"

namespace ad = gb::autodiff;
using namespace gb_test;

namespace {
// f(x) = tanh(W x + b) for a fixed W (m x n): J = diag(1 - y^2) W.
struct Layer {
  Tensor w, b;
  Variable operator()(const Variable& x) const {
    return ad::tanh(ad::add(ad::matmul(ad::constant(w), x), ad::constant(b)));
  }
};
}  // namespace

TEST(TensorJacobian, JacrevAndJacfwdAgreeWithTheClosedForm) {
  gb::Rng rng(71);
  const std::int64_t m = 3, n = 5;
  Layer f{normal64(rng, {m, n}), normal64(rng, {m})};
  Tensor x = normal64(rng, {n});
  Tensor y = f(Variable(x)).value();
  Tensor expected = gb::mul(gb::sub(gb::Tensor::ones({m}, gb::DType::f64), gb::mul(y, y)).reshape({m, 1}), f.w);
  ad::PassCount rev, fwd;
  Tensor jr = ad::jacrev(f, x, &rev);
  Tensor jf = ad::jacfwd(f, x, &fwd);
  EXPECT_EQ(jr.shape(), (Shape{m, n}));
  EXPECT_TRUE(gb::allclose(jr, expected, 1e-10, 1e-12));
  EXPECT_TRUE(gb::allclose(jf, expected, 1e-10, 1e-12));
  EXPECT_EQ(rev.vjp, m);  // one VJP per output: a row each
  EXPECT_EQ(rev.forward, 1);
  EXPECT_EQ(fwd.jvp, n);  // one JVP per input: a column each
}

TEST(TensorJacobian, ShapesAreOutputShapeThenInputShape) {
  gb::Rng rng(72);
  Tensor x = normal64(rng, {2, 3});
  auto f = [](const Variable& v) { return ad::softmax(v, -1); };
  Tensor jr = ad::jacrev(f, x), jf = ad::jacfwd(f, x);
  EXPECT_EQ(jr.shape(), (Shape{2, 3, 2, 3}));
  EXPECT_TRUE(gb::allclose(jr, jf, 1e-10, 1e-12));
  // rows of different batch entries do not interact: d y[0, :] / d x[1, :] = 0
  EXPECT_EQ(gb::sum(gb::mul(jr.select(0, 0).select(1, 1), jr.select(0, 0).select(1, 1))).item(), 0);
}

TEST(TensorJacobian, HessianByReverseOverReverse) {
  // f(x) = sum(x^3) + x0 x1: H = diag(6 x) + [[0, 1], [1, 0]]
  Tensor x = gb::Tensor::from_values({1.5, -2}, {2}, gb::DType::f64);
  auto f = [](const Variable& v) {
    Variable x0 = ad::sum(ad::mul(v, ad::constant(gb::Tensor::from_values({1, 0}, {2}, gb::DType::f64))));
    Variable x1 = ad::sum(ad::mul(v, ad::constant(gb::Tensor::from_values({0, 1}, {2}, gb::DType::f64))));
    return ad::add(ad::sum(ad::pow(v, 3.0)), ad::mul(x0, x1));
  };
  ad::PassCount passes;
  Tensor h = ad::hessian(f, x, &passes);
  EXPECT_EQ(h.to_vector(), (std::vector<double>{9, 1, 1, -12}));
  EXPECT_EQ(passes.vjp, 3);  // the gradient, then one row each
  EXPECT_GB_ERROR(ad::hessian([](const Variable& v) { return v; }, x), "one element");
}

TEST(TensorJacobian, HessianOfLogSumExpIsSymmetricAndMatchesJacobianOfGradient) {
  gb::Rng rng(73);
  Tensor x = normal64(rng, {4});
  auto f = [](const Variable& v) { return ad::neg(ad::sum(ad::mul(ad::log_softmax(v), ad::softmax(v)))); };
  Tensor h = ad::hessian(f, x);
  EXPECT_TRUE(gb::allclose(h, h.transpose().contiguous(), 1e-12, 1e-12));
  auto gradient = [&](const Variable& v) { return ad::grad(f(v), {v}, gb::Tensor(), {true, true})[0]; };
  EXPECT_TRUE(gb::allclose(h, ad::jacrev(gradient, x), 1e-10, 1e-12));
}

TEST(TensorJacobian, VjpAndJvpAreTheTwoProducts) {
  gb::Rng rng(74);
  Layer f{normal64(rng, {3, 4}), normal64(rng, {3})};
  Tensor x = normal64(rng, {4}), u = normal64(rng, {3}), v = normal64(rng, {4});
  Tensor j = ad::jacrev(f, x);
  EXPECT_TRUE(gb::allclose(ad::vjp(f, x, u), gb::matmul(u, j), 1e-10, 1e-12));
  EXPECT_TRUE(gb::allclose(ad::jvp(f, x, v), gb::matmul(j, v), 1e-10, 1e-12));
  EXPECT_GB_ERROR(ad::jvp(f, x, u), "tangent");
  EXPECT_GB_ERROR(ad::jacrev(f, gb::Tensor::arange(4, gb::DType::i64)), "floating");
}
