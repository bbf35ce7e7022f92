// onnx_ops_conv_pool.cpp: ONNX's pooling ops and BatchNormalization (inference).
//
// MaxPool / AveragePool slide a window (onnx_ops_conv_window.hpp) over each channel:
//   MaxPool:      y = max over the window's input values (padding never wins)
//   AveragePool:  y = sum over the window's input values / count, with count the window's taps inside the
//                 padded input when count_include_pad = 1, inside the input itself when 0 (ONNX's default)
// ceil_mode = 1 rounds the output size up, so a last window may hang over the end of the padded input;
// its missing taps count for nothing, not even with count_include_pad.
// lib/kernels' max_pool2d / avg_pool2d (PyTorch's rules) run the case they describe: f32, the same pad at
// both ends of an axis and at most half the kernel, and the same output size (PyTorch drops a ceil-mode
// window that would start in the padding; ONNX opsets <= 17 keep it). Everything else (asymmetric pads
// of SAME_UPPER / SAME_LOWER, larger pads, uint8 / int8 MaxPool) runs `pool_reference`, the loops below.
// GlobalAveragePool / GlobalMaxPool: one window covering all the spatial axes.
// MaxPool's second output, Indices, is not produced (a node asking for it is Unsupported at import).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/kernels/pool.hpp"
#include "onnx_ops_conv_window.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

