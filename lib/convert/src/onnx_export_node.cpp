// onnx_export_node.cpp: one glassbox node as an ONNX NodeProto (lesson 16), judged by ONNX's own schema
// of the op at the export's opset (onnx::OpSchemaRegistry, libonnx's table of every op version).
//
// A node of onnx_ops.hpp's set keeps its op name and inputs; the schema says how many inputs the op takes
// at that opset, which attributes it has and of what kind, so a glassbox attribute is written as the kind
// ONNX wants (a 1-D f32 Tensor as FLOATS where the schema says FLOATS, else a TENSOR ...), and an attribute
// the schema does not know is Unsupported, never silently dropped. Before that, what the importer decided
// is undone:
//   Reshape, Squeeze, Unsqueeze   a constant input folded into an attribute ("shape", "axes"): the
//                                 attribute is dropped where ONNX takes an input (an initializer is made
//                                 when the node has none), kept where ONNX takes the attribute (Squeeze and
//                                 Unsqueeze before opset 13);
//   Slice                         starts, ends, axes, steps: inputs from opset 10 (folded attributes
//                                 dropped, attribute-only ones made initializers), attributes before;
//   Softmax, LogSoftmax           coerce_2d (opsets < 13 normalise rows of the input flattened at axis) is
//                                 dropped; a Softmax the target opset cannot express is Unsupported;
//   If                            inputs [cond, args...] -> [cond]; each branch's placeholders become the
//                                 args' outer names (ONNX branches read outer names);
//   Loop                          has_trip_count / has_cond -> empty input names, captured inputs -> outer
//                                 names read by the body (onnx_ops_loop.hpp).
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>

#include "gb/convert/onnx_export.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "onnx_export_internal.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_ops_loop.hpp"

