// Exercise autodiff.reverse.vjp_rules (lesson 04-reverse-mode): the VJPs of mul and matmul
// (lib/autodiff/src/tensor/vjp_elementwise.cpp mul_vjp, vjp_matmul.cpp matmul_vjp).
//
// Run only this exercise:  autodiff_exercise_tests --gtest_filter='Task_04_2_VjpRules.*'
// For c = a * b:   da = sum_to_shape(g * b, a.shape),   db = sum_to_shape(g * a, b.shape)
// For C = A @ B:   dA = sum_to_shape(G @ B^T, A.shape),  dB = sum_to_shape(A^T @ G, B.shape)
#include <gtest/gtest.h>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"

namespace ad = gb::autodiff;
using ad::Variable;
using gb::Tensor;

namespace {
Variable leaf(const std::vector<double>& v, const gb::Shape& s) { return Variable(Tensor::from_values(v, s, gb::DType::f64), true); }
std::vector<double> grad_of(const Variable& v) { return v.grad().value().to_vector(); }
}  // namespace

TEST(Task_04_2_VjpRules, MulSwapsTheOperands) {
  Variable a = leaf({1, 2, 3}, {3});
  Variable b = leaf({4, 5, 6}, {3});
  ad::backward(ad::sum(ad::mul(a, b)));
  EXPECT_EQ(grad_of(a), (std::vector<double>{4, 5, 6}));  // d(a*b)/da = b
  EXPECT_EQ(grad_of(b), (std::vector<double>{1, 2, 3}));
}

TEST(Task_04_2_VjpRules, MulMultipliesByTheAdjoint) {
  Variable a = leaf({1, 2}, {2});
  Variable b = leaf({3, 4}, {2});
  ad::backward(ad::mul(a, b), Tensor::from_values({10, 100}, {2}, gb::DType::f64));
  EXPECT_EQ(grad_of(a), (std::vector<double>{30, 400}));
  EXPECT_EQ(grad_of(b), (std::vector<double>{10, 200}));
}

TEST(Task_04_2_VjpRules, MulSumsOverBroadcastAxes) {
  Variable a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Variable b = leaf({10, 20, 30}, {3});  // broadcast over the 2 rows
  Variable s = leaf({2}, {});            // broadcast over everything
  ad::backward(ad::sum(ad::mul(ad::mul(a, b), s)));
  EXPECT_EQ(grad_of(b), (std::vector<double>{10, 14, 18}));  // 2 * (1 + 4), 2 * (2 + 5), 2 * (3 + 6)
  EXPECT_EQ(grad_of(a), (std::vector<double>{20, 40, 60, 20, 40, 60}));
  EXPECT_EQ(s.grad().value().item(), 10 + 40 + 90 + 40 + 100 + 180);
}

TEST(Task_04_2_VjpRules, MatmulGivesGTimesBTransposedAndATransposedTimesG) {
  Variable a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Variable b = leaf({1, 0, 0, 1, 1, 1}, {3, 2});
  Variable bias = leaf({0, 0}, {2});  // a layer: a @ b + bias (the bias's row broadcasts)
  ad::backward(ad::add(ad::matmul(a, b), bias), Tensor::from_values({1, 2, 3, 4}, {2, 2}, gb::DType::f64));
  // dA = G B^T = [[1, 2], [3, 4]] [[1, 0, 1], [0, 1, 1]]
  EXPECT_EQ(grad_of(a), (std::vector<double>{1, 2, 3, 3, 4, 7}));
  // dB = A^T G = [[1, 4], [2, 5], [3, 6]] [[1, 2], [3, 4]]
  EXPECT_EQ(grad_of(b), (std::vector<double>{13, 18, 17, 24, 21, 30}));
  EXPECT_EQ(a.grad().shape(), (gb::Shape{2, 3}));
  EXPECT_EQ(b.grad().shape(), (gb::Shape{3, 2}));
}

TEST(Task_04_2_VjpRules, MatmulSumsOverBroadcastBatches) {
  // A batch of two [1, 2] x [2, 1] products sharing one B: B's adjoint is the sum over the batch.
  Variable a = leaf({1, 2, 3, 4}, {2, 1, 2});
  Variable b = leaf({5, 6}, {2, 1});
  ad::backward(ad::sum(ad::matmul(a, b)));
  EXPECT_EQ(grad_of(b), (std::vector<double>{4, 6}));
  EXPECT_EQ(grad_of(a), (std::vector<double>{5, 6, 5, 6}));
}

TEST(Task_04_2_VjpRules, MatmulOfVectorsIsADotProduct) {
  Variable u = leaf({1, 2, 3}, {3});
  Variable v = leaf({4, 5, 6}, {3});
  Variable dot = ad::add(ad::matmul(u, v), Variable(Tensor::scalar(1, gb::DType::f64)));
  EXPECT_EQ(dot.value().item(), 33);  // u . v + 1
  dot.backward();
  EXPECT_EQ(grad_of(u), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(grad_of(v), (std::vector<double>{1, 2, 3}));
}
