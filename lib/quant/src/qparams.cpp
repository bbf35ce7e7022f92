// qparams.cpp: the affine map between reals and an integer grid (qparams.hpp, lesson 23).
//
// Reading order: qrange (the grid), choose_qparams (where the grid goes on the real line),
// per_tensor_qparams / per_channel_qparams (the min and max they start from), quantize and
// dequantize (the map itself, with PyTorch's exact float arithmetic).
#include "gb/quant/qparams.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "number_text.hpp"
#include "gb/core/error.hpp"

namespace gb::quant {

namespace {

using detail::num;

// The checks every map shares: scale and zero_point of one length, finite positive scales, zero
// points on the grid, an axis that exists.
void check_params(const QParams& p, const char* op, const Tensor* x) {
  const QRange r = p.range();  // throws for dtypes other than i8/u8
  if (p.scale.empty() || p.scale.size() != p.zero_point.size())
    throw Error(op, "as many zero points as scales (at least one)",
                std::to_string(p.scale.size()) + " scales and " + std::to_string(p.zero_point.size()) + " zero points");
  if (!p.per_channel() && p.scale.size() != 1)
    throw Error(op, "one scale for a per-tensor map (axis -1)", std::to_string(p.scale.size()) + " scales");
  if (p.axis < -1) throw Error(op, "axis -1 (per-tensor) or a channel axis >= 0", std::to_string(p.axis));
  for (std::size_t c = 0; c < p.scale.size(); ++c) {
    if (!std::isfinite(p.scale[c]) || !(p.scale[c] > 0.0))
      throw Error(op, "finite scales > 0", "scale[" + std::to_string(c) + "] = " + num(p.scale[c]));
    // quantize works with float32(S) and 1 / float32(S), as PyTorch: both must be finite and > 0.
    if (p.scale[c] < static_cast<double>(std::numeric_limits<float>::min()) ||
        p.scale[c] > static_cast<double>(std::numeric_limits<float>::max()))
      throw Error(op, "scales within float32's normal range", "scale[" + std::to_string(c) + "] = " + num(p.scale[c]));
    if (p.zero_point[c] < r.qmin || p.zero_point[c] > r.qmax)
      throw Error(op, "zero points in [" + std::to_string(r.qmin) + ", " + std::to_string(r.qmax) + "]",
                  "zero_point[" + std::to_string(c) + "] = " + std::to_string(p.zero_point[c]));
  }
  if (x != nullptr && p.per_channel()) {
    if (p.axis >= static_cast<std::int64_t>(x->ndim()))
      throw Error(op, "a channel axis < the tensor's rank " + std::to_string(x->ndim()), std::to_string(p.axis));
    if (x->size(p.axis) != static_cast<std::int64_t>(p.scale.size()))
      throw Error(op, "one scale per index along axis " + std::to_string(p.axis) + " (" +
                          std::to_string(x->size(p.axis)) + ")",
                  std::to_string(p.scale.size()) + " scales");
  }
}

// For a contiguous tensor, element i lies in channel (i / inner) % channels along `axis`.
struct ChannelWalk {
  std::int64_t inner = 1, channels = 1;
  std::int64_t channel_of(std::int64_t i) const { return (i / inner) % channels; }
};
ChannelWalk channel_walk(const Tensor& x, std::int64_t axis) {
  ChannelWalk w;
  if (axis < 0) return w;
  w.channels = x.size(axis);
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < x.ndim(); ++d) w.inner *= x.shape()[d];
  return w;
}

void require_f32(const Tensor& x, const char* op) {
  if (!x.defined()) throw Error(op, "a defined f32 tensor", "an undefined tensor");
  if (x.dtype() != DType::f32) throw Error(op, "an f32 tensor", dtype_name(x.dtype()));
}

}  // namespace

std::string QParams::str() const {
  const char* type = dtype == DType::u8 ? "uint8" : "int8";
  std::ostringstream s;
  s << type << (restricted ? " restricted" : "");
  if (per_channel()) {
    s << " per-channel(axis " << axis << ", " << scale.size() << " channels)";
  } else {
    s.precision(3);
    s << " S=" << (scale.empty() ? 0.0 : scale[0]) << " Z=" << (zero_point.empty() ? 0 : zero_point[0]);
  }
  return s.str();
}