namespace gb::convert::detail {

namespace {

using AttributeType = onnx::AttributeProto::AttributeType;

const char* kind_of(const graph::Attribute& value) {
  static const char* const kinds[] = {"an int", "a double", "a string", "a list of ints", "a Tensor", "a graph"};
  return kinds[value.index()];
}

// --- what the importer decided, undone -------------------------------------------------------------

// Reshape's shape, Squeeze's and Unsqueeze's axes: inputs in ONNX (axes only from opset 13), attributes
// in glassbox when the importer found them constant.
void export_folded_input(GraphWriter& writer, const graph::Node& node, std::int64_t opset, std::vector<std::string>& inputs,
                         graph::Attributes& attrs, const std::string& where) {
  const char* key = node.op == "Reshape" ? "shape" : node.op == "Squeeze" || node.op == "Unsqueeze" ? "axes" : nullptr;
  if (!key) return;
  if (node.op != "Reshape" && opset < 13) {  // ONNX's attribute: the input (if any) goes
    if (inputs.size() >= 2) {
      if (!attrs.count(key)) throw Unsupported(where, "constant axes (an attribute before opset 13)", "axes computed at run time");
      inputs.resize(1);
    }
    return;
  }
  if (!attrs.count(key)) return;
  if (inputs.size() < 2) {
    const std::vector<std::int64_t>& values = node.attr_ints(key);
    inputs.push_back(writer.add_initializer(Tensor::from_vector(values, {static_cast<std::int64_t>(values.size())}), node.name + "_" + key));
  }
  attrs.erase(key);
}

// Slice's starts, ends, axes, steps: attributes before opset 10, inputs from it; glassbox keeps the inputs
// it was given and the attributes the importer folded beside them (or ONNX's own, from an opset < 10 model).
void export_slice_parameters(GraphWriter& writer, const graph::Node& node, std::int64_t opset, std::vector<std::string>& inputs,
                             graph::Attributes& attrs, const std::string& where) {
  if (node.op != "Slice") return;
  static const char* const keys[] = {"starts", "ends", "axes", "steps"};
  if (opset < 10) {  // ONNX's attributes: every input present must have been folded; no steps but 1
    for (std::size_t k = 0; k < 4; ++k) {
      if (inputs.size() > k + 1 && !attrs.count(keys[k])) {
        throw Unsupported(where, "constant starts, ends, axes (attributes before opset 10)", std::string(keys[k]) + " computed at run time");
      }
    }
    if (attrs.count("steps")) {
      for (std::int64_t step : std::get<std::vector<std::int64_t>>(attrs.at("steps"))) {
        if (step != 1) throw Unsupported(where, "steps of 1 (Slice has no steps before opset 10)", "a step of " + std::to_string(step));
      }
      attrs.erase("steps");
    }
    inputs.resize(1);
    return;
  }
  // Inputs: the folded copies go; parameters held only as attributes become initializers, in ONNX's
  // order (axes 0, 1, ... written out when steps follow).
  std::size_t last = 0;  // the last parameter ONNX must receive
  for (std::size_t k = 0; k < 4; ++k) {
    if (inputs.size() > k + 1 || attrs.count(keys[k])) last = k + 1;
  }
  for (std::size_t k = 0; k < last; ++k) {
    if (inputs.size() > k + 1) {
      attrs.erase(keys[k]);
      continue;
    }
    std::vector<std::int64_t> values;
    if (attrs.count(keys[k])) {
      values = std::get<std::vector<std::int64_t>>(attrs.at(keys[k]));
    } else if (k == 2 && attrs.count("starts")) {  // default axes before given steps
      for (std::size_t i = 0; i < node.attr_ints("starts").size(); ++i) values.push_back(static_cast<std::int64_t>(i));
    } else {
      throw Error(where, std::string("Slice's ") + keys[k] + " (an input or an attribute)", "neither");
    }
    Tensor value = Tensor::empty({static_cast<std::int64_t>(values.size())}, DType::i64);  // exact (INT64_MAX ends)
    std::copy(values.begin(), values.end(), value.data<std::int64_t>());
    inputs.push_back(writer.add_initializer(value, node.name + "_" + keys[k]));
    attrs.erase(keys[k]);
  }
}

// Softmax / LogSoftmax: from opset 13 one axis is normalised, before it the rows of the input flattened to
// 2-D at axis (glassbox: coerce_2d = 1). The two agree when the axes after `axis` are all of size 1.
void export_softmax_axis(const GraphWriter& writer, const graph::Node& node, std::int64_t opset, graph::Attributes& attrs,
                         const std::string& where) {
  if (node.op != "Softmax" && node.op != "LogSoftmax") return;
  const bool coerce = node.has_attr("coerce_2d") && node.attr_int("coerce_2d") != 0;
  attrs.erase("coerce_2d");
  const Shape& shape = writer.graph().value(node.inputs.at(0)).info.shape;
  const std::int64_t axis = node.has_attr("axis") ? node.attr_int("axis") : (coerce ? 1 : -1);
  attrs["axis"] = axis;
  const std::int64_t at = normalize_axis(node.op, axis, std::max<std::int64_t>(static_cast<std::int64_t>(shape.size()), 1));
  if (dims_product(shape, static_cast<std::size_t>(at) + 1, shape.size()) == 1 || coerce == (opset < 13)) return;
  const std::string given = std::string(coerce ? "rows flattened at axis " : "one axis ") + std::to_string(axis) + " of shape " + shape_str(shape);
  throw Unsupported(where, opset < 13 ? "a softmax over rows flattened at axis (opset < 13) or over the last axis"
                                      : "a softmax over one axis (opset 13+) or over rows flattened at the last axis",
                    given);
}

// --- attributes by the schema's kinds ---------------------------------------------------------------

void export_attribute(const std::string& key, const graph::Attribute& value, AttributeType type, bool as_bool,
                      onnx::AttributeProto& out, const std::string& where) {
  out.set_name(key);
  out.set_type(type);
  const auto* i = std::get_if<std::int64_t>(&value);
  const auto* f = std::get_if<double>(&value);
  const auto* s = std::get_if<std::string>(&value);
  const auto* ints = std::get_if<std::vector<std::int64_t>>(&value);
  const auto* t = std::get_if<Tensor>(&value);
  switch (type) {
    case onnx::AttributeProto::INT:
      if (i) return out.set_i(*i);
      break;
    case onnx::AttributeProto::FLOAT:
      if (f || i) return out.set_f(f ? static_cast<float>(*f) : static_cast<float>(*i));
      break;
    case onnx::AttributeProto::STRING:
      if (s) return out.set_s(*s);
      break;
    case onnx::AttributeProto::INTS:
      if (ints) {
        for (std::int64_t v : *ints) out.add_ints(v);
        return;
      }
      break;
    case onnx::AttributeProto::FLOATS:  // the importer's 1-D f32 tensor
      if (t && is_floating(t->dtype()) && t->ndim() <= 1) {
        for (double v : t->to_vector()) out.add_floats(static_cast<float>(v));
        return;
      }
      break;
    case onnx::AttributeProto::TENSOR:
      if (t) return export_tensor(*t, "", as_bool, *out.mutable_t());
      break;
    default:
      throw Unsupported(where + " attribute " + key, "an attribute of kind INT, FLOAT, STRING, INTS, FLOATS or TENSOR",
                        onnx::AttributeProto::AttributeType_Name(type));
  }
  throw Error(where, "attribute " + key + " of ONNX kind " + onnx::AttributeProto::AttributeType_Name(type), kind_of(value));
}

const graph::Graph& subgraph(const graph::Node& node, const std::string& key, const std::string& where) {
  const graph::GraphPtr& g = node.attr_graph(key);
  if (!g) throw Error(where, "attribute " + key + " holding a graph", "a null graph");
  return *g;
}

void write_graph_attribute(GraphWriter& writer, const graph::Node& node, const std::string& key, const std::vector<std::string>& bound,
                           onnx::NodeProto& out, const std::string& where) {
  onnx::AttributeProto* a = out.add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto::GRAPH);
  writer.write_subgraph(subgraph(node, key, where), bound, *a->mutable_g(), node.name + "_" + key);
}

// --- If and Loop: closed subgraphs back to closures ---------------------------------------------------

void export_if(GraphWriter& writer, const graph::Node& node, std::vector<std::string>& inputs, graph::Attributes& attrs,
               onnx::NodeProto& out, const std::string& where) {
  if (node.inputs.empty()) throw Error(where, "inputs [cond, args...]", "none");
  inputs = {writer.name_of(node.inputs[0])};
  std::vector<std::string> bound;  // branch placeholder i stands for arg i
  for (std::size_t i = 1; i < node.inputs.size(); ++i) bound.push_back(writer.name_of(node.inputs[i]));
  for (const char* key : {"then_branch", "else_branch"}) {
    write_graph_attribute(writer, node, key, bound, out, where);
    attrs.erase(key);
  }
}

void export_loop(GraphWriter& writer, const graph::Node& node, std::vector<std::string>& inputs, graph::Attributes& attrs,
                 onnx::NodeProto& out, const std::string& where) {
  const LoopLayout layout = loop_layout(node, node.inputs.size());
  inputs = {layout.has_trip_count ? writer.name_of(node.inputs[layout.trip_count_input()]) : "",
            layout.has_cond ? writer.name_of(node.inputs[layout.cond_input()]) : ""};
  for (std::size_t i = 0; i < layout.carried; ++i) inputs.push_back(writer.name_of(node.inputs[layout.first_carried() + i]));
  std::vector<std::string> bound(2 + layout.carried);  // the body's own inputs: named by the body
  for (std::size_t j = 0; j < layout.captured; ++j) bound.push_back(writer.name_of(node.inputs[layout.first_captured() + j]));
  write_graph_attribute(writer, node, "body", bound, out, where);
  for (const char* key : {"body", kLoopHasTripCount, kLoopHasCond, kLoopCaptured}) attrs.erase(key);
}

}  // namespace

