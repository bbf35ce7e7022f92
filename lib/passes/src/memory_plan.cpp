// memory_plan.cpp: planning where every value of a graph run lives (lesson 17, memory_plan.hpp).
//
// The planner works in four stages, as the lesson tells them:
//   1. order      the needed op nodes in topological order: step s runs order[s]
//   2. sizes      numel * dtype size from each value's ValueInfo; a dynamic dimension (-1) is taken
//                 from a tensor the caller saw at run time (`known`)
//   3. liveness   a value is live from the step that produces it (first) to the last step that reads it
//                 (last); a graph output lives to the last step. An elementwise op whose input dies at
//                 its own step writes its output over that input: in place, the two share a buffer
//   4. placement  a buffer is a value plus the chain of values written in place over it, live from the
//                 chain's first step to its last. Greedy by size (TFLite's arena planner): the largest
//                 buffer first, each at the lowest aligned offset that no buffer already placed and
//                 live at the same time covers. Buffers never live together may share bytes.
// The greedy order matters: placing big buffers first leaves the small ones to fill the gaps.
#include <algorithm>
#include <iomanip>
#include <set>
#include <sstream>

#include "gb/graph/registry.hpp"
#include "memory_plan_internal.hpp"

namespace gb::passes {

namespace detail {

std::int64_t align_up(std::int64_t bytes) { return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

std::int64_t live_bytes_at(const MemoryPlan& plan, int step) {
  std::int64_t live = 0;
  for (const LiveInterval& interval : plan.intervals) {
    if (interval.first > step || interval.last < step) continue;
    if (interval.in_place_of != -1 && interval.first == step) continue;  // its input's bytes, counted once
    live += align_up(interval.bytes);
  }
  return live;
}

std::string value_label(ValueId id) { return "v" + std::to_string(id); }

}  // namespace detail

bool may_run_in_place(const std::string& op) {
  static const std::set<std::string> elementwise = {
      // ONNX (lib/convert) and the fused NC4HW4 ops (fused_ops.hpp)
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Add", "Sub", "Mul", "Div", "BatchNormalization", "Identity",
      "Dropout", "Clip", "ReluNC4HW4", "AddNC4HW4",
      // gb::graph's built-in elementwise ops (lesson 06)
      "relu", "sigmoid", "tanh", "exp", "log", "sin", "cos", "sqrt", "neg", "add", "sub", "mul", "div", "identity"};
  return elementwise.count(op) != 0;
}

namespace {

using detail::align_up;
using detail::value_label;

// Stage 2: the bytes of one value.
std::int64_t value_bytes(const Graph& graph, ValueId v, const std::map<ValueId, Tensor>* known) {
  const graph::Value& value = graph.value(v);
  const std::int64_t element = static_cast<std::int64_t>(dtype_size(value.info.dtype));
  const bool dynamic = std::find(value.info.shape.begin(), value.info.shape.end(), -1) != value.info.shape.end();
  if (!dynamic) return shape_numel(value.info.shape) * element;
  const auto seen = known ? known->find(v) : std::map<ValueId, Tensor>::const_iterator{};
  if (!known || seen == known->end() || !seen->second.defined()) {
    throw Error("plan_memory",
                "a static shape, or a tensor in `known` (a run with keep_values), for " + value_label(v) + " '" +
                    value.name + "'",
                graph::info_str(value.info) + " and no known tensor");
  }
  if (seen->second.dtype() != value.info.dtype) {
    throw Error("plan_memory", "a known tensor of dtype " + std::string(dtype_name(value.info.dtype)) + " for " +
                                   value_label(v) + " '" + value.name + "'",
                dtype_name(seen->second.dtype()));
  }
  return seen->second.numel() * element;
}

// Stage 1: the needed op nodes in topological order.
std::vector<NodeId> op_order(const Graph& graph) {
  if (graph.outputs().empty()) throw Error("plan_memory", "a graph with outputs (set_outputs)", "none");
  std::vector<NodeId> order;
  for (NodeId n : graph.topological_order(true)) {
    const std::string& op = graph.node(n).op;
    if (op != "placeholder" && op != "constant") order.push_back(n);
  }
  return order;
}

// The interval of value v, or nullptr when v is not planned (a placeholder or a constant: the caller's).
LiveInterval* find_interval(MemoryPlan& plan, const std::vector<int>& interval_of, ValueId v) {
  const int index = interval_of[static_cast<std::size_t>(v)];
  return index < 0 ? nullptr : &plan.intervals[static_cast<std::size_t>(index)];
}

// Stage 3a: one interval per output of every op node, first = its step, last = its last reader's step.
void compute_liveness(const Graph& graph, MemoryPlan& plan, std::vector<int>& interval_of,
                      const std::map<ValueId, Tensor>* known) {
  // BEGIN EXERCISE(passes.memory.liveness)
  const int steps = static_cast<int>(plan.order.size());
  for (int s = 0; s < steps; ++s) {
    const graph::Node& node = graph.node(plan.order[static_cast<std::size_t>(s)]);
    for (ValueId v : node.inputs) {  // read at step s: live at least until s
      if (LiveInterval* read = find_interval(plan, interval_of, v)) read->last = s;
    }
    for (ValueId v : node.outputs) {  // written at step s
      LiveInterval interval;
      interval.value = v;
      interval.name = graph.value(v).name;
      interval.bytes = value_bytes(graph, v, known);
      interval.first = interval.last = s;
      interval_of[static_cast<std::size_t>(v)] = static_cast<int>(plan.intervals.size());
      plan.intervals.push_back(interval);
    }
  }
  for (ValueId v : graph.outputs()) {  // the caller reads the outputs after the last step
    if (LiveInterval* output = find_interval(plan, interval_of, v)) output->last = steps - 1;
  }
  // END EXERCISE
}

// Stage 3b: in place. The first output of an elementwise op takes the buffer of its first input that
// has the same dtype and size, is planned, is not a graph output and is read for the last time here.
void choose_in_place(const Graph& graph, MemoryPlan& plan, const std::vector<int>& interval_of) {
  std::set<ValueId> outputs(graph.outputs().begin(), graph.outputs().end());
  for (std::size_t s = 0; s < plan.order.size(); ++s) {
    const graph::Node& node = graph.node(plan.order[s]);
    if (!may_run_in_place(node.op) || node.outputs.empty()) continue;
    LiveInterval& out = *find_interval(plan, interval_of, node.outputs[0]);
    for (ValueId v : node.inputs) {
      const LiveInterval* in = find_interval(plan, interval_of, v);
      if (in == nullptr || outputs.count(v) != 0) continue;  // caller-owned, or the caller reads it after
      if (in->last != static_cast<int>(s) || in->bytes != out.bytes) continue;
      if (graph.value(v).info.dtype != graph.value(out.value).info.dtype) continue;
      out.in_place_of = v;
      ++plan.in_place_count;
      break;
    }
  }
}

// A buffer: a value and the chain of values written in place over it, one after the other.
struct Buffer {
  std::vector<std::size_t> members;  // interval indexes
  std::int64_t size = 0;             // rounded up to the alignment
  int first = 0, last = 0;
  std::int64_t offset = 0;
};

std::vector<Buffer> group_buffers(const MemoryPlan& plan, const std::vector<int>& interval_of) {
  std::vector<Buffer> buffers;
  std::vector<std::size_t> buffer_of(plan.intervals.size());
  for (std::size_t i = 0; i < plan.intervals.size(); ++i) {  // an input's interval comes before its output's
    const LiveInterval& interval = plan.intervals[i];
    if (interval.in_place_of != -1) {  // joins the buffer of the input it overwrites
      buffer_of[i] = buffer_of[static_cast<std::size_t>(interval_of[static_cast<std::size_t>(interval.in_place_of)])];
      Buffer& buffer = buffers[buffer_of[i]];
      buffer.members.push_back(i);
      buffer.last = std::max(buffer.last, interval.last);
      continue;
    }
    buffer_of[i] = buffers.size();
    buffers.push_back({{i}, align_up(interval.bytes), interval.first, interval.last, 0});
  }
  return buffers;
}

// Stage 4: greedy by size.
void place_greedy_by_size(std::vector<Buffer>& buffers) {
  std::vector<std::size_t> by_size(buffers.size());
  for (std::size_t b = 0; b < buffers.size(); ++b) by_size[b] = b;
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](std::size_t a, std::size_t b) { return buffers[a].size > buffers[b].size; });
  std::vector<std::size_t> placed;
  for (std::size_t b : by_size) {
    Buffer& buffer = buffers[b];
    // The placed buffers live at the same time as this one, by offset.
    std::vector<const Buffer*> in_the_way;
    for (std::size_t p : placed) {
      if (buffers[p].first <= buffer.last && buffer.first <= buffers[p].last) in_the_way.push_back(&buffers[p]);
    }
    std::sort(in_the_way.begin(), in_the_way.end(), [](const Buffer* a, const Buffer* c) { return a->offset < c->offset; });
    // The lowest gap that fits: try below each one in turn, else go past it.
    std::int64_t offset = 0;
    for (const Buffer* other : in_the_way) {
      if (offset + buffer.size <= other->offset) break;
      offset = std::max(offset, other->offset + other->size);
    }
    buffer.offset = offset;
    placed.push_back(b);
  }
}

// share = false: one region per buffer, one after the other.
void place_stacked(std::vector<Buffer>& buffers) {
  std::int64_t offset = 0;
  for (Buffer& buffer : buffers) {
    buffer.offset = offset;
    offset += buffer.size;
  }
}

}  // namespace

