// conv_recordings.hpp: what lessons 20, 21 and 22 show in the viewer, made by instrumented copies of
// the convolution loops on small deterministic inputs (small integers, so every sum is exact). They
// call the real pieces (im2col, spatial_pack_tile, winograd_tile_transform, build_indirection_buffer,
// gemm, conv2d); the kernels themselves never record, so recording off costs nothing.
// Every function returns what it computed, which equals conv2d(..., ConvAlgo::direct) on the same
// input, and throws gb::Error for sizes too large to watch.
#pragma once

#include <cstdint>

#include "gb/core/tensor.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::kernels {

// Lesson 20. One channel H x W (padded with `pad` zeros on every side), one kernel k x k. Scenes
// "input" (the padded input), "kernel", "output". One op step per output cell: the window's cells
// read, the output cell written; with `elements`, one element step per multiply-add. H, W <= 12.
Tensor record_sliding_window(trace::Recorder& rec, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel,
                             std::int64_t stride = 1, std::int64_t pad = 0, bool elements = false);

// Lesson 20. Scenes "input" ([C*H, W]), "col" (the column matrix, (C*k*k) x (OH*OW)), "weights"
// (OC x C*k*k), "output" (OC x OH*OW). Op steps: the column matrix built row by row (each row = one
// tap of one channel, the input cells it copies read), then the GEMM, one step per output row.
// Returns y [1, OC, OH, OW]. C, OC <= 4, H, W <= 8.
Tensor record_im2col(trace::Recorder& rec, std::int64_t channels, std::int64_t in_h, std::int64_t in_w,
                     std::int64_t out_channels, std::int64_t kernel, std::int64_t stride = 1, std::int64_t pad = 0);

// Lesson 20. One channel, one k x k filter, output tiles of tile x tile. Scenes "input", "packed" (the
// packed tile with its halo), "output" and table "tiles" (each tile: output rows/cols, input rows/cols
// with halo, halo cells). Per tile: a step packing it (tile and halo cells read), a step with only
// the halo (the cells shared with neighbouring tiles), a step writing the output tile. H, W <= 16.
Tensor record_spatial_pack(trace::Recorder& rec, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel,
                           std::int64_t tile, std::int64_t stride = 1, std::int64_t pad = 0);

// Lesson 21. One tile of F(m x m, 3 x 3), m = 2 or 4: scenes "d" (alpha x alpha input tile), "g"
// (3 x 3 filter), "U" = G g GT, "V" = BT d B, "M" = U (.) V, "Y" = AT M A, "direct" (the same m x m
// outputs by direct convolution), plot "multiplications" (series "winograd" and "direct", one point
// per multiplication, counted where the multiplication happens) and table "count". Steps: the four
// stages (each product of stage 3 an element step), then direct convolution's products.
struct WinogradTileCount {
  std::int64_t winograd = 0;  // element-wise products: alpha^2 (16 or 36)
  std::int64_t direct = 0;    // m^2 * 9 (36 or 144)
  double max_abs_diff = 0;    // |Y - direct|, max over the tile
};
WinogradTileCount record_winograd_tile(trace::Recorder& rec, std::int64_t m);

// Lesson 22. One image of C channels H x W, OC filters k x k. Scenes: graph "indirection" (a node
// per buffer entry (pixel, tap), a node per input pixel (its row of C channels in NHWC), the node
// "zero" for the shared zero vector; edges added step by step: each entry's pointer), tensor
// "buffer" (pixels x taps: the input pixel index h*W + w each entry points to, -1 = zero vector),
// "output" (OC x OH*OW). Op steps: one per output pixel (its KH*KW pointers); tile steps: one per
// MR x NR micro-kernel call (ceil(OH*OW/MR) * ceil(OC/NR) of them). Returns y [1, OC, OH, OW].
// C, OC <= 8, H, W <= 6.
Tensor record_indirection(trace::Recorder& rec, std::int64_t channels, std::int64_t in_h, std::int64_t in_w,
                          std::int64_t out_channels, std::int64_t kernel, std::int64_t stride = 1, std::int64_t pad = 0);

}  // namespace gb::kernels
