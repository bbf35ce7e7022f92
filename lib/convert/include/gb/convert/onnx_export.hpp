// onnx_export.hpp: a glassbox graph out to ONNX (issue 9, lesson 16), the inverse of onnx_import.hpp,
// through libonnx's protobuf classes, and ONNX's own checker to judge the result.
//
// Export writes one ModelProto: opset_import {"": opset}, the IR version of that opset's ONNX release,
// producer "glassbox", and a GraphProto where
//   placeholders  -> graph inputs (named by their attribute "name"; dims -1 -> a symbolic dim_param),
//   constants     -> initializers (raw_data, bit-exact),
//   nodes         -> NodeProtos of the same op (onnx_ops.hpp's set, If and Loop), attributes back to ONNX's
//                    kinds (int -> INT, double -> FLOAT, string -> STRING, ints -> INTS, Tensor -> TENSOR or
//                    FLOATS where the op's schema wants FLOATS, subgraphs -> GRAPH), what the importer
//                    added undone (folded shapes and axes, Softmax's coerce_2d, Loop's and If's explicit
//                    captures become outer names again),
//   outputs       -> graph outputs with element type and shape.
// ONNX names every value once in the whole model (subgraphs included): names come from the values' names,
// made unique with a suffix ("v<id>" for a value without one). u8 values that ONNX's schemas require to be
// bool (If's cond, Loop's cond, Dropout's mask, and what flows into them) are written as BOOL, the
// inverse of the importer's BOOL -> u8.
// Exporting parse_onnx(bytes).graph at the model's opset and importing the result gives an equal graph.
#pragma once

#include <cstdint>
#include <string>

#include "gb/convert/onnx_import.hpp"
#include "gb/graph/graph.hpp"

namespace gb::convert {

struct OnnxExportOptions {
  std::int64_t opset = 13;             // of the default domain; 7 to 17 (libonnx 1.12's schemas)
  std::int64_t ir_version = 0;         // 0: the IR version of the ONNX release that introduced `opset`
  std::string graph_name = "glassbox";
};

// The serialized ModelProto. Throws Unsupported naming the op for a node outside ONNX's set (glassbox's
// own ops: lowercase core ops, fused or layout ops), an op or attribute ONNX does not define at that
// opset, or an importer decision that opset cannot express (e.g. a Softmax over one inner axis before
// opset 13); gb::Error for a malformed graph (a null subgraph, a mistyped attribute).
std::string export_onnx(const graph::Graph& graph, const OnnxExportOptions& options = {});
// At the model's own opset (its graph as parse_onnx built it).
std::string export_onnx(const OnnxModel& model);
void save_onnx(const graph::Graph& graph, const std::string& path, const OnnxExportOptions& options = {});

// ONNX's checker on the bytes of a ModelProto: onnx::checker::check_model, then shape inference in strict
// mode with type checking (Python's check_model(full_check=True)). Throws gb::Error carrying the checker's
// message when the model is not valid ONNX.
void check_onnx(const std::string& bytes);

// The IR version of the ONNX release that introduced `opset` (3 for opsets 7-8 ... 8 for 15-18).
std::int64_t onnx_ir_version(std::int64_t opset);

}  // namespace gb::convert
