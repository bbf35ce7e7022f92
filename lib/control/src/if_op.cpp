// if_op.cpp: the functional If op (inputs [cond, args...], attrs then_branch / else_branch).
//
// Its VJP is another If: over the backward graphs of the two branches, so the gradient flows
// through the branch that was taken and only that one (lax.cond's rule, TF2's If gradient).
#include <optional>

#include "control_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/registry.hpp"

namespace gb::control::detail {

namespace {

std::vector<graph::ValueInfo> infer_if(const graph::InferContext& ctx) {
  if (ctx.inputs.empty()) throw Error("If", "inputs [cond, args...]", "no inputs");
  const graph::ValueInfo& cond = ctx.inputs[0];
  if (!cond.shape.empty()) {
    throw Error("If", "a scalar cond (shape [])", "cond " + graph::info_str(cond) + " in '" + ctx.node.name + "'");
  }
  const std::vector<graph::ValueInfo> args(ctx.inputs.begin() + 1, ctx.inputs.end());
  const graph::Graph& then_branch = subgraph(ctx.node, "then_branch");
  const graph::Graph& else_branch = subgraph(ctx.node, "else_branch");
  check_feeds("If", "a then_branch", then_branch, args);
  check_feeds("If", "an else_branch", else_branch, args);
  const std::vector<graph::ValueInfo> then_out = output_infos(then_branch);
  const std::vector<graph::ValueInfo> else_out = output_infos(else_branch);
  if (then_out != else_out) {
    throw Error("If", "branches with the same output infos in '" + ctx.node.name + "'",
                "then " + infos_str(then_out) + " and else " + infos_str(else_out));
  }
  return then_out;
}

std::vector<Tensor> run_if(const graph::KernelContext& ctx) {
  const bool taken = ctx.inputs.at(0).item() != 0.0;
  const std::vector<Tensor> args(ctx.inputs.begin() + 1, ctx.inputs.end());
  return run_subgraph(subgraph(ctx.node, taken ? "then_branch" : "else_branch"), args);
}

// d If / d args = If(cond, backward(then), backward(else)) applied to [args..., adjoints...].
std::vector<std::optional<graph::ValueId>> if_vjp(const graph::VjpContext& ctx) {
  const graph::Node& node = ctx.node;
  std::vector<std::optional<graph::ValueId>> result(node.inputs.size());  // cond: no gradient
  std::vector<graph::ValueInfo> args;
  for (std::size_t i = 1; i < node.inputs.size(); ++i) args.push_back(ctx.graph.value(node.inputs[i]).info);
  const std::vector<std::size_t> wrt = floating_indices(args);
  std::vector<std::size_t> outputs;
  std::vector<graph::ValueId> adjoints;
  for (std::size_t i = 0; i < node.outputs.size(); ++i) {
    if (ctx.output_grads[i] && is_floating(ctx.graph.value(node.outputs[i]).info.dtype)) {
      outputs.push_back(i);
      adjoints.push_back(*ctx.output_grads[i]);
    }
  }
  if (wrt.empty() || outputs.empty()) return result;
  graph::GraphPtr then_grad = gradient_graph(subgraph(node, "then_branch"), outputs, wrt);
  graph::GraphPtr else_grad = gradient_graph(subgraph(node, "else_branch"), outputs, wrt);
  std::vector<graph::ValueId> inputs = node.inputs;  // [cond, args...]
  inputs.insert(inputs.end(), adjoints.begin(), adjoints.end());
  const std::vector<graph::ValueId> grads = ctx.graph.add_node(
      "If", inputs, {{"then_branch", then_grad}, {"else_branch", else_grad}}, node.name + "_grad");
  if (!grads.empty()) ctx.graph.set_group(ctx.graph.value(grads[0]).producer, ctx.group);
  for (std::size_t k = 0; k < wrt.size(); ++k) result[wrt[k] + 1] = grads[k];
  return result;
}

}  // namespace

void register_if_op() {
  graph::OpDef def;
  def.name = "If";
  def.num_inputs = -1;
  def.infer = infer_if;
  def.kernel = run_if;
  def.vjp = if_vjp;
  def.doc = "If(cond, args...): runs then_branch or else_branch (subgraph attributes) on args";
  graph::register_op(def);
}

}  // namespace gb::control::detail
