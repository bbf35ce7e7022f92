// onnx_import.cpp: an ONNX ModelProto into a gb::graph::Graph (lesson 16).
//
// ONNX names every tensor: a node reads its inputs by name and defines its outputs' names (each name is
// defined once: static single assignment). Import is one walk in file order, because ONNX requires the
// nodes to be topologically sorted:
//   1. every initializer (a weight) becomes a constant under its name;
//   2. every graph input that is not an initializer becomes a placeholder (symbolic dims -> -1);
//   3. every node becomes a node of the op with the same name (onnx_ops.hpp), its inputs looked up by name
//      (a trailing empty name = an absent optional input, dropped), its outputs named;
//   4. the graph outputs are looked up by name.
// If becomes lib/control's If (its branches subgraph attributes; the outer names they read, explicit
// inputs); Loop is not imported yet (Unsupported). What glassbox does not run is Unsupported; what is not a valid model (bytes that do not parse, a name
// used before it is defined, an op given the wrong inputs) is gb::Error: never a crash.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "gb/control/functional.hpp"
#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/registry.hpp"
#include "onnx_import_internal.hpp"

namespace gb::convert {

namespace {

using graph::ValueId;
using graph::ValueInfo;

// The names one graph defines, and what the importer knows is constant (for folding shapes and axes).
struct Scope {
  graph::Graph graph;
  std::map<std::string, ValueId> values;
  std::map<std::string, Tensor> constants;  // initializers and Constant nodes' values, by name

