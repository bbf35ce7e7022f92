// gemm_v1_naive.cpp: rung 1 of the GEMM ladder: the definition, C[i][j] += alpha * sum_p A[i][p] B[p][j].
//
// One dot product per element of C, loops in the order of the formula (i, j, p). It is correct and
// slow: the inner loop walks down a column of B, one element per row, so every step touches a new
// cache line (and, for large N, a new page): at 1024^3 each multiply-add waits on memory. This is
// the "MMult0" of how-to-optimize-gemm, the baseline every other rung is measured against.
#include "gemm_internal.hpp"

namespace gb::kernels::detail {

void gemm_naive(const GemmArgs& g) {
  const MatrixView a = op_a(g), b = op_b(g);
  for (std::int64_t i = 0; i < g.m; ++i) {
    for (std::int64_t j = 0; j < g.n; ++j) {
      float sum = 0.0f;
      for (std::int64_t p = 0; p < g.k; ++p) sum += a(i, p) * b(p, j);  // B walked down a column
      g.c[i * g.ldc + j] += g.alpha * sum;
    }
  }
}

}  // namespace gb::kernels::detail
