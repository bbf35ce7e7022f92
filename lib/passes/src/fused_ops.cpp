// fused_ops.cpp: FusedConv, the op that conv_add_fusion and conv_relu_fusion emit (lesson 17), and
// register_fused_ops, which registers it with the NC4HW4 ops of fused_ops_nc4hw4.cpp.
//
// Why fuse? Unfused, Relu(Add(Conv(x, W, B), z)) runs three kernels and writes three tensors of the
// output's size: the convolution writes y, Add reads y and z and writes s, Relu reads s and writes r.
// FusedConv writes y once and finishes every element while it is still in cache:
//
//   y = conv(x, W) + B             gb::kernels::conv2d (the chooser's algorithm, the bias included)
//   y[i] = act(y[i] + z[i])        one pass over the output: the residual sum and the activation
//
// ONNX Runtime's com.microsoft.FusedConv does the same (its Z input and activation attribute). The
// attributes are ONNX Conv's (fused_ops_conv_attrs.cpp) plus "activation" ("" or "Relu").
#include <mutex>

#include "fused_ops_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/graph/registry.hpp"
#include "gb/passes/fused_ops.hpp"

namespace gb::passes {

namespace detail {

namespace {

using graph::InferContext;
using graph::KernelContext;
using graph::ValueInfo;

// Sizes equal, or one of them unknown (-1).
bool same_shape(const Shape& a, const Shape& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
  }
  return true;
}

std::vector<ValueInfo> fused_conv_infer(const InferContext& ctx) {
  const std::string& op = ctx.node.op;
  if (ctx.inputs.size() != 3 && ctx.inputs.size() != 4) {
    throw Error(op, "inputs X, W, B and an optional Z", std::to_string(ctx.inputs.size()) + " inputs");
  }
  static const char* names[] = {"X", "W", "B", "Z"};
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (ctx.inputs[i].dtype != DType::f32) {
      throw Error(op, std::string(names[i]) + " of dtype f32", graph::info_str(ctx.inputs[i]));
    }
  }
  conv_activation(ctx.node);
  const Shape& w = ctx.inputs[1].shape;
  ConvGeometry g = conv_geometry(ctx.node, ctx.inputs[0].shape, w);
  const Shape& b = ctx.inputs[2].shape;
  if (b.size() != 1 || (b[0] >= 0 && w[0] >= 0 && b[0] != w[0])) {
    throw Error(op, "a bias B [M] with M = W's dimension 0", "B " + shape_str(b) + ", W " + shape_str(w));
  }
  if (ctx.inputs.size() == 4) {
    const Shape& z = ctx.inputs[3].shape;
    if (!same_shape(z, g.out)) throw Error(op, "a residual Z of the output's shape " + shape_str(g.out), shape_str(z));
    for (std::size_t i = 0; i < z.size(); ++i) {
      if (g.out[i] < 0) g.out[i] = z[i];  // Z may know a size the input does not
    }
  }
  return {{DType::f32, g.out}};
}

std::vector<Tensor> fused_conv_kernel(const KernelContext& ctx) {
  const Tensor& x = ctx.inputs.at(0);
  const Tensor& w = ctx.inputs.at(1);
  const Tensor& b = ctx.inputs.at(2);
  const ConvGeometry g = conv_geometry(ctx.node, x.shape(), w.shape());
  const bool relu = conv_activation(ctx.node) == "Relu";
  const bool one_d = g.spatial == 1;  // [N, C, L] runs as [N, C, 1, L]

  // The convolution and the bias: lib/kernels, the algorithm the chooser picks for this shape.
  Tensor y = kernels::conv2d(one_d ? x.unsqueeze(2) : x, one_d ? w.unsqueeze(2) : w, b, g.params,
                             kernels::ConvAlgo::best);
  if (one_d) y = y.squeeze(2);

  // The residual sum and the activation: one pass over the output.
  Tensor z;
  if (ctx.inputs.size() == 4) {
    z = ctx.inputs[3].contiguous();
    if (z.shape() != y.shape()) {
      throw Error(ctx.node.op, "a residual Z of the output's shape " + shape_str(y.shape()), shape_str(z.shape()));
    }
  }
  float* out = y.data<float>();
  const float* residual = z.defined() ? z.data<float>() : nullptr;
  const std::int64_t count = y.numel();
  for (std::int64_t i = 0; i < count; ++i) {
    float v = out[i];
    if (residual != nullptr) v += residual[i];
    if (relu && v < 0.0f) v = 0.0f;
    out[i] = v;
  }
  return {y};
}

void register_fused_conv() {
  graph::OpDef def;
  def.name = "FusedConv";
  def.num_inputs = -1;  // X, W, B, optional Z
  def.infer = fused_conv_infer;
  def.kernel = fused_conv_kernel;
  def.cost = [](const KernelContext& ctx) {
    const ConvGeometry g = conv_geometry(ctx.node, ctx.inputs.at(0).shape(), ctx.inputs.at(1).shape());
    return conv_flops(shape_numel(g.out), ctx.inputs.at(1).shape());
  };
  def.doc = "FusedConv: act(conv(X, W) + B + Z) in one pass over the output (ONNX Conv's attributes, activation \"\" or \"Relu\")";
  graph::register_op(def);
}

}  // namespace

}  // namespace detail

void register_fused_ops() {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::register_fused_conv();
    detail::register_nc4hw4_ops();
  });
}

}  // namespace gb::passes
