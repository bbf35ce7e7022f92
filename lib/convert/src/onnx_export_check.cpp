// onnx_export_check.cpp: check_onnx, ONNX's own judgement of a model (an oracle glassbox did not write).
//
// libonnx's checker (onnx::checker::check_model) checks the structure: names defined before use and once
// (SSA, across subgraphs), each node's op known at the model's opset with the inputs, outputs and
// attribute kinds its schema allows, tensors of consistent size, IR-version rules (IR 3: initializers
// listed among the inputs). Shape inference in strict mode with type checking then runs every op's
// inference function: an input of a type the op does not take (If's cond as uint8), or a declared output
// shape that contradicts the inferred one, is an error. Together they are Python's
// onnx.checker.check_model(model, full_check=True).
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <exception>

#include "gb/convert/onnx_export.hpp"

namespace gb::convert {

void check_onnx(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    throw Error("check_onnx", "a serialized ONNX ModelProto", std::to_string(bytes.size()) + " bytes that do not parse");
  }
  try {
    onnx::checker::check_model(model);
    const onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1, /*enable_data_propagation=*/false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {  // ValidationError, InferenceError, ...
    throw Error("check_onnx", "a model ONNX's checker and strict shape inference accept", e.what());
  }
}

}  // namespace gb::convert