namespace {

enum class PoolKind { max, average };

// The 2-D window of a [N, C, H, W] input (a 1-D window padded with a height axis of 1).
Window window_2d(Window w) {
  if (w.kernel.size() == 2) return w;
  for (auto* v : {&w.kernel, &w.strides, &w.dilations}) v->insert(v->begin(), 1);
  for (auto* v : {&w.pad_begin, &w.pad_end}) v->insert(v->begin(), 0);
  w.out.insert(w.out.begin(), 1);
  return w;
}

Window read_pool_window(const graph::Node& node, const Shape& x, PoolKind kind) {
  if (kind == PoolKind::average && node.has_attr("dilations")) {
    for (std::int64_t d : node.attr_ints("dilations")) {
      if (d != 1) throw Unsupported(node.op, "dilations of 1 (AveragePool's dilations came in opset 19)", shape_str(node.attr_ints("dilations")));
    }
  }
  const std::int64_t ceil_mode = attr_int(node, "ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) throw Error(node.op, "ceil_mode 0 or 1", std::to_string(ceil_mode));
  if (attr_int(node, "storage_order", 0) != 0) throw Unsupported(node.op, "storage_order 0 (row major)", "1");
  return read_window(node, {x.begin() + 2, x.end()}, {}, ceil_mode == 1);
}

// The loops of the definition above, for any element type T (f32, u8, i8). x [N, C, H, W] contiguous.
template <class T>
Tensor pool_reference(const Tensor& x, const Window& w, PoolKind kind, bool count_include_pad) {
  const std::int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const std::int64_t OH = w.out[0], OW = w.out[1];
  Tensor y = Tensor::empty({x.size(0), x.size(1), OH, OW}, x.dtype());
  const T* in = x.data<T>();
  T* out = y.data<T>();
  for (std::int64_t p = 0; p < planes; ++p, in += H * W) {
    for (std::int64_t oh = 0; oh < OH; ++oh) {
      for (std::int64_t ow = 0; ow < OW; ++ow) {
        double sum = 0.0;
        T best = std::numeric_limits<T>::lowest();
        if constexpr (std::numeric_limits<T>::has_infinity) best = -std::numeric_limits<T>::infinity();
        std::int64_t real = 0, padded = 0;  // taps inside the input, inside the padded input
        for (std::int64_t kh = 0; kh < w.kernel[0]; ++kh) {
          const std::int64_t h = oh * w.strides[0] - w.pad_begin[0] + kh * w.dilations[0];
          for (std::int64_t kw = 0; kw < w.kernel[1]; ++kw) {
            const std::int64_t c = ow * w.strides[1] - w.pad_begin[1] + kw * w.dilations[1];
            const bool in_padded = h >= -w.pad_begin[0] && h < H + w.pad_end[0] && c >= -w.pad_begin[1] && c < W + w.pad_end[1];
            padded += in_padded ? 1 : 0;
            if (h < 0 || h >= H || c < 0 || c >= W) continue;
            const T v = in[h * W + c];
            best = std::max(best, v);
            sum += static_cast<double>(v);
            ++real;
          }
        }
        const std::int64_t count = count_include_pad ? padded : real;
        if (kind == PoolKind::max) {
          *out++ = best;
        } else {
          *out++ = static_cast<T>(count > 0 ? sum / static_cast<double>(count) : 0.0);
        }
      }
    }
  }
  return y;
}

// Whether lib/kernels' pooling computes exactly this window (see the top of the file).
bool kernels_fit(const Tensor& x, const Window& w, PoolKind kind, kernels::Pool2dParams* p) {
  if (x.dtype() != DType::f32) return false;
  for (std::size_t i = 0; i < 2; ++i) {
    if (w.pad_begin[i] != w.pad_end[i] || 2 * w.pad_begin[i] > w.kernel[i]) return false;
    if (kind == PoolKind::average && w.dilations[i] != 1) return false;
  }
  p->kernel_h = w.kernel[0];
  p->kernel_w = w.kernel[1];
  p->stride_h = w.strides[0];
  p->stride_w = w.strides[1];
  p->pad_h = w.pad_begin[0];
  p->pad_w = w.pad_begin[1];
  p->dilation_h = w.dilations[0];
  p->dilation_w = w.dilations[1];
  // The same rounding must give ONNX's size on both axes (floor first: ceil_mode = 0 is the common case).
  const auto sizes_agree = [&](bool ceil_mode) {
    for (std::int64_t i = 0; i < 2; ++i) {
      const auto a = static_cast<std::size_t>(i);
      if (kernels::pool_output_size(x.size(i + 2), w.kernel[a], w.pad_begin[a], w.strides[a], w.dilations[a], ceil_mode) !=
          w.out[a]) {
        return false;
      }
    }
    return true;
  };
  if (sizes_agree(false)) {
    p->ceil_mode = false;
  } else if (sizes_agree(true)) {
    p->ceil_mode = true;
  } else {
    return false;
  }
  return true;
}

graph::OpDef pool_op(const std::string& name, PoolKind kind) {
  graph::OpDef def;
  def.name = name;
  def.num_inputs = 1;
  def.infer = [kind](const graph::InferContext& ctx) {
    const Shape& x = ctx.inputs[0].shape;
    const DType dt = ctx.inputs[0].dtype;
    spatial_rank(ctx.node.op, x);
    const bool ok = dt == DType::f32 || (kind == PoolKind::max && (dt == DType::u8 || dt == DType::i8));
    if (!ok) throw Unsupported(ctx.node.op, kind == PoolKind::max ? "an input of dtype f32, u8 or i8" : "an input of dtype f32", dtype_name(dt));
    const Window w = read_pool_window(ctx.node, x, kind);
    Shape out{x[0], x[1]};
    out.insert(out.end(), w.out.begin(), w.out.end());
    return std::vector<graph::ValueInfo>{{dt, out}};
  };
  def.kernel = [kind](const graph::KernelContext& ctx) {
    const Tensor& x = ctx.inputs[0];
    const Window w = window_2d(read_pool_window(ctx.node, x.shape(), kind));
    const bool include_pad = attr_int(ctx.node, "count_include_pad", 0) != 0;
    const Tensor x2 = as_2d(x).contiguous();
    kernels::Pool2dParams p;
    p.count_include_pad = include_pad;
    Tensor y;
    if (kernels_fit(x2, w, kind, &p)) {
      y = kind == PoolKind::max ? kernels::max_pool2d(x2, p) : kernels::avg_pool2d(x2, p);
    } else {
      y = dispatch_dtype(x.dtype(), [&](auto tag) -> Tensor {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, float> || std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int8_t>) {
          return pool_reference<T>(x2, w, kind, include_pad);
        } else {
          throw Unsupported(ctx.node.op, "an input of dtype f32, u8 or i8", dtype_name(x.dtype()));
        }
      });
    }
    return std::vector<Tensor>{x.ndim() == 3 ? y.squeeze(2) : y};
  };
  return def;
}

}  // namespace

std::vector<std::string> register_pool_onnx_ops() {
  graph::OpDef max_pool = pool_op("MaxPool", PoolKind::max);
  max_pool.doc = "ONNX MaxPool (1-D, 2-D; f32, u8, i8): gb::kernels::max_pool2d where PyTorch's rules agree, else a reference loop";
  graph::register_op(max_pool);
  graph::OpDef avg_pool = pool_op("AveragePool", PoolKind::average);
  avg_pool.doc = "ONNX AveragePool (1-D, 2-D): gb::kernels::avg_pool2d where PyTorch's rules agree, else a reference loop";
  graph::register_op(avg_pool);
  return {"MaxPool", "AveragePool"};
}

}  // namespace gb::convert::detail
