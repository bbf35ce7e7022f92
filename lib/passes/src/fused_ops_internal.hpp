// fused_ops_internal.hpp: what the fused ops (fused_ops*.cpp) and the passes that emit them
// (fusion_passes*.cpp, layout_pass*.cpp) share: ONNX Conv's attributes read into a convolution's geometry.
//
// lib/passes may not include lib/convert (lib/convert depends on it), so this is a small parser of its
// own for the attributes a fused convolution keeps from the ONNX Conv it replaces:
//   kernel_shape  optional; when given it must equal the weight's spatial sizes
//   strides, dilations   one entry >= 1 per spatial axis (default 1)
//   pads          [x1_begin, x2_begin, x1_end, x2_end] (ONNX's order: all begins, then all ends; default 0)
//   group         >= 1, dividing C and M (default 1)
//   auto_pad      NOTSET (or "") uses pads, VALID means no padding. SAME_UPPER / SAME_LOWER are a gb::Error:
//                 the fusion rules do not fuse such a Conv (see fusable_conv_attrs).
// Output size per axis: floor((in + begin + end - (dilation * (k - 1) + 1)) / stride) + 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"
#include "gb/kernels/conv.hpp"

namespace gb::passes::detail {

// An attribute with ONNX's default when it is absent (gb::Error when present with another type).
std::int64_t int_attr(const graph::Node& node, const std::string& key, std::int64_t fallback);
std::string string_attr(const graph::Node& node, const std::string& key, const std::string& fallback);

// The geometry of one convolution, 1-D ([N, C, L]) or 2-D ([N, C, H, W]); a 1-D one is a 2-D one of
// height 1 for lib/kernels.
struct ConvGeometry {
  kernels::Conv2dParams params;  // strides, pads, dilations, groups as conv2d takes them
  std::size_t spatial = 2;       // number of spatial axes, 1 or 2
  Shape out;                     // [N, M, spatial sizes...], -1 where an input size is unknown
};

// Reads and checks node's Conv attributes against the input shape x [N, C, ...] and the weight shape
// w [M, C / group, k...] (sizes may be -1 at inference). gb::Error naming node.op otherwise.
ConvGeometry conv_geometry(const graph::Node& node, const Shape& x, const Shape& w);

// "" or "Relu" (attribute "activation" of FusedConv / ConvNC4HW4); gb::Error for anything else.
std::string conv_activation(const graph::Node& node);

// Whether a Conv node's attributes are ones FusedConv / ConvNC4HW4 take (auto_pad NOTSET, "" or VALID):
// the fusion and layout rules check it before they emit a fused convolution.
bool fusable_conv_attrs(const graph::Node& node);

// Floating-point operations of a convolution with `out_numel` output elements and weight w [M, C / group,
// k...] (2 per multiply-add), for the ops' cost functions.
double conv_flops(std::int64_t out_numel, const Shape& w);

// Registration of the NC4HW4 ops (fused_ops_nc4hw4.cpp), called by register_fused_ops (fused_ops.cpp).
void register_nc4hw4_ops();

}  // namespace gb::passes::detail
