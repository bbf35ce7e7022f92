// record_conv.cpp: the recordings of lesson 20: the sliding window, Im2Col + GEMM, spatial pack.
// Instrumented copies of the loops on small integers, calling the real pieces (im2col, gemm,
// spatial_tile, spatial_pack_tile); the kernels themselves never record.
#include <string>

#include "conv_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::kernels {
namespace {

// count small integers cycling through [-half, half]: exact sums, readable cells.
Tensor small_values(const Shape& shape, std::int64_t period, std::int64_t shift) {
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<double>((static_cast<std::int64_t>(i) + shift) % period - period / 2);
  }
  return Tensor::from_values(v, shape);
}

void check_range(const std::string& op, const std::string& what, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi) {
    throw Error(op, what + " in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (a size worth watching)",
                what + " = " + std::to_string(value));
  }
}

std::string at(std::int64_t r, std::int64_t c) { return "(" + std::to_string(r) + ", " + std::to_string(c) + ")"; }

}  // namespace

Tensor record_sliding_window(trace::Recorder& rec, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel,
                             std::int64_t stride, std::int64_t pad, bool elements) {
  const std::string op = "record_sliding_window";
  check_range(op, "H", in_h, 1, 12);
  check_range(op, "W", in_w, 1, 12);
  check_range(op, "kernel", kernel, 1, 5);
  check_range(op, "stride", stride, 1, 4);
  check_range(op, "pad", pad, 0, kernel - 1);
  const ConvShape s = conv_shape({1, 1, in_h, in_w}, {1, 1, kernel, kernel}, Conv2dParams::square(stride, pad), op);
  const Tensor x = small_values({1, 1, in_h, in_w}, 7, 0), w = small_values({1, 1, kernel, kernel}, 3, 1);
  const std::int64_t ph = in_h + 2 * pad, pw = in_w + 2 * pad;
  Tensor padded = Tensor::zeros({ph, pw});
  for (std::int64_t i = 0; i < in_h; ++i)
    for (std::int64_t j = 0; j < in_w; ++j) padded.set({i + pad, j + pad}, x.at({0, 0, i, j}));
  Tensor y = Tensor::zeros({1, 1, s.out_h, s.out_w});
  rec.add_scene(trace::tensor_scene("input", "input " + std::to_string(in_h) + " x " + std::to_string(in_w) +
                                                 " padded by " + std::to_string(pad) + " (zeros)", padded));
  rec.add_scene(trace::tensor_scene("kernel", "kernel " + std::to_string(kernel) + " x " + std::to_string(kernel),
                                    w.reshape({kernel, kernel})));
  rec.add_scene(trace::tensor_scene("output", "output " + std::to_string(s.out_h) + " x " + std::to_string(s.out_w),
                                    y.reshape({s.out_h, s.out_w})));
  rec.step("The output is floor((" + std::to_string(in_h) + " + 2*" + std::to_string(pad) + " - " +
               std::to_string(kernel) + ") / " + std::to_string(stride) + ") + 1 = " + std::to_string(s.out_h) +
               " rows: one per position of the window.",
           trace::Level::pass);
  std::vector<std::int64_t> kernel_cells;
  for (std::int64_t c = 0; c < kernel * kernel; ++c) kernel_cells.push_back(c);
  for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
    for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
      double sum = 0;
      std::vector<std::int64_t> window;
      for (std::int64_t kh = 0; kh < kernel; ++kh) {
        for (std::int64_t kw = 0; kw < kernel; ++kw) {
          const std::int64_t r = oh * stride + kh, c = ow * stride + kw;  // in padded coordinates
          window.push_back(r * pw + c);
          sum += padded.at({r, c}) * w.at({0, 0, kh, kw});
          if (elements) {
            rec.step("Add input" + at(r, c) + " x kernel" + at(kh, kw) + ".", trace::Level::element)
                .read_cells("input", {r * pw + c})
                .read_cells("kernel", {kh * kernel + kw})
                .write_cells("output", {oh * s.out_w + ow}, {sum});
          }
        }
      }
      y.set({0, 0, oh, ow}, sum);
      rec.step("Output" + at(oh, ow) + ": the window at input row " + std::to_string(oh * stride) + ", column " +
                   std::to_string(ow * stride) + " times the kernel, summed = " + std::to_string(static_cast<std::int64_t>(sum)) + ".",
               trace::Level::op)
          .read_cells("input", window)
          .read_cells("kernel", kernel_cells)
          .write_cells("output", {oh * s.out_w + ow}, {sum});
    }
  }
  return y;
}

