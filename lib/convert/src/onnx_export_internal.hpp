// onnx_export_internal.hpp: what the exporter's files share. onnx_export.cpp writes graphs (names,
// inputs, initializers, outputs), onnx_export_node.cpp one node (its op's schema, attributes, If and Loop),
// onnx_export_bool.cpp decides which u8 values are ONNX bools.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/graph/graph.hpp"

namespace onnx {
class GraphProto;
class NodeProto;
class TensorProto;
}  // namespace onnx

namespace gb::convert::detail {

// The u8 values ONNX must see as bool (the importer reads BOOL as u8; graphs have no bool dtype).
// A value is bool when an op's schema allows only tensor(bool) where it is read or written (If's and
// Loop's cond, Loop's cond_in / cond_out, Dropout's mask), or when it shares a type variable with such
// a value (Identity's T, a branch output and the If output it becomes, a carried value and its body input).
// Values are keyed by (graph, id): subgraphs included, every graph reachable from the main one.
class BoolValues {
 public:
  BoolValues(const graph::Graph& main, std::int64_t opset);
  bool is_bool(const graph::Graph& g, graph::ValueId value) const;

 private:
  using Key = std::pair<const graph::Graph*, graph::ValueId>;
  std::size_t index(const Key& key);
  std::size_t root(std::size_t i) const;
  void unite(const Key& a, const Key& b);
  void walk(const graph::Graph& g);
  void walk_schema(const graph::Graph& g, const graph::Node& node);
  std::int64_t opset_;
  std::map<Key, std::size_t> index_;
  std::vector<std::size_t> parent_;
  std::vector<Key> marked_;
  std::set<std::size_t> bool_roots_;
};

// The model being written: its opset and IR version, the names taken so far (ONNX names are unique
// across all graphs of a model), and the bool values.
struct ExportModel {
  std::int64_t opset = 13, ir_version = 7;
  std::set<std::string> names;
  const BoolValues* bools = nullptr;
  // `wanted` when free, else wanted_1, wanted_2, ...; empty wanted -> "v".
  std::string unique_name(const std::string& wanted);
};

// Writes one graph (the main graph or a subgraph) into a GraphProto.
class GraphWriter {
 public:
  // bound[i], when not empty, is the outer name placeholder i stands for (an If branch's or a Loop body's
  // captured value): it is not an input of this GraphProto, its reads use the outer name.
  GraphWriter(ExportModel& model, const graph::Graph& g, onnx::GraphProto& out, std::vector<std::string> bound, bool main);
  void write(const std::string& graph_name);

  ExportModel& model() { return model_; }
  const graph::Graph& graph() const { return graph_; }
  const std::string& name_of(graph::ValueId value) const;
  bool is_bool(graph::ValueId value) const;
  // A new initializer (an input ONNX wants where glassbox keeps an attribute); returns its name.
  std::string add_initializer(const Tensor& value, const std::string& wanted);
  // Writes a subgraph of a node of this graph (If's branches, Loop's body) into `out`.
  void write_subgraph(const graph::Graph& sub, const std::vector<std::string>& bound, onnx::GraphProto& out, const std::string& name);

 private:
  void write_constant(const graph::Node& node);
  void write_outputs();
  ExportModel& model_;
  const graph::Graph& graph_;
  onnx::GraphProto& out_;
  std::vector<std::string> bound_;
  bool main_;
  std::vector<std::string> names_;  // by value id
};

// onnx_export_node.cpp: the node's op_type, name, inputs and attributes (its outputs are the writer's).
void export_node(GraphWriter& writer, const graph::Node& node, onnx::NodeProto& out);

// The ONNX element type (TensorProto::DataType) of a dtype; onnx_import_tensor.cpp, beside its inverse.
int onnx_element_type_of(DType dtype);

// A tensor as a TensorProto (raw_data); as_bool writes a u8 tensor as BOOL (elements 0 / 1).
void export_tensor(const Tensor& value, const std::string& name, bool as_bool, onnx::TensorProto& out);

}  // namespace gb::convert::detail
