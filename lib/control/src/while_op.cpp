// while_op.cpp: the functional While op and WhileGrad, the node its VJP emits.
//
// While(carried...) runs body while cond holds. Subgraphs are closed: a value from outside the loop
// that the body needs (a loop invariant) is one more carried value that the body returns unchanged.
//
// Reverse mode needs the carried values of every iteration, in reverse order. WhileGrad keeps the
// forward While untouched: its kernel re-runs the loop from the original carried inputs, storing
// s_0 .. s_T (T iterations), then runs the body's backward graph T times in reverse:
//   a_T = adjoints of the outputs;  a_t = body_grad(s_t, a_{t+1}) for t = T-1 .. 0;  result a_0.
// (TF1 pushes s_t on a stack in the forward loop and pops it in the backward loop instead: the same
// schedule, paid in memory rather than in a second forward run.)
#include <optional>

#include "control_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/registry.hpp"

namespace gb::control::detail {

namespace {

void check_loop(const graph::InferContext& ctx, const std::vector<graph::ValueInfo>& carried) {
  const graph::Graph& cond = subgraph(ctx.node, "cond");
  const graph::Graph& body = subgraph(ctx.node, "body");
  if (carried.empty()) throw Error(ctx.node.op, "at least one carried value", "none in '" + ctx.node.name + "'");
  check_feeds(ctx.node.op, "a cond graph", cond, carried);
  check_feeds(ctx.node.op, "a body graph", body, carried);
  const std::vector<graph::ValueInfo> cond_out = output_infos(cond);
  if (cond_out.size() != 1 || !cond_out[0].shape.empty()) {
    throw Error(ctx.node.op, "a cond graph with one scalar output in '" + ctx.node.name + "'", infos_str(cond_out));
  }
  if (output_infos(body) != input_infos(body)) {
    throw Error(ctx.node.op, "a body whose outputs have the infos of the carried values " +
                                 infos_str(input_infos(body)) + " in '" + ctx.node.name + "'",
                infos_str(output_infos(body)));
  }
  ctx.node.attr_int("max_iterations");  // present and an int
}

std::vector<graph::ValueInfo> infer_while(const graph::InferContext& ctx) {
  check_loop(ctx, ctx.inputs);
  return output_infos(subgraph(ctx.node, "body"));
}

std::vector<Tensor> run_while(const graph::KernelContext& ctx) {
  return run_loop(ctx.node, ctx.inputs, nullptr);
}

// Adjoints of the floating carried values: one WhileGrad node. A carried value whose output has no
// adjoint starts from zeros.
std::vector<std::optional<graph::ValueId>> while_vjp(const graph::VjpContext& ctx) {
  const graph::Node& node = ctx.node;
  std::vector<std::optional<graph::ValueId>> result(node.inputs.size());
  const graph::Graph& body = subgraph(node, "body");
  const std::vector<std::size_t> wrt = floating_indices(input_infos(body));
  if (wrt.empty()) return result;
  std::vector<graph::ValueId> inputs = node.inputs;
  for (std::size_t i : wrt) {
    inputs.push_back(ctx.output_grads[i] ? *ctx.output_grads[i]
                                         : ctx.emit("zeros_like", {node.outputs[i]}, {}, node.name + "_zero_adjoint"));
  }
  graph::GraphPtr body_grad = gradient_graph(body, wrt, wrt);
  std::vector<std::int64_t> wrt_list(wrt.begin(), wrt.end());
  const std::vector<graph::ValueId> grads = ctx.graph.add_node(
      "WhileGrad", inputs,
      {{"cond", node.attrs.at("cond")}, {"body", node.attrs.at("body")}, {"body_grad", body_grad},
       {"max_iterations", node.attr_int("max_iterations")}, {"wrt", wrt_list}},
      node.name + "_grad");
  ctx.graph.set_group(ctx.graph.value(grads[0]).producer, ctx.group);
  for (std::size_t k = 0; k < wrt.size(); ++k) result[wrt[k]] = grads[k];
  return result;
}

// WhileGrad inputs: [carried (n)..., adjoints of the carried values listed in attr wrt...].
std::vector<graph::ValueInfo> infer_while_grad(const graph::InferContext& ctx) {
  const std::size_t n = subgraph(ctx.node, "body").inputs().size();
  const std::vector<std::int64_t>& wrt = ctx.node.attr_ints("wrt");
  if (ctx.inputs.size() != n + wrt.size()) {
    throw Error("WhileGrad", std::to_string(n) + " carried values and " + std::to_string(wrt.size()) + " adjoints",
                std::to_string(ctx.inputs.size()) + " inputs");
  }
  const std::vector<graph::ValueInfo> carried(ctx.inputs.begin(), ctx.inputs.begin() + static_cast<std::ptrdiff_t>(n));
  check_loop(ctx, carried);
  std::vector<graph::ValueInfo> out;
  for (std::size_t k = 0; k < wrt.size(); ++k) {
    if (wrt[k] < 0 || static_cast<std::size_t>(wrt[k]) >= n || !compatible(ctx.inputs[n + k], carried[static_cast<std::size_t>(wrt[k])])) {
      throw Error("WhileGrad", "an adjoint like carried value " + std::to_string(wrt[k]), graph::info_str(ctx.inputs[n + k]));
    }
    out.push_back(carried[static_cast<std::size_t>(wrt[k])]);
  }
  return out;
}

std::vector<Tensor> run_while_grad(const graph::KernelContext& ctx) {
  const graph::Graph& body_grad = subgraph(ctx.node, "body_grad");
  const std::size_t n = subgraph(ctx.node, "body").inputs().size();
  const std::vector<Tensor> carried(ctx.inputs.begin(), ctx.inputs.begin() + static_cast<std::ptrdiff_t>(n));
  std::vector<Tensor> adjoints(ctx.inputs.begin() + static_cast<std::ptrdiff_t>(n), ctx.inputs.end());
  // The forward loop again, keeping every iteration's carried values.
  std::vector<std::vector<Tensor>> history;
  run_loop(ctx.node, carried, &history);
  // The body's backward graph, last iteration first.
  for (std::size_t t = history.size() - 1; t-- > 0;) {
    std::vector<Tensor> feed = history[t];
    feed.insert(feed.end(), adjoints.begin(), adjoints.end());
    adjoints = run_subgraph(body_grad, feed);
  }
  return adjoints;
}

std::vector<std::optional<graph::ValueId>> while_grad_vjp(const graph::VjpContext& ctx) {
  throw Error("WhileGrad", "a first-order gradient (WhileGrad, the backward pass of '" + ctx.node.name +
                               "', is not differentiable again)",
              "a request for its gradient");
}

}  // namespace

void register_while_ops() {
  graph::OpDef def;
  def.name = "While";
  def.num_inputs = -1;
  def.infer = infer_while;
  def.kernel = run_while;
  def.vjp = while_vjp;
  def.doc = "While(carried...): runs the body subgraph while the cond subgraph holds";
  graph::register_op(def);

  graph::OpDef grad;
  grad.name = "WhileGrad";
  grad.num_inputs = -1;
  grad.infer = infer_while_grad;
  grad.kernel = run_while_grad;
  grad.vjp = while_grad_vjp;
  grad.doc = "WhileGrad(carried..., adjoints...): re-runs a While storing each iteration, then its body's VJP in reverse";
  graph::register_op(grad);
}

}  // namespace gb::control::detail
