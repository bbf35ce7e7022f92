// memory_plan_run.cpp: running a graph inside one arena, at the offsets of a MemoryPlan (lesson 17).
//
// The arena is one 64-byte-aligned block of plan.arena_bytes. A planned value's slot is a view of the
// arena: the bytes [offset, offset + bytes) read as the value's dtype and shape. At step s the op node
// order[s] runs its registry kernel on its inputs (slots, fed placeholders, constants) and each result
// is copied into its slot. Nothing else keeps a value alive, so the plan is tested for real: if it put
// two live values in overlapping bytes, the later write clobbers the earlier value and the outputs are
// wrong. A value written in place shares its input's slot; that is safe because the kernel has read
// every input before the results are copied.
#include <optional>

#include "gb/graph/registry.hpp"
#include "memory_plan_internal.hpp"

namespace gb::passes {

namespace {

using detail::value_label;

bool shape_matches(const Shape& expected, const Shape& given) {
  if (expected.size() != given.size()) return false;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    if (expected[k] != -1 && expected[k] != given[k]) return false;
  }
  return true;
}

// The feeds by placeholder value, checked like run_fifo checks them.
std::map<ValueId, Tensor> check_feeds(const Graph& graph, const std::vector<bool>& read, const graph::Feeds& feeds) {
  std::map<ValueId, Tensor> by_value;
  for (const auto& [name, tensor] : feeds) {
    const std::optional<ValueId> v = graph.find_input(name);
    if (!v) throw Error("run_with_plan", "feeds naming placeholders of the graph", "'" + name + "'");
    const graph::ValueInfo& info = graph.value(*v).info;
    if (!tensor.defined() || tensor.dtype() != info.dtype || !shape_matches(info.shape, tensor.shape())) {
      throw Error("run_with_plan", "placeholder " + name + " fed " + graph::info_str(info),
                  tensor.defined() ? graph::info_str({tensor.dtype(), tensor.shape()}) : "an undefined tensor");
    }
    by_value[*v] = tensor;
  }
  for (ValueId v : graph.inputs()) {
    if (read[static_cast<std::size_t>(v)] && by_value.count(v) == 0) {
      throw Error("run_with_plan", "a feed for placeholder " + graph.node(graph.value(v).producer).attr_string("name") +
                                       " (" + graph::info_str(graph.value(v).info) + ")",
                  "no feed for it");
    }
  }
  return by_value;
}

// The arena and the slots in it.
class Arena {
 public:
  Arena(const Graph& graph, const MemoryPlan& plan) : graph_(graph), plan_(plan) {
    if (plan.arena_bytes < 0) throw Error("run_with_plan", "a plan with arena_bytes >= 0", std::to_string(plan.arena_bytes));
    storage_ = Storage::allocate(static_cast<std::size_t>(plan.arena_bytes));
    interval_of_.assign(graph.values().size(), -1);
    shape_of_.resize(graph.values().size());
    for (std::size_t i = 0; i < plan.intervals.size(); ++i) {
      const LiveInterval& interval = plan.intervals[i];
      if (interval.value < 0 || interval.value >= static_cast<ValueId>(graph.values().size())) {
        throw Error("run_with_plan", "intervals naming values of the graph", value_label(interval.value));
      }
      if (interval.offset < 0 || interval.offset % detail::kArenaAlignment != 0 || interval.bytes < 0 ||
          interval.offset + interval.bytes > plan.arena_bytes) {
        throw Error("run_with_plan",
                    "an aligned slot inside the arena of " + std::to_string(plan.arena_bytes) + " B for " +
                        value_label(interval.value),
                    std::to_string(interval.bytes) + " B @ " + std::to_string(interval.offset));
      }
      interval_of_[static_cast<std::size_t>(interval.value)] = static_cast<int>(i);
    }
  }

