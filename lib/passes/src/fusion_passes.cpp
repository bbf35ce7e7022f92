// fusion_passes.cpp: Conv + BatchNormalization folding (lesson 17), and the helpers every fusion rule
// shares (fusion_internal.hpp). Conv+Add and Conv+Relu are in fusion_passes_conv.cpp, MatMul+Add -> Gemm
// and Gemm -> Conv 1x1 in fusion_passes_gemm.cpp.
//
// Folding BatchNormalization into the convolution before it. At inference BN is an affine map per
// channel o with the statistics of training:
//   BN(y)[o] = gamma[o] (y[o] - mean[o]) / sqrt(var[o] + eps) + beta[o] = a[o] y[o] + (beta[o] - a[o] mean[o]),
//   a[o] = gamma[o] / sqrt(var[o] + eps).
// The convolution's output channel o is y[o] = W[o] * x + b[o], linear in W[o] and b[o], so
//   BN(conv(x, W, b))[o] = (a[o] W[o]) * x + a[o] (b[o] - mean[o]) + beta[o] = conv(x, W', b')[o]
// with W'[o] = a[o] W[o] and b'[o] = a[o] (b[o] - mean[o]) + beta[o]. One op and one pass over the output
// less, and no arithmetic at run time: the fold happens once, here, in double, stored back as f32.
// Preconditions: W, b (if any) and the four BN parameters are constants, the Conv's output has no other
// reader (else the unnormalised output would still be needed), var + eps > 0 for every channel.
#include <cmath>
#include <sstream>

#include "fused_ops_internal.hpp"
#include "fusion_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/passes/fused_ops.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace detail {

Graph rewrite_with(const Graph& source, const Rule& rule, std::vector<Rewrite>& log) {
  Rewriter rw(source);
  for (NodeId id : rw.order()) {
    const Node& n = source.node(id);
    if (n.op != "placeholder" && n.op != "constant" && rule(rw, n, log)) continue;
    rw.copy(id);
  }
  return rw.finish();
}

const Tensor* f32_constant(const Rewriter& rw, ValueId v) {
  const Tensor* t = rw.constant_value(v);
  return t != nullptr && t->dtype() == DType::f32 ? t : nullptr;
}

bool is_static(const Shape& shape) {
  for (std::int64_t s : shape) {
    if (s < 0) return false;
  }
  return true;
}

NodeId emit_for(Rewriter& rw, const Node& root, const std::string& op, const std::vector<ValueId>& inputs,
                Attributes attrs, const std::string& name) {
  const ValueId out = rw.emit1(op, inputs, std::move(attrs), name, root.id);
  rw.target().set_value_name(out, rw.source().value(root.outputs.at(0)).name);
  rw.replace(root.outputs.at(0), out);
  return rw.target().value(out).producer;
}

ValueId emit_constant(Rewriter& rw, const Tensor& value, const std::string& name, std::vector<NodeId>& made) {
  const ValueId v = rw.constant(value, name);
  made.push_back(rw.target().value(v).producer);
  return v;
}

Tensor f32_tensor(const std::vector<double>& values, const Shape& shape) { return Tensor::from_values(values, shape, DType::f32); }

const Node* single_use_producer(const Rewriter& rw, ValueId v, const std::vector<std::string>& ops) {
  const Node& p = rw.producer(v);
  bool known = false;
  for (const std::string& op : ops) known = known || p.op == op;
  if (!known || !rw.single_consumer(v)) return nullptr;
  const graph::ValueInfo& info = rw.source().value(v).info;
  if (info.dtype != DType::f32 || (info.shape.size() != 3 && info.shape.size() != 4)) return nullptr;
  return &p;
}

std::optional<ValueId> conv_bias_or_zero(Rewriter& rw, const Node& conv, std::vector<NodeId>& made) {
  if (conv.inputs.size() >= 3) return rw.map(conv.inputs[2]);
  const std::int64_t filters = rw.source().value(conv.inputs.at(1)).info.shape.at(0);
  if (filters < 0) return std::nullopt;
  return emit_constant(rw, Tensor::zeros({filters}, DType::f32), conv.name + "_zero_bias", made);
}

Pass rule_pass(const std::string& name, const std::string& stage, const std::string& doc, Rule rule) {
  register_fused_ops();
  Pass p;
  p.name = name;
  p.stage = stage;
  p.doc = doc;
  p.run = [rule](const Graph& graph, std::vector<Rewrite>& log) { return rewrite_with(graph, rule, log); };
  return p;
}

