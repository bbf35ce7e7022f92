// onnx_ops_loop.cpp: ONNX's Loop, the general loop of the ONNX operator set (opsets 1-16; issue 9).
//
// ONNX's spec gives Loop as one C-like loop over a trip count M and a condition cond, either of which
// may be absent:
//     (M, cond)    for (i = 0; i < M && cond; ++i) { cond, v..., scan... = body(i, cond, v...); }
//     (M, "")      for (i = 0; i < M; ++i)          { ... }   the body's cond output is ignored
//     ("", cond)   for (i = 0; cond; ++i)           { ... }   a while loop
//     ("", "")     for (i = 0; ; ++i)               { ... }   the spec's infinite loop (Unsupported here:
//                                                                 it could only hang the run)
// The body is a subgraph: inputs (iteration_num, cond_in, carried...), outputs (cond_out, carried...,
// scan...). The carried values (v) feed the next iteration and leave the loop as its first outputs;
// each scan output is collected every iteration and leaves stacked along a new first axis
// ([T, ...] for T iterations). glassbox's node layout (absent M / cond, the outer values the body reads
// passed as explicit inputs) is in onnx_ops_loop.hpp.
//
// Like lib/control's If and While, the body runs through graph::run_fifo with positional feeds and a
// muted recorder: the Loop node is the step the learner sees. Loop has no gradient (inference only).
#include <cstring>
#include <limits>
#include <optional>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/registry.hpp"
#include "gb/trace/recorder.hpp"
#include "onnx_ops_internal.hpp"
#include "onnx_ops_loop.hpp"