  bool planned(ValueId v) const { return interval_of_[static_cast<std::size_t>(v)] >= 0; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // The slot of `v` viewed as `shape` (the value's dtype).
  Tensor slot(ValueId v, const Shape& shape) const {
    const LiveInterval& interval = plan_.intervals[static_cast<std::size_t>(interval_of_[static_cast<std::size_t>(v)])];
    const DType dtype = graph_.value(v).info.dtype;
    const std::int64_t element = static_cast<std::int64_t>(dtype_size(dtype));
    return Tensor::from_storage(storage_, dtype, shape, contiguous_strides(shape), interval.offset / element);
  }

  // Reads a value that an earlier step wrote.
  Tensor read(ValueId v) const {
    const std::optional<Shape>& shape = shape_of_[static_cast<std::size_t>(v)];
    if (!shape) throw Error("run_with_plan", "an order in which " + value_label(v) + " is written before it is read", "a read first");
    return slot(v, *shape);
  }

  // Copies a kernel's result into its slot.
  void write(ValueId v, const Tensor& result, const std::string& op) {
    const graph::ValueInfo& info = graph_.value(v).info;
    if (!result.defined() || result.dtype() != info.dtype || !shape_matches(info.shape, result.shape())) {
      throw Error(op, "a kernel output " + graph::info_str(info) + " (as inferred)",
                  result.defined() ? graph::info_str({result.dtype(), result.shape()}) : "an undefined tensor");
    }
    const LiveInterval& interval = plan_.intervals[static_cast<std::size_t>(interval_of_[static_cast<std::size_t>(v)])];
    const std::int64_t bytes = result.numel() * static_cast<std::int64_t>(dtype_size(result.dtype()));
    if (bytes > interval.bytes) {
      throw Error("run_with_plan", "at most the planned " + std::to_string(interval.bytes) + " B for " + value_label(v),
                  std::to_string(bytes) + " B (plan again with the sizes of this run)");
    }
    slot(v, result.shape()).copy_from(result);
    shape_of_[static_cast<std::size_t>(v)] = result.shape();
  }

 private:
  const Graph& graph_;
  const MemoryPlan& plan_;
  std::shared_ptr<Storage> storage_;
  std::vector<int> interval_of_;                // by value id
  std::vector<std::optional<Shape>> shape_of_;  // by value id: set once the value is written
};

}  // namespace

std::vector<Tensor> run_with_plan(const Graph& graph, const MemoryPlan& plan, const graph::Feeds& feeds) {
  // Which values the run reads: inputs of the planned nodes and the graph outputs.
  std::vector<bool> read(graph.values().size(), false);
  for (NodeId n : plan.order) {
    const graph::Node& node = graph.node(n);
    if (node.op == "placeholder" || node.op == "constant") {
      throw Error("run_with_plan", "a plan order of op nodes only", "n" + std::to_string(n) + " (" + node.op + ")");
    }
    for (ValueId v : node.inputs) read[static_cast<std::size_t>(v)] = true;
  }
  for (ValueId v : graph.outputs()) read[static_cast<std::size_t>(v)] = true;
  const std::map<ValueId, Tensor> fed = check_feeds(graph, read, feeds);
  Arena arena(graph, plan);
  for (NodeId n : plan.order) {
    for (ValueId v : graph.node(n).outputs) {
      if (!arena.planned(v)) throw Error("run_with_plan", "a plan made for this graph (an interval for " + value_label(v) + ")", "none");
    }
  }

  auto value = [&](ValueId v) -> Tensor {
    const graph::Node& producer = graph.node(graph.value(v).producer);
    if (producer.op == "placeholder") return fed.at(v);
    if (producer.op == "constant") return producer.attr_tensor("value");
    if (!arena.planned(v)) throw Error("run_with_plan", "a plan made for this graph (an interval for " + value_label(v) + ")", "none");
    return arena.read(v);
  };

  std::optional<detail::MemoryTrace> trace;
  if (trace::Recorder* rec = trace::active()) trace.emplace(*rec, graph, plan);
  for (std::size_t s = 0; s < plan.order.size(); ++s) {
    const graph::Node& node = graph.node(plan.order[s]);
    std::vector<Tensor> inputs;
    for (ValueId v : node.inputs) inputs.push_back(value(v));
    const graph::OpDef& def = graph::find_op(node.op);
    if (!def.kernel) throw Error(node.op, "an op with a kernel", "none (node n" + std::to_string(node.id) + ")");
    std::vector<Tensor> results = def.kernel(graph::KernelContext{node, inputs});
    if (results.size() != node.outputs.size()) {
      throw Error(node.op, std::to_string(node.outputs.size()) + " kernel outputs", std::to_string(results.size()));
    }
    // A kernel may return a view of an input (Identity, Reshape): copy it out of the arena before any
    // slot is written, or writing one result could change another.
    for (Tensor& result : results) {
      if (result.defined() && result.storage() == arena.storage()) {
        result = result.clone();
      }
    }
    for (std::size_t k = 0; k < results.size(); ++k) arena.write(node.outputs[k], results[k], node.op);
    if (trace) trace->ran(static_cast<int>(s));
  }

  std::vector<Tensor> outputs;
  for (ValueId v : graph.outputs()) outputs.push_back(value(v).clone());  // the arena is freed on return
  return outputs;
}

}  // namespace gb::passes
