// sparse_test.cpp: CSR storage and the sparse x dense product, against the dense definitions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "error_of.hpp"
#include "gb/compress/prune.hpp"
#include "gb/compress/sparse.hpp"
#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"

namespace {

namespace cp = gb::compress;
using gb::DType;
using gb::Tensor;

using gb_test::error_of;

// A random [rows, cols] matrix with about a fraction `sparsity` of exact zeros.
Tensor sparse_random(std::int64_t rows, std::int64_t cols, double sparsity, std::uint64_t seed) {
  gb::Rng rng(seed);
  Tensor w = rng.normal({rows, cols});
  float* v = w.data<float>();
  for (std::int64_t i = 0; i < w.numel(); ++i)
    if (rng.uniform() < sparsity) v[i] = 0.0f;
  return w;
}

// sum_k a[r, k] b[k, j] in double: the definition of the product.
std::vector<double> matmul_definition(const Tensor& a, const Tensor& b) {
  const auto av = a.to_vector(), bv = b.to_vector();
  const std::int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  std::vector<double> c(static_cast<std::size_t>(m * n), 0.0);
  for (std::int64_t r = 0; r < m; ++r)
    for (std::int64_t x = 0; x < k; ++x)
      for (std::int64_t j = 0; j < n; ++j)
        c[static_cast<std::size_t>(r * n + j)] += av[static_cast<std::size_t>(r * k + x)] * bv[static_cast<std::size_t>(x * n + j)];
  return c;
}

TEST(Csr, ArraysOfASmallMatrixByHand) {
  // [[1, 0, 2],
  //  [0, 0, 0],
  //  [0, 3, 0]]
  const Tensor d = Tensor::from_values({1, 0, 2, 0, 0, 0, 0, 3, 0}, {3, 3});
  const cp::CsrMatrix a = cp::to_csr(d);
  EXPECT_EQ(a.rows, 3);
  EXPECT_EQ(a.cols, 3);
  EXPECT_EQ(a.row_ptr, (std::vector<std::int64_t>{0, 2, 2, 3}));
  EXPECT_EQ(a.col_index, (std::vector<std::int32_t>{0, 2, 1}));
  EXPECT_EQ(a.values, (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(a.nnz(), 3);
  EXPECT_DOUBLE_EQ(a.density(), 3.0 / 9.0);
  EXPECT_EQ(a.bytes(), 4 * 8 + 3 * 4 + 3 * 4);
  EXPECT_EQ(cp::to_dense(a).to_vector(), d.to_vector());
}

TEST(Csr, RoundTripsEverySparsityAndShape) {
  for (double s : {0.0, 0.5, 0.9, 1.0}) {
    for (const auto& [r, c] : {std::pair<std::int64_t, std::int64_t>{1, 1}, {5, 17}, {64, 128}, {0, 4}, {3, 0}}) {
      const Tensor d = sparse_random(r, c, s, 7);
      const cp::CsrMatrix a = cp::to_csr(d);
      EXPECT_NO_THROW(cp::check_csr(a));
      EXPECT_EQ(cp::to_dense(a).to_vector(), d.to_vector());
      EXPECT_EQ(cp::to_dense(a).shape(), d.shape());
    }
  }
  // A non-contiguous view is read by its values.
  const Tensor d = sparse_random(6, 4, 0.5, 1);
  EXPECT_EQ(cp::to_dense(cp::to_csr(d.transpose())).to_vector(), d.transpose().contiguous().to_vector());
}

TEST(Spmm, EqualsTheDenseProduct) {
  for (double s : {0.0, 0.5, 0.9, 0.99}) {
    const Tensor w = sparse_random(37, 53, s, 11);
    const Tensor b = gb::Rng(12).normal({53, 19});
    const Tensor c = cp::spmm(cp::to_csr(w), b);
    ASSERT_EQ(c.shape(), (gb::Shape{37, 19}));
    const auto expected = matmul_definition(w, b);
    const auto got = c.to_vector();
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4) << i;
  }
  // All zeros: an all-zero result.
  const Tensor c = cp::spmm(cp::to_csr(Tensor::zeros({3, 4})), Tensor::ones({4, 2}));
  EXPECT_EQ(c.to_vector(), std::vector<double>(6, 0.0));
}

TEST(SparseLinear, EqualsXTimesWTransposedPlusBias) {
  const Tensor w = sparse_random(10, 64, 0.8, 3);
  const Tensor x = gb::Rng(4).normal({5, 64});
  const Tensor bias = gb::Rng(5).normal(gb::Shape{10});
  const Tensor y = cp::sparse_linear(x, cp::to_csr(w), bias);
  ASSERT_EQ(y.shape(), (gb::Shape{5, 10}));
  const auto xw = matmul_definition(x, w.transpose().contiguous());
  const auto bv = bias.to_vector(), got = y.to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], xw[i] + bv[i % 10], 1e-4) << i;
  const Tensor no_bias = cp::sparse_linear(x, cp::to_csr(w), Tensor());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(no_bias.to_vector()[i], xw[i], 1e-4) << i;
}

