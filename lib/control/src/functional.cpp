// functional.cpp: make_if / make_while, register_ops, and the helpers the control ops share
// (running a subgraph, the loop itself, the backward graph of a subgraph, inlining).
#include <mutex>
#include <optional>

#include "control_internal.hpp"
#include "gb/control/functional.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::control {

void register_ops() {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::register_if_op();
    detail::register_while_ops();
    detail::register_dataflow_ops();
  });
}

std::vector<ValueId> make_if(Graph& graph, ValueId cond, const std::vector<ValueId>& args, GraphPtr then_branch,
                             GraphPtr else_branch, const std::string& name) {
  register_ops();
  if (!then_branch || !else_branch) {
    throw Error("make_if", "two branch graphs", std::string(then_branch ? "" : "a null then_branch ") +
                                                    (else_branch ? "" : "a null else_branch"));
  }
  std::vector<ValueId> inputs{cond};
  inputs.insert(inputs.end(), args.begin(), args.end());
  return graph.add_node("If", inputs, {{"then_branch", then_branch}, {"else_branch", else_branch}}, name);
}

std::vector<ValueId> make_while(Graph& graph, const std::vector<ValueId>& carried, GraphPtr cond, GraphPtr body,
                                std::int64_t max_iterations, const std::string& name) {
  register_ops();
  if (!cond || !body) {
    throw Error("make_while", "a cond graph and a body graph",
                std::string(cond ? "" : "a null cond ") + (body ? "" : "a null body"));
  }
  if (max_iterations < 0) {
    throw Error("make_while", "max_iterations >= 0", std::to_string(max_iterations));
  }
  return graph.add_node("While", carried, {{"cond", cond}, {"body", body}, {"max_iterations", max_iterations}}, name);
}

namespace detail {

bool compatible(const graph::ValueInfo& a, const graph::ValueInfo& b) {
  if (a.dtype != b.dtype || a.shape.size() != b.shape.size()) return false;
  for (std::size_t k = 0; k < a.shape.size(); ++k) {
    if (a.shape[k] != b.shape[k] && a.shape[k] != -1 && b.shape[k] != -1) return false;
  }
  return true;
}

std::string infos_str(const std::vector<graph::ValueInfo>& infos) {
  std::string s = "(";
  for (std::size_t i = 0; i < infos.size(); ++i) s += (i ? ", " : "") + graph::info_str(infos[i]);
  return s + ")";
}

std::vector<graph::ValueInfo> input_infos(const graph::Graph& g) {
  std::vector<graph::ValueInfo> infos;
  for (graph::ValueId v : g.inputs()) infos.push_back(g.value(v).info);
  return infos;
}

std::vector<graph::ValueInfo> output_infos(const graph::Graph& g) {
  std::vector<graph::ValueInfo> infos;
  for (graph::ValueId v : g.outputs()) infos.push_back(g.value(v).info);
  return infos;
}

const graph::Graph& subgraph(const graph::Node& node, const std::string& key) {
  const graph::GraphPtr& g = node.attr_graph(key);
  if (!g) throw Error(node.op, "attribute " + key + " holding a graph", "a null graph");
  return *g;
}

void check_feeds(const std::string& op, const std::string& what, const graph::Graph& g,
                 const std::vector<graph::ValueInfo>& given) {
  const std::vector<graph::ValueInfo> wanted = input_infos(g);
  bool ok = wanted.size() == given.size();
  for (std::size_t i = 0; ok && i < given.size(); ++i) ok = compatible(wanted[i], given[i]);
  if (!ok) throw Error(op, what + " with inputs " + infos_str(wanted), infos_str(given));
}

std::vector<Tensor> run_subgraph(const graph::Graph& g, const std::vector<Tensor>& inputs) {
  if (trace::active() == nullptr) return graph::run_fifo(g, inputs).outputs;
  trace::Recorder muted("", "");
  trace::ScopedRecorder attach(muted);
  return graph::run_fifo(g, inputs).outputs;
}

bool run_condition(const graph::Graph& cond, const std::vector<Tensor>& carried) {
  const std::vector<Tensor> out = run_subgraph(cond, carried);
  if (out.size() != 1 || out[0].numel() != 1) {
    throw Error("While", "a cond graph with one scalar output", std::to_string(out.size()) + " outputs");
  }
  return out[0].item() != 0.0;
}

std::vector<Tensor> run_loop(const graph::Node& node, std::vector<Tensor> carried,
                             std::vector<std::vector<Tensor>>* history) {
  const graph::Graph& cond = subgraph(node, "cond");
  const graph::Graph& body = subgraph(node, "body");
  const std::int64_t max_iterations = node.attr_int("max_iterations");
  std::int64_t iteration = 0;
  while (run_condition(cond, carried)) {
    if (iteration >= max_iterations) {
      throw Error(node.op, "at most " + std::to_string(max_iterations) + " iterations in loop '" + node.name + "'",
                  "a condition still true after " + std::to_string(iteration) + " iterations");
    }
    if (history) history->push_back(carried);
    carried = run_subgraph(body, carried);
    ++iteration;
  }
  if (history) history->push_back(carried);
  return carried;
}

std::vector<std::size_t> floating_indices(const std::vector<graph::ValueInfo>& infos) {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    if (is_floating(infos[i].dtype)) indices.push_back(i);
  }
  return indices;
}

