// onnx_ops_conv_window.hpp: what the sliding-window ONNX ops share (Conv, QLinearConv, MaxPool,
// AveragePool): the window's geometry read from ONNX's attributes, and the registration functions of
// the files that implement them (onnx_ops_conv*.cpp, onnx_ops_quant*.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"
#include "gb/kernels/conv.hpp"

namespace gb::convert::detail {

// The geometry of a window sliding over the spatial axes (1 or 2 of them: ONNX's [N, C, L] or
// [N, C, H, W]; glassbox runs a 1-D window as a 2-D one of height 1). One entry per spatial axis.
//   kernel_shape, strides (default 1), dilations (default 1),
//   pads = [x1_begin, x2_begin, ..., x1_end, x2_end] (default 0; ONNX's order: all begins, then all ends),
//   auto_pad = NOTSET (use pads) | VALID (no padding) | SAME_UPPER | SAME_LOWER (output = ceil(in / stride),
//   the padding that needs split in two, the odd one at the end for UPPER, at the beginning for LOWER).
// Output per axis, NOTSET / VALID:  floor_or_ceil((in + begin + end - (dilation * (k - 1) + 1)) / stride) + 1.
struct Window {
  std::vector<std::int64_t> kernel, strides, dilations, pad_begin, pad_end;
  std::vector<std::int64_t> out;  // -1 where the input size is unknown before the run
};

// Reads and checks the attributes of `node` for an input whose spatial sizes are `in` (-1 = unknown)
// and a kernel of `kernel` (from the weight; empty = take kernel_shape, which pooling requires).
// gb::Error for missing or inconsistent attributes, a window larger than the padded input, an
// empty output; ceil_mode rounds the output size up (pooling; an auto_pad other than NOTSET ignores it).
Window read_window(const graph::Node& node, const std::vector<std::int64_t>& in, const std::vector<std::int64_t>& kernel,
                   bool ceil_mode = false);

// The window as lib/kernels' 2-D convolution parameters (a 1-D window becomes height 1).
kernels::Conv2dParams conv2d_params(const Window& window, std::int64_t groups);

// Checks that a sliding-window input has rank 3 or 4 (1-D or 2-D): the 3-D windows of ONNX are
// Unsupported (gb/convert/onnx_import.hpp); returns the number of spatial axes.
std::size_t spatial_rank(const std::string& op, const Shape& x);
// A [N, C, L] tensor seen as [N, C, 1, L] (a view), a 4-D one unchanged.
Tensor as_2d(const Tensor& x);

// Checks a convolution's input X, weight W [M, C / group, k...] and bias B [M] (may be null) against each
// other and the attribute group (Conv and QLinearConv; sizes may be -1 at inference); returns the window.
Window check_conv(const graph::Node& node, const Shape& x, const Shape& w, const Shape* b);

// The registration functions of the other kernel-backed files; register_kernel_onnx_ops (onnx_ops_conv.cpp)
// calls them and concatenates the names.
std::vector<std::string> register_pool_onnx_ops();         // onnx_ops_conv_pool.cpp
std::vector<std::string> register_norm_onnx_ops();         // onnx_ops_conv_norm.cpp
std::vector<std::string> register_quantize_onnx_ops();     // onnx_ops_quant.cpp
std::vector<std::string> register_qlinear_onnx_ops();      // onnx_ops_quant_linear.cpp

}  // namespace gb::convert::detail
