// tensor_gradcheck.hpp: checking reverse-mode gradients against central differences in f64.
//
// For a function f of some tensors, the loss L = sum(f(x) * w) with a fixed random w touches every
// output element. backward(f(x), seed w) gives dL/dx (a VJP, so no mul VJP is involved: the unit
// tests of other ops do not depend on the exercise autodiff.reverse.vjp_rules); the central difference (L(x + h e_k) - L(x - h e_k)) / 2h
// approximates each entry with error O(h^2). Both must agree to a tolerance far below any real bug.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"

namespace gb_test {

using gb::Shape;
using gb::Tensor;
using gb::autodiff::Variable;
using Fn = std::function<Variable(const std::vector<Variable>&)>;

inline double weighted_loss(const Fn& f, const std::vector<Tensor>& xs, const Tensor& w) {
  gb::autodiff::NoGradGuard no_grad;
  std::vector<Variable> vs;
  for (const Tensor& x : xs) vs.emplace_back(x);
  return gb::sum(gb::mul(f(vs).value(), w)).item();
}

// Every input's gradient matches central differences (relative tolerance `tol`).
inline void expect_gradients_match(const Fn& f, const std::vector<Tensor>& inputs, std::uint64_t seed = 1,
                                   double tol = 1e-6) {
  gb::Rng rng(seed);
  std::vector<Variable> vs;
  for (const Tensor& x : inputs) vs.emplace_back(x.clone(), true);
  Variable out = f(vs);
  Tensor w = rng.normal(out.shape(), 0, 1, gb::DType::f64);
  gb::autodiff::backward(out, w);  // seeding with w is the VJP of L = sum(f(x) * w), with no mul node
  const double h = 1e-6;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(vs[i].grad().defined()) << "input " << i << " got no gradient";
    ASSERT_EQ(vs[i].grad().shape(), inputs[i].shape());
    const std::vector<double> analytic = vs[i].grad().value().to_vector();
    for (std::int64_t k = 0; k < inputs[i].numel(); ++k) {
      std::vector<Tensor> plus, minus;
      for (const Tensor& x : inputs) plus.push_back(x.clone()), minus.push_back(x.clone());
      plus[i].data<double>()[k] += h;  // clones are contiguous f64 (raw pointers: no at/set, so these
      minus[i].data<double>()[k] -= h;  // tests do not depend on the exercise core.tensor.strided_offset)
      const double numeric = (weighted_loss(f, plus, w) - weighted_loss(f, minus, w)) / (2 * h);
      const double got = analytic[static_cast<std::size_t>(k)];
      EXPECT_NEAR(got, numeric, tol * (1 + std::abs(numeric))) << "input " << i << " element " << k;
    }
  }
}

inline Tensor normal64(gb::Rng& rng, const Shape& shape) { return rng.normal(shape, 0, 1, gb::DType::f64); }
inline Tensor positive64(gb::Rng& rng, const Shape& shape) { return rng.uniform(shape, 0.5, 2.0, gb::DType::f64); }

// Pairs of shapes that broadcast, including scalars, added axes and stretched axes.
inline const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{3}, {3}}, {{2, 3}, {3}}, {{2, 1, 4}, {3, 1}}, {{}, {2, 2}}, {{2, 3}, {2, 1}}, {{1}, {4, 1, 2}}};

}  // namespace gb_test

#define EXPECT_GB_ERROR(statement, part)                                          \
  do {                                                                            \
    try {                                                                         \
      (void)(statement);                                                          \
      ADD_FAILURE() << "expected a gb::Error naming " << (part);                  \
    } catch (const gb::NotImplemented& e) {                                       \
      ADD_FAILURE() << "exercise not written: " << e.what();                      \
    } catch (const gb::Error& e) {                                                \
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what(); \
    }                                                                             \
  } while (0)
