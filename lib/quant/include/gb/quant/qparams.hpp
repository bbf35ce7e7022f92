// qparams.hpp: the affine map between real numbers and a small integer grid (lesson 23).
//
//   quantize:    q = saturate(round_half_to_even(r / S) + Z, qmin, qmax)
//   dequantize:  r' = S * (q - Z)
//
// S (scale, > 0) is the real step between neighbouring integers; Z (zero point, an integer in
// [qmin, qmax]) is the integer that stands for real 0, so 0 (padding, ReLU's floor) is exact.
// Per-tensor: one (S, Z). Per-channel: one (S, Z) per index along `axis` (a conv filter, a Linear row).
//
// choose_qparams(min, max) -- the rules, as PyTorch's MinMaxObserver (see README.md for the details):
//   the range is first widened to contain 0: min' = min(min, 0), max' = max(max, 0)
//   affine:     S = (max' - min') / (qmax - qmin),   Z = saturate(qmin - round(min' / S))
//   symmetric:  S = max(-min', max') / ((qmax - qmin) / 2),  Z = 0 (int8) or 128 (uint8)
//   S is at least float32's epsilon (an all-zero tensor gets S = eps, not a division by zero);
//   NaN or infinite min/max, or min > max, is a gb::Error.
// Ranges: int8 [-128, 127] (restricted: [-127, 127], so that -q never overflows and symmetric S =
// amax / 127); uint8 [0, 255] (restricted is an error for uint8).
//
// Worked example (LESSONS.md): r = [-1, 0, 0.5, 2] as uint8 -> S = 3/255, Z = 85, q = [0, 85, 127, 255];
// symmetric int8 restricted (amax 2) -> S = 2/127, q = [-64, 0, 32, 127].
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::quant {

struct QRange {
  std::int32_t qmin = -128, qmax = 127;
};

// i8 or u8 only (anything else is a gb::Error naming the dtypes allowed).
QRange qrange(DType dtype, bool restricted = false);

struct QParams {
  DType dtype = DType::i8;                 // the integer type: i8 or u8
  std::vector<double> scale{1.0};          // one entry (per-tensor) or one per channel
  std::vector<std::int32_t> zero_point{0}; // the same length as scale
  std::int64_t axis = -1;                  // -1: per-tensor; otherwise the channel axis
  bool restricted = false;                 // int8 only: [-127, 127]

  bool per_channel() const { return axis >= 0; }
  QRange range() const { return qrange(dtype, restricted); }
  std::string str() const;  // "int8 S=0.0157 Z=0" or "int8 per-channel(axis 0, 16 channels)"
};

// Exercise quant.qparams.from_min_max: the rules above for one (min, max); returns (S, Z), computed
// in double (PyTorch computes in float32: S agrees to ~1e-7 relative, Z exactly in practice).
std::pair<double, std::int32_t> choose_qparams(double min, double max, DType dtype = DType::i8,
                                               bool symmetric = false, bool restricted = false);

// From the tensor's own min and max (per-tensor), or per index along axis (per-channel).
QParams per_tensor_qparams(const Tensor& x, DType dtype = DType::i8, bool symmetric = false, bool restricted = false);
QParams per_channel_qparams(const Tensor& x, std::int64_t axis, DType dtype = DType::i8, bool symmetric = true,
                            bool restricted = false);

// x: f32 (any shape, any strides) -> a new contiguous tensor of p.dtype. Rounding half to even,
// saturation to [qmin, qmax]; NaN is a gb::Error; +-Inf saturate. As torch.quantize_per_tensor /
// quantize_per_channel (the exact float arithmetic is written in README.md).
Tensor quantize(const Tensor& x, const QParams& p);
// q: i8 or u8 (p.dtype) -> f32: S * (q - Z), with PyTorch's arithmetic (per tensor in float32, per
// channel in double rounded once to float32: its two kernels differ in the last bit; README.md).
Tensor dequantize(const Tensor& q, const QParams& p);
// dequantize(quantize(x)): f32 in, f32 out, the values a quantized model really computes with.
Tensor fake_quantize(const Tensor& x, const QParams& p);

// A quantized tensor: integer values and the map that gives them meaning.
struct QTensor {
  Tensor values;  // i8 or u8, contiguous
  QParams params;
  Tensor dequantize() const { return quant::dequantize(values, params); }
};
QTensor quantize_tensor(const Tensor& x, const QParams& p);

}  // namespace gb::quant
