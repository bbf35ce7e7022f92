// onnx_import_control.cpp: ONNX's control flow into glassbox (lesson 16): If and Loop, whose subgraphs
// are closures.
//
// An ONNX subgraph may read any name of the graphs around it (an If branch has no inputs at all; a Loop
// body has its own inputs and may read outer names too). glassbox's subgraphs are closed (lib/control's
// rule: a subgraph sees only its placeholders), so the importer finds the names a subgraph reads but does
// not define (its free names, nested subgraphs included), passes them to the node as explicit inputs,
// and gives the subgraph one placeholder per free name, named after it:
//   If    [cond, free...]                          lib/control's If; both branches get the same free list
//   Loop  [M]? [cond]? v_initial... free...        onnx_ops_loop.hpp; the body's placeholders are
//                                                  (iteration_num, cond_in, carried..., free...)
// Loop's M and cond may be empty names (absent: no trip count / no condition); glassbox records that in
// has_trip_count / has_cond instead of an input.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "gb/control/functional.hpp"
#include "gb/convert/onnx_import.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_import_scope.hpp"
#include "onnx_ops_loop.hpp"

namespace gb::convert::detail {

namespace {

using graph::ValueId;
using graph::ValueInfo;

// A subgraph as a closed glassbox graph: its own inputs first (named, with their infos), then one
// placeholder per captured outer name (the outer value's info), its initializers, its nodes, its outputs.
graph::GraphPtr import_subgraph(const onnx::GraphProto& g, const std::vector<std::pair<std::string, ValueInfo>>& own_inputs,
                                const std::vector<std::string>& captured, const Scope& outer, std::int64_t opset,
                                const std::string& what) {
  Scope scope;
  for (const auto& [name, info] : own_inputs) scope.define(name, scope.graph.placeholder(name, info), what + " input");
  for (const std::string& name : captured) {
    scope.define(name, scope.graph.placeholder(name, outer.graph.value(outer.lookup(name, what)).info), what);
  }
  for (const onnx::TensorProto& init : g.initializer()) {
    const Tensor value = tensor_from_proto(init);
    scope.define(init.name(), scope.graph.constant(value, init.name()), what + " initializer");
    scope.constants[init.name()] = value;
  }
  for (int i = 0; i < g.node_size(); ++i) import_node(g.node(i), i, opset, scope);
  std::vector<ValueId> outputs;
  for (const onnx::ValueInfoProto& output : g.output()) outputs.push_back(scope.lookup(output.name(), what + " output"));
  scope.graph.set_outputs(outputs);
  return std::make_shared<const graph::Graph>(std::move(scope.graph));
}

const onnx::GraphProto* graph_attribute(const onnx::NodeProto& node, const std::string& key) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == key && a.has_g()) return &a.g();
  }
  return nullptr;
}

void require_only_graph_attributes(const onnx::NodeProto& node, const std::string& where, const std::vector<std::string>& keys) {
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (std::find(keys.begin(), keys.end(), a.name()) == keys.end()) {
      throw Error(where, "only the GRAPH attribute(s) of " + node.op_type(), "attribute '" + a.name() + "'");
    }
  }
}

}  // namespace

// --- If: branches without inputs; both read the same list of free names -------------------------------
std::vector<ValueId> import_if(const onnx::NodeProto& node, const std::string& where, std::int64_t opset, Scope& scope) {
  const onnx::GraphProto* then_branch = graph_attribute(node, "then_branch");
  const onnx::GraphProto* else_branch = graph_attribute(node, "else_branch");
  if (node.input_size() != 1 || !then_branch || !else_branch) {
    throw Error(where, "one input cond and GRAPH attributes then_branch, else_branch", std::to_string(node.input_size()) + " inputs");
  }
  require_only_graph_attributes(node, where, {"then_branch", "else_branch"});
  for (const onnx::GraphProto* branch : {then_branch, else_branch}) {
    if (branch->input_size() > 0) {
      throw Error("If branch '" + branch->name() + "'", "no inputs (ONNX If branches read outer names)", std::to_string(branch->input_size()));
    }
  }
  std::vector<std::string> captured;
  free_names(*then_branch, captured);
  free_names(*else_branch, captured);
  std::vector<ValueId> args;
  for (const std::string& name : captured) args.push_back(scope.lookup(name, where));
  const ValueId cond = scope.lookup(node.input(0), where);
  return control::make_if(scope.graph, cond, args, import_subgraph(*then_branch, {}, captured, scope, opset, "If then_branch"),
                          import_subgraph(*else_branch, {}, captured, scope, opset, "If else_branch"),
                          node.name().empty() ? "If" : node.name());
}

// --- Loop: (M, cond, v_initial...), a body (iteration_num, cond_in, carried...) that may read outer names --
std::vector<ValueId> import_loop(const onnx::NodeProto& node, const std::string& where, std::int64_t opset, Scope& scope) {
  const onnx::GraphProto* body = graph_attribute(node, "body");
  if (node.input_size() < 2 || !body) {
    throw Error(where, "inputs (M, cond, v_initial...) (M and cond may be empty names) and a GRAPH attribute body",
                std::to_string(node.input_size()) + " inputs" + (body ? "" : ", no body"));
  }
  require_only_graph_attributes(node, where, {"body"});
  const bool has_trip_count = !node.input(0).empty(), has_cond = !node.input(1).empty();
  const int carried = node.input_size() - 2;
  if (body->input_size() != 2 + carried) {
    throw Error(where, "a body with " + std::to_string(2 + carried) + " inputs (iteration_num, cond_in, " + std::to_string(carried) + " carried)",
                std::to_string(body->input_size()) + " inputs");
  }
  std::vector<ValueId> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty()) {
      if (i < 2) continue;  // M or cond absent
      throw Unsupported(where, "every v_initial given", "input " + std::to_string(i) + " absent");
    }
    inputs.push_back(scope.lookup(node.input(i), where));
  }
  // The body's own inputs: their declared types, else what the Loop feeds them (ONNX allows leaving
  // them untyped): an i64 and a bool scalar, then each carried value's dtype and rank (sizes may change
  // from one iteration to the next).
  std::vector<std::pair<std::string, ValueInfo>> own;
  const ValueInfo iteration_num{DType::i64, {}}, cond_in{DType::u8, {}};
  own.emplace_back(body->input(0).name(), value_info_of(body->input(0), &iteration_num));
  own.emplace_back(body->input(1).name(), value_info_of(body->input(1), &cond_in));
  for (int i = 0; i < carried; ++i) {
    ValueInfo initial = scope.graph.value(scope.lookup(node.input(2 + i), where)).info;
    for (std::int64_t& d : initial.shape) d = -1;
    own.emplace_back(body->input(2 + i).name(), value_info_of(body->input(2 + i), &initial));
  }
  std::vector<std::string> captured;
  free_names(*body, captured);
  for (const std::string& name : captured) inputs.push_back(scope.lookup(name, where));
  graph::Attributes attrs;
  attrs["body"] = import_subgraph(*body, own, captured, scope, opset, "Loop body");
  attrs[kLoopHasTripCount] = std::int64_t{has_trip_count ? 1 : 0};
  attrs[kLoopHasCond] = std::int64_t{has_cond ? 1 : 0};
  attrs[kLoopCaptured] = static_cast<std::int64_t>(captured.size());
  return scope.graph.add_node("Loop", inputs, attrs, node.name().empty() ? "Loop" : node.name());
}

}  // namespace gb::convert::detail
