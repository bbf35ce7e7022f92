// onnx_import_scope.hpp: what the importer's walk (onnx_import.cpp) and its control flow
// (onnx_import_control.cpp: If, Loop) share: the names one graph defines, and the node importer itself
// (a subgraph's nodes are imported by the same walk, recursively).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/tensor.hpp"
#include "gb/graph/graph.hpp"

namespace onnx {
class GraphProto;
class NodeProto;
class ValueInfoProto;
}  // namespace onnx

namespace gb::convert::detail {

// The names one graph defines, and what the importer knows is constant (for folding shapes and axes).
// ONNX names are static single assignment: each is defined once, in the whole model (subgraphs included).
struct Scope {
  graph::Graph graph;
  std::map<std::string, graph::ValueId> values;
  std::map<std::string, Tensor> constants;  // initializers and Constant nodes' values, by name

  void define(const std::string& name, graph::ValueId value, const std::string& where) {
    if (!values.emplace(name, value).second) throw Error(where, "each name defined once", "'" + name + "' again");
    graph.set_value_name(value, name);
  }
  graph::ValueId lookup(const std::string& name, const std::string& where) const {
    const auto it = values.find(name);
    if (it == values.end()) throw Error(where, "names defined before they are used", "'" + name + "'");
    return it->second;
  }
};

// A graph input's ValueInfoProto: a tensor type with an element type and a shape of fixed (dim_value) or
// symbolic (dim_param, or nothing) dims -> a ValueInfo (symbolic = -1). Without a `fallback`, a missing
// shape is Unsupported; with one (a Loop body's inputs, whose types ONNX lets the Loop node supply), a
// missing type or shape is taken from it. Sequence, map and optional types are Unsupported.
graph::ValueInfo value_info_of(const onnx::ValueInfoProto& v, const graph::ValueInfo* fallback = nullptr);

// The names a subgraph reads but does not define (its free names: what an ONNX closure captures), in
// order of first use, nested subgraphs included.
void free_names(const onnx::GraphProto& g, std::vector<std::string>& out);

void import_node(const onnx::NodeProto& node, int index, std::int64_t opset, Scope& scope);  // onnx_import.cpp

// onnx_import_control.cpp: If (lib/control's If, the free names as arguments) and Loop (onnx_ops_loop.hpp's
// layout). Each returns the node's outputs; errors name `where`.
std::vector<graph::ValueId> import_if(const onnx::NodeProto& node, const std::string& where, std::int64_t opset, Scope& scope);
std::vector<graph::ValueId> import_loop(const onnx::NodeProto& node, const std::string& where, std::int64_t opset, Scope& scope);

}  // namespace gb::convert::detail