Tensor record_im2col(trace::Recorder& rec, std::int64_t channels, std::int64_t in_h, std::int64_t in_w,
                     std::int64_t out_channels, std::int64_t kernel, std::int64_t stride, std::int64_t pad) {
  const std::string op = "record_im2col";
  check_range(op, "C", channels, 1, 4);
  check_range(op, "OC", out_channels, 1, 4);
  check_range(op, "H", in_h, 1, 8);
  check_range(op, "W", in_w, 1, 8);
  check_range(op, "kernel", kernel, 1, 3);
  check_range(op, "stride", stride, 1, 3);
  check_range(op, "pad", pad, 0, kernel - 1);
  const ConvShape s = conv_shape({1, channels, in_h, in_w}, {out_channels, channels, kernel, kernel},
                                 Conv2dParams::square(stride, pad), op);
  const Tensor x = small_values({1, channels, in_h, in_w}, 7, 0);
  const Tensor w = small_values({out_channels, channels, kernel, kernel}, 3, 1);
  const std::int64_t k = channels * kernel * kernel, pixels = s.out_h * s.out_w;
  Tensor col = Tensor::zeros({k, pixels});
  im2col(x.data<float>(), s, col.data<float>());  // the real index math (exercise kernels.conv.im2col_index)
  rec.add_scene(trace::tensor_scene("input", "input [C*H, W]", x.reshape({channels * in_h, in_w})));
  rec.add_scene(trace::tensor_scene("col", "column matrix (C*KH*KW) x (OH*OW)", Tensor::zeros({k, pixels})));
  rec.add_scene(trace::tensor_scene("weights", "weights OC x (C*KH*KW)", w.reshape({out_channels, k})));
  rec.add_scene(trace::tensor_scene("output", "output OC x (OH*OW)", Tensor::zeros({out_channels, pixels})));
  rec.step("Im2Col: each row of the column matrix is one tap (channel, kh, kw) under all " + std::to_string(pixels) +
               " output pixels; then the convolution is one GEMM.",
           trace::Level::pass);
  const float* cp = col.data<float>();
  for (std::int64_t i = 0; i < channels; ++i) {
    for (std::int64_t kh = 0; kh < kernel; ++kh) {
      for (std::int64_t kw = 0; kw < kernel; ++kw) {
        const std::int64_t r = (i * kernel + kh) * kernel + kw;
        std::vector<std::int64_t> sources, cells;
        std::vector<double> values;
        for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
          for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
            const std::int64_t ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
            if (ih >= 0 && ih < in_h && iw >= 0 && iw < in_w) sources.push_back((i * in_h + ih) * in_w + iw);
            cells.push_back(r * pixels + oh * s.out_w + ow);
            values.push_back(cp[r * pixels + oh * s.out_w + ow]);
          }
        }
        rec.step("Row " + std::to_string(r) + " = channel " + std::to_string(i) + ", tap" + at(kh, kw) + ": " +
                     std::to_string(sources.size()) + " input values copied, " +
                     std::to_string(pixels - static_cast<std::int64_t>(sources.size())) + " zeros from the padding.",
                 trace::Level::op)
            .read_cells("input", sources)
            .write_cells("col", cells, values);
      }
    }
  }
  Tensor out = Tensor::zeros({out_channels, pixels});
  GemmArgs args;
  args.m = out_channels;
  args.n = pixels;
  args.k = k;
  args.a = w.data<float>();
  args.lda = k;
  args.b = col.data<float>();
  args.ldb = pixels;
  args.c = out.data<float>();
  args.ldc = pixels;
  gemm(Variant::best, args);
  std::vector<std::int64_t> all_col;
  for (std::int64_t c = 0; c < k * pixels; ++c) all_col.push_back(c);
  for (std::int64_t o = 0; o < out_channels; ++o) {
    std::vector<std::int64_t> wrow, orow;
    std::vector<double> values;
    for (std::int64_t c = 0; c < k; ++c) wrow.push_back(o * k + c);
    for (std::int64_t p = 0; p < pixels; ++p) {
      orow.push_back(o * pixels + p);
      values.push_back(out.at({o, p}));
    }
    rec.step("GEMM row " + std::to_string(o) + ": filter " + std::to_string(o) + " (a row of W) times every column: "
                 "output channel " + std::to_string(o) + ", already in NCHW order.",
             trace::Level::op)
        .read_cells("weights", wrow)
        .read_cells("col", all_col)
        .write_cells("output", orow, values);
  }
  return out.reshape({1, out_channels, s.out_h, s.out_w});
}