namespace {

// The per-channel parameters of BatchNormalization(Conv(x, W, b)) as doubles, or false when a
// precondition fails.
struct BatchNormFold {
  std::vector<double> gamma, beta, mean, var;
  double epsilon = 1e-5;
};

bool read_batch_norm(const Rewriter& rw, const Node& bn, std::int64_t filters, BatchNormFold& f) {
  if (bn.inputs.size() != 5 || bn.outputs.size() != 1) return false;
  if (bn.has_attr("training_mode") && bn.attr_int("training_mode") != 0) return false;
  std::vector<double>* params[] = {&f.gamma, &f.beta, &f.mean, &f.var};
  for (std::size_t i = 0; i < 4; ++i) {
    const Tensor* t = f32_constant(rw, bn.inputs[i + 1]);
    if (t == nullptr || t->numel() != filters) return false;
    *params[i] = t->to_vector();
  }
  f.epsilon = bn.has_attr("epsilon") ? bn.attr_float("epsilon") : 1e-5;
  for (double v : f.var) {
    if (!(v + f.epsilon > 0.0)) return false;
  }
  return true;
}

bool fold_conv_batch_norm(Rewriter& rw, const Node& bn, std::vector<Rewrite>& log) {
  if (bn.op != "BatchNormalization") return false;
  const Node* conv = single_use_producer(rw, bn.inputs.at(0), {"Conv"});
  if (conv == nullptr || conv->inputs.size() < 2) return false;
  const Tensor* weight = f32_constant(rw, conv->inputs[1]);
  if (weight == nullptr || weight->ndim() < 3) return false;
  const Tensor* bias = conv->inputs.size() >= 3 ? f32_constant(rw, conv->inputs[2]) : nullptr;
  if (conv->inputs.size() >= 3 && bias == nullptr) return false;
  const std::int64_t filters = weight->size(0);
  BatchNormFold f;
  if (!read_batch_norm(rw, bn, filters, f)) return false;

  Tensor b_in = bias != nullptr ? *bias : Tensor();
  const auto as_f32 = [](const std::vector<double>& v) { return f32_tensor(v, {static_cast<std::int64_t>(v.size())}); };
  const auto [w_folded, b_folded] = passes::fold_batch_norm(*weight, b_in, as_f32(f.gamma), as_f32(f.beta), as_f32(f.mean),
                                                    as_f32(f.var), f.epsilon);

  Rewrite r{"conv_bn_fold", {conv->id, bn.id}, {}, ""};
  const ValueId w_new = emit_constant(rw, w_folded, conv->name + "_W_bn", r.after);
  const ValueId b_new = emit_constant(rw, b_folded, conv->name + "_B_bn", r.after);
  r.after.push_back(emit_for(rw, bn, "Conv", {rw.map(conv->inputs[0]), w_new, b_new}, conv->attrs, conv->name));
  std::ostringstream detail;
  detail << "W' = W * gamma / sqrt(var + eps), b' = gamma (b - mean) / sqrt(var + eps) + beta: " << filters
         << " output channels, eps " << f.epsilon;
  r.detail = detail.str();
  log.push_back(std::move(r));
  return true;
}

}  // namespace

}  // namespace detail

std::pair<Tensor, Tensor> fold_batch_norm(const Tensor& weight, const Tensor& bias, const Tensor& gamma,
                                          const Tensor& beta, const Tensor& mean, const Tensor& var, double epsilon) {
  if (!weight.defined() || weight.ndim() < 1 || weight.size(0) < 1) {
    throw Error("fold_batch_norm", "a weight [O, ...] with O >= 1", weight.defined() ? shape_str(weight.shape()) : "none");
  }
  const std::int64_t filters = weight.size(0);
  for (const Tensor* t : {&gamma, &beta, &mean, &var}) {
    if (!t->defined() || t->numel() != filters) {
      throw Error("fold_batch_norm", std::to_string(filters) + " per-channel values (one per filter)",
                  t->defined() ? shape_str(t->shape()) : "none");
    }
  }
  if (bias.defined() && bias.numel() != filters) {
    throw Error("fold_batch_norm", "a bias of " + std::to_string(filters) + " values", shape_str(bias.shape()));
  }
  const std::vector<double> g = gamma.to_vector(), be = beta.to_vector(), mu = mean.to_vector(), v = var.to_vector();
  for (std::size_t o = 0; o < v.size(); ++o) {
    if (!(v[o] + epsilon > 0.0)) {
      throw Error("fold_batch_norm", "var + eps > 0 in every channel", "channel " + std::to_string(o) + ": " + std::to_string(v[o] + epsilon));
    }
  }
  // BEGIN EXERCISE(passes.fusion.bn_fold)
  // a[o] = gamma[o] / sqrt(var[o] + eps); W'[o] = a[o] W[o]; b'[o] = a[o] (b[o] - mean[o]) + beta[o].
  std::vector<double> w = weight.to_vector();
  const std::vector<double> b = bias.defined() ? bias.to_vector() : std::vector<double>(g.size(), 0.0);
  std::vector<double> b_folded(b.size());
  const std::size_t per_filter = w.size() / static_cast<std::size_t>(filters);
  for (std::size_t o = 0; o < b.size(); ++o) {
    const double a = g[o] / std::sqrt(v[o] + epsilon);
    for (std::size_t k = 0; k < per_filter; ++k) w[o * per_filter + k] *= a;
    b_folded[o] = a * (b[o] - mu[o]) + be[o];
  }
  return {Tensor::from_values(w, weight.shape(), DType::f32), Tensor::from_values(b_folded, {filters}, DType::f32)};
  // END EXERCISE
}

Pass conv_bn_folding() {
  return detail::rule_pass(
      "conv_bn_folding", "fusion",
      "BatchNormalization(Conv(x, W, b)) -> Conv(x, W', b'): the per-channel affine map folded into the weights",
      detail::fold_conv_batch_norm);
}

}  // namespace gb::passes
