// qtensor_checks.cpp: validation of quantized operands (qtensor_checks.hpp), one message format for
// qlinear, qconv2d and make_requantization: gb::Error(op, what was expected, what was given).
#include "qtensor_checks.hpp"

#include <cmath>
#include <string>

#include "gb/core/error.hpp"

namespace gb::quant::detail {

void check_params(const char* op, const char* what, const QParams& p, DType dtype, bool per_channel_ok) {
  const std::string w(what);
  if (p.dtype != dtype) throw Error(op, w + " params of dtype " + dtype_name(dtype), dtype_name(p.dtype));
  if (p.scale.empty() || p.scale.size() != p.zero_point.size()) {
    throw Error(op, w + " params with as many zero points as scales (at least one)",
                std::to_string(p.scale.size()) + " scales, " + std::to_string(p.zero_point.size()) + " zero points");
  }
  if (!p.per_channel() && p.scale.size() != 1) {
    throw Error(op, w + " per-tensor params with one scale", std::to_string(p.scale.size()) + " scales and axis -1");
  }
  if (p.per_channel() && !per_channel_ok) throw Error(op, w + " quantized per tensor", p.str());
  const QRange range = qrange(dtype);  // the full range: a restricted int8 zero point is 0 anyway
  for (std::size_t c = 0; c < p.scale.size(); ++c) {
    if (!std::isfinite(p.scale[c]) || p.scale[c] <= 0) {
      throw Error(op, w + " scales finite and > 0", "scale[" + std::to_string(c) + "] = " + std::to_string(p.scale[c]));
    }
    if (p.zero_point[c] < range.qmin || p.zero_point[c] > range.qmax) {
      throw Error(op, w + " zero points in [" + std::to_string(range.qmin) + ", " + std::to_string(range.qmax) + "]",
                  "zero_point[" + std::to_string(c) + "] = " + std::to_string(p.zero_point[c]));
    }
  }
}

namespace {

void check_values(const char* op, const char* what, const Tensor& t, DType dtype, std::size_t ndim) {
  const std::string w(what);
  if (!t.defined()) throw Error(op, w + " values (a tensor)", "an undefined tensor");
  if (t.dtype() != dtype || t.ndim() != ndim) {
    throw Error(op, w + " of dtype " + dtype_name(dtype) + " and rank " + std::to_string(ndim),
                std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape()));
  }
  if (t.numel() == 0) throw Error(op, "a non-empty " + w, shape_str(t.shape()));
}

}  // namespace

void check_activation(const char* op, const QTensor& x, std::size_t ndim) {
  check_values(op, "x", x.values, DType::u8, ndim);
  check_params(op, "x", x.params, DType::u8, false);
}

void check_weight(const char* op, const QTensor& w, std::size_t ndim) {
  check_values(op, "w", w.values, DType::i8, ndim);
  check_params(op, "w", w.params, DType::i8, true);
  if (w.params.per_channel() &&
      (w.params.axis != 0 || static_cast<std::int64_t>(w.params.scale.size()) != w.values.shape()[0])) {
    throw Error(op, "per-channel w params along axis 0 with " + std::to_string(w.values.shape()[0]) + " channels",
                w.params.str());
  }
}

std::vector<std::int32_t> weight_zero_points(const QTensor& w, std::int64_t n) {
  bool all_zero = true;
  for (std::int32_t z : w.params.zero_point) all_zero = all_zero && z == 0;
  if (all_zero) return {};
  std::vector<std::int32_t> out(static_cast<std::size_t>(n));
  for (std::int64_t j = 0; j < n; ++j) {
    out[static_cast<std::size_t>(j)] = w.params.zero_point[w.params.per_channel() ? static_cast<std::size_t>(j) : 0];
  }
  return out;
}

}  // namespace gb::quant::detail
