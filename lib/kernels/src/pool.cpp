// pool.cpp: max and average pooling (lesson 20), the sliding window without weights.
//
// Each output cell reduces the window x[n, c, oh*s - pad + kh*d, ow*s - pad + kw*d] over the taps
// that land inside the input. The window start/end arithmetic follows PyTorch's
// (aten/src/ATen/native/Pool.h and AveragePool2d.cpp) so the results agree to the last bit on max
// and to rounding on the average.
#include <algorithm>
#include <limits>
#include <string>

#include "gb/core/error.hpp"
#include "gb/kernels/pool.hpp"

namespace gb::kernels {
namespace {

Pool2dParams resolved(Pool2dParams p) {
  if (p.stride_h == 0) p.stride_h = p.kernel_h;
  if (p.stride_w == 0) p.stride_w = p.kernel_w;
  return p;
}

void check(const Tensor& x, const Pool2dParams& p, const std::string& op) {
  if (!x.defined() || x.ndim() != 4 || x.dtype() != DType::f32) {
    throw Error(op, "an f32 tensor of shape [N, C, H, W]",
                x.defined() ? std::string(dtype_name(x.dtype())) + " tensor of rank " + std::to_string(x.ndim())
                            : std::string("an undefined tensor"));
  }
  if (x.numel() == 0) throw Error(op, "a non-empty input", "a tensor with a zero size");
  if (p.kernel_h < 1 || p.kernel_w < 1 || p.stride_h < 1 || p.stride_w < 1 || p.dilation_h < 1 || p.dilation_w < 1) {
    throw Error(op, "kernel, stride and dilation >= 1",
                "kernel " + std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + ", stride " +
                    std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + ", dilation " +
                    std::to_string(p.dilation_h) + "x" + std::to_string(p.dilation_w));
  }
  if (p.pad_h < 0 || p.pad_w < 0 || 2 * p.pad_h > p.kernel_h || 2 * p.pad_w > p.kernel_w) {
    throw Error(op, "padding in [0, kernel / 2] (a window must hold at least one real value)",
                "padding " + std::to_string(p.pad_h) + "x" + std::to_string(p.pad_w) + " with kernel " +
                    std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w));
  }
}

}  // namespace

std::int64_t pool_output_size(std::int64_t in, std::int64_t kernel, std::int64_t pad, std::int64_t stride,
                              std::int64_t dilation, bool ceil_mode) {
  if (in < 1 || kernel < 1 || stride < 1 || dilation < 1 || pad < 0) {
    throw Error("pool_output_size", "in, kernel, stride, dilation >= 1 and pad >= 0",
                "in = " + std::to_string(in) + ", kernel = " + std::to_string(kernel) + ", stride = " +
                    std::to_string(stride) + ", dilation = " + std::to_string(dilation) + ", pad = " + std::to_string(pad));
  }
  const std::int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  if (span < 0) {
    throw Error("pool_output_size", "a (dilated) window no larger than the padded input",
                "window " + std::to_string(dilation * (kernel - 1) + 1) + " > padded input " + std::to_string(in + 2 * pad));
  }
  std::int64_t out = (span + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;  // the last window must start inside
  return out;
}

Tensor max_pool2d(const Tensor& x_in, const Pool2dParams& params) {
  const Pool2dParams p = resolved(params);
  check(x_in, p, "max_pool2d");
  const Tensor x = x_in.contiguous();
  const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const std::int64_t oh = pool_output_size(h, p.kernel_h, p.pad_h, p.stride_h, p.dilation_h, p.ceil_mode);
  const std::int64_t ow = pool_output_size(w, p.kernel_w, p.pad_w, p.stride_w, p.dilation_w, p.ceil_mode);
  Tensor y = Tensor::empty({n, c, oh, ow});
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (std::int64_t plane = 0; plane < n * c; ++plane) {
    const float* in = xp + plane * h * w;
    for (std::int64_t i = 0; i < oh; ++i) {
      for (std::int64_t j = 0; j < ow; ++j) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::int64_t kh = 0; kh < p.kernel_h; ++kh) {
          const std::int64_t ih = i * p.stride_h - p.pad_h + kh * p.dilation_h;
          if (ih < 0 || ih >= h) continue;
          for (std::int64_t kw = 0; kw < p.kernel_w; ++kw) {
            const std::int64_t iw = j * p.stride_w - p.pad_w + kw * p.dilation_w;
            if (iw < 0 || iw >= w) continue;
            const float v = in[ih * w + iw];
            if (v > best || v != v) best = v;  // NaN propagates, as in PyTorch
            if (best != best) break;
          }
        }
        yp[(plane * oh + i) * ow + j] = best;
      }
    }
  }
  return y;
}

Tensor avg_pool2d(const Tensor& x_in, const Pool2dParams& params) {
  const Pool2dParams p = resolved(params);
  check(x_in, p, "avg_pool2d");
  if (p.dilation_h != 1 || p.dilation_w != 1) {
    throw Error("avg_pool2d", "dilation 1 (average pooling has no dilation)",
                "dilation " + std::to_string(p.dilation_h) + "x" + std::to_string(p.dilation_w));
  }
  const Tensor x = x_in.contiguous();
  const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const std::int64_t oh = pool_output_size(h, p.kernel_h, p.pad_h, p.stride_h, 1, p.ceil_mode);
  const std::int64_t ow = pool_output_size(w, p.kernel_w, p.pad_w, p.stride_w, 1, p.ceil_mode);
  Tensor y = Tensor::empty({n, c, oh, ow});
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  for (std::int64_t plane = 0; plane < n * c; ++plane) {
    const float* in = xp + plane * h * w;
    for (std::int64_t i = 0; i < oh; ++i) {
      for (std::int64_t j = 0; j < ow; ++j) {
        // The window in padded coordinates, clipped to the padded input (count_include_pad counts it),
        // then to the input itself (what is summed).
        std::int64_t h0 = i * p.stride_h - p.pad_h, w0 = j * p.stride_w - p.pad_w;
        std::int64_t h1 = std::min(h0 + p.kernel_h, h + p.pad_h), w1 = std::min(w0 + p.kernel_w, w + p.pad_w);
        const std::int64_t padded_count = (h1 - h0) * (w1 - w0);
        h0 = std::max<std::int64_t>(h0, 0);
        w0 = std::max<std::int64_t>(w0, 0);
        h1 = std::min(h1, h);
        w1 = std::min(w1, w);
        float sum = 0.0f;
        for (std::int64_t ih = h0; ih < h1; ++ih)
          for (std::int64_t iw = w0; iw < w1; ++iw) sum += in[ih * w + iw];
        const std::int64_t count = p.count_include_pad ? padded_count : (h1 - h0) * (w1 - w0);
        yp[(plane * oh + i) * ow + j] = sum / static_cast<float>(count);
      }
    }
  }
  return y;
}

}  // namespace gb::kernels
