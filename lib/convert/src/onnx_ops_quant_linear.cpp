// onnx_ops_quant_linear.cpp: what ONNX's QLinearConv and QLinearMatMul (opset 10) share: integer
// convolution / matrix product on quantized tensors, requantized to the output's grid.
//
// Every tensor t is stored as codes with a (scale S_t, zero point Z_t): real t = S_t (q_t - Z_t). Then
//   acc   = sum (q_x - Z_x)(q_w - Z_w)  (+ B for QLinearConv, an int32 bias on the grid S_x S_w, zero point 0)
//   y     = saturate(round_half_to_even(acc * S_x S_w / S_y) + Z_y)
// The accumulators are exact integers (int32 in ONNX; glassbox sums in int64 and saturates to int32, where
// ONNX's int32 arithmetic would wrap). The multiplier M = S_x S_w / S_y is formed in float32 as ONNX's
// reference does, acc * M in double (numpy promotes int32 x float32 to float64), rounded half to even.
// This is not lib/quant's requantize_rows: that applies M as a Q0.31 fixed-point integer with two
// roundings (TFLite's arithmetic), which can land one code away from ONNX's expected outputs.
// Weights S_w / Z_w: a scalar or one entry per output channel (QLinearConv: the filters; QLinearMatMul: the
// columns of b); QLinearMatMul's a may be per row. Codes are uint8 or int8 in any combination; y's type is
// its zero point's.
// The accumulators: where lib/quant's int8 kernels fit (uint8 activations with one zero point, int8
// weights) through gb::quant::qgemm_s32, its int32 GEMM (the zero points folded in exactly), else
// reference loops on the centred integers q - Z. Both give the same integers (tested).
#include "onnx_ops_quant_linear.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "onnx_ops_conv_window.hpp"

namespace gb::convert::detail {

void check_quantized(const std::string& op, const std::string& name, const graph::ValueInfo& q,
                     const graph::ValueInfo& scale, const graph::ValueInfo& zero, std::int64_t channels) {
  if (q.dtype != DType::u8 && q.dtype != DType::i8) throw Unsupported(op, name + " of dtype u8 or i8", dtype_name(q.dtype));
  if (scale.dtype != DType::f32) throw Unsupported(op, name + "_scale of dtype f32", dtype_name(scale.dtype));
  if (zero.dtype != q.dtype) {
    throw Error(op, name + "_zero_point of " + name + "'s dtype " + dtype_name(q.dtype), dtype_name(zero.dtype));
  }
  const std::int64_t n = shape_numel(scale.shape);
  const bool per_channel = channels >= 0 && scale.shape.size() == 1 && (channels == 0 || n == channels || n < 0);
  const bool ok = scale.shape.size() <= 1 && (n == 1 || per_channel);
  if (!ok || zero.shape.size() > 1 || shape_numel(zero.shape) != n) {
    throw Error(op,
                name + "_scale and " + name + "_zero_point: scalars" +
                    (channels >= 0 ? " or 1-D with one entry per channel" + (channels > 0 ? " (" + std::to_string(channels) + ")" : std::string()) : ""),
                shape_str(scale.shape) + " and " + shape_str(zero.shape));
  }
}

std::vector<float> read_scales(const std::string& op, const Tensor& scale) {
  std::vector<float> v;
  for (double s : scale.to_vector()) {
    if (!(s > 0.0) || !std::isfinite(s)) throw Error(op, "finite scales > 0", std::to_string(s));
    v.push_back(static_cast<float>(s));
  }
  return v;
}

std::vector<std::int32_t> read_ints(const Tensor& t) {
  std::vector<std::int32_t> v;
  for (double x : t.to_vector()) v.push_back(static_cast<std::int32_t>(x));  // u8, i8 or i32: exact
  return v;
}

std::int32_t saturate_i32(std::int64_t v) {
  return static_cast<std::int32_t>(
      std::clamp<std::int64_t>(v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
}

std::vector<std::int32_t> centred(const Tensor& q, const std::vector<std::int32_t>& zero, std::int64_t inner) {
  const std::vector<double> v = q.contiguous().to_vector();
  std::vector<std::int32_t> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    out[i] = static_cast<std::int32_t>(v[i]) - pick(zero, static_cast<std::int64_t>(i) / inner);
  }
  return out;
}

float qlinear_multiplier(float s_a, float s_b, float s_y) { return (s_a * s_b) / s_y; }

Tensor requantize_codes(const std::vector<std::int32_t>& acc, const Shape& shape, DType out, std::int32_t z_y,
                        const std::function<float(std::int64_t)>& multiplier) {
  const double lo = out == DType::u8 ? 0.0 : -128.0, hi = out == DType::u8 ? 255.0 : 127.0;
  Tensor y = Tensor::empty(shape, out);
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const double real = static_cast<double>(acc[i]) * static_cast<double>(multiplier(static_cast<std::int64_t>(i)));
    const double code = std::clamp(std::nearbyint(real) + z_y, lo, hi);  // nearbyint: half to even (default mode)
    if (out == DType::u8) {
      y.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(code);
    } else {
      y.data<std::int8_t>()[i] = static_cast<std::int8_t>(code);
    }
  }
  return y;
}

std::vector<std::string> register_qlinear_onnx_ops() {
  std::vector<std::string> names = register_qlinear_conv_onnx_op();
  for (const std::string& n : register_qlinear_matmul_onnx_op()) names.push_back(n);
  return names;
}

}  // namespace gb::convert::detail
