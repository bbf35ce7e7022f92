// parallel_executor.cpp: the parallel executor of lesson 07 (executor.hpp).
//
// The same in-degree bookkeeping as the FIFO executor, shared by pool.size() workers: each worker
// takes the node at the front of the ready queue, runs it outside the lock, and then releases the
// consumers whose in-degree reaches 0. The workers are ThreadPool tasks (one parallel_for chunk per
// worker), so the executor needs nothing from the pool beyond its public API.
//
// The recorded timeline does not use the clock: the schedule is re-played as list scheduling
// (a ready node goes to the worker that is free first) with durations from the ops' cost model,
// so the same graph gives the same bytes on every run and every machine.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <set>

#include "internal.hpp"

namespace gb::graph {

namespace {

using detail::node_id;

// One simulated span: which worker ran which node when (in microseconds; 1 flop = 1 ns).
struct SimulatedSpan {
  NodeId node;
  std::size_t worker;
  double start, duration;
};

double cost_of(const Graph& graph, const Node& node, const detail::RunState& state) {
  if (node.op != "placeholder") {
    const OpDef& def = find_op(node.op);
    if (def.cost) {
      std::vector<Tensor> inputs;
      for (ValueId v : node.inputs) inputs.push_back(state.values[static_cast<std::size_t>(v)]);
      return def.cost(KernelContext{node, inputs});
    }
  }
  double elements = 0;
  for (ValueId v : node.outputs) elements += static_cast<double>(state.values[static_cast<std::size_t>(v)].numel());
  return elements;
}

std::vector<SimulatedSpan> simulate_list_schedule(const Graph& graph, const detail::RunState& state, std::size_t workers) {
  std::vector<std::int64_t> in_degree(graph.size(), 0);
  std::vector<double> ready_time(graph.size(), 0.0);
  std::set<std::pair<double, NodeId>> ready;  // earliest ready first, then lowest id
  for (const Node& node : graph.nodes()) {
    if (!state.needed[static_cast<std::size_t>(node.id)]) continue;
    in_degree[static_cast<std::size_t>(node.id)] = static_cast<std::int64_t>(node.inputs.size());
    if (node.inputs.empty()) ready.insert({0.0, node.id});
  }
  std::vector<double> free_at(workers, 0.0);
  std::vector<SimulatedSpan> spans;
  while (!ready.empty()) {
    const auto [time, n] = *ready.begin();
    ready.erase(ready.begin());
    std::size_t worker = 0;
    for (std::size_t w = 1; w < workers; ++w) {
      if (free_at[w] < free_at[worker]) worker = w;
    }
    const double start = std::max(time, free_at[worker]);
    const double duration = std::max(cost_of(graph, graph.node(n), state) * 1e-3, 1e-3);
    free_at[worker] = start + duration;
    spans.push_back({n, worker, start, duration});
    for (const auto& [consumer, input] : state.consumers[static_cast<std::size_t>(n)]) {
      ready_time[static_cast<std::size_t>(consumer)] = std::max(ready_time[static_cast<std::size_t>(consumer)], start + duration);
      if (--in_degree[static_cast<std::size_t>(consumer)] == 0) ready.insert({ready_time[static_cast<std::size_t>(consumer)], consumer});
    }
  }
  return spans;
}

void record_timeline(trace::Recorder& rec, const Graph& graph, const detail::RunState& state, std::size_t workers,
                     const std::string& prefix) {
  std::vector<trace::Lane> lanes;
  for (std::size_t w = 0; w < workers; ++w) lanes.push_back({"worker" + std::to_string(w), "worker " + std::to_string(w)});
  const std::string scene = detail::fresh_scene_id(rec, prefix + "timeline");
  rec.add_scene(trace::timeline_scene(scene, "Parallel executor: " + std::to_string(workers) + " workers (cost model)", lanes));
  char buf[64];
  for (const SimulatedSpan& s : simulate_list_schedule(graph, state, workers)) {
    const Node& node = graph.node(s.node);
    trace::Span span;
    span.id = scene + ":" + node_id(s.node);
    span.lane = lanes[s.worker].id;
    span.name = node_id(s.node) + " " + node.name;
    span.category = node.group.empty() ? node.op : node.group;
    span.start = s.start;
    span.duration = s.duration;
    std::snprintf(buf, sizeof buf, "%.3f", s.start);
    rec.step("Worker " + std::to_string(s.worker) + " runs " + node_id(s.node) + " (" + node.name + ") at t = " + buf +
                 " us: it was ready and this worker was the first free.",
             trace::Level::op)
        .add_span(scene, span);
  }
}

}  // namespace

RunResult run_parallel(const Graph& graph, const Feeds& feeds, ThreadPool& pool, const RunOptions& options) {
  detail::RunState state = detail::prepare_run(graph, detail::feeds_by_value(graph, feeds), options);

  // The shared schedule: in-degrees and the ready queue under one mutex.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::int64_t> in_degree(graph.size(), 0);
  std::deque<NodeId> ready;
  std::size_t remaining = 0;
  std::exception_ptr error;
  std::vector<NodeId> order;
  for (const Node& node : graph.nodes()) {
    if (!state.needed[static_cast<std::size_t>(node.id)]) continue;
    ++remaining;
    in_degree[static_cast<std::size_t>(node.id)] = static_cast<std::int64_t>(node.inputs.size());
    if (node.inputs.empty()) ready.push_back(node.id);
  }

  auto worker = [&](std::int64_t, std::int64_t) {
    while (true) {
      NodeId next = -1;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return !ready.empty() || remaining == 0 || error; });
        if (remaining == 0 || error) return;
        next = ready.front();
        ready.pop_front();
      }
      try {
        detail::run_node(graph, next, state);  // writes only this node's output slots
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        changed.notify_all();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        order.push_back(next);
        --remaining;
        for (const auto& [consumer, input] : state.consumers[static_cast<std::size_t>(next)]) {
          if (--in_degree[static_cast<std::size_t>(consumer)] == 0) ready.push_back(consumer);
        }
      }
      changed.notify_all();
    }
  };
  const std::size_t workers = std::max<std::size_t>(1, pool.size());
  pool.parallel_for(static_cast<std::int64_t>(workers), worker);
  if (error) std::rethrow_exception(error);
  if (remaining != 0) throw Error("run_parallel", "an acyclic graph", "nodes that never became ready");

  if (trace::Recorder* rec = trace::active()) record_timeline(*rec, graph, state, workers, options.scene_prefix);
  return detail::finish_run(state, std::move(order), options);
}

}  // namespace gb::graph
