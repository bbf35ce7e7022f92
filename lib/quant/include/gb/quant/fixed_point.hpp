// fixed_point.hpp: integer-only requantization, as gemmlowp and TensorFlow Lite do it (lesson 23).
//
// An int8 layer accumulates sum (qx - Zx)(qw - Zw) in int32; the real result is Sx*Sw*acc, and the next
// layer wants it on ITS grid: q_out = Z_out + (Sx*Sw/S_out) * acc. The real multiplier M = Sx*Sw/S_out
// (usually in (0, 1)) is stored once, offline, as a 32-bit fixed-point number and a power of two:
//
//   M = multiplier * 2^(shift - 31),   multiplier in [2^30, 2^31)  (a Q0.31 number in [0.5, 1))
//
// so that at run time  M * acc = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, multiplier),
// right)  with left = max(shift, 0), right = max(-shift, 0): no floating point on the device.
#pragma once

#include <cstdint>

#include "gb/quant/qparams.hpp"

namespace gb::quant {

// gemmlowp: the high 32 bits of 2*a*b, i.e. a*b / 2^31, rounded to nearest with ties toward +infinity
// (the nudge is +2^30 for a non-negative product and 1 - 2^30 for a negative one, then a division
// that truncates: together floor((a*b + 2^30) / 2^31), what ARM's vqrdmulh computes); the one
// overflow case a == b == INT32_MIN saturates to INT32_MAX.
std::int32_t saturating_rounding_doubling_high_mul(std::int32_t a, std::int32_t b);

// gemmlowp: x / 2^exponent rounded to nearest, ties away from zero (exponent in [0, 31]; else gb::Error).
std::int32_t rounding_divide_by_pot(std::int32_t x, int exponent);

struct QuantizedMultiplier {
  std::int32_t multiplier = 0;  // Q0.31, in [2^30, 2^31) or 0
  int shift = 0;                // real = multiplier * 2^(shift - 31)
};

// TFLite QuantizeMultiplier: frexp(m) = q * 2^shift with q in [0.5, 1); multiplier = round(q * 2^31)
// (rounding may give 2^31: then halve it and shift + 1); m == 0 gives {0, 0}; a shift below -31
// gives {0, 0} (the multiplier underflows). m must be finite and >= 0, else gb::Error.
QuantizedMultiplier quantize_multiplier(double m);

// TFLite MultiplyByQuantizedMultiplier: x * M with the two roundings above. Where TFLite's left shift
// would overflow int32 (UB there), we saturate (documented in README.md).
// Exercise quant.fixed_point.requantize lives in requantize() below.
std::int32_t multiply_by_quantized_multiplier(std::int32_t x, std::int32_t multiplier, int shift);
inline std::int32_t multiply_by_quantized_multiplier(std::int32_t x, QuantizedMultiplier m) {
  return multiply_by_quantized_multiplier(x, m.multiplier, m.shift);
}

// Exercise quant.fixed_point.requantize: saturate(Z_out + M * acc, qmin, qmax), M applied by
// multiply_by_quantized_multiplier: the last step of every integer layer.
std::int32_t requantize(std::int32_t acc, QuantizedMultiplier m, std::int32_t zero_point, QRange range);

}  // namespace gb::quant
