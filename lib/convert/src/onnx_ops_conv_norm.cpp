// onnx_ops_conv_norm.cpp: the global pools and BatchNormalization in inference mode.
//
// GlobalAveragePool / GlobalMaxPool: X [N, C, d1, d2, ...] -> Y [N, C, 1, 1, ...], the mean / max of each
// channel's plane. Any number of spatial axes: the plane is seen as [N, C, 1, d1*d2*...] and pooled by
// lib/kernels' avg_pool2d / max_pool2d with one window the size of the plane.
//
// BatchNormalization (inference): with the statistics the training run kept (input_mean, input_var),
//   y = scale[c] * (x - mean[c]) / sqrt(var[c] + epsilon) + B[c]        (c = axis 1, epsilon default 1e-5)
// computed per channel as y = a x + b with a = scale / sqrt(var + eps), b = B - a mean: the same
// multiply-add a Conv+BatchNorm fold bakes into the weights (lesson 17). training_mode = 1 (opset 14+,
// batch statistics and running-stat outputs) and spatial = 0 (opsets 7-8, per-element statistics) are
// Unsupported.
#include <cmath>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/kernels/pool.hpp"
#include "onnx_ops_conv_window.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

namespace {

graph::OpDef global_pool_op(const std::string& name, bool average) {
  graph::OpDef def;
  def.name = name;
  def.num_inputs = 1;
  def.infer = [](const graph::InferContext& ctx) {
    const graph::ValueInfo& x = ctx.inputs[0];
    if (x.dtype != DType::f32) throw Unsupported(ctx.node.op, "an input of dtype f32", dtype_name(x.dtype));
    if (x.shape.size() < 3) throw Error(ctx.node.op, "an input [N, C, d1, ...] of rank >= 3", shape_str(x.shape));
    Shape out(x.shape.size(), 1);
    out[0] = x.shape[0];
    out[1] = x.shape[1];
    return std::vector<graph::ValueInfo>{{DType::f32, out}};
  };
  def.kernel = [average](const graph::KernelContext& ctx) {
    const Tensor& x = ctx.inputs[0];
    const std::int64_t plane = shape_numel({x.shape().begin() + 2, x.shape().end()});
    kernels::Pool2dParams p;
    p.kernel_h = 1;
    p.kernel_w = plane;
    const Tensor flat = x.contiguous().reshape({x.size(0), x.size(1), 1, plane});
    const Tensor y = average ? kernels::avg_pool2d(flat, p) : kernels::max_pool2d(flat, p);
    Shape out(x.ndim(), 1);
    out[0] = x.size(0);
    out[1] = x.size(1);
    return std::vector<Tensor>{y.reshape(out)};
  };
  return def;
}

std::vector<graph::ValueInfo> batch_norm_infer(const graph::InferContext& ctx) {
  const graph::Node& node = ctx.node;
  if (attr_int(node, "training_mode", 0) != 0) {
    throw Unsupported(node.op, "training_mode 0 (inference with the given statistics)", "training_mode 1");
  }
  if (attr_int(node, "spatial", 1) != 1) throw Unsupported(node.op, "spatial 1 (per-channel statistics)", "spatial 0");
  if (ctx.inputs.size() != 5) {
    throw Error(node.op, "5 inputs X, scale, B, input_mean, input_var", std::to_string(ctx.inputs.size()) + " inputs");
  }
  const Shape& x = ctx.inputs[0].shape;
  if (x.size() < 2) throw Error(node.op, "an input X [N, C, ...] of rank >= 2", shape_str(x));
  static const char* names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (std::size_t i = 0; i < 5; ++i) {
    if (ctx.inputs[i].dtype != DType::f32) throw Unsupported(node.op, std::string(names[i]) + " of dtype f32", dtype_name(ctx.inputs[i].dtype));
    if (i == 0) continue;
    const Shape& s = ctx.inputs[i].shape;
    if (s.size() != 1 || (x[1] >= 0 && s[0] >= 0 && s[0] != x[1])) {
      throw Error(node.op, std::string(names[i]) + " [C] with C = X's dimension 1", shape_str(s) + " for X " + shape_str(x));
    }
  }
  return {ctx.inputs[0]};
}

std::vector<Tensor> batch_norm_kernel(const graph::KernelContext& ctx) {
  const Tensor x = ctx.inputs[0].contiguous();
  const std::int64_t batch = x.size(0), channels = x.size(1), plane = shape_numel({x.shape().begin() + 2, x.shape().end()});
  for (std::size_t i = 1; i < 5; ++i) {
    if (ctx.inputs[i].numel() != channels) {
      throw Error(ctx.node.op, "per-channel inputs of " + std::to_string(channels) + " entries",
                  shape_str(ctx.inputs[i].shape()));
    }
  }
  const double epsilon = attr_float(ctx.node, "epsilon", 1e-5);
  const std::vector<double> scale = ctx.inputs[1].to_vector(), bias = ctx.inputs[2].to_vector();
  const std::vector<double> mean = ctx.inputs[3].to_vector(), var = ctx.inputs[4].to_vector();
  std::vector<float> a(static_cast<std::size_t>(channels)), b(a.size());
  for (std::size_t c = 0; c < a.size(); ++c) {
    if (!(var[c] + epsilon > 0.0)) {
      throw Error(ctx.node.op, "input_var + epsilon > 0", "channel " + std::to_string(c) + ": " + std::to_string(var[c] + epsilon));
    }
    const double inv_std = 1.0 / std::sqrt(var[c] + epsilon);
    a[c] = static_cast<float>(scale[c] * inv_std);
    b[c] = static_cast<float>(bias[c] - scale[c] * inv_std * mean[c]);
  }
  Tensor y = Tensor::empty(x.shape(), DType::f32);
  const float* in = x.data<float>();
  float* out = y.data<float>();
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::size_t c = 0; c < a.size(); ++c) {
      for (std::int64_t i = 0; i < plane; ++i) *out++ = a[c] * *in++ + b[c];
    }
  }
  return {y};
}

}  // namespace

std::vector<std::string> register_norm_onnx_ops() {
  graph::OpDef gap = global_pool_op("GlobalAveragePool", true);
  gap.doc = "ONNX GlobalAveragePool: the mean of each channel's plane (gb::kernels::avg_pool2d, one window)";
  graph::register_op(gap);
  graph::OpDef gmp = global_pool_op("GlobalMaxPool", false);
  gmp.doc = "ONNX GlobalMaxPool: the max of each channel's plane (gb::kernels::max_pool2d, one window)";
  graph::register_op(gmp);

  graph::OpDef bn;
  bn.name = "BatchNormalization";
  bn.num_inputs = 5;
  bn.infer = batch_norm_infer;
  bn.kernel = batch_norm_kernel;
  bn.doc = "ONNX BatchNormalization, inference: scale (x - mean) / sqrt(var + epsilon) + B per channel (axis 1)";
  graph::register_op(bn);
  return {"GlobalAveragePool", "GlobalMaxPool", "BatchNormalization"};
}

}  // namespace gb::convert::detail
