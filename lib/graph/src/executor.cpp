// executor.cpp: the FIFO executor of lesson 07 (executor.hpp) and what every executor shares:
// validating feeds, choosing the needed nodes, running one node's kernel.
//
// The FIFO schedule: a node's in-degree counts its input edges whose values are not computed yet.
// Nodes with in-degree 0 wait in a FIFO ready queue; running one decrements the in-degree of each
// consumer edge, and a consumer reaching 0 joins the back of the queue.
#include <deque>

#include "internal.hpp"

namespace gb::graph {

namespace detail {

namespace {

bool matches(const Shape& expected, const Shape& given) {
  if (expected.size() != given.size()) return false;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    if (expected[k] != -1 && expected[k] != given[k]) return false;
  }
  return true;
}

std::string placeholder_names(const Graph& graph) {
  std::string names;
  for (ValueId v : graph.inputs()) names += (names.empty() ? "" : ", ") + graph.node(graph.value(v).producer).attr_string("name");
  return names.empty() ? "none" : names;
}

}  // namespace

std::map<ValueId, Tensor> feeds_by_value(const Graph& graph, const Feeds& feeds) {
  std::map<ValueId, Tensor> out;
  for (const auto& [name, tensor] : feeds) {
    const std::optional<ValueId> v = graph.find_input(name);
    if (!v) throw Error("run", "feeds naming placeholders (" + placeholder_names(graph) + ")", "'" + name + "'");
    out[*v] = tensor;
  }
  return out;
}

RunState prepare_run(const Graph& graph, std::map<ValueId, Tensor> feeds, const RunOptions& options) {
  RunState state;
  state.fetch = options.fetch.empty() ? graph.outputs() : options.fetch;
  if (state.fetch.empty()) throw Error("run", "values to fetch (RunOptions::fetch or graph outputs)", "none");
  state.needed = needed_nodes(graph, state.fetch);
  for (const auto& [v, tensor] : feeds) {
    const Value& value = graph.value(v);
    const std::string& name = graph.node(value.producer).name;
    if (!tensor.defined()) throw Error("run", "a defined tensor fed to placeholder " + name, "an undefined tensor");
    if (tensor.dtype() != value.info.dtype || !matches(value.info.shape, tensor.shape())) {
      throw Error("run", "placeholder " + name + " fed " + info_str(value.info),
                  info_str({tensor.dtype(), tensor.shape()}));
    }
  }
  for (ValueId v : graph.inputs()) {
    const NodeId producer = graph.value(v).producer;
    if (state.needed[static_cast<std::size_t>(producer)] && feeds.count(v) == 0) {
      throw Error("run", "a feed for placeholder " + graph.node(producer).name + " (" + info_str(graph.value(v).info) + ")",
                  "no feed for it");
    }
  }
  state.consumers.resize(graph.size());
  for (const Node& node : graph.nodes()) {
    if (!state.needed[static_cast<std::size_t>(node.id)]) continue;
    for (std::size_t k = 0; k < node.inputs.size(); ++k) {
      state.consumers[static_cast<std::size_t>(graph.value(node.inputs[k]).producer)].push_back({node.id, k});
    }
  }
  state.values.resize(graph.values().size());
  state.feeds = std::move(feeds);
  return state;
}

void run_node(const Graph& graph, NodeId id, RunState& state) {
  const Node& node = graph.node(id);
  if (node.op == "placeholder") {
    state.values[static_cast<std::size_t>(node.outputs[0])] = state.feeds.at(node.outputs[0]);
    return;
  }
  std::vector<Tensor> inputs;
  for (ValueId v : node.inputs) inputs.push_back(state.values[static_cast<std::size_t>(v)]);
  const OpDef& def = find_op(node.op);
  if (!def.kernel) throw Error(node.op, "an op with a kernel", "none (node " + node_id(id) + ")");
  std::vector<Tensor> outputs = def.kernel(KernelContext{node, inputs});
  if (outputs.size() != node.outputs.size()) {
    throw Error(node.op, std::to_string(node.outputs.size()) + " kernel outputs", std::to_string(outputs.size()));
  }
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const ValueInfo& info = graph.value(node.outputs[k]).info;
    if (!outputs[k].defined() || outputs[k].dtype() != info.dtype || !matches(info.shape, outputs[k].shape())) {
      throw Error(node.op, "a kernel output " + info_str(info) + " (as inferred)",
                  outputs[k].defined() ? info_str({outputs[k].dtype(), outputs[k].shape()}) : "an undefined tensor");
    }
    state.values[static_cast<std::size_t>(node.outputs[k])] = std::move(outputs[k]);
  }
}

