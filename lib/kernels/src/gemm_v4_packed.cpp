// gemm_v4_packed.cpp: rung 4: pack the blocks, then run all five Goto / BLIS loops.
//
// What changes over rung 3: before an MC x KC block of A and a KC x NC panel of B are used, they are
// copied ("packed") into contiguous, 64-byte aligned buffers in exactly the order the innermost loops
// will read them:
//   A block -> slivers of MR rows, each stored column by column: the MR values of one column p
//              sit side by side (a[p*MR + i]);
//   B panel -> slivers of NR columns, each stored row by row: the NR values of one row p sit side by
//              side (b[p*NR + j]).
// The copy costs O(MC*KC + KC*NC) per block against O(MC*NC*KC) flops, and in return every read of the
// inner loops is unit stride from one small contiguous buffer: no TLB misses, no cache-set conflicts
// from a power-of-two lda, prefetch-friendly, the same code for a transposed operand (the transpose is
// absorbed by the packing), and zero padding so that every tile is a full MR x NR.
// The two innermost loops (jr, ir) then walk MR x NR tiles of the C block; each tile is one call of a
// micro-kernel. This rung's micro-kernel is the plain one below, which still updates C in memory at
// every step p; rung 5 changes only that.
#include <algorithm>

#include "gemm_internal.hpp"

namespace gb::kernels::detail {

void pack_a(const MatrixView& a, std::int64_t ic, std::int64_t pc, std::int64_t mc, std::int64_t kc,
            std::int64_t mr, float* packed) {
  for (std::int64_t s = 0; s < mc; s += mr) {  // one sliver of mr rows
    const std::int64_t rows = std::min(mr, mc - s);
    for (std::int64_t p = 0; p < kc; ++p) {
      for (std::int64_t i = 0; i < rows; ++i) packed[p * mr + i] = a(ic + s + i, pc + p);
      for (std::int64_t i = rows; i < mr; ++i) packed[p * mr + i] = 0.0f;  // zero padding
    }
    packed += mr * kc;
  }
}

void pack_b(const MatrixView& b, std::int64_t pc, std::int64_t jc, std::int64_t kc, std::int64_t nc,
            std::int64_t nr, float* packed) {
  for (std::int64_t s = 0; s < nc; s += nr) {  // one sliver of nr columns
    const std::int64_t cols = std::min(nr, nc - s);
    for (std::int64_t p = 0; p < kc; ++p) {
      const float* row = b.data + (pc + p) * b.row_stride + (jc + s) * b.col_stride;
      if (b.col_stride == 1) {
        std::copy(row, row + cols, packed + p * nr);
      } else {
        for (std::int64_t j = 0; j < cols; ++j) packed[p * nr + j] = row[j * b.col_stride];
      }
      std::fill(packed + p * nr + cols, packed + (p + 1) * nr, 0.0f);  // zero padding
    }
    packed += nr * kc;
  }
}

void macro_kernel(const MicroKernel& kernel, std::int64_t mc, std::int64_t nc, std::int64_t kc, float alpha,
                  const float* a_packed, const float* b_packed, float* c, std::int64_t ldc) {
  const std::int64_t mr = kernel.mr, nr = kernel.nr;
  alignas(64) float edge[16 * 32];  // the largest tile (avx512: 12 x 32)
  for (std::int64_t jr = 0; jr < nc; jr += nr) {    // 2nd loop: one KC x NR sliver of B (stays in L1)
    const std::int64_t cols = std::min(nr, nc - jr);
    const float* b_sliver = b_packed + jr * kc;
    for (std::int64_t ir = 0; ir < mc; ir += mr) {  // 1st loop: one MR x KC sliver of A
      const std::int64_t rows = std::min(mr, mc - ir);
      const float* a_sliver = a_packed + ir * kc;
      float* c_tile = c + ir * ldc + jr;
      if (rows == mr && cols == nr) {
        kernel.fn(kc, alpha, a_sliver, b_sliver, c_tile, ldc);
      } else {  // an edge tile: compute the full padded tile aside, add the part that exists
        std::fill(edge, edge + mr * nr, 0.0f);
        kernel.fn(kc, alpha, a_sliver, b_sliver, edge, nr);
        for (std::int64_t i = 0; i < rows; ++i) {
          for (std::int64_t j = 0; j < cols; ++j) c_tile[i * ldc + j] += edge[i * nr + j];
        }
      }
    }
  }
}

void gemm_five_loops(const GemmArgs& g, const MicroKernel& kernel) {
  const MatrixView a = op_a(g), b = op_b(g);
  const Blocking& blk = g.blocking;
  const std::int64_t mr = kernel.mr, nr = kernel.nr;
  // The packed buffers hold one block each, rounded up to whole slivers; reused across calls.
  thread_local AlignedFloats a_buffer, b_buffer;
  const std::int64_t kc_max = std::min(blk.kc, g.k);
  float* a_packed = a_buffer.get(static_cast<std::size_t>((std::min(blk.mc, g.m) + mr - 1) / mr * mr * kc_max));
  float* b_packed = b_buffer.get(static_cast<std::size_t>((std::min(blk.nc, g.n) + nr - 1) / nr * nr * kc_max));
  for (std::int64_t jc = 0; jc < g.n; jc += blk.nc) {        // 5th loop
    const std::int64_t nc = std::min(blk.nc, g.n - jc);
    for (std::int64_t pc = 0; pc < g.k; pc += blk.kc) {      // 4th loop
      const std::int64_t kc = std::min(blk.kc, g.k - pc);
      pack_b(b, pc, jc, kc, nc, nr, b_packed);
      for (std::int64_t ic = 0; ic < g.m; ic += blk.mc) {    // 3rd loop
        const std::int64_t mc = std::min(blk.mc, g.m - ic);
        pack_a(a, ic, pc, mc, kc, mr, a_packed);
        macro_kernel(kernel, mc, nc, kc, g.alpha, a_packed, b_packed, g.c + ic * g.ldc + jc, g.ldc);
      }
    }
  }
}

// The plain micro-kernel of this rung: the right loops over packed data, but C is read and written
// at every step p (the compiler must assume c may alias a or b, so it cannot keep C in registers).
namespace {
constexpr std::int64_t kMR = 4, kNR = 8;
void f32_gemm_4x8_memory(std::int64_t kc, float alpha, const float* a, const float* b, float* c,
                         std::int64_t ldc) {
  for (std::int64_t p = 0; p < kc; ++p) {
    for (std::int64_t i = 0; i < kMR; ++i) {
      const float s = alpha * a[p * kMR + i];
      for (std::int64_t j = 0; j < kNR; ++j) c[i * ldc + j] += s * b[p * kNR + j];
    }
  }
}
}  // namespace

MicroKernel memory_kernel() { return {kMR, kNR, f32_gemm_4x8_memory, "f32_gemm_4x8_memory"}; }

}  // namespace gb::kernels::detail