TEST(Csr, BadInputsAreErrorsNamingTheArray) {
  EXPECT_NE(error_of([] { cp::to_csr(Tensor::zeros({2, 2, 2})); }).find("2-D f32"), std::string::npos);
  EXPECT_NE(error_of([] { cp::to_csr(Tensor::zeros({2, 2}, DType::f64)); }).find("f64"), std::string::npos);
  EXPECT_THROW(cp::to_csr(Tensor()), gb::Error);
  const cp::CsrMatrix good = cp::to_csr(Tensor::from_values({1, 0, 2, 0, 3, 0}, {2, 3}));
  cp::CsrMatrix a = good;
  a.row_ptr.pop_back();
  EXPECT_NE(error_of([&] { cp::check_csr(a); }).find("row_ptr"), std::string::npos);
  a = good;
  a.col_index[1] = 3;
  EXPECT_NE(error_of([&] { cp::check_csr(a); }).find("col_index"), std::string::npos);
  a = good;
  a.col_index[1] = 0;  // row 0: columns 0, 0
  EXPECT_NE(error_of([&] { cp::check_csr(a); }).find("increasing"), std::string::npos);
  a = good;
  a.values.pop_back();
  EXPECT_NE(error_of([&] { cp::check_csr(a); }).find("values"), std::string::npos);
  a = good;
  a.row_ptr = {0, 1, 2};  // ends before the last value
  EXPECT_NE(error_of([&] { cp::check_csr(a); }).find("row_ptr"), std::string::npos);
  a = good;
  a.row_ptr = {0, 3, 2};
  EXPECT_THROW(cp::check_csr(a), gb::Error);
  EXPECT_THROW(cp::to_dense(a), gb::Error);
  EXPECT_NE(error_of([&] { cp::spmm(good, Tensor::ones({2, 2})); }).find("[3, n]"), std::string::npos);
  EXPECT_THROW(cp::spmm(good, Tensor::ones({3, 2}, DType::f64)), gb::Error);
  EXPECT_NE(error_of([&] { cp::sparse_linear(Tensor::ones({4, 2}), good, Tensor()); }).find("[N, 3]"), std::string::npos);
  EXPECT_NE(error_of([&] { cp::sparse_linear(Tensor::ones({4, 3}), good, Tensor::ones({3})); }).find("bias"),
            std::string::npos);
}

TEST(Csr, APrunedWeightTakesLessMemoryOnlyBeyondHalfSparsity) {
  const Tensor w = gb::Rng(9).normal({128, 64});
  const std::int64_t dense_bytes = w.numel() * 4;
  const cp::CsrMatrix at_90 = cp::to_csr(gb::mul(w, cp::magnitude_mask(w, 0.9)));
  EXPECT_EQ(at_90.nnz(), w.numel() - cp::prune_count(w.numel(), 0.9));
  EXPECT_LT(at_90.bytes(), dense_bytes);
  const cp::CsrMatrix at_30 = cp::to_csr(gb::mul(w, cp::magnitude_mask(w, 0.3)));
  EXPECT_GT(at_30.bytes(), dense_bytes);
}

}  // namespace