QRange qrange(DType dtype, bool restricted) {
  if (dtype == DType::i8) return restricted ? QRange{-127, 127} : QRange{-128, 127};
  if (dtype == DType::u8) {
    if (restricted) throw Error("qrange", "restricted range only for int8", "uint8");
    return QRange{0, 255};
  }
  throw Error("qrange", "dtype i8 or u8", dtype_name(dtype));
}

std::pair<double, std::int32_t> choose_qparams(double min, double max, DType dtype, bool symmetric, bool restricted) {
  // BEGIN EXERCISE(quant.qparams.from_min_max)
  if (!std::isfinite(min) || !std::isfinite(max))
    throw Error("choose_qparams", "a finite min and max", "min " + num(min) + ", max " + num(max));
  if (min > max) throw Error("choose_qparams", "min <= max", "min " + num(min) + " > max " + num(max));
  const QRange r = qrange(dtype, restricted);
  // float32's machine epsilon is the smallest scale (PyTorch's observers use it too), so that an
  // all-zero tensor gets a usable grid instead of a division by zero.
  const double min_scale = static_cast<double>(std::numeric_limits<float>::epsilon());
  // Real 0 must be on the grid (zero padding, ReLU's floor, a bias of 0 are then exact): widen the
  // range to contain it.
  const double lo = std::min(min, 0.0), hi = std::max(max, 0.0);
  const double steps = static_cast<double>(r.qmax - r.qmin);  // 255 or 254 intervals between codes
  if (symmetric) {
    // Centred on 0: the larger side decides, the grid's half-width maps to it.
    const double amax = std::max(-lo, hi);
    const double scale = std::max(amax / (steps / 2.0), min_scale);
    // int8 keeps 0 at code 0; uint8 puts it in the middle of [0, 255] (code 128, as PyTorch).
    return {scale, dtype == DType::u8 ? 128 : 0};
  }
  // Affine: [lo, hi] onto [qmin, qmax]. Z is the code of real 0: qmin stands for lo, so
  // lo = S * (qmin - Z), i.e. Z = qmin - lo / S, rounded (half to even) onto the grid.
  const double scale = std::max((hi - lo) / steps, min_scale);
  if (!std::isfinite(scale))
    throw Error("choose_qparams", "a range whose width is finite", "min " + num(min) + ", max " + num(max));
  const double z = static_cast<double>(r.qmin) - std::nearbyint(lo / scale);
  const double zero_point = std::clamp(z, static_cast<double>(r.qmin), static_cast<double>(r.qmax));
  return {scale, static_cast<std::int32_t>(zero_point)};
  // END EXERCISE
}