graph::GraphPtr gradient_graph(const graph::Graph& f, const std::vector<std::size_t>& outputs,
                               const std::vector<std::size_t>& wrt) {
  // A subgraph's backward graph is an attribute of the If/While VJP node, not a step of the outer
  // backward pass: its construction is not recorded (the outer pass records the node it emits).
  trace::ScopedPause pause;
  auto g = std::make_shared<graph::Graph>(f);
  std::vector<graph::ValueId> wrt_values;
  for (std::size_t j : wrt) wrt_values.push_back(f.inputs().at(j));
  std::vector<graph::ValueId> adjoints;
  for (std::size_t i : outputs) {
    adjoints.push_back(g->placeholder("adjoint_" + std::to_string(i), f.value(f.outputs().at(i)).info));
  }
  // Sum of vector-Jacobian products, one gradients() call per output: J_1^T a_1 + J_2^T a_2 + ...
  std::vector<graph::ValueId> total;
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    graph::ValueId loss = f.outputs()[outputs[k]];
    // An output that is a placeholder (a value the body returns unchanged) goes through an identity,
    // so the loss is always an op's output.
    if (g->node(g->value(loss).producer).op == "placeholder") loss = g->add("identity", {loss}, {}, "pass");
    const std::vector<graph::ValueId> part = graph::gradients(*g, loss, wrt_values, adjoints[k]);
    if (total.empty()) {
      total = part;
    } else {
      for (std::size_t j = 0; j < total.size(); ++j) total[j] = g->add("add", {total[j], part[j]}, {}, "accumulate");
    }
  }
  if (total.empty()) {
    for (graph::ValueId w : wrt_values) total.push_back(g->add("zeros_like", {w}));
  }
  g->set_outputs(total);
  return g;
}

std::vector<graph::ValueId> inline_graph(graph::Graph& dst, const graph::Graph& src,
                                         const std::vector<graph::ValueId>& inputs, const std::string& prefix) {
  if (inputs.size() != src.inputs().size()) {
    throw Error("inline_graph", std::to_string(src.inputs().size()) + " inputs", std::to_string(inputs.size()));
  }
  std::vector<graph::ValueId> map(src.values().size(), -1);
  for (std::size_t i = 0; i < inputs.size(); ++i) map[static_cast<std::size_t>(src.inputs()[i])] = inputs[i];
  for (graph::NodeId id : src.topological_order()) {
    const graph::Node& node = src.node(id);
    if (node.op == "placeholder") continue;
    std::vector<graph::ValueId> outs;
    if (node.op == "constant") {
      outs = {dst.constant(node.attr_tensor("value"), prefix + node.name)};
    } else {
      std::vector<graph::ValueId> ins;
      for (graph::ValueId v : node.inputs) ins.push_back(map[static_cast<std::size_t>(v)]);
      outs = dst.add_node(node.op, ins, node.attrs, prefix + node.name);
    }
    if (!node.group.empty() && !outs.empty()) dst.set_group(dst.value(outs[0]).producer, node.group);
    for (std::size_t k = 0; k < outs.size() && k < node.outputs.size(); ++k) {
      map[static_cast<std::size_t>(node.outputs[k])] = outs[k];
    }
  }
  std::vector<graph::ValueId> result;
  for (graph::ValueId v : src.outputs()) result.push_back(map[static_cast<std::size_t>(v)]);
  return result;
}

}  // namespace detail
}  // namespace gb::control
