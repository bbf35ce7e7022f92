// onnx_ops_conv.cpp: ONNX's Conv on lib/kernels' convolution, and register_kernel_onnx_ops, which registers
// every kernel-backed op (this file, onnx_ops_conv_pool.cpp,
// onnx_ops_conv_norm.cpp, onnx_ops_quant.cpp, onnx_ops_quant_linear.cpp).
//
// Conv (opsets 1-11, unchanged since): Y = conv(X, W) + B with
//   X [N, C, H, W] (or [N, C, L]), W [M, C / group, kH, kW], optional B [M], Y [N, M, oH, oW];
//   attributes strides, pads [top, left, bottom, right], dilations, group, kernel_shape, auto_pad
//   (onnx_ops_conv_window.hpp). ONNX's Conv is PyTorch's: a cross-correlation, weights OIHW, so it maps
//   one to one onto gb::kernels::conv2d, whose chooser (ConvAlgo::best) picks direct for depthwise,
//   Winograd for 3x3 stride-1 layers with enough channels and tiles, im2col for the rest.
// A 1-D Conv runs as a 2-D one of height 1; 3-D is Unsupported.
#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/kernels/conv.hpp"
#include "onnx_ops_conv_window.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

namespace {

void require_f32(const std::string& op, const std::string& what, DType dtype) {
  if (dtype != DType::f32) throw Unsupported(op, what + " of dtype f32", dtype_name(dtype));
}

// The spatial sizes of a shape [N, C, spatial...].
std::vector<std::int64_t> spatial(const Shape& s) { return {s.begin() + 2, s.end()}; }

}  // namespace

Window check_conv(const graph::Node& node, const Shape& x, const Shape& w, const Shape* b) {
  const std::string& op = node.op;
  spatial_rank(op, x);  // 1-D or 2-D, else Unsupported
  if (w.size() != x.size()) {
    throw Error(op, "a weight W [M, C / group, k...] of the input's rank " + std::to_string(x.size()), shape_str(w));
  }
  const std::int64_t group = attr_int(node, "group", 1);
  if (group < 1) throw Error(op, "group >= 1", std::to_string(group));
  const std::int64_t channels = x[1], filters = w[0];
  if (channels >= 0 && (channels % group != 0 || (w[1] >= 0 && w[1] * group != channels))) {
    throw Error(op, "C divisible by group and W's dimension 1 equal to C / group",
                "X " + shape_str(x) + ", W " + shape_str(w) + ", group " + std::to_string(group));
  }
  if (filters >= 0 && filters % group != 0) {
    throw Error(op, "a number of filters M divisible by group", "W " + shape_str(w) + ", group " + std::to_string(group));
  }
  if (b != nullptr && (b->size() != 1 || (filters >= 0 && (*b)[0] >= 0 && (*b)[0] != filters))) {
    throw Error(op, "a bias B [M] with M = W's dimension 0", "B " + shape_str(*b) + ", W " + shape_str(w));
  }
  std::vector<std::int64_t> kernel = spatial(w);
  for (std::int64_t k : kernel) {
    if (k < 0) kernel.clear();  // a weight of unknown size: kernel_shape must say it
  }
  return read_window(node, spatial(x), kernel);
}

namespace {

std::vector<graph::ValueInfo> conv_infer(const graph::InferContext& ctx) {
  const std::string& op = ctx.node.op;
  if (ctx.inputs.size() < 2 || ctx.inputs.size() > 3) {
    throw Error(op, "inputs X, W and an optional B", std::to_string(ctx.inputs.size()) + " inputs");
  }
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) require_f32(op, i == 0 ? "X" : i == 1 ? "W" : "B", ctx.inputs[i].dtype);
  const Shape& x = ctx.inputs[0].shape;
  const Shape& w = ctx.inputs[1].shape;
  const Window win = check_conv(ctx.node, x, w, ctx.inputs.size() == 3 ? &ctx.inputs[2].shape : nullptr);
  Shape out{x[0], w[0]};
  out.insert(out.end(), win.out.begin(), win.out.end());
  return {{DType::f32, out}};
}

std::vector<Tensor> conv_kernel(const graph::KernelContext& ctx) {
  const Tensor& x = ctx.inputs[0];
  const Tensor& w = ctx.inputs[1];
  const Tensor b = ctx.inputs.size() == 3 ? ctx.inputs[2] : Tensor();
  const Window win = check_conv(ctx.node, x.shape(), w.shape(), b.defined() ? &b.shape() : nullptr);
  const kernels::Conv2dParams p = conv2d_params(win, attr_int(ctx.node, "group", 1));
  Tensor y = kernels::conv2d(as_2d(x), as_2d(w), b, p, kernels::ConvAlgo::best);
  if (x.ndim() == 3) y = y.squeeze(2);  // back to [N, M, oL]
  return {y};
}

}  // namespace

std::vector<std::string> register_kernel_onnx_ops() {
  graph::OpDef conv;
  conv.name = "Conv";
  conv.num_inputs = -1;  // X, W, optional B
  conv.infer = conv_infer;
  conv.kernel = conv_kernel;
  conv.doc = "ONNX Conv (1-D, 2-D): gb::kernels::conv2d, the chooser's algorithm; strides, pads, dilations, group, auto_pad";
  graph::register_op(conv);

  std::vector<std::string> names{"Conv"};
  for (const auto& more : {register_pool_onnx_ops(), register_norm_onnx_ops(), register_quantize_onnx_ops(), register_qlinear_onnx_ops()}) {
    names.insert(names.end(), more.begin(), more.end());
  }
  return names;
}

}  // namespace gb::convert::detail
