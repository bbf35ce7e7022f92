// wire_format_schema.cpp: onnx_field_names (wire_format.hpp), the part of onnx.proto the hex dump needs
// to name fields: the wire format itself carries only field numbers.
#include "gb/convert/wire_format.hpp"

namespace gb::convert {

// From onnx.proto (onnx 1.13): message -> field number -> (field name, message type of a nested field).
const WireSchema& onnx_field_names() {
  static const WireSchema schema = {
      {"ModelProto",
       {{1, {"ir_version", ""}}, {2, {"producer_name", ""}}, {3, {"producer_version", ""}}, {4, {"domain", ""}},
        {5, {"model_version", ""}}, {6, {"doc_string", ""}}, {7, {"graph", "GraphProto"}},
        {8, {"opset_import", "OperatorSetIdProto"}}, {14, {"metadata_props", "StringStringEntryProto"}},
        {20, {"training_info", ""}}, {25, {"functions", ""}}}},
      {"GraphProto",
       {{1, {"node", "NodeProto"}}, {2, {"name", ""}}, {5, {"initializer", "TensorProto"}},
        {15, {"sparse_initializer", ""}}, {10, {"doc_string", ""}}, {11, {"input", "ValueInfoProto"}},
        {12, {"output", "ValueInfoProto"}}, {13, {"value_info", "ValueInfoProto"}},
        {14, {"quantization_annotation", ""}}}},
      {"NodeProto",
       {{1, {"input", ""}}, {2, {"output", ""}}, {3, {"name", ""}}, {4, {"op_type", ""}}, {7, {"domain", ""}},
        {5, {"attribute", "AttributeProto"}}, {6, {"doc_string", ""}}}},
      {"AttributeProto",
       {{1, {"name", ""}}, {21, {"ref_attr_name", ""}}, {13, {"doc_string", ""}}, {20, {"type", ""}},
        {2, {"f", ""}}, {3, {"i", ""}}, {4, {"s", ""}}, {5, {"t", "TensorProto"}}, {6, {"g", "GraphProto"}},
        {22, {"sparse_tensor", ""}}, {14, {"tp", "TypeProto"}}, {7, {"floats", ""}}, {8, {"ints", ""}},
        {9, {"strings", ""}}, {10, {"tensors", "TensorProto"}}, {11, {"graphs", "GraphProto"}},
        {23, {"sparse_tensors", ""}}, {15, {"type_protos", "TypeProto"}}}},
      {"ValueInfoProto", {{1, {"name", ""}}, {2, {"type", "TypeProto"}}, {3, {"doc_string", ""}}}},
      {"TensorProto",
       {{1, {"dims", ""}}, {2, {"data_type", ""}}, {3, {"segment", ""}}, {4, {"float_data", ""}},
        {5, {"int32_data", ""}}, {6, {"string_data", ""}}, {7, {"int64_data", ""}}, {8, {"name", ""}},
        {12, {"doc_string", ""}}, {9, {"raw_data", ""}}, {13, {"external_data", "StringStringEntryProto"}},
        {14, {"data_location", ""}}, {10, {"double_data", ""}}, {11, {"uint64_data", ""}}}},
      {"TypeProto",
       {{1, {"tensor_type", "TypeProto.Tensor"}}, {4, {"sequence_type", ""}}, {5, {"map_type", ""}},
        {9, {"optional_type", ""}}, {8, {"sparse_tensor_type", ""}}, {6, {"denotation", ""}}}},
      {"TypeProto.Tensor", {{1, {"elem_type", ""}}, {2, {"shape", "TensorShapeProto"}}}},
      {"TensorShapeProto", {{1, {"dim", "TensorShapeProto.Dimension"}}}},
      {"TensorShapeProto.Dimension", {{1, {"dim_value", ""}}, {2, {"dim_param", ""}}, {3, {"denotation", ""}}}},
      {"OperatorSetIdProto", {{1, {"domain", ""}}, {2, {"version", ""}}}},
      {"StringStringEntryProto", {{1, {"key", ""}}, {2, {"value", ""}}}},
  };
  return schema;
}

}  // namespace gb::convert
