// sparse.hpp: a pruned weight stored as CSR (compressed sparse row) and the sparse x dense product.
//
// CSR keeps, row by row, only the nonzero values and their column indices:
//     values     the nonzeros, row after row                      (nnz floats)
//     col_index  the column of each value                          (nnz int32)
//     row_ptr    where each row starts in values; row_ptr[rows] = nnz   (rows + 1)
// so a matrix with a fraction s of zeros takes about (1 - s) * 8 bytes per entry instead of 4: it saves
// memory only beyond 50% sparsity, and time only where skipping the zeros beats the dense kernel's
// regular, vectorised loop (bench/bench_compress.cpp measures where that happens).
#pragma once

#include <cstdint>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::compress {

struct CsrMatrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<std::int64_t> row_ptr;   // rows + 1 entries
  std::vector<std::int32_t> col_index; // nnz entries, increasing within a row
  std::vector<float> values;           // nnz entries

  std::int64_t nnz() const { return static_cast<std::int64_t>(values.size()); }
  std::int64_t bytes() const;          // of the three arrays
  double density() const;              // nnz / (rows * cols)
};

// The exact zeros of a 2-D f32 tensor are left out. Throws gb::Error for another rank or dtype, or
// more than 2^31 - 1 columns.
CsrMatrix to_csr(const Tensor& dense);
Tensor to_dense(const CsrMatrix& a);
// Throws gb::Error naming the array when row_ptr, col_index or values do not describe a valid matrix.
void check_csr(const CsrMatrix& a);

// [rows, cols] (sparse) x [cols, n] (dense, f32) -> [rows, n]: for each nonzero a(r, k), row r of the
// result gains a(r, k) * b[k, :]. Throws gb::Error for mismatched shapes.
Tensor spmm(const CsrMatrix& a, const Tensor& b);

// A Linear layer with a CSR weight: x [N, in] -> x W^T + bias [N, out] (bias may be undefined).
Tensor sparse_linear(const Tensor& x, const CsrMatrix& weight, const Tensor& bias);

}  // namespace gb::compress