MemoryPlan plan_memory(const Graph& graph, const MemoryPlanOptions& options, const std::map<ValueId, Tensor>* known) {
  MemoryPlan plan;
  plan.order = op_order(graph);
  std::vector<int> interval_of(graph.values().size(), -1);  // by value id: its interval, or -1 (not planned)
  compute_liveness(graph, plan, interval_of, known);
  if (options.in_place && options.share) choose_in_place(graph, plan, interval_of);

  std::vector<Buffer> buffers = group_buffers(plan, interval_of);
  if (options.share) {
    place_greedy_by_size(buffers);
  } else {
    place_stacked(buffers);
  }
  for (const Buffer& buffer : buffers) {
    for (std::size_t i : buffer.members) plan.intervals[i].offset = buffer.offset;
  }

  std::int64_t end = 0;
  for (const LiveInterval& interval : plan.intervals) {
    plan.naive_bytes += align_up(interval.bytes);
    end = std::max(end, interval.offset + interval.bytes);
  }
  plan.arena_bytes = align_up(end);
  for (int s = 0; s < static_cast<int>(plan.order.size()); ++s) {
    plan.peak_live_bytes = std::max(plan.peak_live_bytes, detail::live_bytes_at(plan, s));
  }
  return plan;
}

std::string MemoryPlan::str() const {
  std::ostringstream out;
  out << "order:";
  for (std::size_t s = 0; s < order.size(); ++s) out << " " << s << ":n" << order[s];
  out << "\n";
  std::size_t label_width = 0, span_width = 0, bytes_width = 0;
  auto label = [](const LiveInterval& i) { return value_label(i.value) + " " + i.name; };
  auto span = [](const LiveInterval& i) { return "[" + std::to_string(i.first) + ", " + std::to_string(i.last) + "]"; };
  for (const LiveInterval& i : intervals) {
    label_width = std::max(label_width, label(i).size());
    span_width = std::max(span_width, span(i).size());
    bytes_width = std::max(bytes_width, std::to_string(i.bytes).size());
  }
  for (const LiveInterval& i : intervals) {
    out << std::left << std::setw(static_cast<int>(label_width)) << label(i) << "  " << std::setw(static_cast<int>(span_width))
        << span(i) << "  " << std::right << std::setw(static_cast<int>(bytes_width)) << i.bytes << " B  @ " << i.offset;
    if (i.in_place_of != -1) out << "  (in place of " << value_label(i.in_place_of) << ")";
    out << "\n";
  }
  out << "naive " << naive_bytes << " B, peak live " << peak_live_bytes << " B, arena " << arena_bytes
      << " B, in place " << in_place_count << "\n";
  return out.str();
}

}  // namespace gb::passes