RunResult finish_run(RunState& state, std::vector<NodeId> order, const RunOptions& options) {
  RunResult result;
  for (ValueId v : state.fetch) result.outputs.push_back(state.values[static_cast<std::size_t>(v)]);
  if (options.keep_values) {
    for (std::size_t v = 0; v < state.values.size(); ++v) {
      if (state.values[v].defined()) result.values[static_cast<ValueId>(v)] = state.values[v];
    }
  }
  result.order = std::move(order);
  return result;
}

}  // namespace detail

namespace {

using detail::node_id;

// What the FIFO executor records: the graph (nodes pending), the queue table, one step per event.
class FifoTrace {
 public:
  FifoTrace(trace::Recorder& rec, const Graph& graph, const detail::RunState& state, const std::string& prefix)
      : rec_(rec), graph_(graph), state_(state) {
    graph_scene_ = detail::fresh_scene_id(rec, prefix + "graph");
    queue_scene_ = detail::fresh_scene_id(rec, prefix + "queue");
    trace::Scene scene = detail::graph_scene_of(graph, graph_scene_, "The graph being run", trace::NodeState::none);
    for (trace::GraphNode& n : scene.graph.nodes) {
      if (state.needed[static_cast<std::size_t>(std::stoll(n.id.substr(1)))]) n.state = trace::NodeState::pending;
    }
    rec.add_scene(std::move(scene));
    rec.add_scene(trace::table_scene(queue_scene_, "FIFO ready queue and in-degrees",
                                     {"step", "event", "node", "ready queue after", "in-degrees"}));
  }

  void start(const std::deque<NodeId>& ready, const std::vector<std::int64_t>& in_degree) {
    rec_.step("The nodes with in-degree 0 (no input to wait for) start the ready queue: " + list(ready) + ".",
              trace::Level::op)
        .add_row(queue_scene_, row("start", "", ready, in_degree));
  }

  void ran(NodeId n, const std::deque<NodeId>& ready, const std::vector<std::int64_t>& in_degree) {
    const Node& node = graph_.node(n);
    const std::string value = node.outputs.empty() ? "" : detail::badge(state_.values[static_cast<std::size_t>(node.outputs[0])]);
    rec_.step("Pop " + node_id(n) + " (" + node.name + ") from the front of the queue and run it: " + value + ".",
              trace::Level::op)
        .node_state(graph_scene_, node_id(n), trace::NodeState::done)
        .set_value(graph_scene_, node_id(n), value)
        .highlight(graph_scene_, node_id(n))
        .add_row(queue_scene_, row("run", node_id(n), ready, in_degree));
  }

  void decremented(NodeId from, NodeId to, std::size_t input_index, const std::deque<NodeId>& ready,
                   const std::vector<std::int64_t>& in_degree) {
    const std::int64_t left = in_degree[static_cast<std::size_t>(to)];
    const Node& consumer = graph_.node(to);
    rec_.step("The value of " + node_id(from) + " reaches " + node_id(to) + " (" + consumer.name + "): in-degree " +
                  std::to_string(left) + (left == 0 ? ", so it joins the ready queue." : "."),
              trace::Level::element)
        .highlight(graph_scene_, detail::edge_id(consumer, input_index, graph_))
        .add_row(queue_scene_, row(left == 0 ? "queued" : "decrement", node_id(to), ready, in_degree));
  }

