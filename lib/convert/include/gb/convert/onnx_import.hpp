// onnx_import.hpp: ONNX models and tensors into glassbox (issue 9, lesson 16), through libonnx's protobuf
// classes (onnx/onnx_pb.h), and back out (onnx_export.hpp).
//
// An ONNX model is a protobuf ModelProto: opset imports, a GraphProto with nodes (op_type, inputs and
// outputs by name, attributes), initializers (TensorProto: the weights) and the graph's inputs and
// outputs (ValueInfoProto: name, element type, shape with fixed or symbolic dims). Import walks the nodes in
// order and adds each to a gb::graph::Graph under its ONNX name (onnx_ops.hpp): every initializer becomes a
// constant, every graph input that is not an initializer a placeholder (symbolic dims -> -1), and If/Loop
// bodies become subgraph attributes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/tensor.hpp"
#include "gb/graph/graph.hpp"

namespace gb::convert {

// An ONNX feature glassbox does not run: an op outside the set, an unsupported dtype or attribute value.
// `glassbox onnx-test` reports these cases as skipped ("unsupported: <what>"), never as failures.
class Unsupported : public Error {
 public:
  Unsupported(const std::string& op, const std::string& expected, const std::string& given) : Error(op, expected, given) {}
};

struct OnnxModel {
  graph::Graph graph;                  // inputs(): the non-initializer graph inputs, outputs(): the graph outputs
  std::vector<std::string> input_names, output_names;  // ONNX names, in graph order
  std::int64_t opset = 0;              // of the default ("" / "ai.onnx") domain
  std::int64_t ir_version = 0;
  std::string producer;                // e.g. "pytorch 1.13.1"
};

// From the bytes of a ModelProto / a file. Throws Unsupported for what glassbox does not run (opsets
// outside 7-17 included), gb::Error for a malformed model (not a protobuf, dangling input names, a wrong
// number of inputs for an op): never a crash, whatever the bytes.
OnnxModel parse_onnx(const std::string& bytes);
OnnxModel load_onnx(const std::string& path);

// A TensorProto (raw_data little-endian, or the typed fields float_data, int32_data, int64_data, double_data)
// to a Tensor and back. dtypes: FLOAT, DOUBLE, INT64, INT32, UINT8, INT8 (BOOL -> u8 is allowed on input);
// others throw Unsupported. The name is returned through `name` when given.
Tensor parse_tensor(const std::string& bytes, std::string* name = nullptr);
Tensor load_tensor(const std::string& path, std::string* name = nullptr);  // the test vectors' input_0.pb ...
std::string serialize_tensor(const Tensor& tensor, const std::string& name = "");

}  // namespace gb::convert
