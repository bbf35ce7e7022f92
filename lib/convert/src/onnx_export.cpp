// onnx_export.cpp: a gb::graph::Graph out to an ONNX ModelProto (lesson 16), the importer's walk run
// backwards.
//
// One pass over the graph in node order (ids are creation order, so inputs always come first, as ONNX's
// topological order requires):
//   1. placeholders become graph inputs, named by their "name" attribute; a dynamic dim (-1) becomes a
//      symbolic dim_param ("x_dim0"), ONNX's way to say "known at run time";
//   2. constants become initializers (raw_data: the bytes, bit-exact). IR 3 (opsets 7-8) also lists
//      every initializer among the inputs; a subgraph there writes Constant nodes instead, since its
//      inputs are its signature;
//   3. every other node becomes a NodeProto (onnx_export_node.cpp); its outputs get names up to the last
//      one something reads (trailing unread outputs are left off, like the importer drops them);
//   4. the graph outputs get their element type and shape; a value output twice goes through an Identity
//      (ONNX names each output once).
// Names: ONNX requires each name defined once in the whole model, subgraphs included, so one table of
// taken names serves every graph; a name already taken gets a suffix (_1, _2 ...). A placeholder of a
// subgraph that stands for an outer value (an If or Loop capture) is written as that outer name.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <fstream>

#include "gb/convert/onnx_export.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "onnx_export_internal.hpp"
#include "onnx_import_internal.hpp"

