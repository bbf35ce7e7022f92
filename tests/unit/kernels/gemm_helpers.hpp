// gemm_helpers.hpp: one GEMM case checked against gb::matmul, shared by the unit and exercise tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/kernels/gemm.hpp"

namespace gb_kernels_test {

struct GemmCase {
  std::int64_t m, n, k;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 0.0f;
  std::int64_t pad = 0;  // extra columns in every leading dimension (filled with NaN / a sentinel)
  gb::kernels::Blocking blocking{};
  int threads = 0;
};

inline std::string describe(gb::kernels::Variant v, const GemmCase& c) {
  return std::string(gb::kernels::variant_name(v)) + " M=" + std::to_string(c.m) + " N=" + std::to_string(c.n) +
         " K=" + std::to_string(c.k) + (c.trans_a ? " A^T" : "") + (c.trans_b ? " B^T" : "") +
         " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) + " pad=" + std::to_string(c.pad) +
         " MC=" + std::to_string(c.blocking.mc) + " KC=" + std::to_string(c.blocking.kc) +
         " NC=" + std::to_string(c.blocking.nc);
}

// A stored rows x cols matrix with leading dimension cols + pad; the padding holds `fill`.
inline std::vector<float> stored(gb::Rng& rng, std::int64_t rows, std::int64_t cols, std::int64_t pad, float fill) {
  std::vector<float> v(static_cast<std::size_t>(std::max<std::int64_t>(1, rows * (cols + pad))), fill);
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) v[static_cast<std::size_t>(i * (cols + pad) + j)] = static_cast<float>(rng.uniform(-1, 1));
  }
  return v;
}

// The logical rows x cols matrix of a stored one (transposed or not) as a Tensor.
inline gb::Tensor logical(const std::vector<float>& v, std::int64_t rows, std::int64_t cols, std::int64_t ld, bool trans) {
  gb::Tensor t = gb::Tensor::zeros({rows, cols});
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      t.set({i, j}, v[static_cast<std::size_t>(trans ? j * ld + i : i * ld + j)]);
    }
  }
  return t;
}

// Runs the variant on the case and checks C = alpha op(A) op(B) + beta C0 against gb::matmul, that the
// padding of C is untouched and that no NaN of the padding of A and B leaked in. Returns C (M x N).
inline gb::Tensor check_gemm(gb::kernels::Variant v, const GemmCase& c, std::uint64_t seed = 1) {
  gb::Rng rng(seed);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::int64_t a_rows = c.trans_a ? c.k : c.m, a_cols = c.trans_a ? c.m : c.k;
  const std::int64_t b_rows = c.trans_b ? c.n : c.k, b_cols = c.trans_b ? c.k : c.n;
  const std::vector<float> a = stored(rng, a_rows, a_cols, c.pad, nan);
  const std::vector<float> b = stored(rng, b_rows, b_cols, c.pad, nan);
  std::vector<float> cm = stored(rng, c.m, c.n, c.pad, 12345.0f);
  const gb::Tensor c0 = logical(cm, c.m, c.n, c.n + c.pad, false);
  gb::kernels::GemmArgs g;
  g.m = c.m;
  g.n = c.n;
  g.k = c.k;
  g.alpha = c.alpha;
  g.beta = c.beta;
  g.a = a.data();
  g.lda = std::max<std::int64_t>(1, a_cols + c.pad);
  g.trans_a = c.trans_a;
  g.b = b.data();
  g.ldb = std::max<std::int64_t>(1, b_cols + c.pad);
  g.trans_b = c.trans_b;
  g.c = cm.data();
  g.ldc = std::max<std::int64_t>(1, c.n + c.pad);
  g.blocking = c.blocking;
  g.threads = c.threads;
  gb::kernels::gemm(v, g);

  const gb::Tensor opa = logical(a, c.m, c.k, g.lda, c.trans_a), opb = logical(b, c.k, c.n, g.ldb, c.trans_b);
  const gb::Tensor ab = c.k == 0 ? gb::Tensor::zeros({c.m, c.n}) : gb::matmul(opa, opb);
  const gb::Tensor got = logical(cm, c.m, c.n, g.ldc, false);
  // alpha * AB + beta * C0, element by element (no broadcasting op: that is an exercise of lesson 00).
  gb::Tensor want = gb::Tensor::zeros({c.m, c.n});
  for (std::int64_t i = 0; i < c.m; ++i) {
    for (std::int64_t j = 0; j < c.n; ++j) {
      want.set({i, j}, c.alpha * ab.at({i, j}) + (c.beta == 0.0f ? 0.0 : c.beta * c0.at({i, j})));
    }
  }
  const double atol = 1e-5 * (1.0 + static_cast<double>(c.k));
  EXPECT_TRUE(gb::allclose(got, want, 1e-4, atol)) << describe(v, c);
  bool padding_kept = true;
  for (std::int64_t i = 0; i < c.m; ++i) {
    for (std::int64_t j = c.n; j < c.n + c.pad; ++j) padding_kept &= cm[static_cast<std::size_t>(i * g.ldc + j)] == 12345.0f;
  }
  EXPECT_TRUE(padding_kept) << "C padding written: " << describe(v, c);
  return got;
}

}  // namespace gb_kernels_test