void export_node(GraphWriter& writer, const graph::Node& node, onnx::NodeProto& out) {
  const std::string where = "export_onnx: node '" + node.name + "' (" + node.op + ")";
  static const std::vector<std::string> known = onnx_op_names();
  if (node.op != "If" && !std::binary_search(known.begin(), known.end(), node.op)) {
    throw Unsupported(where, "an op of ONNX's operator set that glassbox runs (onnx_ops.hpp), If or Loop", node.op);
  }
  const std::int64_t opset = writer.model().opset;
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op, static_cast<int>(opset), "");
  if (!schema || schema->deprecated()) throw Unsupported(where, "an op ONNX defines at opset " + std::to_string(opset), node.op);
  out.set_op_type(node.op);
  out.set_name(node.name);

  std::vector<std::string> inputs;
  graph::Attributes attrs = node.attrs;
  if (node.op == "If") {
    export_if(writer, node, inputs, attrs, out, where);
  } else if (node.op == "Loop") {
    export_loop(writer, node, inputs, attrs, out, where);
  } else {
    for (graph::ValueId v : node.inputs) inputs.push_back(writer.name_of(v));
    export_folded_input(writer, node, opset, inputs, attrs, where);
    export_slice_parameters(writer, node, opset, inputs, attrs, where);
    export_softmax_axis(writer, node, opset, attrs, where);
  }
  const auto count = static_cast<int>(inputs.size());
  if (count < schema->min_input() || count > schema->max_input()) {
    throw Unsupported(where, std::to_string(schema->min_input()) + " to " + std::to_string(schema->max_input()) + " inputs (ONNX's " + node.op +
                                 " at opset " + std::to_string(opset) + ")",
                      std::to_string(count));
  }
  for (const std::string& name : inputs) out.add_input(name);
  const bool bool_value = node.op == "Constant" && !node.outputs.empty() && writer.is_bool(node.outputs[0]);
  for (const auto& [key, value] : attrs) {
    const auto it = schema->attributes().find(key);
    if (it == schema->attributes().end()) {
      throw Unsupported(where, "attributes ONNX's " + node.op + " has at opset " + std::to_string(opset), "'" + key + "'");
    }
    export_attribute(key, value, it->second.type, bool_value, *out.add_attribute(), where);
  }
}

}  // namespace gb::convert::detail
