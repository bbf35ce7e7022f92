// fused_ops_conv_attrs.cpp: ONNX Conv's attributes read into a convolution's geometry, for the fused
// convolutions (fused_ops_internal.hpp). The same rules as ONNX's Conv, minus auto_pad SAME_*.
#include <algorithm>

#include "fused_ops_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb::passes::detail {

std::int64_t int_attr(const graph::Node& node, const std::string& key, std::int64_t fallback) {
  return node.has_attr(key) ? node.attr_int(key) : fallback;
}

std::string string_attr(const graph::Node& node, const std::string& key, const std::string& fallback) {
  return node.has_attr(key) ? node.attr_string(key) : fallback;
}

namespace {

// An INTS attribute with `n` entries, each in [least, 2^31] (the bound keeps the window arithmetic far
// from int64 overflow); n copies of `fallback` when absent.
std::vector<std::int64_t> per_axis(const graph::Node& node, const std::string& key, std::size_t n, std::int64_t fallback,
                                   std::int64_t least) {
  std::vector<std::int64_t> v = node.has_attr(key) ? node.attr_ints(key) : std::vector<std::int64_t>(n, fallback);
  if (v.size() != n) {
    throw Error(node.op, "attribute " + key + " with " + std::to_string(n) + " entries", shape_str(v));
  }
  for (std::int64_t e : v) {
    if (e < least || e > (std::int64_t{1} << 31)) {
      throw Error(node.op, "attribute " + key + " entries in [" + std::to_string(least) + ", 2^31]", shape_str(v));
    }
  }
  return v;
}

std::string auto_pad_of(const graph::Node& node) {
  const std::string a = string_attr(node, "auto_pad", "NOTSET");
  return a.empty() ? "NOTSET" : a;  // some exporters write "" for the default
}

}  // namespace

bool fusable_conv_attrs(const graph::Node& node) {
  const std::string a = auto_pad_of(node);
  return a == "NOTSET" || a == "VALID";
}

std::string conv_activation(const graph::Node& node) {
  const std::string act = string_attr(node, "activation", "");
  if (act != "" && act != "Relu") throw Error(node.op, "attribute activation \"\" or \"Relu\"", "\"" + act + "\"");
  return act;
}

ConvGeometry conv_geometry(const graph::Node& node, const Shape& x, const Shape& w) {
  const std::string& op = node.op;
  if (x.size() != 3 && x.size() != 4) throw Error(op, "an input X [N, C, L] or [N, C, H, W]", shape_str(x));
  if (w.size() != x.size()) {
    throw Error(op, "a weight W [M, C / group, k...] of the input's rank " + std::to_string(x.size()), shape_str(w));
  }
  const std::size_t n = x.size() - 2;
  const std::int64_t group = int_attr(node, "group", 1);
  if (group < 1) throw Error(op, "attribute group >= 1", std::to_string(group));
  if (x[1] >= 0 && w[1] >= 0 && w[1] * group != x[1]) {
    throw Error(op, "W's dimension 1 times group equal to C",
                "X " + shape_str(x) + ", W " + shape_str(w) + ", group " + std::to_string(group));
  }
  if (w[0] >= 0 && w[0] % group != 0) {
    throw Error(op, "a number of filters M divisible by group", "W " + shape_str(w) + ", group " + std::to_string(group));
  }

  std::vector<std::int64_t> kernel(w.begin() + 2, w.end());
  if (node.has_attr("kernel_shape")) {
    const std::vector<std::int64_t> k = per_axis(node, "kernel_shape", n, 1, 1);
    for (std::size_t i = 0; i < n; ++i) {
      if (kernel[i] >= 0 && kernel[i] != k[i]) {
        throw Error(op, "kernel_shape equal to the weight's spatial sizes " + shape_str(kernel), shape_str(k));
      }
      kernel[i] = k[i];
    }
  }
  const std::vector<std::int64_t> strides = per_axis(node, "strides", n, 1, 1);
  const std::vector<std::int64_t> dilations = per_axis(node, "dilations", n, 1, 1);
  const std::string auto_pad = auto_pad_of(node);
  if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    throw Error(op, "auto_pad NOTSET or VALID (a fused convolution takes explicit pads)", auto_pad);
  }
  const std::vector<std::int64_t> pads =
      auto_pad == "VALID" ? std::vector<std::int64_t>(2 * n, 0) : per_axis(node, "pads", 2 * n, 0, 0);

  ConvGeometry g;
  g.spatial = n;
  g.out = {x[0], w[0]};
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t in = x[2 + i];
    if (in < 0 || kernel[i] < 0) {
      g.out.push_back(-1);
      continue;
    }
    const std::int64_t extent = dilations[i] * (kernel[i] - 1) + 1;  // what one window spans
    const std::int64_t span = in + pads[i] + pads[n + i] - extent;
    if (span < 0) {
      throw Error(op, "a window (kernel " + shape_str(kernel) + ", dilations " + shape_str(dilations) +
                          ") that fits in the padded input",
                  "spatial sizes " + shape_str(Shape(x.begin() + 2, x.end())) + " with pads " + shape_str(pads));
    }
    g.out.push_back(span / strides[i] + 1);
  }

  // The last spatial axis is the width; a 1-D window has height 1 and no vertical padding.
  kernels::Conv2dParams& p = g.params;
  const std::size_t last = n - 1;
  if (n == 2) {
    p.stride_h = strides[0];
    p.dilation_h = dilations[0];
    p.pad_top = pads[0];
    p.pad_bottom = pads[n];
  }
  p.stride_w = strides[last];
  p.dilation_w = dilations[last];
  p.pad_left = pads[last];
  p.pad_right = pads[n + last];
  p.groups = group;
  return g;
}

double conv_flops(std::int64_t out_numel, const Shape& w) {
  // Each output element is one dot product of length C / group * k...: w's numel / M multiply-adds.
  const std::int64_t filters = std::max<std::int64_t>(1, w.empty() ? 1 : w[0]);
  return 2.0 * static_cast<double>(out_numel) * static_cast<double>(shape_numel(w) / filters);
}

}  // namespace gb::passes::detail
