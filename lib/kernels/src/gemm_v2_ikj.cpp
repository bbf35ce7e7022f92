// gemm_v2_ikj.cpp: rung 2: the same arithmetic with the loops in the order i, p, j.
//
// What changes: the two inner loops swap. For a fixed A[i][p], the inner loop adds A[i][p] * B[p][:]
// into C[i][:]: both rows are read with stride 1, so each cache line brings 16 useful floats instead
// of one, the hardware prefetcher follows the stream, and the compiler vectorises the j loop (an
// "axpy"). Nothing else changes: same flops, same order of additions per element of C.
// What it still does badly: for large N a whole row of C and all of B are streamed once per i, so
// B (K x N floats) is re-read from memory M times. Rung 3 fixes that with cache blocks.
#include "gemm_internal.hpp"

namespace gb::kernels::detail {

void gemm_ikj(const GemmArgs& g) {
  const MatrixView a = op_a(g), b = op_b(g);
  for (std::int64_t i = 0; i < g.m; ++i) {
    for (std::int64_t p = 0; p < g.k; ++p) {
      // C[i][:] += alpha * A[i][p] * B[p][:]: a row of B into a row of C, both with stride 1
      // (a transposed B has stride ldb along its rows; axpy in gemm_internal.hpp takes either).
      axpy(g.n, g.alpha * a(i, p), b.ptr(p, 0), b.col_stride, g.c + i * g.ldc);
    }
  }
}

}  // namespace gb::kernels::detail