  void define(const std::string& name, ValueId value, const std::string& where) {
    if (!values.emplace(name, value).second) throw Error(where, "each name defined once", "'" + name + "' again");
    graph.set_value_name(value, name);
  }
  ValueId lookup(const std::string& name, const std::string& where) const {
    const auto it = values.find(name);
    if (it == values.end()) throw Error(where, "names defined before they are used", "'" + name + "'");
    return it->second;
  }
};

// A graph input's ValueInfoProto: a tensor type with an element type and a shape of fixed (dim_value) or
// symbolic (dim_param, or nothing) dims.
ValueInfo value_info_of(const onnx::ValueInfoProto& v) {
  const std::string what = "input '" + v.name() + "'";
  if (!v.type().has_tensor_type()) throw Unsupported(what, "a tensor", "a sequence, map or optional type");
  const onnx::TypeProto::Tensor& t = v.type().tensor_type();
  if (!t.has_shape()) throw Unsupported(what, "a tensor of known rank", "no shape");
  ValueInfo info;
  info.dtype = detail::onnx_element_type(t.elem_type(), what);
  for (const onnx::TensorShapeProto::Dimension& d : t.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() < 0) throw Error(what, "dims >= 0", std::to_string(d.dim_value()));
    info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return info;
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

// Reshape's shape and Squeeze/Unsqueeze's axes inputs, when constant, also become the attribute of the
// same name, so that shape inference knows the result's sizes, not only its rank (onnx_ops.hpp).
void fold_constant_inputs(const onnx::NodeProto& node, const Scope& scope, graph::Attributes& attrs) {
  const std::string& op = node.op_type();
  const char* key = op == "Reshape" ? "shape" : op == "Squeeze" || op == "Unsqueeze" ? "axes" : nullptr;
  if (!key || node.input_size() < 2 || attrs.count(key)) return;
  const auto it = scope.constants.find(node.input(1));
  if (it != scope.constants.end()) attrs[key] = detail::tensor_ints(op, it->second);
}

void import_node(const onnx::NodeProto& node, int index, std::int64_t opset, Scope& scope);

// --- If: a subgraph per branch, reading outer names --------------------------------------------------
// ONNX branches have no inputs: they read any name of the enclosing graphs (a closure). lib/control's If
// takes its branches' inputs explicitly ([cond, args...], one placeholder per arg in each branch), so the
// importer finds the names both branches read but do not define (their free names, nested subgraphs
// included), passes them as args, and gives each branch a placeholder for each, in the same order.
void free_names(const onnx::GraphProto& g, std::vector<std::string>& out) {
  std::set<std::string> defined;
  for (const onnx::TensorProto& t : g.initializer()) defined.insert(t.name());
  for (const onnx::ValueInfoProto& v : g.input()) defined.insert(v.name());
  const auto use = [&](const std::string& name) {
    if (!name.empty() && !defined.count(name) && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  for (const onnx::NodeProto& node : g.node()) {
    for (const std::string& name : node.input()) use(name);
    for (const onnx::AttributeProto& a : node.attribute()) {
      if (a.has_g()) {
        std::vector<std::string> inner;
        free_names(a.g(), inner);
        for (const std::string& name : inner) use(name);
      }
    }
    for (const std::string& name : node.output()) defined.insert(name);
  }
  for (const onnx::ValueInfoProto& v : g.output()) use(v.name());
}

graph::GraphPtr import_branch(const onnx::GraphProto& g, const std::vector<std::string>& captured, const Scope& outer,
                              std::int64_t opset) {
  if (g.input_size() > 0) throw Error("If branch '" + g.name() + "'", "no inputs (ONNX If branches read outer names)", std::to_string(g.input_size()));
  Scope scope;
  for (const std::string& name : captured) {
    scope.define(name, scope.graph.placeholder(name, outer.graph.value(outer.lookup(name, "If")).info), "If");
  }
  for (const onnx::TensorProto& init : g.initializer()) {
    scope.define(init.name(), scope.graph.constant(detail::tensor_from_proto(init), init.name()), "initializer");
  }
  for (int i = 0; i < g.node_size(); ++i) import_node(g.node(i), i, opset, scope);
  std::vector<ValueId> outputs;
  for (const onnx::ValueInfoProto& output : g.output()) outputs.push_back(scope.lookup(output.name(), "If branch output"));
  scope.graph.set_outputs(outputs);
  return std::make_shared<const graph::Graph>(std::move(scope.graph));
}

std::vector<ValueId> import_if(const onnx::NodeProto& node, const std::string& where, std::int64_t opset, Scope& scope) {
  const onnx::GraphProto *then_branch = nullptr, *else_branch = nullptr;
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == "then_branch" && a.has_g()) then_branch = &a.g();
    if (a.name() == "else_branch" && a.has_g()) else_branch = &a.g();
  }
  if (node.input_size() != 1 || !then_branch || !else_branch) {
    throw Error(where, "one input cond and GRAPH attributes then_branch, else_branch", std::to_string(node.input_size()) + " inputs");
  }
  std::vector<std::string> captured;
  free_names(*then_branch, captured);
  free_names(*else_branch, captured);
  std::vector<ValueId> args;
  for (const std::string& name : captured) args.push_back(scope.lookup(name, where));
  const ValueId cond = scope.lookup(node.input(0), where);
  return control::make_if(scope.graph, cond, args, import_branch(*then_branch, captured, scope, opset),
                          import_branch(*else_branch, captured, scope, opset), node.name().empty() ? "If" : node.name());
}

void import_node(const onnx::NodeProto& node, int index, std::int64_t opset, Scope& scope) {
  const std::string& op = node.op_type();
  const std::string where = "node " + std::to_string(index) + " (" + op + (node.name().empty() ? "" : " '" + node.name() + "'") + ")";
  if (!is_default_domain(node.domain())) throw Unsupported("op", "an op of the default ONNX domain", node.domain() + "." + op);
  if (op == "If") {
    std::vector<ValueId> outputs;
    try {
      outputs = import_if(node, where, opset, scope);
    } catch (const NotImplemented&) {
      throw;
    } catch (const Unsupported&) {
      throw;
    } catch (const Error& e) {
      throw Error(where + ": " + e.op(), e.expected(), e.given());
    }
    if (node.output_size() != static_cast<int>(outputs.size())) {
      throw Error(where, std::to_string(outputs.size()) + " outputs (as many as the branches have)", std::to_string(node.output_size()));
    }
    for (int k = 0; k < node.output_size(); ++k) scope.define(node.output(k), outputs[static_cast<std::size_t>(k)], where);
    return;
  }
  static const std::vector<std::string> known = onnx_op_names();
  if (!std::binary_search(known.begin(), known.end(), op)) throw Unsupported("op", "one of glassbox's ONNX ops", op);

  int count = node.input_size();
  while (count > 0 && node.input(count - 1).empty()) --count;  // absent optional inputs at the end
  std::vector<ValueId> inputs;
  for (int i = 0; i < count; ++i) {
    if (node.input(i).empty()) throw Unsupported(where, "absent optional inputs only at the end", "input " + std::to_string(i) + " absent");
    inputs.push_back(scope.lookup(node.input(i), where));
  }
  graph::Attributes attrs = detail::node_attributes(node, where, nullptr);
  detail::apply_opset(op, opset, attrs);
  fold_constant_inputs(node, scope, attrs);

  std::vector<ValueId> outputs;
  try {
    outputs = scope.graph.add_node(op, inputs, attrs, node.name().empty() ? op : node.name());
  } catch (const NotImplemented&) {
    throw;
  } catch (const Unsupported&) {
    throw;
  } catch (const Error& e) {  // the op's shape inference: say which node
    throw Error(where + ": " + e.op(), e.expected(), e.given());
  }
  if (node.output_size() > static_cast<int>(outputs.size())) {
    throw Unsupported(where, "at most " + std::to_string(outputs.size()) + " outputs", std::to_string(node.output_size()));
  }
  for (int k = 0; k < node.output_size(); ++k) {
    if (!node.output(k).empty()) scope.define(node.output(k), outputs[static_cast<std::size_t>(k)], where);
  }
  if (op == "Constant" && !outputs.empty()) {  // its value, from the op's own kernel (value, value_ints ...)
    const graph::Node& constant = scope.graph.node(scope.graph.value(outputs[0]).producer);
    const std::vector<Tensor> no_inputs;
    scope.constants[node.output(0)] = graph::find_op("Constant").kernel(graph::KernelContext{constant, no_inputs})[0];
  }
}

}  // namespace

OnnxModel parse_onnx(const std::string& bytes) {
  register_onnx_ops();
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    throw Error("parse_onnx", "a serialized ONNX ModelProto", std::to_string(bytes.size()) + " bytes that do not parse");
  }
  OnnxModel out;
  out.ir_version = model.ir_version();
  out.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  for (const onnx::OperatorSetIdProto& set : model.opset_import()) {
    if (is_default_domain(set.domain())) out.opset = set.version();
  }
  if (model.opset_import_size() == 0) throw Error("parse_onnx", "an opset_import (ONNX IR 3+)", "none");
  if (out.opset == 0) {  // only other domains (ai.onnx.ml, ai.onnx.preview.training, ...): none of glassbox's ops
    std::string domains;
    for (const onnx::OperatorSetIdProto& set : model.opset_import()) domains += (domains.empty() ? "" : ", ") + set.domain();
    throw Unsupported("parse_onnx", "an opset_import of the default ONNX domain", domains);
  }
  if (out.opset < 7 || out.opset > 17) throw Unsupported("parse_onnx", "opset 7 to 17", "opset " + std::to_string(out.opset));

  const onnx::GraphProto& g = model.graph();
  Scope scope;
  for (const onnx::TensorProto& init : g.initializer()) {
    const Tensor value = detail::tensor_from_proto(init);
    scope.define(init.name(), scope.graph.constant(value, init.name()), "initializer");
    scope.constants[init.name()] = value;
  }
  for (const onnx::ValueInfoProto& input : g.input()) {
    if (scope.constants.count(input.name())) continue;  // IR < 4 lists initializers among the inputs
    scope.define(input.name(), scope.graph.placeholder(input.name(), value_info_of(input)), "graph input");
    out.input_names.push_back(input.name());
  }
  for (int i = 0; i < g.node_size(); ++i) import_node(g.node(i), i, out.opset, scope);
  std::vector<ValueId> outputs;
  for (const onnx::ValueInfoProto& output : g.output()) {
    outputs.push_back(scope.lookup(output.name(), "graph output"));
    out.output_names.push_back(output.name());
  }
  scope.graph.set_outputs(outputs);
  out.graph = std::move(scope.graph);
  return out;
}

OnnxModel load_onnx(const std::string& path) { return parse_onnx(detail::read_file(path, "load_onnx")); }

}  // namespace gb::convert
