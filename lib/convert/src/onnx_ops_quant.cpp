// onnx_ops_quant.cpp: ONNX's QuantizeLinear and DequantizeLinear (opsets 10 and 13).
//
//   QuantizeLinear:    y = saturate(round_half_to_even(x / y_scale) + y_zero_point)
//   DequantizeLinear:  y = (x - x_zero_point) * x_scale
//
// The scale is a scalar (per tensor) or, from opset 13, a 1-D tensor with one entry per index along
// `axis` (default 1, negative counts from the end): per channel. The zero point has the scale's shape and
// gives the integer type, uint8 or int8; without one it is 0 and the type uint8. Saturation clamps to
// [0, 255] or [-128, 127].
// The arithmetic is ONNX's reference, in float32: x / scale is a float32 DIVISION, rounded half to even.
// lib/quant's quantize multiplies by a float32 inverse instead (PyTorch's kernels), which rounds a few
// values lying near a half the other way, so these loops are ONNX's own, not gb::quant::quantize.
// DequantizeLinear also takes int32 (a quantized bias, zero point 0); it subtracts in float32 as the
// reference does. NaN cannot be quantized: gb::Error.
#include <algorithm>
#include <cmath>
#include <limits>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

namespace {

// Scale and zero point per index along the axis (one entry for per-tensor), and how to find an
// element's index: channel = (flat index / inner) % channels.
struct AxisQuant {
  std::vector<float> scale;
  std::vector<std::int32_t> zero;
  std::int64_t channels = 1, inner = 1;
  std::size_t at(std::int64_t i) const { return scale.size() == 1 ? 0 : static_cast<std::size_t>((i / inner) % channels); }
};

// Checks the scale / zero point infos against x (infer) or the tensors (kernel: shapes known).
void check_params(const graph::Node& node, const std::vector<graph::ValueInfo>& in) {
  const std::string& op = node.op;
  if (in.size() < 2 || in.size() > 3) {
    throw Error(op, "inputs x, scale and an optional zero point", std::to_string(in.size()) + " inputs");
  }
  if (in[1].dtype != DType::f32) throw Unsupported(op, "a scale of dtype f32", dtype_name(in[1].dtype));
  const Shape& x = in[0].shape;
  const Shape& s = in[1].shape;
  const bool per_tensor = s.empty() || (s.size() == 1 && s[0] == 1);
  if (!per_tensor) {
    if (s.size() != 1) throw Error(op, "a scalar or 1-D scale", shape_str(s));
    const std::int64_t axis = normalize_axis(attr_int(node, "axis", 1), x.size(), op);
    const std::int64_t channels = x[static_cast<std::size_t>(axis)];
    if (s[0] >= 0 && channels >= 0 && s[0] != channels) {
      throw Error(op, "a 1-D scale with one entry per index along axis " + std::to_string(axis) + " of x " + shape_str(x),
                  shape_str(s));
    }
  }
  if (in.size() == 3) {
    const Shape& z = in[2].shape;
    if (shape_numel(z) != shape_numel(s) || z.size() > 1) {
      throw Error(op, "a zero point of the scale's shape " + shape_str(s), shape_str(z));
    }
    if (in[2].dtype != DType::u8 && in[2].dtype != DType::i8 && !(op == "DequantizeLinear" && in[2].dtype == DType::i32)) {
      throw Unsupported(op, "a zero point of dtype u8 or i8", dtype_name(in[2].dtype));
    }
  }
}

AxisQuant read_params(const graph::Node& node, const std::vector<Tensor>& in) {
  std::vector<graph::ValueInfo> infos;
  for (const Tensor& t : in) infos.push_back({t.dtype(), t.shape()});
  check_params(node, infos);
  AxisQuant q;
  for (double s : in[1].to_vector()) {
    if (!(s > 0.0) || !std::isfinite(s)) throw Error(node.op, "a finite scale > 0", std::to_string(s));
    q.scale.push_back(static_cast<float>(s));
  }
  if (in.size() == 3) {
    for (double z : in[2].to_vector()) q.zero.push_back(static_cast<std::int32_t>(z));
  } else {
    q.zero.assign(q.scale.size(), 0);
  }
  if (q.scale.size() > 1) {
    const auto axis = static_cast<std::size_t>(normalize_axis(attr_int(node, "axis", 1), in[0].ndim(), node.op));
    q.channels = in[0].shape()[axis];
    q.inner = shape_numel({in[0].shape().begin() + static_cast<std::ptrdiff_t>(axis) + 1, in[0].shape().end()});
  }
  return q;
}

std::vector<graph::ValueInfo> quantize_infer(const graph::InferContext& ctx) {
  check_params(ctx.node, ctx.inputs);
  if (ctx.inputs[0].dtype != DType::f32) throw Unsupported(ctx.node.op, "x of dtype f32", dtype_name(ctx.inputs[0].dtype));
  const DType out = ctx.inputs.size() == 3 ? ctx.inputs[2].dtype : DType::u8;
  return {{out, ctx.inputs[0].shape}};
}

template <class Q>
Tensor quantize_loop(const graph::Node& node, const Tensor& x, const AxisQuant& q) {
  constexpr double lo = std::numeric_limits<Q>::min(), hi = std::numeric_limits<Q>::max();
  const Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), dtype_of<Q>());
  const float* in = xc.data<float>();
  Q* out = y.data<Q>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const std::size_t c = q.at(i);
    const float ratio = in[i] / q.scale[c];  // float32 division, as ONNX's reference
    if (std::isnan(ratio)) throw Error(node.op, "x without NaN", "NaN at flat index " + std::to_string(i));
    const double v = static_cast<double>(std::nearbyint(ratio)) + q.zero[c];  // half to even (default rounding mode)
    out[i] = static_cast<Q>(std::clamp(v, lo, hi));
  }
  return y;
}

