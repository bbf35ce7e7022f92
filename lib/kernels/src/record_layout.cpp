// record_layout.cpp: the recording of lesson 18's memory strip: NCHW memory above, NCHWx below,
// each element moving from its NCHW offset to its NCHWx offset (nchwx_offset, layout.cpp).
#include <algorithm>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/kernels/recordings.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::kernels {

Tensor record_layout_strip(trace::Recorder& rec, const Dims& d, std::int64_t x) {
  const Layout blocked = Layout::nchwx(x);
  if (d.n < 1 || d.c < 1 || d.h < 1 || d.w < 1 || stored_numel(blocked, d) > 512) {
    throw Error("record_layout_strip", "sizes N, C, H, W >= 1 with at most 512 stored elements",
                "N = " + std::to_string(d.n) + ", C = " + std::to_string(d.c) + ", H = " + std::to_string(d.h) +
                    ", W = " + std::to_string(d.w) + ", x = " + std::to_string(x));
  }
  const std::int64_t numel = d.n * d.c * d.h * d.w;
  // Values 1..numel in NCHW order: each value is its own NCHW offset + 1, and padding (0) stands out.
  std::vector<double> values(static_cast<std::size_t>(numel));
  for (std::int64_t i = 0; i < numel; ++i) values[static_cast<std::size_t>(i)] = static_cast<double>(i + 1);
  const Tensor logical = Tensor::from_values(values, {d.n, d.c, d.h, d.w});
  const Tensor result = to_layout(logical, Layout::nchw(), blocked);
  const std::string name = blocked.name();
  rec.add_scene(trace::tensor_scene("logical", "the tensor [N, C, H, W] (rows: n, c, h)", logical));
  rec.add_scene(trace::tensor_scene("nchw", "NCHW memory", logical.reshape({numel})));
  rec.add_scene(trace::tensor_scene("blocked", name + " memory", Tensor::zeros({stored_numel(blocked, d)})));

  const std::int64_t blocks = ceil_div(d.c, x);
  for (std::int64_t n = 0; n < d.n; ++n) {
    for (std::int64_t cb = 0; cb < blocks; ++cb) {
      const std::int64_t c_end = std::min(d.c, (cb + 1) * x);
      rec.step("Image " + std::to_string(n) + ", channel block " + std::to_string(cb) + ": channels " +
                   std::to_string(cb * x) + ".." + std::to_string(c_end - 1) + " are interleaved pixel by pixel, " +
                   std::to_string(x) + " lanes per pixel" +
                   (c_end - cb * x < x ? " (the last " + std::to_string(x - (c_end - cb * x)) + " lanes are padding)."
                                       : "."),
               trace::Level::op);
      for (std::int64_t h = 0; h < d.h; ++h) {
        for (std::int64_t w = 0; w < d.w; ++w) {
          for (std::int64_t lane = 0; lane < x; ++lane) {
            const std::int64_t c = cb * x + lane;
            const std::int64_t to = nchwx_offset(d, x, n, c, h, w);
            if (c >= d.c) {
              rec.step("Lane " + std::to_string(lane) + " of pixel (" + std::to_string(h) + ", " + std::to_string(w) +
                           ") has no channel " + std::to_string(c) + ": offset " + std::to_string(to) +
                           " stays 0 (padding).",
                       trace::Level::element)
                  .write_cells("blocked", {to}, {0.0});
              continue;
            }
            const std::int64_t from = nchw_offset(d, n, c, h, w);
            rec.step("(n, c, h, w) = (" + std::to_string(n) + ", " + std::to_string(c) + ", " + std::to_string(h) +
                         ", " + std::to_string(w) + "): NCHW offset " + std::to_string(from) + " -> " + name +
                         " offset " + std::to_string(to) + ".",
                     trace::Level::element)
                .read_cells("logical", {trace::tensor_cell(logical, {n, c, h, w})})
                .read_cells("nchw", {from})
                .write_cells("blocked", {to}, {static_cast<double>(from + 1)});
          }
        }
      }
    }
  }
  return result;
}

}  // namespace gb::kernels