 private:
  static std::string list(const std::deque<NodeId>& ready) {
    std::string out;
    for (NodeId n : ready) out += (out.empty() ? "" : " ") + node_id(n);
    return out.empty() ? "(empty)" : out;
  }
  std::vector<std::string> row(const std::string& event, const std::string& node, const std::deque<NodeId>& ready,
                               const std::vector<std::int64_t>& in_degree) {
    std::string degrees;
    for (std::size_t n = 0; n < in_degree.size(); ++n) {
      if (state_.needed[n] && in_degree[n] > 0) degrees += (degrees.empty() ? "" : " ") + node_id(static_cast<NodeId>(n)) + ":" + std::to_string(in_degree[n]);
    }
    return {std::to_string(rows_++), event, node, list(ready), degrees};
  }

  trace::Recorder& rec_;
  const Graph& graph_;
  const detail::RunState& state_;
  std::string graph_scene_, queue_scene_;
  int rows_ = 0;
};

// The ready-queue loop: returns the nodes in the order they ran.
std::vector<NodeId> fifo_schedule(const Graph& graph, detail::RunState& state, FifoTrace* trace) {
  // BEGIN EXERCISE(graph.schedule.fifo)
  std::vector<std::int64_t> in_degree(graph.size(), 0);
  std::deque<NodeId> ready;
  std::size_t total = 0;
  for (const Node& node : graph.nodes()) {
    if (!state.needed[static_cast<std::size_t>(node.id)]) continue;
    ++total;
    in_degree[static_cast<std::size_t>(node.id)] = static_cast<std::int64_t>(node.inputs.size());
    if (node.inputs.empty()) ready.push_back(node.id);
  }
  if (trace) trace->start(ready, in_degree);
  std::vector<NodeId> order;
  while (!ready.empty()) {
    const NodeId next = ready.front();
    ready.pop_front();
    detail::run_node(graph, next, state);
    order.push_back(next);
    if (trace) trace->ran(next, ready, in_degree);
    for (const auto& [consumer, input] : state.consumers[static_cast<std::size_t>(next)]) {
      if (--in_degree[static_cast<std::size_t>(consumer)] == 0) ready.push_back(consumer);
      if (trace) trace->decremented(next, consumer, input, ready, in_degree);
    }
  }
  if (order.size() != total) throw Error("run_fifo", "an acyclic graph", "nodes that never became ready");
  return order;
  // END EXERCISE
}

}  // namespace

RunResult run_fifo(const Graph& graph, const Feeds& feeds, const RunOptions& options) {
  detail::RunState state = detail::prepare_run(graph, detail::feeds_by_value(graph, feeds), options);
  std::optional<FifoTrace> trace;
  if (trace::Recorder* rec = trace::active()) trace.emplace(*rec, graph, state, options.scene_prefix);
  std::vector<NodeId> order = fifo_schedule(graph, state, trace ? &*trace : nullptr);
  return detail::finish_run(state, std::move(order), options);
}

RunResult run_fifo(const Graph& graph, const std::vector<Tensor>& inputs, const RunOptions& options) {
  if (inputs.size() != graph.inputs().size()) {
    throw Error("run_fifo", std::to_string(graph.inputs().size()) + " positional inputs (one per placeholder)",
                std::to_string(inputs.size()));
  }
  std::map<ValueId, Tensor> feeds;
  for (std::size_t i = 0; i < inputs.size(); ++i) feeds[graph.inputs()[i]] = inputs[i];
  detail::RunState state = detail::prepare_run(graph, std::move(feeds), options);
  std::optional<FifoTrace> trace;
  if (trace::Recorder* rec = trace::active()) trace.emplace(*rec, graph, state, options.scene_prefix);
  std::vector<NodeId> order = fifo_schedule(graph, state, trace ? &*trace : nullptr);
  return detail::finish_run(state, std::move(order), options);
}

std::vector<Tensor> run(const Graph& graph, const Feeds& feeds) { return run_fifo(graph, feeds).outputs; }

}  // namespace gb::graph
