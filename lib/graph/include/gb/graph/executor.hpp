// executor.hpp: running a Graph (lesson 07).
//
// The FIFO executor is the textbook scheduler: count each node's in-degree (how many of its input
// values are not yet computed), put the nodes with in-degree 0 in a FIFO ready queue, and repeat:
// pop a node, run its kernel, and decrement the in-degree of every consumer of its outputs; a
// consumer that reaches 0 joins the queue. The parallel executor does the same with a thread pool:
// every ready node is dispatched to a worker, and a finished node releases its consumers.
// Only the nodes the fetched values depend on run.
//
// Recording (when trace::active()): the FIFO executor adds a graph scene of the graph (all nodes
// pending), a table scene of the ready queue and in-degrees, and one step per event (queued, run,
// in-degree decremented). The parallel executor adds a timeline scene with one lane per worker and
// one span per node; span times come from the ops' cost model (deterministic), not from the clock.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gb/core/thread_pool.hpp"
#include "gb/graph/graph.hpp"

namespace gb::graph {

// Feeds by placeholder name. Every placeholder the fetched values need must be fed, with the dtype
// and a shape that matches its ValueInfo (-1 matches any size): gb::Error otherwise.
using Feeds = std::map<std::string, Tensor>;

struct RunOptions {
  std::vector<ValueId> fetch;     // empty = graph.outputs()
  bool keep_values = false;       // fill RunResult::values with every computed value
  std::string scene_prefix = "";  // prefix for recorded scene ids (two runs in one recording)
};

struct RunResult {
  std::vector<Tensor> outputs;             // one per fetched value, in order
  std::vector<NodeId> order;               // the nodes in the order they ran (parallel: completion order)
  std::map<ValueId, Tensor> values;        // every computed value, when keep_values
};

RunResult run_fifo(const Graph& graph, const Feeds& feeds, const RunOptions& options = {});
// Positional feeds: inputs[i] feeds graph.inputs()[i] (how If/While run their subgraphs).
RunResult run_fifo(const Graph& graph, const std::vector<Tensor>& inputs, const RunOptions& options = {});
RunResult run_parallel(const Graph& graph, const Feeds& feeds, ThreadPool& pool, const RunOptions& options = {});

// The declarative session call: run_fifo(...).outputs.
std::vector<Tensor> run(const Graph& graph, const Feeds& feeds);

}  // namespace gb::graph
