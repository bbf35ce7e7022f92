// onnx_import_attributes.cpp: an ONNX node's attributes as glassbox attributes (onnx_ops.hpp's mapping),
// and the decisions the importer takes for ops whose meaning changed between opsets.
//
// AttributeProto carries a type and one value field: INT -> i (int64), FLOAT -> f (float, widened to
// double), STRING -> s, TENSOR -> t, GRAPH -> g, INTS -> ints, FLOATS -> floats (glassbox has no list of
// doubles: a 1-D f32 tensor). STRINGS, TENSORS, GRAPHS, sparse tensors and type protos are unsupported.
#include <onnx/onnx_pb.h>

#include "gb/convert/onnx_import.hpp"
#include "onnx_import_internal.hpp"

namespace gb::convert::detail {

namespace {

graph::Attribute convert(const onnx::AttributeProto& a, const std::string& where, const SubgraphImporter& subgraph) {
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::INT: return std::int64_t{a.i()};
    case A::FLOAT: return static_cast<double>(a.f());
    case A::STRING: return a.s();
    case A::TENSOR: return tensor_from_proto(a.t());
    case A::INTS: return std::vector<std::int64_t>(a.ints().begin(), a.ints().end());
    case A::FLOATS: {
      std::vector<double> values(a.floats().begin(), a.floats().end());
      return Tensor::from_values(values, {static_cast<std::int64_t>(values.size())}, DType::f32);
    }
    case A::GRAPH:
      if (subgraph) return subgraph(a.g());
      break;
    default: break;
  }
  const std::string type = A::AttributeType_IsValid(a.type()) ? A::AttributeType_Name(a.type()) : std::to_string(a.type());
  throw Unsupported(where + " attribute " + a.name(), "an attribute of type INT, FLOAT, STRING, TENSOR, INTS, FLOATS or GRAPH", type);
}

}  // namespace

graph::Attributes node_attributes(const onnx::NodeProto& node, const std::string& where, const SubgraphImporter& subgraph) {
  graph::Attributes attrs;
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (!a.ref_attr_name().empty()) throw Unsupported(where + " attribute " + a.name(), "a value", "a reference to a function attribute");
    if (!attrs.emplace(a.name(), convert(a, where, subgraph)).second) {
      throw Error(where, "attribute names that appear once", "'" + a.name() + "' twice");
    }
  }
  return attrs;
}

// The opset changes that affect what a node computes. The graph op has one meaning per attribute set,
// so the importer writes its decision into the attributes:
//   Softmax, LogSoftmax: before opset 13 the input is flattened to 2-D at axis (default 1) and each row is
//     normalised (coerce_2d = 1); from 13 one axis is normalised (default -1). axis is always written.
// (Squeeze/Unsqueeze's axes moved from an attribute to an input in opset 13, Reshape's shape is an input
// since opset 5, Dropout's ratio an input since 12: the ops accept both forms, nothing to decide.)
void apply_opset(const std::string& op, std::int64_t opset, graph::Attributes& attrs) {
  if (op == "Softmax" || op == "LogSoftmax") {
    if (opset < 13) {
      attrs.emplace("axis", std::int64_t{1});
      attrs["coerce_2d"] = std::int64_t{1};
    } else {
      attrs.emplace("axis", std::int64_t{-1});
    }
  }
}

}  // namespace gb::convert::detail
