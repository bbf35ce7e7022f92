// Exercise autodiff.reverse.jacrev (lesson 05-ad-modes-and-jacobians): the Jacobian, one row per VJP
// (lib/autodiff/src/tensor/jacobian.cpp jacrev).
//
// Run only this exercise:  autodiff_exercise_tests --gtest_filter='Task_05_1_Jacrev.*'
// Row i of J is the gradient of output element i: a backward pass seeded with e_i (retain the graph:
// the same forward pass serves every row). Count one VJP per row in passes->vjp.
#include <gtest/gtest.h>

#include <cmath>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"

namespace ad = gb::autodiff;
using ad::Variable;
using gb::Tensor;

namespace {
Tensor f64(const std::vector<double>& v, const gb::Shape& s) { return Tensor::from_values(v, s, gb::DType::f64); }
}  // namespace

// These use ops whose VJPs are not exercises (add, exp, sum, softmax), so this task stands alone.

TEST(Task_05_1_Jacrev, DoublingGivesTwiceTheIdentity) {
  Tensor j = ad::jacrev([](const Variable& x) { return ad::add(x, x); }, f64({7, 8, 9}, {3}));
  EXPECT_EQ(j.shape(), (gb::Shape{3, 3}));
  EXPECT_EQ(j.to_vector(), (std::vector<double>{2, 0, 0, 0, 2, 0, 0, 0, 2}));
}

TEST(Task_05_1_Jacrev, ElementwiseExpIsDiagonal) {
  ad::PassCount passes;
  Tensor j = ad::jacrev([](const Variable& x) { return ad::exp(ad::add(x, x)); }, f64({0, 0.5, 1}, {3}), &passes);
  const std::vector<double> got = j.to_vector();
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      const double expected = r == c ? 2 * std::exp(2 * 0.5 * r) : 0;  // d exp(2x) / dx = 2 exp(2x)
      EXPECT_NEAR(got[static_cast<std::size_t>(3 * r + c)], expected, 1e-12) << r << ", " << c;
    }
  }
  EXPECT_EQ(passes.vjp, 3);
  EXPECT_EQ(passes.forward, 1);
}

TEST(Task_05_1_Jacrev, OnePassPerOutputWhateverTheInputSize) {
  // f: R^6 -> R^2 (sums of the two rows of x + x): 2 VJPs, though x has 6 elements.
  ad::PassCount passes;
  Tensor j = ad::jacrev([](const Variable& x) { return ad::sum(ad::add(x, x), {1}); },
                        f64({1, 2, 3, 4, 5, 6}, {2, 3}), &passes);
  EXPECT_EQ(j.shape(), (gb::Shape{2, 2, 3}));
  EXPECT_EQ(j.to_vector(), (std::vector<double>{2, 2, 2, 0, 0, 0, 0, 0, 0, 2, 2, 2}));
  EXPECT_EQ(passes.vjp, 2);
}

TEST(Task_05_1_Jacrev, SoftmaxGivesDiagSMinusSSTransposed) {
  Tensor x = f64({0.1, -0.4, 0.3, 1.2}, {4});
  Tensor s = ad::softmax(Variable(x)).value();
  Tensor j = ad::jacrev([](const Variable& v) { return ad::softmax(v); }, x);
  const std::vector<double> sv = s.to_vector(), got = j.to_vector();
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) {
      EXPECT_NEAR(got[4 * r + c], (r == c ? sv[r] : 0.0) - sv[r] * sv[c], 1e-12) << r << ", " << c;
    }
  }
}
