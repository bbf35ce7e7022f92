// qrequantize_test.cpp: the output stage of the integer kernels (lib/quant/src/qrequantize*.cpp):
// requantize_rows (portable and AVX-512) against the fixed-point functions of fixed_point.hpp, and
// make_requantization (multipliers, bias rounding, the fused ReLU).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/quant/qgemm.hpp"
#include "test_helpers.hpp"

namespace {

namespace quant = gb::quant;
using quant::QGemmVariant;

// The output stage written from fixed_point.hpp's pieces: saturate_int32(acc + bias), M in fixed point,
// the zero point, the range. (Not quant::requantize, which is a student exercise: these tests must not
// depend on it.)
std::int32_t expected_output(std::int64_t acc_plus_bias, quant::QuantizedMultiplier m, std::int32_t zero, quant::QRange range) {
  const auto x = static_cast<std::int32_t>(std::clamp<std::int64_t>(acc_plus_bias, std::numeric_limits<std::int32_t>::min(),
                                                                    std::numeric_limits<std::int32_t>::max()));
  const std::int64_t q = zero + std::int64_t{quant::multiply_by_quantized_multiplier(x, m)};
  return static_cast<std::int32_t>(std::clamp<std::int64_t>(q, range.qmin, range.qmax));
}

TEST(RequantizeRows, AppliesBiasMultiplierZeroPointAndRangePerChannel) {
  quant::Requantization r;
  r.multiplier = {quant::quantize_multiplier(0.5), quant::quantize_multiplier(0.01)};
  r.bias = {10, -1000};
  r.out_zero_point = 100;
  r.out_range = {0, 255};
  const std::vector<std::int32_t> acc{0, 0, 100, 20000, -400, -100000, std::numeric_limits<std::int32_t>::max(), 0};
  std::vector<std::uint8_t> out(4 * 3, 1);
  quant::requantize_rows(acc.data(), 4, 2, 2, r, out.data(), 3, QGemmVariant::reference);
  std::vector<std::uint8_t> simd(4 * 3, 1);
  quant::requantize_rows(acc.data(), 4, 2, 2, r, simd.data(), 3, QGemmVariant::best);
  EXPECT_EQ(simd, out);
  // (0+10)*0.5+100 = 105; (0-1000)*0.01+100 = 90; 110*0.5+100 = 155; 19000*0.01+100 = 290 -> 255;
  // -390*0.5+100 = -95 -> 0; -101000*0.01+100 -> 0; INT32_MAX+10 saturates to INT32_MAX first -> 255;
  // (0-1000)*0.01+100 = 90. Column 2 of each row (ldo = 3) is untouched.
  EXPECT_EQ(out, (std::vector<std::uint8_t>{105, 90, 1, 155, 255, 1, 0, 0, 1, 255, 90, 1}));
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::size_t j = i % 2;
    EXPECT_EQ(out[(i / 2) * 3 + j], expected_output(std::int64_t{acc[i]} + r.bias[j], r.multiplier[j], 100, r.out_range));
  }
  r.out_range.qmin = 100;  // a fused ReLU: nothing below the zero point
  quant::requantize_rows(acc.data(), 4, 2, 2, r, out.data(), 3);
  EXPECT_EQ(out[6], 100);
  EXPECT_EQ(out[0], 105);
}

TEST(RequantizeRows, EqualsTheFixedPointFunctionsOnRandomAndExtremeValues) {
  // requantize_rows writes the fixed-point steps as one vectorisable expression; it must agree with
  // multiply_by_quantized_multiplier (fixed_point.cpp) everywhere: any int32 multiplier (negative and
  // INT32_MIN included), shifts from -31 to 40, accumulators and biases at the int32 extremes.
  gb::Rng rng(13);
  const std::int32_t kMin = std::numeric_limits<std::int32_t>::min(), kMax = std::numeric_limits<std::int32_t>::max();
  const std::int64_t n = 37, m = 60;
  for (int round = 0; round < 40; ++round) {
    quant::Requantization r;
    for (std::int64_t j = 0; j < n; ++j) {
      const int kind = static_cast<int>(rng.randint(0, 4));
      const auto mult = kind == 0 ? static_cast<std::int32_t>(rng.next_u32())
                      : kind == 1 ? (j % 2 ? kMin : kMax)
                                  : static_cast<std::int32_t>(rng.randint(1 << 30, kMax));
      r.multiplier.push_back({mult, static_cast<int>(rng.randint(-31, 41))});
      r.bias.push_back(j % 5 == 0 ? (j % 2 ? kMin : kMax) : static_cast<std::int32_t>(rng.randint(-100000, 100000)));
    }
    r.out_zero_point = static_cast<std::int32_t>(rng.randint(0, 256));
    r.out_range = {static_cast<std::int32_t>(rng.randint(0, 50)), static_cast<std::int32_t>(rng.randint(200, 256))};
    std::vector<std::int32_t> acc(static_cast<std::size_t>(m * n));
    for (std::size_t i = 0; i < acc.size(); ++i) {
      acc[i] = i % 7 == 0 ? (i % 2 ? kMin : kMax) : i % 3 == 0 ? static_cast<std::int32_t>(rng.next_u32())
                                                                : static_cast<std::int32_t>(rng.randint(-5000, 5000));
    }
    for (QGemmVariant v : quant::available_qgemm_variants()) {  // the portable and the AVX-512 output stage
      std::vector<std::uint8_t> out(acc.size());
      quant::requantize_rows(acc.data(), m, n, n, r, out.data(), n, v);
      for (std::size_t i = 0; i < acc.size(); ++i) {
        const std::size_t j = i % static_cast<std::size_t>(n);
        ASSERT_EQ(out[i], expected_output(std::int64_t{acc[i]} + r.bias[j], r.multiplier[j], r.out_zero_point, r.out_range))
            << quant::qgemm_variant_name(v) << ": acc " << acc[i] << " bias " << r.bias[j] << " multiplier "
            << r.multiplier[j].multiplier << " shift " << r.multiplier[j].shift;
      }
    }
  }
}

