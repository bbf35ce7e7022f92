// onnx_ops_conv.cpp: Conv, pooling, BatchNormalization and the quantized ops on lib/kernels and lib/quant
// (being written).
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

std::vector<std::string> register_kernel_onnx_ops() { return {}; }

}  // namespace gb::convert::detail
