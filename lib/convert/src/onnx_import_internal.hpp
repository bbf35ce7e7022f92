// onnx_import_internal.hpp: what the basic ONNX op files (onnx_ops_basic*.cpp) and the importer
// (onnx_import*.cpp) share: axis and shape arithmetic of ONNX's rules, and the registration function of
// each basic op file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/graph/registry.hpp"
#include "gb/graph/shape_rules.hpp"

namespace onnx {  // libonnx's protobuf classes (onnx/onnx_pb.h), used by onnx_import*.cpp only
class AttributeProto;
class GraphProto;
class NodeProto;
class TensorProto;
}  // namespace onnx

namespace gb::convert::detail {

// One per file, called by register_basic_onnx_ops (onnx_ops_basic.cpp); each returns the names it registered.
std::vector<std::string> register_onnx_activation_ops();  // onnx_ops_basic_activation.cpp
std::vector<std::string> register_onnx_shape_ops();       // onnx_ops_basic_shape.cpp
std::vector<std::string> register_onnx_matmul_ops();      // onnx_ops_basic_matmul.cpp

// ONNX axes may count from the end: axis in [-rank, rank) names axis + rank. gb::Error(op, ...) otherwise.
std::int64_t normalize_axis(const std::string& op, std::int64_t axis, std::int64_t rank);
// The elements of an integer tensor (i64 or i32; a shape or a list of axes) as int64s; gb::Error otherwise.
std::vector<std::int64_t> tensor_ints(const std::string& op, const Tensor& t);
// Product of dims, -1 when one of them is dynamic (-1).
std::int64_t dims_product(const Shape& shape, std::size_t begin, std::size_t end);
// "f32[2, 3] and f32[4]" for error messages, and NumPy broadcasting of two inferred shapes: lib/graph's rules.
inline std::string infos_text(const std::vector<graph::ValueInfo>& infos) { return graph::infos_str(infos); }
inline Shape broadcast_shapes(const std::string& op, const graph::ValueInfo& a, const graph::ValueInfo& b) {
  return graph::broadcast_infos(op, a, b);
}
// The number of inputs is in [low, high]: gb::Error(op, ...) otherwise.
void require_inputs(const std::string& op, const std::vector<graph::ValueInfo>& inputs, std::size_t low, std::size_t high);
void require_floating_input(const std::string& op, const graph::ValueInfo& info);

// --- the importer (onnx_import*.cpp) ------------------------------------------------------------------
std::string read_file(const std::string& path, const std::string& what);  // gb::Error(what, ...) when unreadable
// ONNX element type (TensorProto::DataType) -> dtype; Unsupported naming `what` for the others.
DType onnx_element_type(int type, const std::string& what);
Tensor tensor_from_proto(const onnx::TensorProto& proto);  // raw_data or typed fields; gb::Error when malformed
void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& proto);  // raw_data

// Imports a subgraph attribute (If's branches, Loop's body); empty = GRAPH attributes are unsupported.
using SubgraphImporter = std::function<graph::GraphPtr(const onnx::GraphProto&)>;
// The node's attributes by onnx_ops.hpp's mapping; `where` names the node in errors.
graph::Attributes node_attributes(const onnx::NodeProto& node, const std::string& where, const SubgraphImporter& subgraph);
// Writes the importer's decisions for ops whose meaning changed between opsets (Softmax's axis ...).
void apply_opset(const std::string& op, std::int64_t opset, graph::Attributes& attrs);

}  // namespace gb::convert::detail
