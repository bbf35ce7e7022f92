// recordings.hpp: what lessons 18 and 19 show in the viewer, made by instrumented copies of the
// kernels' loops (the kernels themselves never record: they stay as fast with or without a Recorder).
#pragma once

#include <cstdint>

#include "gb/core/tensor.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/kernels/layout.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::kernels {

// Blocking of the recorded GEMM: the cache blocks and the micro-tile, small enough to watch.
struct RecordBlocking {
  std::int64_t mc = 4, kc = 4, nc = 4, mr = 2, nr = 2;
};

// Records the five-loop GEMM on small deterministic matrices A (M x K) and B (K x N) into scenes
// "A", "B", "C" (tensor scenes) and a text scene "loops" with the loop nest (cursor on the loop that
// acts). Steps: op level "block of C" (jc, ic) and "pack panel of B" / "pack block of A" (cells read),
// tile level one micro-tile of C (cells written with their partial sums after this KC slice),
// element level (only when `elements` is true) each multiply-add into the first micro-tile.
// Returns C, which equals matmul(A, B). M, N, K in [1, 32]; throws gb::Error otherwise.
Tensor record_gemm_blocking(trace::Recorder& rec, std::int64_t m, std::int64_t n, std::int64_t k,
                            const RecordBlocking& blocking = {}, bool elements = false);

// The NCHW vs NCHWx memory strip: scenes "logical" (the tensor as [N*C*H, W], values 1..numel in
// NCHW order), "nchw" (one row: NCHW memory) and "blocked" (one row: NCHWx memory, padding 0).
// One op-level step per channel block, one element-level step per element: element (n, c, h, w)
// read at its NCHW offset and written at its NCHWx offset; padding slots get a step of their own.
// Returns the blocked tensor (what to_layout gives). Throws gb::Error for sizes with more than 512
// elements or a bad x.
Tensor record_layout_strip(trace::Recorder& rec, const Dims& dims, std::int64_t x = 4);

}  // namespace gb::kernels
