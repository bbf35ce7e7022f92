// functional_pool.cpp: max pooling (values and winners computed here), average pooling (values by
// gb::kernels) and their VJPs.
//
// A pooling window maps several inputs to one output, so the VJP sends each output's adjoint back
// to the inputs of its window:
//   max:     all of it to the input that won the max. The forward pass remembers the winner of every
//            window (its index in the plane, as torch.nn.functional.max_pool2d(return_indices=True)
//            does); ties go to the FIRST maximum in window order (row by row), a NaN wins (and the last
//            NaN of a window, as in PyTorch's CPU kernel). Windows may overlap (stride < kernel): an
//            input that wins several windows collects several adjoints (+=).
//   average: an equal share g / count to every real input in the window, where count is the divisor
//            the forward pass used (with count_include_pad the padding counts but receives nothing).
// The window arithmetic is PyTorch's (as in lib/kernels/src/pool.cpp, whose avg_pool2d gives the
// average's value). The VJPs compute with plain tensors: first order only (gb::Error under create_graph).
#include <algorithm>
#include <limits>
#include <vector>

#include "functional_common.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/nn/functional.hpp"

namespace gb::nn {

namespace ad = gb::autodiff;

namespace {

kernels::Pool2dParams resolved(kernels::Pool2dParams p) {  // stride 0 means the kernel size
  if (p.stride_h == 0) p.stride_h = p.kernel_h;
  if (p.stride_w == 0) p.stride_w = p.kernel_w;
  return p;
}

// The rules of kernels::max_pool2d (a padded window must still hold a real value), checked here
// because max_pool2d computes its own values (with the winners' indices).
void check_max_pool(const Tensor& x, const kernels::Pool2dParams& p) {
  if (x.ndim() != 4 || x.numel() == 0) throw Error("max_pool2d", "a non-empty x of shape [N, C, H, W]", shape_str(x.shape()));
  if (p.kernel_h < 1 || p.kernel_w < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1) {
    throw Error("max_pool2d", "kernel, stride and dilation >= 1",
                "kernel " + std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + ", stride " +
                    std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + ", dilation " +
                    std::to_string(p.dilation_h) + "x" + std::to_string(p.dilation_w));
  }
  if (p.pad_h < 0 || p.pad_w < 0 || 2 * p.pad_h > p.kernel_h || 2 * p.pad_w > p.kernel_w) {
    throw Error("max_pool2d", "padding in [0, kernel / 2] (a window must hold at least one real value)",
                "padding " + std::to_string(p.pad_h) + "x" + std::to_string(p.pad_w) + " with kernel " +
                    std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w));
  }
}

// The taps [first, last) of a window starting at `start` (stepping `dilation`) that land in [0, size).
struct Taps {
  std::int64_t first = 0, last = 0;
};
Taps taps_inside(std::int64_t start, std::int64_t kernel, std::int64_t dilation, std::int64_t size) {
  Taps t{0, kernel};
  while (t.first < kernel && start + t.first * dilation < 0) ++t.first;
  while (t.last > t.first && start + (t.last - 1) * dilation >= size) --t.last;
  return t;
}

// The first maximum of a window and its index (ih * W + iw), the NaN rule included: PyTorch takes a
// tap when (v > best || isnan(v)), so a NaN wins and only a later NaN replaces it.
struct Winner {
  float value;
  std::int64_t index;
};
Winner window_max_exact(const float* x, std::int64_t w, std::int64_t h0, std::int64_t w0, const Taps& rows,
                        const Taps& cols, const kernels::Pool2dParams& p, Winner best) {
  for (std::int64_t kh = rows.first; kh < rows.last; ++kh) {
    for (std::int64_t kw = cols.first; kw < cols.last; ++kw) {
      const std::int64_t index = (h0 + kh * p.dilation_h) * w + w0 + kw * p.dilation_w;
      if (x[index] > best.value || x[index] != x[index]) best = {x[index], index};
    }
  }
  return best;
}

// The taps inside the input of every window start along one axis (the same for every plane).
std::vector<Taps> taps_of_every_window(std::int64_t out, std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                       std::int64_t pad, std::int64_t dilation) {
  std::vector<Taps> taps(static_cast<std::size_t>(out));
  for (std::int64_t o = 0; o < out; ++o) taps[static_cast<std::size_t>(o)] = taps_inside(o * stride - pad, kernel, dilation, in);
  return taps;
}

// One plane: y[i, j] = the max of window (i, j), winner[i, j] = its index ih * W + iw in the plane.
// (Not inlined into its caller: on its own the loop keeps every counter in a register.)
[[gnu::noinline]] void max_pool_plane(const float* x, std::int64_t w, const std::vector<Taps>& row_taps,
                                      const std::vector<Taps>& col_taps, const kernels::Pool2dParams& p, float* y,
                                      std::int32_t* winner) {
  const auto oh = static_cast<std::int64_t>(row_taps.size()), ow = static_cast<std::int64_t>(col_taps.size());
  for (std::int64_t i = 0; i < oh; ++i) {
    const std::int64_t h0 = i * p.stride_h - p.pad_h;
    const Taps rows = row_taps[static_cast<std::size_t>(i)];
    for (std::int64_t j = 0; j < ow; ++j) {
      const std::int64_t w0 = j * p.stride_w - p.pad_w;
      const Taps cols = col_taps[static_cast<std::size_t>(j)];
      // -inf and no winner (-1) for a window whose dilated taps all miss the input (as in PyTorch).
      const bool empty = rows.first == rows.last || cols.first == cols.last;
      const Winner start{-std::numeric_limits<float>::infinity(),
                         empty ? -1 : (h0 + rows.first * p.dilation_h) * w + w0 + cols.first * p.dilation_w};
      // The fast loop: "is this tap the new max?" is a coin flip on real data, so it is written as
      // selects (maxss, cmov), not as a branch the CPU would mispredict half the time. A NaN makes
      // the comparisons false; the rare window holding one is redone by the exact rule.
      float best = start.value;
      std::int64_t best_index = start.index;
      bool saw_nan = false;
      for (std::int64_t kh = rows.first; kh < rows.last; ++kh) {
        const std::int64_t row = (h0 + kh * p.dilation_h) * w + w0;
        for (std::int64_t kw = cols.first; kw < cols.last; ++kw) {
          const float v = x[row + kw * p.dilation_w];
          best_index = v > best ? row + kw * p.dilation_w : best_index;  // strictly: the first max keeps a tie
          best = v > best ? v : best;
          saw_nan |= v != v;
        }
      }
      if (saw_nan) {
        const Winner exact = window_max_exact(x, w, h0, w0, rows, cols, p, start);
        best = exact.value;
        best_index = exact.index;
      }
      y[i * ow + j] = best;
      winner[i * ow + j] = static_cast<std::int32_t>(best_index);
    }
  }
}

}  // namespace

