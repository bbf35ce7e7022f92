// qtensor_checks.hpp: the checks qlinear, qconv2d and make_requantization share (not installed).
#pragma once

#include <cstdint>
#include <vector>

#include "gb/quant/qparams.hpp"

namespace gb::quant::detail {

// dtype as asked, scale and zero_point of equal non-zero length, scales finite and > 0, zero points in
// the dtype's range; per-tensor (one entry, axis -1) unless per_channel_ok.
void check_params(const char* op, const char* what, const QParams& p, DType dtype, bool per_channel_ok);
// An activation: u8 values of rank `ndim`, non-empty, contiguous, per-tensor u8 params.
void check_activation(const char* op, const QTensor& x, std::size_t ndim);
// A weight: i8 values of rank `ndim`, non-empty, contiguous; per-tensor, or per-channel along axis 0
// with one (scale, zero point) per output channel.
void check_weight(const char* op, const QTensor& w, std::size_t ndim);
// The weight's zero point of each of the n output channels, or empty when they are all 0.
std::vector<std::int32_t> weight_zero_points(const QTensor& w, std::int64_t n);

}  // namespace gb::quant::detail
