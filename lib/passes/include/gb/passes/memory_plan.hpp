// memory_plan.hpp: memory planning (lesson 17): liveness, in-place ops, buffer sharing, peak memory.
//
// Running a graph in execution order, each value is live from the step that produces it to the last
// step that reads it (graph outputs live to the end; graph inputs and constants are not planned: the
// caller owns them). Two values whose live intervals do not overlap can share one buffer. An
// elementwise op (Relu, Sigmoid, Tanh, LeakyRelu, Add, Sub, Mul, Div, BatchNormalization,
// Dropout/Identity, ReluNC4HW4, AddNC4HW4 and the like: same dtype and size as an input) may write its
// output over an input whose live interval ends at this step: in place, no new buffer.
// The planner is greedy (TFLite's "greedy by size" arena): values sorted by size, largest first, each
// placed at the lowest offset that does not overlap (in time and in bytes) a value already placed.
// Offsets are aligned to 64 bytes, and every buffer counts as its size rounded up to 64 bytes in the
// totals (naive, peak live, arena), so that arena_bytes >= peak_live_bytes always holds.
//
//   MemoryPlan plan = plan_memory(graph);          // liveness, in place, greedy placement
//   std::cout << plan.str();                       // the timeline table
//   std::vector<Tensor> out = run_with_plan(graph, plan, feeds);  // == run_fifo(graph, feeds).outputs
//
// Sources: memory_plan.cpp (liveness, in place, placement, str), memory_plan_run.cpp (run_with_plan),
// memory_plan_record.cpp (the recorded "memory" timeline).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/graph/executor.hpp"
#include "gb/graph/graph.hpp"

namespace gb::passes {

using graph::Graph;
using graph::NodeId;
using graph::ValueId;

struct LiveInterval {
  ValueId value = -1;
  std::string name;                 // the value's name
  std::int64_t bytes = 0;
  int first = 0, last = 0;          // steps (indexes into MemoryPlan::order), inclusive
  ValueId in_place_of = -1;         // the input whose buffer it writes over, or -1
  std::int64_t offset = 0;          // bytes into the arena
};

struct MemoryPlan {
  std::vector<NodeId> order;        // execution order of the op nodes (placeholders/constants left out)
  std::vector<LiveInterval> intervals;  // one per planned value, in order of `first`
  std::int64_t naive_bytes = 0;     // every value in its own buffer: the sum of the rounded sizes
  std::int64_t peak_live_bytes = 0; // max over steps of the buffers live at that step (a lower bound;
                                    // a value and the input it overwrites in place count once)
  std::int64_t arena_bytes = 0;     // the planned arena: max(offset + bytes), rounded up to 64
  int in_place_count = 0;           // intervals with in_place_of != -1
  // The plan as text: the order, one line per interval
  //   "v12 conv1  [2, 5]  4096 B  @ 8192  (in place of v9)"
  // and the totals "naive N B, peak live P B, arena A B, in place K".
  std::string str() const;
};

struct MemoryPlanOptions {
  bool in_place = true;             // elementwise ops overwrite an input that dies at their step
  bool share = true;                // false: every value its own buffer, stacked one after the other
                                    // (no in place either: arena_bytes == naive_bytes)
};

// The ops whose first output may overwrite an input of the same dtype and size: the elementwise ops
// (ONNX names, the fused NC4HW4 ones and gb::graph's built-in elementwise ops).
bool may_run_in_place(const std::string& op);

// Sizes from the values' static shapes; a value with a dynamic dimension (-1) takes its size from
// `known` (e.g. from a run with RunOptions::keep_values) or is a gb::Error naming it. The order is
// graph.topological_order(true) without the placeholders and constants: only the needed op nodes.
MemoryPlan plan_memory(const Graph& graph, const MemoryPlanOptions& options = {},
                       const std::map<ValueId, Tensor>* known = nullptr);

// Runs the graph with every planned value living in one arena at its planned offset: each kernel's
// result is copied into its slot and consumers read the slot. A wrong plan (two live values in one
// place) gives wrong outputs, so tests compare with run_fifo. Feeds are checked like run_fifo's
// (gb::Error for a missing, unknown or mistyped feed); a plan that does not fit the graph is a gb::Error.
// Records a timeline scene "memory" (one lane per arena offset in use, one span per value over its live
// steps, a counter of live bytes) and one step per execution step when a Recorder is attached.
std::vector<Tensor> run_with_plan(const Graph& graph, const MemoryPlan& plan, const graph::Feeds& feeds);

}  // namespace gb::passes