Variable max_pool2d(const Variable& x, const kernels::Pool2dParams& params) {
  const Tensor& xv = detail::f32_value_of(x, "max_pool2d", "x");
  const kernels::Pool2dParams p = resolved(params);
  check_max_pool(xv, p);
  const Tensor xc = xv.contiguous();
  const std::int64_t planes = xc.size(0) * xc.size(1), h = xc.size(2), w = xc.size(3);
  if (h * w > std::numeric_limits<std::int32_t>::max()) {
    throw Error("max_pool2d", "planes of fewer than 2^31 pixels (winners are stored as i32)", shape_str(xc.shape()));
  }
  const std::int64_t oh = kernels::pool_output_size(h, p.kernel_h, p.pad_h, p.stride_h, p.dilation_h, p.ceil_mode);
  const std::int64_t ow = kernels::pool_output_size(w, p.kernel_w, p.pad_w, p.stride_w, p.dilation_w, p.ceil_mode);
  Tensor y = Tensor::empty({xc.size(0), xc.size(1), oh, ow});
  Tensor winners = Tensor::empty(y.shape(), DType::i32);
  const std::vector<Taps> row_taps = taps_of_every_window(oh, h, p.kernel_h, p.stride_h, p.pad_h, p.dilation_h);
  const std::vector<Taps> col_taps = taps_of_every_window(ow, w, p.kernel_w, p.stride_w, p.pad_w, p.dilation_w);
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    max_pool_plane(xc.data<float>() + plane * h * w, w, row_taps, col_taps, p, y.data<float>() + plane * oh * ow,
                   winners.data<std::int32_t>() + plane * oh * ow);
  }
  const Shape x_shape = xv.shape();
  return ad::record_op("max_pool2d", y, {x}, {winners}, [x_shape](const ad::VjpContext& ctx) {
    detail::require_first_order("max_pool2d");
    const Tensor& winners = ctx.node.saved[0];
    const Tensor g = ctx.adjoint.value().contiguous();
    const std::int64_t planes = x_shape[0] * x_shape[1], plane_size = x_shape[2] * x_shape[3];
    const std::int64_t outputs = g.size(2) * g.size(3);
    Tensor dx = Tensor::zeros(x_shape);
    const float* gp = g.data<float>();
    const std::int32_t* wp = winners.data<std::int32_t>();
    float* dxp = dx.data<float>();
    for (std::int64_t plane = 0; plane < planes; ++plane) {
      for (std::int64_t o = 0; o < outputs; ++o) {
        const std::int32_t winner = wp[plane * outputs + o];
        if (winner >= 0) dxp[plane * plane_size + winner] += gp[plane * outputs + o];
      }
    }
    return std::vector<Variable>{ad::constant(dx)};
  });
}