TEST(RequantizeRows, WrongSizesAreErrors) {
  quant::Requantization r;
  r.multiplier = {quant::quantize_multiplier(0.5), quant::quantize_multiplier(0.5)};
  std::vector<std::int32_t> acc(6);
  std::vector<std::uint8_t> out(6);
  EXPECT_ERROR(quant::requantize_rows(acc.data(), 2, 3, 3, r, out.data(), 3), "requantize_rows", "1 or n = 3", "2");
  r.multiplier.resize(1);
  r.bias = {1, 2};
  EXPECT_ERROR(quant::requantize_rows(acc.data(), 2, 3, 3, r, out.data(), 3), "no bias or n = 3", "2");
  r.bias.clear();
  r.out_range = {-128, 127};
  EXPECT_ERROR(quant::requantize_rows(acc.data(), 2, 3, 3, r, out.data(), 3), "[0, 255]", "[-128, 127]");
}

quant::QParams u8_params(double scale, std::int32_t zero) { return {gb::DType::u8, {scale}, {zero}, -1, false}; }
quant::QParams i8_params(std::vector<double> scales, std::vector<std::int32_t> zeros) {
  const std::int64_t axis = scales.size() > 1 ? 0 : -1;
  return {gb::DType::i8, std::move(scales), std::move(zeros), axis, false};
}

TEST(MakeRequantization, MultipliersBiasRoundingAndRelu) {
  const quant::QParams x = u8_params(0.5, 10), out = u8_params(0.25, 128);
  const quant::QParams w = i8_params({0.1, 0.02}, {0, 0});
  // bias / (0.5 * 0.1) = 2.5 -> 2 (half to even), -0.03 / 0.01 = -3, per channel.
  const gb::Tensor bias = gb::Tensor::from_values({0.125, -0.03}, {2});
  const quant::Requantization r = quant::make_requantization(x, w, bias, out, false);
  ASSERT_EQ(r.multiplier.size(), 2u);
  EXPECT_EQ(r.multiplier[0].multiplier, quant::quantize_multiplier(0.5 * 0.1 / 0.25).multiplier);
  EXPECT_EQ(r.multiplier[0].shift, quant::quantize_multiplier(0.5 * 0.1 / 0.25).shift);
  EXPECT_EQ(r.multiplier[1].shift, quant::quantize_multiplier(0.5 * 0.02 / 0.25).shift);
  EXPECT_EQ(r.bias, (std::vector<std::int32_t>{2, -3}));
  EXPECT_EQ(r.out_zero_point, 128);
  EXPECT_EQ(r.out_range.qmin, 0);
  EXPECT_EQ(quant::make_requantization(x, w, bias, out, true).out_range.qmin, 128);
  // Per-tensor weight: one multiplier, a bias per output.
  const quant::Requantization t = quant::make_requantization(x, i8_params({0.1}, {0}), bias, out);
  EXPECT_EQ(t.multiplier.size(), 1u);
  EXPECT_EQ(t.bias.size(), 2u);
  EXPECT_TRUE(quant::make_requantization(x, w, gb::Tensor(), out).bias.empty());

  EXPECT_ERROR(quant::make_requantization(i8_params({0.1}, {0}), w, bias, out), "make_requantization", "input", "u8");
  EXPECT_ERROR(quant::make_requantization(x, w, gb::Tensor::from_values({1, 2, 3}, {3}), out), "one entry per weight channel (2)");
  EXPECT_ERROR(quant::make_requantization(x, w, bias, u8_params(-1.0, 0)), "scales finite and > 0");
  EXPECT_ERROR(quant::make_requantization(x, w, gb::Tensor::from_values({NAN, 0}, {2}), out), "a finite bias");
}

}  // namespace