QParams per_tensor_qparams(const Tensor& x, DType dtype, bool symmetric, bool restricted) {
  require_f32(x, "per_tensor_qparams");
  if (x.numel() == 0) throw Error("per_tensor_qparams", "a non-empty tensor", "shape " + shape_str(x.shape()));
  const Tensor c = x.contiguous();
  const float* v = c.data<float>();
  float lo = v[0], hi = v[0];
  for (std::int64_t i = 0; i < c.numel(); ++i) {
    if (!std::isfinite(v[i]))
      throw Error("per_tensor_qparams", "finite values", num(v[i]) + " at flat index " + std::to_string(i));
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  QParams p;
  p.dtype = dtype;
  p.restricted = restricted;
  const auto [s, z] = choose_qparams(lo, hi, dtype, symmetric, restricted);
  p.scale = {s};
  p.zero_point = {z};
  return p;
}

QParams per_channel_qparams(const Tensor& x, std::int64_t axis, DType dtype, bool symmetric, bool restricted) {
  require_f32(x, "per_channel_qparams");
  if (x.numel() == 0) throw Error("per_channel_qparams", "a non-empty tensor", "shape " + shape_str(x.shape()));
  if (axis < 0 || axis >= static_cast<std::int64_t>(x.ndim()))
    throw Error("per_channel_qparams", "an axis in [0, " + std::to_string(x.ndim()) + ")", std::to_string(axis));
  const Tensor c = x.contiguous();
  const ChannelWalk walk = channel_walk(c, axis);
  const float* v = c.data<float>();
  std::vector<float> lo(static_cast<std::size_t>(walk.channels), std::numeric_limits<float>::infinity());
  std::vector<float> hi(lo.size(), -std::numeric_limits<float>::infinity());
  for (std::int64_t i = 0; i < c.numel(); ++i) {
    if (!std::isfinite(v[i]))
      throw Error("per_channel_qparams", "finite values", num(v[i]) + " at flat index " + std::to_string(i));
    const auto ch = static_cast<std::size_t>(walk.channel_of(i));
    lo[ch] = std::min(lo[ch], v[i]);
    hi[ch] = std::max(hi[ch], v[i]);
  }
  QParams p;
  p.dtype = dtype;
  p.restricted = restricted;
  p.axis = axis;
  p.scale.clear();
  p.zero_point.clear();
  for (std::size_t ch = 0; ch < lo.size(); ++ch) {
    const auto [s, z] = choose_qparams(lo[ch], hi[ch], dtype, symmetric, restricted);
    p.scale.push_back(s);
    p.zero_point.push_back(z);
  }
  return p;
}

Tensor quantize(const Tensor& x, const QParams& p) {
  require_f32(x, "quantize");
  check_params(p, "quantize", &x);
  const QRange r = p.range();
  const Tensor c = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), p.dtype);
  const ChannelWalk walk = channel_walk(c, p.axis);
  // PyTorch's arithmetic (ATen quantize_val, fbgemm Quantize): the inverse scale in float32, one
  // float32 multiply, round half to even, then add Z and saturate. Computing x / S in double instead
  // would round a few values near a half the other way.
  std::vector<float> inv(p.scale.size());
  for (std::size_t ch = 0; ch < inv.size(); ++ch) inv[ch] = 1.0f / static_cast<float>(p.scale[ch]);
  const float* v = c.data<float>();
  auto code = [&](std::int64_t i) {
    if (std::isnan(v[i])) throw Error("quantize", "values that are not NaN", "NaN at flat index " + std::to_string(i));
    const auto ch = static_cast<std::size_t>(walk.channel_of(i));
    const float scaled = v[i] * inv[ch];                          // float32 product (may be +-inf)
    const double rounded = std::nearbyint(static_cast<double>(scaled));  // ties to even (float -> double is exact)
    const double q = rounded + static_cast<double>(p.zero_point[ch]);
    return static_cast<std::int32_t>(std::clamp(q, static_cast<double>(r.qmin), static_cast<double>(r.qmax)));
  };
  if (p.dtype == DType::i8) {
    auto* q = out.data<std::int8_t>();
    for (std::int64_t i = 0; i < c.numel(); ++i) q[i] = static_cast<std::int8_t>(code(i));
  } else {
    auto* q = out.data<std::uint8_t>();
    for (std::int64_t i = 0; i < c.numel(); ++i) q[i] = static_cast<std::uint8_t>(code(i));
  }
  return out;
}

Tensor dequantize(const Tensor& q, const QParams& p) {
  if (!q.defined()) throw Error("dequantize", "a defined i8 or u8 tensor", "an undefined tensor");
  check_params(p, "dequantize", &q);
  if (q.dtype() != p.dtype)
    throw Error("dequantize", std::string("values of the map's dtype ") + dtype_name(p.dtype), dtype_name(q.dtype()));
  const Tensor c = q.contiguous();
  Tensor out = Tensor::empty(q.shape(), DType::f32);
  const ChannelWalk walk = channel_walk(c, p.axis);
  float* dst = out.data<float>();
  // PyTorch's arithmetic, which differs between its two kernels in the last bit: per tensor
  // float32(S) * (q - Z) in float32; per channel (q - Z) * S in double, rounded once to float32.
  // (q - Z is exact either way.)
  const bool per_channel = p.per_channel();
  auto real = [&](std::int64_t i, std::int32_t code) {
    const auto ch = static_cast<std::size_t>(walk.channel_of(i));
    if (per_channel) return static_cast<float>(static_cast<double>(code - p.zero_point[ch]) * p.scale[ch]);
    return static_cast<float>(p.scale[ch]) * static_cast<float>(code - p.zero_point[ch]);
  };
  if (p.dtype == DType::i8) {
    const auto* v = c.data<std::int8_t>();
    for (std::int64_t i = 0; i < c.numel(); ++i) dst[i] = real(i, v[i]);
  } else {
    const auto* v = c.data<std::uint8_t>();
    for (std::int64_t i = 0; i < c.numel(); ++i) dst[i] = real(i, v[i]);
  }
  return out;
}

Tensor fake_quantize(const Tensor& x, const QParams& p) { return dequantize(quantize(x, p), p); }

QTensor quantize_tensor(const Tensor& x, const QParams& p) { return QTensor{quantize(x, p), p}; }

}  // namespace gb::quant