Variable avg_pool2d(const Variable& x, const kernels::Pool2dParams& params) {
  const Tensor& xv = detail::f32_value_of(x, "avg_pool2d", "x");
  Tensor y = kernels::avg_pool2d(xv, params);  // checks the shape and the parameters
  const kernels::Pool2dParams p = resolved(params);
  const Shape x_shape = xv.shape();
  // The VJP reads no saved tensor: only the shapes and the window arithmetic.
  return ad::record_op("avg_pool2d", y, {x}, {}, [p, x_shape](const ad::VjpContext& ctx) {
    detail::require_first_order("avg_pool2d");
    const Tensor g = ctx.adjoint.value().contiguous();
    const std::int64_t planes = x_shape[0] * x_shape[1], h = x_shape[2], w = x_shape[3];
    const std::int64_t oh = g.size(2), ow = g.size(3);
    Tensor dx = Tensor::zeros(x_shape);
    const float* gp = g.data<float>();
    float* dxp = dx.data<float>();
    for (std::int64_t plane = 0; plane < planes; ++plane) {
      float* d = dxp + plane * h * w;
      for (std::int64_t i = 0; i < oh; ++i) {
        for (std::int64_t j = 0; j < ow; ++j) {
          // The window clipped to the padded input (what count_include_pad counts), then to the input.
          std::int64_t h0 = i * p.stride_h - p.pad_h, w0 = j * p.stride_w - p.pad_w;
          std::int64_t h1 = std::min(h0 + p.kernel_h, h + p.pad_h), w1 = std::min(w0 + p.kernel_w, w + p.pad_w);
          const std::int64_t padded_count = (h1 - h0) * (w1 - w0);
          h0 = std::max<std::int64_t>(h0, 0);
          w0 = std::max<std::int64_t>(w0, 0);
          h1 = std::min(h1, h);
          w1 = std::min(w1, w);
          const std::int64_t count = p.count_include_pad ? padded_count : (h1 - h0) * (w1 - w0);
          const float share = gp[(plane * oh + i) * ow + j] / static_cast<float>(count);
          for (std::int64_t ih = h0; ih < h1; ++ih)
            for (std::int64_t iw = w0; iw < w1; ++iw) d[ih * w + iw] += share;
        }
      }
    }
    return std::vector<Variable>{ad::constant(dx)};
  });
}

}  // namespace gb::nn
