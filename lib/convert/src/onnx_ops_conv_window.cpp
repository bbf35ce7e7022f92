// onnx_ops_conv_window.cpp: the sliding window of Conv, QLinearConv and pooling, from ONNX's attributes
// (onnx_ops_conv_window.hpp).
#include "onnx_ops_conv_window.hpp"

#include <algorithm>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

namespace {

// An INTS attribute with one entry per spatial axis, each in [least, 2^31] (the bound keeps the window
// arithmetic of a fuzzed model far from int64 overflow); `fallback` (n copies) when absent.
std::vector<std::int64_t> per_axis(const graph::Node& node, const std::string& key, std::size_t n, std::int64_t fallback,
                                   std::int64_t least) {
  std::vector<std::int64_t> v = attr_ints(node, key, std::vector<std::int64_t>(n, fallback));
  if (v.size() != n) {
    throw Error(node.op, "attribute " + key + " with " + std::to_string(n) + " entries (one per spatial axis)",
                shape_str(v));
  }
  for (std::int64_t x : v) {
    if (x < least || x > (std::int64_t{1} << 31)) {
      throw Error(node.op, "attribute " + key + " entries in [" + std::to_string(least) + ", 2^31]", shape_str(v));
    }
  }
  return v;
}

}  // namespace

Window read_window(const graph::Node& node, const std::vector<std::int64_t>& in, const std::vector<std::int64_t>& kernel,
                   bool ceil_mode) {
  const std::size_t n = in.size();
  Window w;
  // The kernel comes from the weight (Conv) or from kernel_shape (pooling); when both exist they must agree.
  if (node.has_attr("kernel_shape")) {
    w.kernel = per_axis(node, "kernel_shape", n, 1, 1);
    if (!kernel.empty() && w.kernel != kernel) {
      throw Error(node.op, "kernel_shape equal to the weight's spatial sizes " + shape_str(kernel), shape_str(w.kernel));
    }
  } else if (!kernel.empty()) {
    w.kernel = kernel;
  } else {
    throw Error(node.op, "attribute kernel_shape", "none");
  }
  w.strides = per_axis(node, "strides", n, 1, 1);
  w.dilations = per_axis(node, "dilations", n, 1, 1);

  std::string auto_pad = attr_string(node, "auto_pad", "NOTSET");
  if (auto_pad.empty()) auto_pad = "NOTSET";  // some exporters write an empty string for the default
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    throw Error(node.op, "auto_pad NOTSET, VALID, SAME_UPPER or SAME_LOWER", auto_pad);
  }
  std::vector<std::int64_t> pads(2 * n, 0);
  if (auto_pad == "NOTSET") {
    pads = per_axis(node, "pads", 2 * n, 0, 0);
  }
  w.pad_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(n));
  w.pad_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(n), pads.end());

  w.out.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t extent = w.dilations[i] * (w.kernel[i] - 1) + 1;  // what one window spans
    const std::int64_t s = w.strides[i];
    if (in[i] < 0) continue;  // known only at run time (the SAME pads too)
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // Output ceil(in / stride); pad what the last window needs beyond the input, split in two.
      w.out[i] = (in[i] + s - 1) / s;
      const std::int64_t total = std::max<std::int64_t>(0, (w.out[i] - 1) * s + extent - in[i]);
      w.pad_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[i] = total - w.pad_begin[i];
      continue;
    }
    const std::int64_t span = in[i] + w.pad_begin[i] + w.pad_end[i] - extent;
    if (span < 0) {
      throw Error(node.op, "a window (kernel " + shape_str(w.kernel) + ", dilations " + shape_str(w.dilations) +
                               ") that fits in the padded input",
                  "spatial sizes " + shape_str(in) + " with pads " + shape_str(pads));
    }
    // ceil_mode only for NOTSET: VALID's output is ceil((in - extent + 1) / s) = floor((in - extent) / s) + 1.
    const bool up = ceil_mode && auto_pad == "NOTSET";
    w.out[i] = (up ? (span + s - 1) / s : span / s) + 1;
  }
  return w;
}

kernels::Conv2dParams conv2d_params(const Window& w, std::int64_t groups) {
  kernels::Conv2dParams p;
  const std::size_t h = w.kernel.size() == 2 ? 0 : 1;  // a 1-D window has no height axis: height 1, no padding
  const std::size_t x = w.kernel.size() - 1;
  if (h == 0) {
    p.stride_h = w.strides[0];
    p.pad_top = w.pad_begin[0];
    p.pad_bottom = w.pad_end[0];
    p.dilation_h = w.dilations[0];
  }
  p.stride_w = w.strides[x];
  p.pad_left = w.pad_begin[x];
  p.pad_right = w.pad_end[x];
  p.dilation_w = w.dilations[x];
  p.groups = groups;
  return p;
}

std::size_t spatial_rank(const std::string& op, const Shape& x) {
  if (x.size() == 3 || x.size() == 4) return x.size() - 2;
  if (x.size() >= 5) throw Unsupported(op, "a 1-D or 2-D window (input rank 3 or 4)", "rank " + std::to_string(x.size()));
  throw Error(op, "an input of rank 3 or 4 ([N, C, L] or [N, C, H, W])", shape_str(x));
}

Tensor as_2d(const Tensor& x) { return x.ndim() == 3 ? x.unsqueeze(2) : x; }

}  // namespace gb::convert::detail
