// record_gemm.cpp: the recording of lesson 19's blocked GEMM: which block of C is computed, which
// panels of A and B are packed, and each micro-tile (and, finely, each rank-1 update) of C.
//
// This is an instrumented copy of gemm_five_loops (gemm_v4_packed.cpp) with the same loops, the
// same packing routines (pack_a, pack_b) and the same micro-kernel contract, written out so that
// each loop can say what it does. The kernels themselves never record.
#include <algorithm>
#include <string>

#include "gb/core/error.hpp"
#include "gb/kernels/recordings.hpp"
#include "gb/trace/tensor_scene.hpp"
#include "gemm_internal.hpp"

namespace gb::kernels {
namespace {

std::string range(std::int64_t begin, std::int64_t size) {
  return std::to_string(begin) + ":" + std::to_string(begin + size);
}

// Flat cell indices of the rows x cols block at (r0, c0) of a matrix with `ld` columns.
std::vector<std::int64_t> block_cells(std::int64_t r0, std::int64_t c0, std::int64_t rows, std::int64_t cols,
                                      std::int64_t ld) {
  std::vector<std::int64_t> cells;
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) cells.push_back((r0 + i) * ld + c0 + j);
  }
  return cells;
}

std::vector<std::int64_t> iota_cells(std::int64_t first, std::int64_t count) {
  std::vector<std::int64_t> cells(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) cells[static_cast<std::size_t>(i)] = first + i;
  return cells;
}

}  // namespace