Tensor record_spatial_pack(trace::Recorder& rec, std::int64_t in_h, std::int64_t in_w, std::int64_t kernel,
                           std::int64_t tile, std::int64_t stride, std::int64_t pad) {
  const std::string op = "record_spatial_pack";
  check_range(op, "H", in_h, 1, 16);
  check_range(op, "W", in_w, 1, 16);
  check_range(op, "kernel", kernel, 1, 5);
  check_range(op, "tile", tile, 1, 8);
  check_range(op, "stride", stride, 1, 3);
  check_range(op, "pad", pad, 0, kernel - 1);
  const ConvShape s = conv_shape({1, 1, in_h, in_w}, {1, 1, kernel, kernel}, Conv2dParams::square(stride, pad), op);
  const Tensor x = small_values({1, 1, in_h, in_w}, 7, 0), w = small_values({1, 1, kernel, kernel}, 3, 1);
  Tensor y = Tensor::zeros({1, 1, s.out_h, s.out_w});
  const detail::SpatialTile largest = detail::spatial_tile(s, 0, 0, tile, tile);
  rec.add_scene(trace::tensor_scene("input", "input (one channel)", x.reshape({in_h, in_w})));
  rec.add_scene(trace::tensor_scene("packed", "packed tile with halo", Tensor::zeros({largest.ph, largest.pw})));
  rec.add_scene(trace::tensor_scene("output", "output", Tensor::zeros({s.out_h, s.out_w})));
  rec.add_scene(trace::table_scene("tiles", "tiles and halos",
                                   {"tile", "output rows", "output cols", "input rows", "input cols", "halo cells"}));
  rec.step("Spatial pack: output tiles of " + std::to_string(tile) + " x " + std::to_string(tile) + "; each needs an input tile of " +
               std::to_string(largest.ph) + " x " + std::to_string(largest.pw) + " (its halo reaches " +
               std::to_string(kernel - 1) + " more rows and columns).",
           trace::Level::pass);
  std::vector<float> packed(static_cast<std::size_t>(largest.ph * largest.pw));
  std::int64_t index = 0;
  for (std::int64_t oh0 = 0; oh0 < s.out_h; oh0 += tile) {
    for (std::int64_t ow0 = 0; ow0 < s.out_w; ow0 += tile, ++index) {
      const detail::SpatialTile t = detail::spatial_tile(s, oh0, ow0, tile, tile);
      detail::spatial_pack_tile(x.data<float>(), s, t, packed.data());
      // The tile's own input rows/cols are the ones its stride covers; the rest is the halo.
      std::vector<std::int64_t> read, halo, packed_cells;
      std::vector<double> packed_values;
      for (std::int64_t r = 0; r < t.ph; ++r) {
        for (std::int64_t c = 0; c < t.pw; ++c) {
          packed_cells.push_back(r * largest.pw + c);
          packed_values.push_back(packed[static_cast<std::size_t>(r * t.pw + c)]);
          const std::int64_t ih = t.ih0 + r, iw = t.iw0 + c;
          if (ih < 0 || ih >= in_h || iw < 0 || iw >= in_w) continue;
          read.push_back(ih * in_w + iw);
          if (r >= t.th * stride || c >= t.tw * stride) halo.push_back(ih * in_w + iw);
        }
      }
      const std::string name = "tile " + std::to_string(index);
      rec.step("Pack " + name + " (outputs " + at(oh0, ow0) + ", " + std::to_string(t.th) + " x " + std::to_string(t.tw) +
                   "): input rows " + std::to_string(t.ih0) + ".." + std::to_string(t.ih0 + t.ph - 1) + ", columns " +
                   std::to_string(t.iw0) + ".." + std::to_string(t.iw0 + t.pw - 1) + ", padding as zeros.",
               trace::Level::op)
          .read_cells("input", read)
          .write_cells("packed", packed_cells, packed_values)
          .add_row("tiles", {name, std::to_string(oh0) + ".." + std::to_string(oh0 + t.th - 1),
                             std::to_string(ow0) + ".." + std::to_string(ow0 + t.tw - 1),
                             std::to_string(t.ih0) + ".." + std::to_string(t.ih0 + t.ph - 1),
                             std::to_string(t.iw0) + ".." + std::to_string(t.iw0 + t.pw - 1), std::to_string(halo.size())});
      rec.step("The halo of " + name + ": " + std::to_string(halo.size()) +
                   " input cells it shares with the next tiles, read again there.",
               trace::Level::tile)
          .read_cells("input", halo);
      std::vector<std::int64_t> out_cells;
      std::vector<double> out_values;
      for (std::int64_t r = 0; r < t.th; ++r) {
        for (std::int64_t c = 0; c < t.tw; ++c) {
          double sum = 0;
          for (std::int64_t kh = 0; kh < kernel; ++kh)
            for (std::int64_t kw = 0; kw < kernel; ++kw)
              sum += packed[static_cast<std::size_t>((r * stride + kh) * t.pw + c * stride + kw)] * w.at({0, 0, kh, kw});
          y.set({0, 0, oh0 + r, ow0 + c}, sum);
          out_cells.push_back((oh0 + r) * s.out_w + ow0 + c);
          out_values.push_back(sum);
        }
      }
      rec.step("Compute " + name + " from the packed buffer alone (no bounds checks, it stays in L1).", trace::Level::op)
          .read_cells("packed", packed_cells)
          .write_cells("output", out_cells, out_values);
    }
  }
  return y;
}

}  // namespace gb::kernels
