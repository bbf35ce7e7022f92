// qrequantize.cpp: the output stage of every integer layer: int32 accumulators -> uint8 on the next
// layer's grid (qgemm.hpp), and the Requantization a layer needs, built from its three QParams.
//
//   out[i, j] = clamp(Z_out + M_j * saturate_int32(acc[i, j] + bias[j]), qmin, qmax)
//
// M_j * x is TFLite's MultiplyByQuantizedMultiplier (fixed_point.hpp): x shifted left by max(shift, 0)
// (saturating), the rounded high half of the 64-bit product with the Q0.31 multiplier, then a rounding
// shift right by max(-shift, 0). fixed_point.cpp writes those steps one function each, for reading;
// here the same arithmetic is written as one branch-free expression over int64 so that the compiler
// can run a row of outputs in vector registers: GCC builds the row loop for AVX2 and any x86-64 (picked
// at load time), and qrequantize_avx512vnni.cpp writes it in AVX-512 intrinsics, 8 outputs per step
// (the int64 lanes GCC 12 does not vectorise by itself). qgemm_test checks every writing against
// multiply_by_quantized_multiplier bit for bit.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/quant/qgemm.hpp"
#include "qmicro_kernel.hpp"
#include "qtensor_checks.hpp"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GB_QUANT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GB_QUANT_CLONES
#endif

