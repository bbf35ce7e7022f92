// fusion_passes_conv.cpp: what a convolution absorbs from the ops after it (lesson 17).
//
// conv_add_fusion, matched at the Add, one operand the output of a Conv that nothing else reads:
//   Add(Conv(x, W, b), bias), bias a constant that adds one number per output channel (shape [1, M, 1, 1],
//     [M, 1, 1], [1] or any shape whose only size > 1 is M on the channel axis, NumPy-aligned on the right)
//     -> Conv(x, W, b + bias): the sum happens once, here, not once per pixel at run time.
//     (A 1-D constant [M] is not a per-channel bias of an [N, M, H, W] output: NumPy aligns it with the
//     width axis. It stays an Add, unless it is the residual case below.)
//   Add(Conv(x, W, b), z), z any f32 tensor of the output's shape (a residual connection)
//     -> FusedConv(x, W, b, z) (fused_ops.hpp): the sum is done while the output is written.
// conv_relu_fusion, matched at the Relu:
//   Relu(Conv(x, W, b)) or Relu(FusedConv(x, W, b[, z])) with no activation yet
//     -> FusedConv(x, W, b[, z], activation "Relu").
// A Conv without bias gets a zero bias (FusedConv takes B always). A Conv with auto_pad SAME_* is not
// fused (FusedConv takes explicit pads).
#include <sstream>

#include "fused_ops_internal.hpp"
#include "fusion_internal.hpp"
#include "gb/core/shape.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace detail {

