// gemm_v3_blocked.cpp: rung 3: cache blocking, the three outer loops of Goto / BLIS.
//
// What changes: C is computed block by block. The loops jc (step NC), pc (step KC) and ic (step MC)
// cut the problem so that, inside one (jc, pc, ic) iteration, the ikj loops of rung 2 touch only
//   an MC x KC block of A   (reused for every column of the block: it stays in L2),
//   a KC x NC panel of B    (reused by every MC block of rows: it stays in L3, KC rows of it in L1/L2),
//   an MC x NC block of C   (updated K/KC times, each time with KC more terms).
// Why it is faster: each element of B comes from memory about once per MC rows of A instead of once
// per row, and the block of A is reused from cache for all NC columns. The flops are the same, and
// the terms are added into each element of C in the same p order as rung 2.
// What it still does badly: the blocks are read in place with the strides of A and B (lda, ldb, a
// transpose), so rows of a block are far apart in memory (TLB misses, cache-set conflicts when lda is
// a power of two). Rung 4 copies ("packs") each block into a contiguous buffer.
#include <algorithm>

#include "gb/core/error.hpp"  // GB_TODO, in the student kit
#include "gemm_internal.hpp"

namespace gb::kernels::detail {

void gemm_blocked(const GemmArgs& g) {
  // BEGIN EXERCISE(kernels.gemm.blocked_loops)
  const MatrixView a = op_a(g), b = op_b(g);
  const Blocking& blk = g.blocking;
  for (std::int64_t jc = 0; jc < g.n; jc += blk.nc) {        // 5th loop: a panel of columns of B and C
    const std::int64_t nc = std::min(blk.nc, g.n - jc);
    for (std::int64_t pc = 0; pc < g.k; pc += blk.kc) {      // 4th loop: KC terms of every dot product
      const std::int64_t kc = std::min(blk.kc, g.k - pc);
      for (std::int64_t ic = 0; ic < g.m; ic += blk.mc) {    // 3rd loop: a block of rows of A and C
        const std::int64_t mc = std::min(blk.mc, g.m - ic);
        // Inside the block: rung 2's ikj loops on C[ic:ic+mc, jc:jc+nc] += A[ic.., pc..] B[pc.., jc..].
        for (std::int64_t i = ic; i < ic + mc; ++i) {
          for (std::int64_t p = pc; p < pc + kc; ++p) {
            axpy(nc, g.alpha * a(i, p), b.ptr(p, jc), b.col_stride, g.c + i * g.ldc + jc);
          }
        }
      }
    }
  }
  // END EXERCISE
}

}  // namespace gb::kernels::detail
