// onnx_ops_internal.hpp: what the files registering the ONNX op set share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/graph/registry.hpp"

namespace gb::convert::detail {

// One registration function per file, called once by register_onnx_ops (onnx_ops.cpp). Each returns the
// names it registered.
std::vector<std::string> register_basic_onnx_ops();   // onnx_ops_basic*.cpp: elementwise, activations, shape ops, MatMul, Gemm, ...
std::vector<std::string> register_kernel_onnx_ops();  // onnx_ops_conv*.cpp: Conv, pooling, BatchNormalization, quantized ops
std::vector<std::string> register_onnx_slice_ops();   // onnx_ops_slice.cpp: Slice
std::vector<std::string> register_onnx_gather_ops();  // onnx_ops_gather.cpp: Gather, Shape
std::vector<std::string> register_onnx_cast_ops();    // onnx_ops_cast.cpp: Cast, CastLike

// An attribute with ONNX's default when absent.
std::int64_t attr_int(const graph::Node& node, const std::string& key, std::int64_t fallback);
double attr_float(const graph::Node& node, const std::string& key, double fallback);
std::vector<std::int64_t> attr_ints(const graph::Node& node, const std::string& key, const std::vector<std::int64_t>& fallback);
std::string attr_string(const graph::Node& node, const std::string& key, const std::string& fallback);

}  // namespace gb::convert::detail