namespace {

// The values of a constant that adds one number per channel to an output of rank `rank` with `filters`
// channels (axis 1), as [filters] doubles; false when the constant varies along another axis.
bool per_channel_values(const Tensor& c, std::int64_t filters, std::size_t rank, std::vector<double>& out) {
  if (c.ndim() > rank) return false;
  const std::size_t first = rank - c.ndim();  // output axis of c's axis 0
  bool along_channels = false;
  for (std::size_t j = 0; j < c.ndim(); ++j) {
    const std::int64_t size = c.size(static_cast<std::int64_t>(j));
    if (first + j == 1 && size == filters) {
      along_channels = true;
    } else if (size != 1) {
      return false;
    }
  }
  const std::vector<double> v = c.to_vector();
  out = along_channels ? v : std::vector<double>(static_cast<std::size_t>(filters), v.at(0));
  return true;
}

// Add(Conv(x, W, b), bias) -> Conv(x, W, b + bias).
bool fold_bias(Rewriter& rw, const Node& add, const Node& conv, ValueId other, std::vector<Rewrite>& log) {
  const Tensor* bias = f32_constant(rw, other);
  const Shape& y = rw.source().value(conv.outputs[0]).info.shape;
  const std::int64_t filters = y[1];
  if (bias == nullptr || filters < 0) return false;
  std::vector<double> sum;
  if (!per_channel_values(*bias, filters, y.size(), sum)) return false;
  if (conv.inputs.size() >= 3) {
    const Tensor* b = f32_constant(rw, conv.inputs[2]);
    if (b == nullptr || b->numel() != filters) return false;
    const std::vector<double> old = b->to_vector();
    for (std::size_t o = 0; o < sum.size(); ++o) sum[o] += old[o];
  }
  Rewrite r{"conv_add_bias", {conv.id, add.id}, {}, ""};
  const ValueId b_new = emit_constant(rw, f32_tensor(sum, {filters}), conv.name + "_B_add", r.after);
  r.after.push_back(
      emit_for(rw, add, "Conv", {rw.map(conv.inputs[0]), rw.map(conv.inputs[1]), b_new}, conv.attrs, conv.name));
  r.detail = "b' = b + bias (" + shape_str(bias->shape()) + " per channel): " + std::to_string(filters) + " output channels";
  log.push_back(std::move(r));
  return true;
}

// Add(Conv(x, W, b), z) -> FusedConv(x, W, b, z).
bool fuse_residual(Rewriter& rw, const Node& add, const Node& conv, ValueId other, std::vector<Rewrite>& log) {
  const graph::ValueInfo& z = rw.source().value(other).info;
  const Shape& y = rw.source().value(conv.outputs[0]).info.shape;
  if (z.dtype != DType::f32 || z.shape != y || !is_static(y) || !fusable_conv_attrs(conv)) return false;
  Rewrite r{"conv_add_residual", {conv.id, add.id}, {}, ""};
  const std::optional<ValueId> bias = conv_bias_or_zero(rw, conv, r.after);
  if (!bias) return false;
  Attributes attrs = conv.attrs;
  attrs["activation"] = std::string();
  r.after.push_back(emit_for(rw, add, "FusedConv", {rw.map(conv.inputs[0]), rw.map(conv.inputs[1]), *bias, rw.map(other)},
                             std::move(attrs), conv.name));
  r.detail = "Y = conv(X, W) + B + Z in one pass over the output: Z " + graph::info_str(z);
  log.push_back(std::move(r));
  return true;
}

bool fuse_conv_add(Rewriter& rw, const Node& add, std::vector<Rewrite>& log) {
  if (add.op != "Add" || add.inputs.size() != 2) return false;
  const Shape& out = rw.source().value(add.outputs.at(0)).info.shape;
  for (std::size_t k = 0; k < 2; ++k) {
    const Node* conv = single_use_producer(rw, add.inputs[k], {"Conv"});
    if (conv == nullptr || conv->inputs.size() < 2) continue;
    // The Add must not broadcast the convolution's output to a larger shape.
    if (rw.source().value(conv->outputs[0]).info.shape != out) continue;
    const ValueId other = add.inputs[1 - k];
    if (fold_bias(rw, add, *conv, other, log) || fuse_residual(rw, add, *conv, other, log)) return true;
  }
  return false;
}

// Relu(Conv(...)) / Relu(FusedConv(...)) -> FusedConv(..., activation "Relu").
bool fuse_conv_relu(Rewriter& rw, const Node& relu, std::vector<Rewrite>& log) {
  if (relu.op != "Relu" || relu.inputs.size() != 1) return false;
  const Node* conv = single_use_producer(rw, relu.inputs[0], {"Conv", "FusedConv"});
  if (conv == nullptr || conv->inputs.size() < 2 || !fusable_conv_attrs(*conv)) return false;
  if (conv->op == "FusedConv" && conv_activation(*conv) != "") return false;
  Rewrite r{"conv_relu", {conv->id, relu.id}, {}, ""};
  const std::optional<ValueId> bias = conv_bias_or_zero(rw, *conv, r.after);
  if (!bias) return false;
  std::vector<ValueId> inputs{rw.map(conv->inputs[0]), rw.map(conv->inputs[1]), *bias};
  if (conv->inputs.size() == 4) inputs.push_back(rw.map(conv->inputs[3]));  // FusedConv's residual Z
  Attributes attrs = conv->attrs;
  attrs["activation"] = std::string("Relu");
  r.after.push_back(emit_for(rw, relu, "FusedConv", inputs, std::move(attrs), conv->name));
  const std::int64_t filters = rw.source().value(conv->outputs[0]).info.shape[1];
  r.detail = std::string("Y = max(conv(X, W) + B") + (inputs.size() == 4 ? " + Z" : "") +
             ", 0) in one pass over the output: " + std::to_string(filters) + " output channels";
  log.push_back(std::move(r));
  return true;
}

}  // namespace

}  // namespace detail

Pass conv_add_fusion() {
  return detail::rule_pass(
      "conv_add_fusion", "fusion",
      "Add(Conv, per-channel constant) -> Conv with the summed bias; Add(Conv, z) -> FusedConv with residual z",
      detail::fuse_conv_add);
}

Pass conv_relu_fusion() {
  return detail::rule_pass("conv_relu_fusion", "fusion",
                           "Relu(Conv) / Relu(FusedConv) -> FusedConv with activation Relu", detail::fuse_conv_relu);
}

}  // namespace gb::passes