std::vector<Tensor> quantize_kernel(const graph::KernelContext& ctx) {
  const AxisQuant q = read_params(ctx.node, ctx.inputs);
  const DType out = ctx.inputs.size() == 3 ? ctx.inputs[2].dtype() : DType::u8;
  if (out == DType::i8) return {quantize_loop<std::int8_t>(ctx.node, ctx.inputs[0], q)};
  return {quantize_loop<std::uint8_t>(ctx.node, ctx.inputs[0], q)};
}

std::vector<graph::ValueInfo> dequantize_infer(const graph::InferContext& ctx) {
  check_params(ctx.node, ctx.inputs);
  const DType x = ctx.inputs[0].dtype;
  if (x != DType::u8 && x != DType::i8 && x != DType::i32) throw Unsupported(ctx.node.op, "x of dtype u8, i8 or i32", dtype_name(x));
  if (ctx.inputs.size() == 3 && ctx.inputs[2].dtype != x) {
    throw Error(ctx.node.op, "a zero point of x's dtype " + std::string(dtype_name(x)), dtype_name(ctx.inputs[2].dtype));
  }
  return {{DType::f32, ctx.inputs[0].shape}};
}

std::vector<Tensor> dequantize_kernel(const graph::KernelContext& ctx) {
  const AxisQuant q = read_params(ctx.node, ctx.inputs);
  const Tensor& x = ctx.inputs[0];
  const std::vector<double> values = x.to_vector();  // exact for u8, i8 and i32
  Tensor y = Tensor::empty(x.shape(), DType::f32);
  float* out = y.data<float>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const std::size_t c = q.at(i);
    const float centred = static_cast<float>(values[static_cast<std::size_t>(i)]) - static_cast<float>(q.zero[c]);
    out[i] = centred * q.scale[c];
  }
  return {y};
}

}  // namespace

std::vector<std::string> register_quantize_onnx_ops() {
  graph::OpDef quantize;
  quantize.name = "QuantizeLinear";
  quantize.infer = quantize_infer;
  quantize.kernel = quantize_kernel;
  quantize.doc = "ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point), per tensor or per axis, u8 / i8";
  graph::register_op(quantize);

  graph::OpDef dequantize;
  dequantize.name = "DequantizeLinear";
  dequantize.infer = dequantize_infer;
  dequantize.kernel = dequantize_kernel;
  dequantize.doc = "ONNX DequantizeLinear: (x - zero_point) * scale, per tensor or per axis, u8 / i8 / i32 -> f32";
  graph::register_op(dequantize);
  return {"QuantizeLinear", "DequantizeLinear"};
}

}  // namespace gb::convert::detail
