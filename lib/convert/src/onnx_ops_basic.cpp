// onnx_ops_basic.cpp: elementwise ops, activations, shape ops, MatMul and Gemm (being written).
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

std::vector<std::string> register_basic_onnx_ops() { return {}; }

}  // namespace gb::convert::detail
