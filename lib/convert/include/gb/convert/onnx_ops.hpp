// onnx_ops.hpp: the ONNX operators glassbox runs (issue 9), registered in gb::graph's op registry under
// their ONNX names ("Conv", "Gemm", "Relu", ...) with ONNX's attribute names, so an imported graph is the
// ONNX graph, node for node, and the executors of lesson 07 run it.
//
// Conventions (every op follows them; the importer and exporter rely on them):
//   - attributes keep ONNX's names and kinds: INT -> std::int64_t, FLOAT -> double, STRING -> std::string,
//     INTS -> std::vector<std::int64_t>, TENSOR -> Tensor, GRAPH -> GraphPtr (If: then_branch, else_branch;
//     Loop: body); an attribute left out takes ONNX's default;
//   - inputs in ONNX's order; an optional input that is absent is simply missing at the end of the list
//     (the importer drops trailing empty names; an empty name in the middle is unsupported, except Loop's
//     optional M and cond, recorded in its attributes has_trip_count and has_cond);
//   - inputs that ONNX gives as tensors but that fix a shape (Reshape's shape, Squeeze/Unsqueeze's axes
//     from opset 13) are read at run time; when the importer finds them constant it may also fold them
//     into an attribute of the same name ("shape", "axes"; Slice's "starts", "ends", "axes", "steps") so shape
//     inference knows the result (the exporter writes them back as inputs);
//   - dtypes: f32 everywhere, i64 for shapes and indices, u8/i8 for quantized tensors (QuantizeLinear,
//     QLinearConv, QLinearMatMul); others are unsupported.
// Bad attributes or inputs are gb::Error(op, expected, given) at graph-building time (infer) or run time.
#pragma once

#include <string>
#include <vector>

namespace gb::convert {

// Registers every op of the set (idempotent, thread-safe). Importers and tests call it first.
void register_onnx_ops();
// The ONNX op names registered by register_onnx_ops, sorted.
std::vector<std::string> onnx_op_names();

}  // namespace gb::convert
