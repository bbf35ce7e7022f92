// onnx_import.cpp: an ONNX ModelProto into a gb::graph::Graph (lesson 16).
//
// ONNX names every tensor: a node reads its inputs by name and defines its outputs' names (each name is
// defined once: static single assignment). Import is one walk in file order, because ONNX requires the
// nodes to be topologically sorted:
//   1. every initializer (a weight) becomes a constant under its name;
//   2. every graph input that is not an initializer becomes a placeholder (symbolic dims -> -1);
//   3. every node becomes a node of the op with the same name (onnx_ops.hpp), its inputs looked up by name
//      (a trailing empty name = an absent optional input, dropped; only Loop takes empty names in the
//      middle: its M and cond), its outputs named;
//   4. the graph outputs are looked up by name.
// If and Loop carry subgraphs that read outer names; onnx_import_control.cpp imports them (the same walk,
// recursively). What glassbox does not run is Unsupported; what is not a valid model (bytes that do not
// parse, a name used before it is defined, an op given the wrong inputs) is gb::Error: never a crash.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <set>

#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/registry.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_import_scope.hpp"

namespace gb::convert {

namespace {

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

}  // namespace

namespace detail {

using graph::ValueId;
using graph::ValueInfo;

ValueInfo value_info_of(const onnx::ValueInfoProto& v, const ValueInfo* fallback) {
  const std::string what = "input '" + v.name() + "'";
  if (fallback && !v.has_type()) return *fallback;
  if (!v.type().has_tensor_type()) throw Unsupported(what, "a tensor", "a sequence, map or optional type");
  const onnx::TypeProto::Tensor& t = v.type().tensor_type();
  ValueInfo info;
  if (fallback && t.elem_type() == onnx::TensorProto::UNDEFINED) {
    info.dtype = fallback->dtype;
  } else {
    info.dtype = onnx_element_type(t.elem_type(), what);
  }
  if (!t.has_shape()) {
    if (!fallback) throw Unsupported(what, "a tensor of known rank", "no shape");
    info.shape = fallback->shape;
    return info;
  }
  for (const onnx::TensorShapeProto::Dimension& d : t.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() < 0) throw Error(what, "dims >= 0", std::to_string(d.dim_value()));
    info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return info;
}

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

namespace {

// Reshape's shape, Squeeze/Unsqueeze's axes and Slice's starts, ends, axes, steps inputs, when constant,
// also become the attribute of the same name, so that shape inference knows the result's sizes, not only
// its rank (onnx_ops.hpp). Each input is folded on its own (a Slice's axes may be constant, its starts not).
void fold_constant_inputs(const onnx::NodeProto& node, const Scope& scope, graph::Attributes& attrs) {
  const std::string& op = node.op_type();
  static const std::vector<std::string> reshape = {"shape"}, axes = {"axes"}, slice = {"starts", "ends", "axes", "steps"}, none;
  const std::vector<std::string>& keys = op == "Reshape" ? reshape : op == "Squeeze" || op == "Unsqueeze" ? axes : op == "Slice" ? slice : none;
  for (std::size_t k = 0; k < keys.size() && static_cast<int>(k) + 1 < node.input_size(); ++k) {
    if (attrs.count(keys[k])) continue;
    const auto it = scope.constants.find(node.input(static_cast<int>(k) + 1));
    if (it != scope.constants.end()) attrs[keys[k]] = tensor_ints(op, it->second);
  }
}

// Runs f; a gb::Error from it (an op's shape inference, a subgraph's import) is re-thrown naming the node.
// Unsupported and NotImplemented pass unchanged (they are reported as such, not as a broken model).
template <class F> auto naming_node(const std::string& where, F&& f) {
  try {
    return f();
  } catch (const NotImplemented&) {
    throw;
  } catch (const Unsupported&) {
    throw;
  } catch (const Error& e) {
    throw Error(where + ": " + e.op(), e.expected(), e.given());
  }
}

}  // namespace

void import_node(const onnx::NodeProto& node, int index, std::int64_t opset, Scope& scope) {
  const std::string& op = node.op_type();
  const std::string where = "node " + std::to_string(index) + " (" + op + (node.name().empty() ? "" : " '" + node.name() + "'") + ")";
  if (!is_default_domain(node.domain())) throw Unsupported("op", "an op of the default ONNX domain", node.domain() + "." + op);
  if (op == "If" || op == "Loop") {  // control flow: subgraphs that read outer names (onnx_import_control.cpp)
    const std::vector<ValueId> outputs =
        naming_node(where, [&] { return op == "If" ? import_if(node, where, opset, scope) : import_loop(node, where, opset, scope); });
    const bool fits = op == "If" ? node.output_size() == static_cast<int>(outputs.size()) : node.output_size() <= static_cast<int>(outputs.size());
    if (!fits) {
      throw Error(where, std::to_string(outputs.size()) + " outputs (as many as the " + (op == "If" ? "branches have)" : "body's carried and scan outputs)"),
                  std::to_string(node.output_size()));
    }
    for (int k = 0; k < node.output_size(); ++k) {
      if (!node.output(k).empty()) scope.define(node.output(k), outputs[static_cast<std::size_t>(k)], where);
    }
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
  graph::Attributes attrs = node_attributes(node, where, nullptr);
  apply_opset(op, opset, attrs);
  fold_constant_inputs(node, scope, attrs);

  const std::vector<ValueId> outputs =
      naming_node(where, [&] { return scope.graph.add_node(op, inputs, attrs, node.name().empty() ? op : node.name()); });
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

}  // namespace detail

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
  detail::Scope scope;
  for (const onnx::TensorProto& init : g.initializer()) {
    const Tensor value = detail::tensor_from_proto(init);
    scope.define(init.name(), scope.graph.constant(value, init.name()), "initializer");
    scope.constants[init.name()] = value;
  }
  for (const onnx::ValueInfoProto& input : g.input()) {
    if (scope.constants.count(input.name())) continue;  // IR < 4 lists initializers among the inputs
    scope.define(input.name(), scope.graph.placeholder(input.name(), detail::value_info_of(input)), "graph input");
    out.input_names.push_back(input.name());
  }
  for (int i = 0; i < g.node_size(); ++i) detail::import_node(g.node(i), i, out.opset, scope);
  std::vector<graph::ValueId> outputs;
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
