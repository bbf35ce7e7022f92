// sparse.cpp: CSR storage of a pruned weight and the sparse x dense product (sparse.hpp).
#include "gb/compress/sparse.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gb/core/error.hpp"

namespace gb::compress {

std::int64_t CsrMatrix::bytes() const {
  return static_cast<std::int64_t>(row_ptr.size() * sizeof(std::int64_t) + col_index.size() * sizeof(std::int32_t) +
                                   values.size() * sizeof(float));
}

double CsrMatrix::density() const {
  const double entries = static_cast<double>(rows) * static_cast<double>(cols);
  return entries > 0 ? static_cast<double>(nnz()) / entries : 0.0;
}

CsrMatrix to_csr(const Tensor& dense) {
  const std::string op = "to_csr";
  if (!dense.defined() || dense.dtype() != DType::f32 || dense.ndim() != 2)
    throw Error(op, "a 2-D f32 tensor",
                dense.defined() ? std::string(dtype_name(dense.dtype())) + " " + shape_str(dense.shape()) : "an undefined tensor");
  if (dense.size(1) > std::numeric_limits<std::int32_t>::max())
    throw Error(op, "at most 2^31 - 1 columns (int32 column indices)", std::to_string(dense.size(1)));
  const Tensor d = dense.contiguous();
  CsrMatrix a;
  a.rows = d.size(0);
  a.cols = d.size(1);
  a.row_ptr.reserve(static_cast<std::size_t>(a.rows + 1));
  a.row_ptr.push_back(0);
  const float* v = d.data<float>();
  // Row by row, left to right: each nonzero appends its value and column; row_ptr[r + 1] is where the
  // next row will start, i.e. the number of nonzeros so far.
  for (std::int64_t r = 0; r < a.rows; ++r) {
    for (std::int64_t c = 0; c < a.cols; ++c) {
      const float x = v[r * a.cols + c];
      if (x != 0.0f) {
        a.values.push_back(x);
        a.col_index.push_back(static_cast<std::int32_t>(c));
      }
    }
    a.row_ptr.push_back(a.nnz());
  }
  return a;
}

void check_csr(const CsrMatrix& a) {
  const std::string op = "check_csr";
  if (a.rows < 0 || a.cols < 0 || a.cols > std::numeric_limits<std::int32_t>::max())
    throw Error(op, "rows >= 0 and 0 <= cols < 2^31", std::to_string(a.rows) + " x " + std::to_string(a.cols));
  if (a.row_ptr.size() != static_cast<std::size_t>(a.rows + 1))
    throw Error(op, "row_ptr of rows + 1 = " + std::to_string(a.rows + 1) + " entries", std::to_string(a.row_ptr.size()));
  if (a.col_index.size() != a.values.size())
    throw Error(op, "col_index and values of equal length (nnz)",
                std::to_string(a.col_index.size()) + " and " + std::to_string(a.values.size()));
  if (a.row_ptr.front() != 0) throw Error(op, "row_ptr[0] == 0", std::to_string(a.row_ptr.front()));
  if (a.row_ptr.back() != a.nnz())
    throw Error(op, "row_ptr[rows] == nnz = " + std::to_string(a.nnz()), std::to_string(a.row_ptr.back()));
  for (std::int64_t r = 0; r < a.rows; ++r) {
    const auto begin = a.row_ptr[static_cast<std::size_t>(r)], end = a.row_ptr[static_cast<std::size_t>(r + 1)];
    if (begin > end) throw Error(op, "row_ptr non-decreasing", "row_ptr[" + std::to_string(r) + "] > row_ptr[" + std::to_string(r + 1) + "]");
    for (auto i = begin; i < end; ++i) {
      const std::int32_t c = a.col_index[static_cast<std::size_t>(i)];
      if (c < 0 || c >= a.cols)
        throw Error(op, "col_index in [0, " + std::to_string(a.cols) + ")", std::to_string(c) + " at " + std::to_string(i));
      if (i > begin && c <= a.col_index[static_cast<std::size_t>(i - 1)])
        throw Error(op, "col_index increasing within each row", "row " + std::to_string(r) + " at " + std::to_string(i));
    }
  }
}

Tensor to_dense(const CsrMatrix& a) {
  check_csr(a);
  Tensor d = Tensor::zeros({a.rows, a.cols}, DType::f32);
  float* v = d.data<float>();
  for (std::int64_t r = 0; r < a.rows; ++r)
    for (auto i = a.row_ptr[static_cast<std::size_t>(r)]; i < a.row_ptr[static_cast<std::size_t>(r + 1)]; ++i)
      v[r * a.cols + a.col_index[static_cast<std::size_t>(i)]] = a.values[static_cast<std::size_t>(i)];
  return d;
}

Tensor spmm(const CsrMatrix& a, const Tensor& b) {
  const std::string op = "spmm";
  check_csr(a);
  if (!b.defined() || b.dtype() != DType::f32 || b.ndim() != 2 || b.size(0) != a.cols)
    throw Error(op, "a dense f32 [" + std::to_string(a.cols) + ", n] right operand",
                b.defined() ? std::string(dtype_name(b.dtype())) + " " + shape_str(b.shape()) : "an undefined tensor");
  const Tensor bc = b.contiguous();
  const std::int64_t n = bc.size(1);
  Tensor c = Tensor::zeros({a.rows, n}, DType::f32);
  const float* B = bc.data<float>();
  float* C = c.data<float>();
  // Row r of C = sum over the nonzeros a(r, k) of a(r, k) * row k of B: one axpy per nonzero, over
  // contiguous rows, which the compiler vectorises. The zeros of A cost nothing; the price is the
  // indirection through col_index, which makes the B rows read in no predictable order.
  for (std::int64_t r = 0; r < a.rows; ++r) {
    float* c_row = C + r * n;
    for (auto i = a.row_ptr[static_cast<std::size_t>(r)]; i < a.row_ptr[static_cast<std::size_t>(r + 1)]; ++i) {
      const float a_rk = a.values[static_cast<std::size_t>(i)];
      const float* b_row = B + static_cast<std::int64_t>(a.col_index[static_cast<std::size_t>(i)]) * n;
      for (std::int64_t j = 0; j < n; ++j) c_row[j] += a_rk * b_row[j];
    }
  }
  return c;
}

Tensor sparse_linear(const Tensor& x, const CsrMatrix& weight, const Tensor& bias) {
  const std::string op = "sparse_linear";
  check_csr(weight);
  if (!x.defined() || x.dtype() != DType::f32 || x.ndim() != 2 || x.size(1) != weight.cols)
    throw Error(op, "an f32 input [N, " + std::to_string(weight.cols) + "]",
                x.defined() ? std::string(dtype_name(x.dtype())) + " " + shape_str(x.shape()) : "an undefined tensor");
  if (bias.defined() && (bias.dtype() != DType::f32 || bias.shape() != Shape{weight.rows}))
    throw Error(op, "an f32 bias [" + std::to_string(weight.rows) + "] (or none)",
                std::string(dtype_name(bias.dtype())) + " " + shape_str(bias.shape()));
  // y = x W^T + b. With W [out, in] in CSR, W x^T is the sparse x dense product: [out, in] x [in, N]
  // -> [out, N], transposed back to [N, out]. (x^T is copied once so B's rows are contiguous.)
  const Tensor yt = spmm(weight, x.transpose().contiguous());
  Tensor y = yt.transpose().contiguous();
  if (bias.defined()) {
    const Tensor bc = bias.contiguous();
    float* Y = y.data<float>();
    const float* b = bc.data<float>();
    for (std::int64_t r = 0; r < y.size(0); ++r)
      for (std::int64_t j = 0; j < weight.rows; ++j) Y[r * weight.rows + j] += b[j];
  }
  return y;
}

}  // namespace gb::compress
