// onnx_ops_quant_linear.hpp: what QLinearConv (onnx_ops_quant_conv.cpp) and QLinearMatMul
// (onnx_ops_quant_matmul.cpp) share: checking (codes, scale, zero point) triples, reading them, and ONNX's
// requantization (onnx_ops_quant_linear.cpp, where the arithmetic is explained).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::convert::detail {

// Checks codes q (u8 or i8), its scale (f32) and zero point (q's dtype): one entry each (per tensor), or
// when channels >= 0, 1-D with `channels` entries (0: not known yet). Unsupported for other dtypes.
void check_quantized(const std::string& op, const std::string& name, const graph::ValueInfo& q,
                     const graph::ValueInfo& scale, const graph::ValueInfo& zero, std::int64_t channels);

std::vector<float> read_scales(const std::string& op, const Tensor& scale);  // finite and > 0, else gb::Error
std::vector<std::int32_t> read_ints(const Tensor& t);
// Entry i of a per-tensor (one entry) or per-channel list.
template <class T> T pick(const std::vector<T>& v, std::int64_t i) {
  return v[v.size() == 1 ? 0 : static_cast<std::size_t>(i)];
}
std::int32_t saturate_i32(std::int64_t v);

// q - Z as int32 (row-major), element i using the zero point of channel i / inner.
std::vector<std::int32_t> centred(const Tensor& q, const std::vector<std::int32_t>& zero, std::int64_t inner);

// ONNX's multiplier S_a S_b / S_y, in float32 as the reference computes it.
float qlinear_multiplier(float s_a, float s_b, float s_y);
// acc (row-major, `shape`) -> codes of dtype `out` (u8 or i8):
//   y[i] = saturate(round_half_to_even(acc[i] * multiplier(i)) + z_y)
Tensor requantize_codes(const std::vector<std::int32_t>& acc, const Shape& shape, DType out, std::int32_t z_y,
                        const std::function<float(std::int64_t)>& multiplier);

std::vector<std::string> register_qlinear_conv_onnx_op();    // onnx_ops_quant_conv.cpp
std::vector<std::string> register_qlinear_matmul_onnx_op();  // onnx_ops_quant_matmul.cpp

}  // namespace gb::convert::detail
