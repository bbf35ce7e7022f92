// layer_test_helpers.hpp: what the layer, functional and loss tests share: random tensors, the
// gradient of a scalar function of Variables by central differences, and closeness checks.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"
#include "test_helpers.hpp"

namespace gb_nn_test {

using gb::Shape;
using gb::Tensor;
using gb::autodiff::Variable;
namespace ad = gb::autodiff;

// Values U(-1, 1) of the given dtype.
inline Tensor random(gb::Rng& rng, const Shape& shape, gb::DType dtype = gb::DType::f32, double scale = 1.0) {
  return rng.uniform(shape, -scale, scale, dtype);
}

// Random values whose pairwise gaps are at least `gap` (a shuffled grid plus a little noise), so that
// a max or a relu is not on a kink within a finite-difference step.
inline Tensor distinct(gb::Rng& rng, const Shape& shape, gb::DType dtype = gb::DType::f32, double gap = 0.05) {
  const std::int64_t n = gb::shape_numel(shape);
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = (static_cast<double>(i) - n / 2.0) * gap;
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(values[static_cast<std::size_t>(i)], values[static_cast<std::size_t>(rng.randint(0, i + 1))]);
  return Tensor::from_values(values, shape, dtype);
}

// A scalar function of some inputs (each a Variable), as the tests write the op under test.
using ScalarFunction = std::function<Variable(const std::vector<Variable>&)>;

// d f / d inputs[which] by central differences, f evaluated with grad mode off on copies of the
// inputs (accumulated in double: f's value is read as a double).
inline std::vector<double> numeric_gradient(const ScalarFunction& f, const std::vector<Tensor>& inputs, std::size_t which,
                                            double h) {
  ad::NoGradGuard no_grad;
  std::vector<Tensor> copies;
  for (const Tensor& t : inputs) copies.push_back(t.defined() ? t.clone() : t);
  auto value = [&] {
    std::vector<Variable> vs;
    for (const Tensor& t : copies) vs.push_back(t.defined() ? Variable(t) : Variable());
    return f(vs).value().item();
  };
  Tensor& x = copies[which];
  std::vector<double> grad(static_cast<std::size_t>(x.numel()));
  Tensor flat = x.reshape({x.numel()});  // a view: writes reach copies[which]
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double original = flat.at({i});
    flat.set({i}, original + h);
    const double up = value();
    flat.set({i}, original - h);
    const double down = value();
    flat.set({i}, original);
    grad[static_cast<std::size_t>(i)] = (up - down) / (2 * h);
  }
  return grad;
}

// The gradients of f by reverse mode, one per input (zeros for an input f does not use).
inline std::vector<std::vector<double>> analytic_gradients(const ScalarFunction& f, const std::vector<Tensor>& inputs) {
  std::vector<Variable> vs;
  for (const Tensor& t : inputs) vs.push_back(t.defined() ? Variable(t.clone(), true) : Variable());
  Variable out = f(vs);
  out.backward();
  std::vector<std::vector<double>> grads;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (!vs[i].defined()) {
      grads.emplace_back();
      continue;
    }
    const Variable g = vs[i].grad();
    grads.push_back(g.defined() ? g.value().to_vector() : std::vector<double>(static_cast<std::size_t>(vs[i].numel()), 0.0));
  }
  return grads;
}

// |a - b| <= atol + rtol |b| elementwise, reporting the first mismatch with `what`.
inline void expect_close(const std::vector<double>& a, const std::vector<double>& b, double atol, double rtol,
                         const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], atol + rtol * std::fabs(b[i])) << what << " at element " << i;
  }
}

// Every input's gradient by reverse mode equals central differences.
inline void expect_gradients_match(const ScalarFunction& f, const std::vector<Tensor>& inputs, double h, double atol,
                                   double rtol, const std::string& what) {
  const auto analytic = analytic_gradients(f, inputs);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) continue;
    expect_close(analytic[i], numeric_gradient(f, inputs, i, h), atol, rtol, what + ", input " + std::to_string(i));
  }
}

// sum(y * weights): a scalar whose gradient with respect to y is `weights` (random, so that every
// output element is checked with its own seed, not only their sum).
inline Variable weighted_sum(const Variable& y, const Tensor& weights) {
  return ad::sum(ad::mul(y, ad::constant(weights)));
}

}  // namespace gb_nn_test