namespace gb::convert {

namespace detail {

std::string ExportModel::unique_name(const std::string& wanted) {
  const std::string base = wanted.empty() ? "v" : wanted;
  std::string name = base;
  for (int k = 1; names.count(name); ++k) name = base + "_" + std::to_string(k);
  names.insert(name);
  return name;
}

void export_tensor(const Tensor& value, const std::string& name, bool as_bool, onnx::TensorProto& out) {
  tensor_to_proto(value, name, out);
  if (!as_bool) return;
  out.set_data_type(onnx::TensorProto::BOOL);
  std::string bytes = out.raw_data();
  for (char& b : bytes) b = b != 0 ? 1 : 0;  // ONNX's bool is one byte, 0 or 1
  out.set_raw_data(bytes);
}

namespace {

// name, element type, shape; dims -1 are symbolic (inputs: named dim_params; outputs: left unnamed).
void write_value_info(onnx::ValueInfoProto& out, const std::string& name, const graph::ValueInfo& info, bool as_bool, bool input) {
  out.set_name(name);
  onnx::TypeProto::Tensor* t = out.mutable_type()->mutable_tensor_type();
  t->set_elem_type(as_bool ? onnx::TensorProto::BOOL : onnx_element_type_of(info.dtype));
  onnx::TensorShapeProto* shape = t->mutable_shape();  // a scalar has a shape with no dims
  for (std::size_t k = 0; k < info.shape.size(); ++k) {
    onnx::TensorShapeProto::Dimension* d = shape->add_dim();
    if (info.shape[k] >= 0) {
      d->set_dim_value(info.shape[k]);
    } else if (input) {
      d->set_dim_param(name + "_dim" + std::to_string(k));
    }
  }
}

}  // namespace

GraphWriter::GraphWriter(ExportModel& model, const graph::Graph& g, onnx::GraphProto& out, std::vector<std::string> bound, bool main)
    : model_(model), graph_(g), out_(out), bound_(std::move(bound)), main_(main), names_(g.values().size()) {
  bound_.resize(g.inputs().size());
}

const std::string& GraphWriter::name_of(graph::ValueId value) const {
  const std::string& name = names_.at(static_cast<std::size_t>(value));
  if (name.empty()) throw Error("export_onnx", "values defined before they are read", "value v" + std::to_string(value) + " not yet written");
  return name;
}

bool GraphWriter::is_bool(graph::ValueId value) const {
  return graph_.value(value).info.dtype == DType::u8 && model_.bools->is_bool(graph_, value);
}

std::string GraphWriter::add_initializer(const Tensor& value, const std::string& wanted) {
  const std::string name = model_.unique_name(wanted);
  export_tensor(value, name, false, *out_.add_initializer());
  if (main_ && model_.ir_version <= 3) write_value_info(*out_.add_input(), name, {value.dtype(), value.shape()}, false, true);
  return name;
}

void GraphWriter::write_subgraph(const graph::Graph& sub, const std::vector<std::string>& bound, onnx::GraphProto& out, const std::string& name) {
  GraphWriter(model_, sub, out, bound, false).write(name);
}

void GraphWriter::write_constant(const graph::Node& node) {
  const graph::ValueId v = node.outputs[0];
  const graph::Value& value = graph_.value(v);
  names_[static_cast<std::size_t>(v)] = model_.unique_name(value.name.empty() ? node.name : value.name);
  const Tensor& tensor = node.attr_tensor("value");
  if (main_ || model_.ir_version > 3) {
    export_tensor(tensor, name_of(v), is_bool(v), *out_.add_initializer());
    if (main_ && model_.ir_version <= 3) write_value_info(*out_.add_input(), name_of(v), value.info, is_bool(v), true);
    return;
  }
  onnx::NodeProto* constant = out_.add_node();  // IR 3: a subgraph's initializers would be inputs
  constant->set_op_type("Constant");
  constant->add_output(name_of(v));
  onnx::AttributeProto* a = constant->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  export_tensor(tensor, "", is_bool(v), *a->mutable_t());
}

void GraphWriter::write(const std::string& graph_name) {
  out_.set_name(graph_name);
  std::vector<bool> read(graph_.values().size(), false);
  for (const graph::Node& node : graph_.nodes()) {
    for (graph::ValueId v : node.inputs) read[static_cast<std::size_t>(v)] = true;
  }
  for (graph::ValueId v : graph_.outputs()) read[static_cast<std::size_t>(v)] = true;

  for (std::size_t i = 0; i < graph_.inputs().size(); ++i) {  // 1. inputs
    const graph::ValueId v = graph_.inputs()[i];
    std::string& name = names_[static_cast<std::size_t>(v)];
    if (!bound_[i].empty()) {
      name = bound_[i];
      continue;
    }
    const graph::Node& placeholder = graph_.node(graph_.value(v).producer);
    name = model_.unique_name(placeholder.has_attr("name") ? placeholder.attr_string("name") : graph_.value(v).name);
    write_value_info(*out_.add_input(), name, graph_.value(v).info, is_bool(v), true);
  }
  for (const graph::Node& node : graph_.nodes()) {  // 2. constants, 3. nodes
    if (node.op == "placeholder") continue;
    if (node.op == "constant") {
      write_constant(node);
      continue;
    }
    onnx::NodeProto& proto = *out_.add_node();
    export_node(*this, node, proto);  // reads input names: all written before
    std::size_t named = 1;            // outputs up to the last one read (at least the first)
    for (std::size_t k = 0; k < node.outputs.size(); ++k) {
      if (read[static_cast<std::size_t>(node.outputs[k])]) named = std::max(named, k + 1);
    }
    for (std::size_t k = 0; k < named && k < node.outputs.size(); ++k) {
      const graph::Value& value = graph_.value(node.outputs[k]);
      names_[static_cast<std::size_t>(value.id)] = model_.unique_name(value.name.empty() ? "v" + std::to_string(value.id) : value.name);
      proto.add_output(names_[static_cast<std::size_t>(value.id)]);
    }
  }
  write_outputs();  // 4.
}

void GraphWriter::write_outputs() {
  std::set<std::string> written;
  for (graph::ValueId v : graph_.outputs()) {
    std::string name = name_of(v);
    if (!written.insert(name).second) {  // the same value output again: an Identity gives it a second name
      onnx::NodeProto* identity = out_.add_node();
      identity->set_op_type("Identity");
      identity->add_input(name);
      name = model_.unique_name(name);
      identity->add_output(name);
      written.insert(name);
    }
    write_value_info(*out_.add_output(), name, graph_.value(v).info, is_bool(v), false);
  }
}

}  // namespace detail

std::int64_t onnx_ir_version(std::int64_t opset) {
  // ONNX releases: 1.2-1.3 (opsets 7, 8) IR 3; 1.4 (9) IR 4; 1.5 (10) IR 5; 1.6 (11) IR 6;
  // 1.7-1.9 (12-14) IR 7; 1.10-1.13 (15-18) IR 8.
  if (opset < 7 || opset > 18) throw Error("onnx_ir_version", "an opset from 7 to 18", std::to_string(opset));
  if (opset <= 8) return 3;
  if (opset <= 11) return opset - 5;
  return opset <= 14 ? 7 : 8;
}

std::string export_onnx(const graph::Graph& graph, const OnnxExportOptions& options) {
  register_onnx_ops();
  if (options.opset < 7 || options.opset > 17) {
    throw Unsupported("export_onnx", "opset 7 to 17 (libonnx 1.12's schemas)", "opset " + std::to_string(options.opset));
  }
  onnx::ModelProto model;
  detail::ExportModel state;
  state.opset = options.opset;
  state.ir_version = options.ir_version > 0 ? options.ir_version : onnx_ir_version(options.opset);
  const detail::BoolValues bools(graph, options.opset);
  state.bools = &bools;
  model.set_ir_version(state.ir_version);
  model.set_producer_name("glassbox");
  onnx::OperatorSetIdProto* set = model.add_opset_import();
  set->set_domain("");
  set->set_version(options.opset);
  detail::GraphWriter(state, graph, *model.mutable_graph(), {}, true).write(options.graph_name);
  return model.SerializeAsString();
}

std::string export_onnx(const OnnxModel& model) {
  OnnxExportOptions options;
  options.opset = model.opset;
  return export_onnx(model.graph, options);
}

void save_onnx(const graph::Graph& graph, const std::string& path, const OnnxExportOptions& options) {
  const std::string bytes = export_onnx(graph, options);
  std::ofstream file(path, std::ios::binary);
  if (!file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    throw Error("save_onnx", "a file that can be written", "'" + path + "'");
  }
}

}  // namespace gb::convert