namespace gb::convert::detail {

namespace {

using graph::ValueInfo;

const graph::Graph& body_of(const graph::Node& node) {
  const graph::GraphPtr& body = node.attr_graph("body");
  if (!body) throw Error("Loop", "attribute body holding a graph", "a null graph");
  return *body;
}

std::vector<ValueInfo> infos_of(const graph::Graph& g, const std::vector<graph::ValueId>& values) {
  std::vector<ValueInfo> infos;
  for (graph::ValueId v : values) infos.push_back(g.value(v).info);
  return infos;
}

// One element: shape [] or [1] (ONNX writes both for M, cond, iteration_num; -1 may be that 1).
bool single_element(const ValueInfo& info) {
  return info.shape.empty() || (info.shape.size() == 1 && (info.shape[0] == 1 || info.shape[0] == -1));
}

void require_single(const ValueInfo& info, DType dtype, const std::string& what) {
  if (info.dtype != dtype || !single_element(info)) {
    throw Error("Loop", what + " of one element (" + dtype_name(dtype) + "[] or " + dtype_name(dtype) + "[1])", graph::info_str(info));
  }
}

// Same dtype and rank, each dim equal or dynamic (-1) on either side: a value that can feed a placeholder.
bool compatible(const ValueInfo& a, const ValueInfo& b) {
  if (a.dtype != b.dtype || a.shape.size() != b.shape.size()) return false;
  for (std::size_t k = 0; k < a.shape.size(); ++k) {
    if (a.shape[k] != b.shape[k] && a.shape[k] != -1 && b.shape[k] != -1) return false;
  }
  return true;
}

void require_compatible(const ValueInfo& given, const ValueInfo& wanted, const std::string& what) {
  if (!compatible(given, wanted)) throw Error("Loop", what + " " + graph::info_str(wanted), graph::info_str(given));
}

// A carried value after the loop: its initial value when the body never ran, the body's output otherwise,
// so a dim is known only where both agree.
ValueInfo merged(const ValueInfo& initial, const ValueInfo& from_body) {
  ValueInfo out = initial;
  for (std::size_t k = 0; k < out.shape.size(); ++k) {
    if (out.shape[k] != from_body.shape[k]) out.shape[k] = -1;
  }
  return out;
}

std::vector<ValueInfo> infer_loop(const graph::InferContext& ctx) {
  const LoopLayout layout = loop_layout(ctx.node, ctx.inputs.size());
  const graph::Graph& body = body_of(ctx.node);
  const std::vector<ValueInfo> body_in = infos_of(body, body.inputs()), body_out = infos_of(body, body.outputs());
  if (!layout.has_trip_count && !layout.has_cond) {  // cond_out is ignored without cond: nothing could stop it
    throw Unsupported("Loop", "a trip count M or a condition cond (with neither, the spec's loop never ends)", "neither");
  }
  if (layout.has_trip_count) require_single(ctx.inputs[layout.trip_count_input()], DType::i64, "M (the trip count)");
  if (layout.has_cond) require_single(ctx.inputs[layout.cond_input()], DType::u8, "cond (a bool)");
  require_single(body_in[0], DType::i64, "a body input 0 iteration_num");
  require_single(body_in[1], DType::u8, "a body input 1 cond_in (a bool)");
  require_single(body_out[0], DType::u8, "a body output 0 cond_out (a bool)");
  std::vector<ValueInfo> out;
  for (std::size_t i = 0; i < layout.carried; ++i) {
    const ValueInfo& initial = ctx.inputs[layout.first_carried() + i];
    const std::string which = "carried value " + std::to_string(i) + ": ";
    require_compatible(initial, body_in[2 + i], which + "an initial value that fits body input");
    require_compatible(body_out[1 + i], body_in[2 + i], which + "a body output (fed back) that fits body input");
    out.push_back(merged(initial, body_out[1 + i]));
  }
  for (std::size_t j = 0; j < layout.captured; ++j) {
    require_compatible(ctx.inputs[layout.first_captured() + j], body_in[2 + layout.carried + j],
                       "captured outer value " + std::to_string(j) + " that fits body input");
  }
  for (std::size_t k = 0; k < layout.scans; ++k) {
    ValueInfo scan = body_out[1 + layout.carried + k];
    scan.shape.insert(scan.shape.begin(), -1);  // the number of iterations is known only at run time
    out.push_back(scan);
  }
  return out;
}

// The per-iteration values of one scan output, stacked: [T, ...]. T = 0 gives [0, ...] with the body's
// inferred shape (dynamic dims as 0).
Tensor stack(const std::vector<Tensor>& items, const ValueInfo& info, std::size_t k) {
  Shape item_shape = items.empty() ? info.shape : items[0].shape();
  for (std::int64_t& d : item_shape) d = d < 0 ? 0 : d;
  Shape shape = item_shape;
  shape.insert(shape.begin(), static_cast<std::int64_t>(items.size()));
  Tensor out = Tensor::empty(shape, info.dtype);
  const std::size_t bytes = static_cast<std::size_t>(shape_numel(item_shape)) * dtype_size(info.dtype);
  for (std::size_t t = 0; t < items.size(); ++t) {
    if (items[t].shape() != item_shape || items[t].dtype() != info.dtype) {
      throw Error("Loop", "scan output " + std::to_string(k) + " of one shape every iteration (" + graph::info_str({info.dtype, item_shape}) + ")",
                  graph::info_str({items[t].dtype(), items[t].shape()}) + " at iteration " + std::to_string(t));
    }
    if (bytes > 0) std::memcpy(static_cast<char*>(out.raw_data()) + t * bytes, items[t].contiguous().raw_data(), bytes);
  }
  return out;
}

// A body input's value for this iteration (iteration_num, cond_in): the placeholder's shape, [] or [1].
Tensor single(const ValueInfo& info, double value) {
  Shape shape = info.shape;
  for (std::int64_t& d : shape) d = 1;
  return Tensor::full(shape, value, info.dtype);
}

std::vector<Tensor> run_loop(const graph::KernelContext& ctx) {
  const LoopLayout layout = loop_layout(ctx.node, ctx.inputs.size());
  const graph::Graph& body = body_of(ctx.node);
  const auto first = ctx.inputs.begin();
  const std::int64_t trip_count = layout.has_trip_count ? ctx.inputs[0].contiguous().data<std::int64_t>()[0]
                                                        : std::numeric_limits<std::int64_t>::max();
  bool cond = layout.has_cond ? ctx.inputs[layout.cond_input()].item() != 0 : true;
  std::vector<Tensor> carried(first + static_cast<std::ptrdiff_t>(layout.first_carried()),
                              first + static_cast<std::ptrdiff_t>(layout.first_captured()));
  const std::vector<Tensor> captured(first + static_cast<std::ptrdiff_t>(layout.first_captured()), ctx.inputs.end());
  std::vector<std::vector<Tensor>> scans(layout.scans);
  const ValueInfo iteration_info = body.value(body.inputs()[0]).info, cond_info = body.value(body.inputs()[1]).info;

  std::optional<trace::Recorder> muted;  // the body's steps are not the learner's steps
  std::optional<trace::ScopedRecorder> attach;
  if (trace::active() != nullptr) {
    muted.emplace("", "");
    attach.emplace(*muted);
  }
  for (std::int64_t i = 0; i < trip_count && cond; ++i) {
    std::vector<Tensor> feeds{single(iteration_info, static_cast<double>(i)), single(cond_info, cond ? 1.0 : 0.0)};
    feeds.insert(feeds.end(), carried.begin(), carried.end());
    feeds.insert(feeds.end(), captured.begin(), captured.end());
    const std::vector<Tensor> out = graph::run_fifo(body, feeds).outputs;
    if (out[0].numel() != 1) throw Error("Loop", "a cond_out of one element", graph::info_str({out[0].dtype(), out[0].shape()}));
    if (layout.has_cond) cond = out[0].item() != 0;  // without a cond input, the spec ignores cond_out
    for (std::size_t v = 0; v < layout.carried; ++v) carried[v] = out[1 + v];
    for (std::size_t k = 0; k < layout.scans; ++k) scans[k].push_back(out[1 + layout.carried + k]);
  }
  std::vector<Tensor> result = carried;
  for (std::size_t k = 0; k < layout.scans; ++k) {
    result.push_back(stack(scans[k], body.value(body.outputs()[1 + layout.carried + k]).info, k));
  }
  return result;
}

bool flag(const graph::Node& node, const char* key) {
  const std::int64_t value = attr_int(node, key, 1);
  if (value != 0 && value != 1) throw Error("Loop", std::string("attribute ") + key + " 0 or 1", std::to_string(value));
  return value == 1;
}

}  // namespace

LoopLayout loop_layout(const graph::Node& node, std::size_t num_inputs) {
  LoopLayout layout;
  layout.has_trip_count = flag(node, kLoopHasTripCount);
  layout.has_cond = flag(node, kLoopHasCond);
  const std::int64_t captured = attr_int(node, kLoopCaptured, 0);
  if (captured < 0) throw Error("Loop", "attribute captured >= 0", std::to_string(captured));
  layout.captured = static_cast<std::size_t>(captured);
  const std::size_t fixed = layout.first_carried() + layout.captured;
  if (num_inputs < fixed) {
    throw Error("Loop", "inputs [M]? [cond]? v_initial... captured... (at least " + std::to_string(fixed) + ")", std::to_string(num_inputs) + " inputs");
  }
  layout.carried = num_inputs - fixed;
  const graph::Graph& body = body_of(node);
  const std::size_t body_inputs = 2 + layout.carried + layout.captured;
  if (body.inputs().size() != body_inputs) {
    throw Error("Loop", "a body with " + std::to_string(body_inputs) + " inputs (iteration_num, cond_in, " + std::to_string(layout.carried) +
                            " carried, " + std::to_string(layout.captured) + " captured) in '" + node.name + "'",
                std::to_string(body.inputs().size()) + " inputs");
  }
  if (body.outputs().size() < 1 + layout.carried) {
    throw Error("Loop", "a body with at least " + std::to_string(1 + layout.carried) + " outputs (cond_out, " + std::to_string(layout.carried) +
                            " carried, then scan outputs) in '" + node.name + "'",
                std::to_string(body.outputs().size()) + " outputs");
  }
  layout.scans = body.outputs().size() - 1 - layout.carried;
  return layout;
}

std::vector<std::string> register_onnx_loop_ops() {
  graph::OpDef def;
  def.name = "Loop";
  def.num_inputs = -1;
  def.infer = infer_loop;
  def.kernel = run_loop;
  def.doc = "ONNX Loop([M], [cond], v_initial..., captured...): body(i, cond, v..., captured...) -> (cond, v..., scan...) "
            "while i < M and cond; scan outputs stacked on a new first axis";
  graph::register_op(def);
  return {"Loop"};
}

}  // namespace gb::convert::detail