Tensor record_gemm_blocking(trace::Recorder& rec, std::int64_t m, std::int64_t n, std::int64_t k,
                            const RecordBlocking& blk, bool elements) {
  if (m < 1 || m > 32 || n < 1 || n > 32 || k < 1 || k > 32) {
    throw Error("record_gemm_blocking", "M, N, K in [1, 32] (a size worth watching)",
                "M = " + std::to_string(m) + ", N = " + std::to_string(n) + ", K = " + std::to_string(k));
  }
  if (blk.mc < 1 || blk.kc < 1 || blk.nc < 1 || blk.mr < 1 || blk.nr < 1) {
    throw Error("record_gemm_blocking", "MC, KC, NC, MR, NR >= 1",
                "MC = " + std::to_string(blk.mc) + ", KC = " + std::to_string(blk.kc) + ", NC = " +
                    std::to_string(blk.nc) + ", MR = " + std::to_string(blk.mr) + ", NR = " + std::to_string(blk.nr));
  }
  // Small integers, so every partial sum is exact and easy to read.
  std::vector<double> av, bv;
  for (std::int64_t i = 0; i < m * k; ++i) av.push_back(static_cast<double>(i % 7 - 3));
  for (std::int64_t i = 0; i < k * n; ++i) bv.push_back(static_cast<double>(i % 5 - 2));
  const Tensor a = Tensor::from_values(av, {m, k}), b = Tensor::from_values(bv, {k, n});
  Tensor c = Tensor::zeros({m, n});
  const std::int64_t mc_max = std::min(blk.mc, m), kc_max = std::min(blk.kc, k), nc_max = std::min(blk.nc, n);
  const std::int64_t a_size = (mc_max + blk.mr - 1) / blk.mr * blk.mr * kc_max;
  const std::int64_t b_size = (nc_max + blk.nr - 1) / blk.nr * blk.nr * kc_max;

  rec.add_scene(trace::tensor_scene("A", "A (M x K)", a));
  rec.add_scene(trace::tensor_scene("B", "B (K x N)", b));
  rec.add_scene(trace::tensor_scene("C", "C = A B (M x N)", c));
  rec.add_scene(trace::tensor_scene("A_packed", "packed block of A (MR-row slivers, column by column)",
                                    Tensor::zeros({1, a_size})));
  rec.add_scene(trace::tensor_scene("B_packed", "packed panel of B (NR-column slivers, row by row)",
                                    Tensor::zeros({1, b_size})));
  rec.step("C = A B in blocks: NC = " + std::to_string(blk.nc) + " columns, KC = " + std::to_string(blk.kc) +
               " terms, MC = " + std::to_string(blk.mc) + " rows, micro-tiles of " + std::to_string(blk.mr) +
               " x " + std::to_string(blk.nr) + ".",
           trace::Level::pass);

  const detail::MatrixView va{a.data<float>(), k, 1}, vb{b.data<float>(), n, 1};
  std::vector<float> a_packed(static_cast<std::size_t>(a_size)), b_packed(static_cast<std::size_t>(b_size));
  std::vector<double> acc(static_cast<std::size_t>(m * n), 0.0);  // C, exact
  for (std::int64_t jc = 0; jc < n; jc += blk.nc) {
    const std::int64_t nc = std::min(blk.nc, n - jc);
    for (std::int64_t pc = 0; pc < k; pc += blk.kc) {
      const std::int64_t kc = std::min(blk.kc, k - pc);
      detail::pack_b(vb, pc, jc, kc, nc, blk.nr, b_packed.data());
      const std::int64_t b_used = (nc + blk.nr - 1) / blk.nr * blk.nr * kc;
      rec.step("Pack the panel B[" + range(pc, kc) + ", " + range(jc, nc) + "] into slivers of " +
                   std::to_string(blk.nr) + " columns: every block of rows of A will reuse it.",
               trace::Level::op)
          .read_cells("B", block_cells(pc, jc, kc, nc, n))
          .write_cells("B_packed", iota_cells(0, b_used),
                       std::vector<double>(b_packed.begin(), b_packed.begin() + b_used));
      for (std::int64_t ic = 0; ic < m; ic += blk.mc) {
        const std::int64_t mc = std::min(blk.mc, m - ic);
        detail::pack_a(va, ic, pc, mc, kc, blk.mr, a_packed.data());
        const std::int64_t a_used = (mc + blk.mr - 1) / blk.mr * blk.mr * kc;
        rec.step("Block C[" + range(ic, mc) + ", " + range(jc, nc) + "]: pack A[" + range(ic, mc) + ", " +
                     range(pc, kc) + "] into slivers of " + std::to_string(blk.mr) + " rows.",
                 trace::Level::op)
            .read_cells("C", block_cells(ic, jc, mc, nc, n))
            .read_cells("A", block_cells(ic, pc, mc, kc, k))
            .write_cells("A_packed", iota_cells(0, a_used),
                         std::vector<double>(a_packed.begin(), a_packed.begin() + a_used));
        for (std::int64_t jr = 0; jr < nc; jr += blk.nr) {
          const std::int64_t cols = std::min(blk.nr, nc - jr);
          for (std::int64_t ir = 0; ir < mc; ir += blk.mr) {
            const std::int64_t rows = std::min(blk.mr, mc - ir);
            const std::int64_t a_sliver = ir * kc, b_sliver = jr * kc;  // offsets in the packed buffers
            const std::int64_t r0 = ic + ir, c0 = jc + jr;
            for (std::int64_t p = 0; p < kc; ++p) {  // the micro-kernel: kc rank-1 updates of the tile
              for (std::int64_t i = 0; i < rows; ++i) {
                for (std::int64_t j = 0; j < cols; ++j) {
                  acc[static_cast<std::size_t>((r0 + i) * n + c0 + j)] +=
                      static_cast<double>(a_packed[static_cast<std::size_t>(a_sliver + p * blk.mr + i)]) *
                      b_packed[static_cast<std::size_t>(b_sliver + p * blk.nr + j)];
                }
              }
              if (elements) {
                std::vector<double> tile;
                for (std::int64_t cell : block_cells(r0, c0, rows, cols, n)) tile.push_back(acc[static_cast<std::size_t>(cell)]);
                rec.step("Term p = " + std::to_string(pc + p) + ": column " + std::to_string(p) +
                             " of the A sliver times row " + std::to_string(p) +
                             " of the B sliver adds one product to each element of the tile.",
                         trace::Level::element)
                    .read_cells("A_packed", iota_cells(a_sliver + p * blk.mr, blk.mr))
                    .read_cells("B_packed", iota_cells(b_sliver + p * blk.nr, blk.nr))
                    .write_cells("C", block_cells(r0, c0, rows, cols, n), tile);
              }
            }
            std::vector<double> tile;
            for (std::int64_t cell : block_cells(r0, c0, rows, cols, n)) tile.push_back(acc[static_cast<std::size_t>(cell)]);
            rec.step("Micro-tile C[" + range(r0, rows) + ", " + range(c0, cols) + "] += A sliver x B sliver: " +
                         std::to_string(kc) + " terms, the tile kept in registers.",
                     trace::Level::tile)
                .read_cells("A_packed", iota_cells(a_sliver, blk.mr * kc))
                .read_cells("B_packed", iota_cells(b_sliver, blk.nr * kc))
                .write_cells("C", block_cells(r0, c0, rows, cols, n), tile);
          }
        }
      }
    }
  }
  for (std::int64_t i = 0; i < m * n; ++i) c.data<float>()[i] = static_cast<float>(acc[static_cast<std::size_t>(i)]);
  return c;
}

}  // namespace gb::kernels