namespace gb::quant {
namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// One channel's M = multiplier * 2^(left - right - 31), as the row loop wants it.
struct ChannelScales {
  std::vector<std::int32_t> multiplier, left, right, bias;
};

// saturate_int32(acc + bias), then * M in fixed point (the steps of multiply_by_quantized_multiplier).
inline std::int64_t times_multiplier(std::int64_t acc_plus_bias, std::int64_t multiplier, std::int64_t left,
                                     std::int64_t right) {
  std::int64_t x = std::clamp(acc_plus_bias, kInt32Min, kInt32Max);
  x = std::clamp(x * (std::int64_t{1} << left), kInt32Min, kInt32Max);  // left <= 31: |x * 2^left| < 2^62
  // SaturatingRoundingDoublingHighMul: (x * m + nudge) / 2^31, truncated toward zero; the one overflow,
  // x = m = INT32_MIN, saturates.
  const std::int64_t product = x * multiplier;
  const std::int64_t nudged = product + (product >= 0 ? (std::int64_t{1} << 30) : 1 - (std::int64_t{1} << 30));
  std::int64_t high = (nudged + ((nudged >> 63) & 0x7fffffff)) >> 31;
  high = (x == kInt32Min && multiplier == kInt32Min) ? kInt32Max : high;
  // RoundingDivideByPOT: floor(high / 2^right), plus 1 when the remainder is above half (or exactly half
  // for a negative value): nearest, ties away from zero.
  const std::int64_t mask = (std::int64_t{1} << right) - 1;
  const std::int64_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

GB_QUANT_CLONES
void requantize_row(const std::int32_t* acc, std::int64_t n, const std::int32_t* multiplier, const std::int32_t* left,
                    const std::int32_t* right, const std::int32_t* bias, std::int64_t zero, std::int64_t qmin,
                    std::int64_t qmax, std::uint8_t* out) {
  for (std::int64_t j = 0; j < n; ++j) {
    const std::int64_t scaled = times_multiplier(std::int64_t{acc[j]} + bias[j], multiplier[j], left[j], right[j]);
    out[j] = static_cast<std::uint8_t>(std::clamp(zero + scaled, qmin, qmax));
  }
}

std::string range_str(std::int64_t lo, std::int64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

}  // namespace

void requantize_rows(const std::int32_t* acc, std::int64_t m, std::int64_t n, std::int64_t ldc,
                     const Requantization& r, std::uint8_t* out, std::int64_t ldo, QGemmVariant v) {
  const char* op = "requantize_rows";
  if (m < 0 || n < 0) throw Error(op, "m, n >= 0", std::to_string(m) + ", " + std::to_string(n));
  const auto count = [](std::size_t s) { return std::to_string(s); };
  if (r.multiplier.size() != 1 && static_cast<std::int64_t>(r.multiplier.size()) != n) {
    throw Error(op, "1 or n = " + std::to_string(n) + " multipliers", count(r.multiplier.size()));
  }
  if (!r.bias.empty() && static_cast<std::int64_t>(r.bias.size()) != n) {
    throw Error(op, "no bias or n = " + std::to_string(n) + " entries", count(r.bias.size()));
  }
  if (r.out_range.qmin < 0 || r.out_range.qmax > 255 || r.out_range.qmin > r.out_range.qmax) {
    throw Error(op, "a uint8 output range within [0, 255]", range_str(r.out_range.qmin, r.out_range.qmax));
  }
  for (const QuantizedMultiplier& q : r.multiplier) {
    if (q.shift < -31) throw Error(op, "multiplier shifts >= -31", std::to_string(q.shift));
  }
  if (m == 0 || n == 0) return;
  if (acc == nullptr || out == nullptr || ldc < n || ldo < n) {
    throw Error(op, "acc and out pointers with ldc, ldo >= n = " + std::to_string(n),
                "ldc = " + std::to_string(ldc) + ", ldo = " + std::to_string(ldo));
  }
  // Per-channel arrays (a per-tensor multiplier repeated), so the row loop has no branch on the case.
  ChannelScales c;
  for (std::int64_t j = 0; j < n; ++j) {
    const QuantizedMultiplier& q = r.multiplier[r.multiplier.size() == 1 ? 0 : static_cast<std::size_t>(j)];
    c.multiplier.push_back(q.multiplier);
    c.left.push_back(std::min(std::max(q.shift, 0), 31));  // a left shift past 31 saturates like 31 does
    c.right.push_back(std::max(-q.shift, 0));
    c.bias.push_back(r.bias.empty() ? 0 : r.bias[static_cast<std::size_t>(j)]);
  }
  // The AVX-512 row where the variant's CPU check allows it (avx512vnni, vnni / best on such a CPU).
  const QGemmVariant concrete = qgemm_variant_available(v) ? resolve_qgemm_variant(v) : QGemmVariant::reference;
  const detail::RequantizeRowFn row =
      concrete == QGemmVariant::avx512vnni && detail::avx512_requantize_row() != nullptr ? detail::avx512_requantize_row()
                                                                                         : requantize_row;
  for (std::int64_t i = 0; i < m; ++i) {
    row(acc + i * ldc, n, c.multiplier.data(), c.left.data(), c.right.data(), c.bias.data(), r.out_zero_point,
                   r.out_range.qmin, r.out_range.qmax, out + i * ldo);
  }
}

Requantization make_requantization(const QParams& input, const QParams& weight, const Tensor& bias_f32,
                                   const QParams& output, bool relu) {
  const char* op = "make_requantization";
  detail::check_params(op, "input", input, DType::u8, false);
  detail::check_params(op, "weight", weight, DType::i8, true);
  detail::check_params(op, "output", output, DType::u8, false);
  if (weight.per_channel() && weight.axis != 0) {
    throw Error(op, "per-channel weight quantization along axis 0 (output channels)", "axis " + std::to_string(weight.axis));
  }
  std::vector<double> bias;
  if (bias_f32.defined()) {
    if (bias_f32.dtype() != DType::f32 || bias_f32.ndim() != 1) {
      throw Error(op, "an f32 bias of shape [N] (or none)",
                  std::string(dtype_name(bias_f32.dtype())) + " " + shape_str(bias_f32.shape()));
    }
    bias = bias_f32.to_vector();
    if (weight.per_channel() && bias.size() != weight.scale.size()) {
      throw Error(op, "a bias with one entry per weight channel (" + std::to_string(weight.scale.size()) + ")",
                  shape_str(bias_f32.shape()));
    }
  }
  Requantization r;
  const double x_scale = input.scale[0], out_scale = output.scale[0];
  for (double w_scale : weight.scale) r.multiplier.push_back(quantize_multiplier(x_scale * w_scale / out_scale));
  for (std::size_t j = 0; j < bias.size(); ++j) {
    if (!std::isfinite(bias[j])) throw Error(op, "a finite bias", "bias[" + std::to_string(j) + "] = " + std::to_string(bias[j]));
    // On the accumulator's grid (step x_scale * w_scale[j]), rounded half to even as quantize() does,
    // saturated to int32.
    const double scaled = bias[j] / (x_scale * weight.scale[weight.per_channel() ? j : 0]);
    r.bias.push_back(static_cast<std::int32_t>(std::nearbyint(std::clamp(scaled, -2147483648.0, 2147483647.0))));
  }
  r.out_zero_point = output.zero_point[0];
  r.out_range = output.range();
  if (relu) r.out_range.qmin = std::max(r.out_range.qmin, r.out_zero_point);
  return r;
}

}  // namespace gb::quant
