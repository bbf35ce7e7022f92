// qconv_test.cpp: int8 convolution (lib/quant/src/qconv.cpp). `direct` is checked against the float
// convolution of the dequantized operands (lib/kernels' conv2d), then im2col and indirect on every GEMM
// variant are checked bit for bit against direct on a table of shapes: groups, depthwise, stride,
// dilation, asymmetric padding, 1x1, a batch of 2, per-channel weights with non-zero zero points, input
// zero points at 0 and 255. The padding test fails if any algorithm pads with the byte 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/quant/qgemm.hpp"
#include "test_helpers.hpp"

namespace {

namespace quant = gb::quant;
namespace kn = gb::kernels;
using quant::QConvAlgo;
using quant::QGemmVariant;

quant::QParams u8_params(double scale, std::int32_t zero) { return {gb::DType::u8, {scale}, {zero}, -1, false}; }

quant::QTensor random_input(gb::Rng& rng, const gb::Shape& shape, std::int32_t zero) {
  gb::Tensor t = gb::Tensor::empty(shape, gb::DType::u8);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(rng.randint(0, 256));
  return {t, u8_params(0.03, zero)};
}

// OIHW weights; per_channel: scales and zero points differ per output channel (extremes included).
quant::QTensor random_weight(gb::Rng& rng, const gb::Shape& shape, bool per_channel) {
  gb::Tensor t = gb::Tensor::empty(shape, gb::DType::i8);
  for (std::int64_t i = 0; i < t.numel(); ++i) t.data<std::int8_t>()[i] = static_cast<std::int8_t>(rng.randint(-128, 128));
  quant::QParams p{gb::DType::i8, {0.002}, {0}, -1, false};
  if (per_channel) {
    p.scale.clear();
    p.zero_point.clear();
    p.axis = 0;
    for (std::int64_t o = 0; o < shape[0]; ++o) {
      p.scale.push_back(0.001 + 0.0005 * static_cast<double>(o % 5));
      p.zero_point.push_back(o % 4 == 0 ? -128 : o % 4 == 1 ? 127 : o % 4 == 2 ? 0 : static_cast<std::int32_t>(rng.randint(-128, 128)));
    }
  }
  return {t, p};
}

struct Case {
  const char* name;
  std::int64_t n, c, h, w, oc, kh, kw;
  kn::Conv2dParams p;
  bool per_channel;
  std::int32_t x_zero;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"3x3 pad 1", 1, 8, 9, 11, 12, 3, 3, kn::Conv2dParams::square(1, 1), false, 128},
      {"odd channels, zero point 0", 1, 5, 7, 6, 7, 3, 3, kn::Conv2dParams::square(1, 1), true, 0},
      {"zero point 255, stride 2", 1, 6, 10, 9, 9, 3, 3, kn::Conv2dParams::square(2, 1), true, 255},
      {"dilation 2", 1, 4, 12, 12, 5, 3, 3, kn::Conv2dParams::square(1, 2, 2), false, 37},
      {"asymmetric padding", 1, 3, 8, 7, 6, 3, 2, {1, 2, 0, 2, 1, 0, 1, 1, 1}, true, 200},
      {"stride (2, 1), dilation (1, 2)", 1, 5, 9, 10, 4, 2, 3, {2, 1, 1, 1, 1, 1, 1, 2, 1}, true, 90},
      {"groups 2", 2, 6, 7, 7, 8, 3, 3, kn::Conv2dParams::square(1, 1, 1, 2), true, 100},
      {"groups 3, 5x5", 1, 9, 11, 8, 6, 5, 5, kn::Conv2dParams::square(1, 2, 1, 3), false, 17},
      {"depthwise", 2, 7, 9, 8, 7, 3, 3, kn::Conv2dParams::square(1, 1, 1, 7), true, 128},
      {"depthwise multiplier 2", 1, 4, 6, 6, 8, 3, 3, kn::Conv2dParams::square(2, 1, 1, 4), true, 5},
      {"1x1", 1, 70, 5, 6, 65, 1, 1, kn::Conv2dParams::square(1, 0), true, 140},
      {"many channels (k across KC blocks)", 1, 70, 6, 5, 20, 3, 3, kn::Conv2dParams::square(1, 1), true, 64},
      {"kernel larger than the padded input's half", 1, 2, 4, 4, 3, 4, 4, kn::Conv2dParams::square(1, 2), false, 1},
  };
  return all;
}

struct Operands {
  quant::QTensor x, w;
  gb::Tensor bias;
  quant::QParams out;
};
Operands operands(const Case& c, std::uint64_t seed) {
  gb::Rng rng(seed);
  Operands o;
  o.x = random_input(rng, {c.n, c.c, c.h, c.w}, c.x_zero);
  o.w = random_weight(rng, {c.oc, c.c / c.p.groups, c.kh, c.kw}, c.per_channel);
  o.bias = rng.normal({c.oc}, 0.0, 0.3);
  o.out = u8_params(0.05, 110);
  return o;
}

std::vector<std::uint8_t> bytes(const quant::QTensor& q) {
  const std::uint8_t* p = q.values.data<std::uint8_t>();
  return {p, p + q.values.numel()};
}

TEST(QConvNames, RoundTripAndChooser) {
  for (QConvAlgo a : {QConvAlgo::direct, QConvAlgo::im2col, QConvAlgo::indirect, QConvAlgo::best}) {
    EXPECT_EQ(quant::qconv_algo_from_name(quant::qconv_algo_name(a)), a);
  }
  EXPECT_EQ(quant::all_qconv_algos().size(), 3u);
  EXPECT_ERROR(quant::qconv_algo_from_name("winograd"), "qconv_algo_from_name", "direct, im2col, indirect, best", "'winograd'");
  const kn::ConvShape depthwise = kn::conv_shape({1, 8, 5, 5}, {8, 1, 3, 3}, kn::Conv2dParams::square(1, 1, 1, 8));
  EXPECT_EQ(quant::choose_qconv_algo(depthwise), QConvAlgo::direct);
  const kn::ConvShape dense = kn::conv_shape({1, 8, 5, 5}, {16, 8, 3, 3}, kn::Conv2dParams::square(1, 1));
  EXPECT_EQ(quant::choose_qconv_algo(dense), QConvAlgo::indirect);
}

TEST(QConvDirect, AgreesWithTheFloatConvolutionWithinOneStep) {
  for (const Case& c : cases()) {
    const Operands o = operands(c, 21);
    for (bool relu : {false, true}) {
      const quant::QTensor y = quant::qconv2d(o.x, o.w, o.bias, c.p, o.out, relu, QConvAlgo::direct);
      // The same convolution in float on the dequantized operands (exact in double up to f32 rounding).
      const gb::Tensor real = kn::conv2d(o.x.dequantize(), o.w.dequantize(), o.bias, c.p, kn::ConvAlgo::direct);
      ASSERT_EQ(y.values.shape(), real.shape()) << c.name;
      const std::vector<double> r = real.to_vector(), q = y.values.to_vector();
      for (std::size_t i = 0; i < r.size(); ++i) {
        const double v = relu ? std::max(r[i], 0.0) : r[i];
        const double ideal = std::clamp(std::nearbyint(v / 0.05) + 110, 0.0, 255.0);
        ASSERT_LE(std::abs(q[i] - ideal), 1.0) << c.name << " element " << i << " relu " << relu;
      }
    }
  }
}

TEST(QConv, Im2ColAndIndirectEqualDirectOnEveryVariant) {
  for (const Case& c : cases()) {
    const Operands o = operands(c, 33);
    for (bool relu : {false, true}) {
      const std::vector<std::uint8_t> expected = bytes(quant::qconv2d(o.x, o.w, o.bias, c.p, o.out, relu, QConvAlgo::direct));
      for (QConvAlgo a : {QConvAlgo::im2col, QConvAlgo::indirect, QConvAlgo::best}) {
        for (QGemmVariant v : quant::available_qgemm_variants()) {
          ASSERT_EQ(bytes(quant::qconv2d(o.x, o.w, o.bias, c.p, o.out, relu, a, v)), expected)
              << c.name << " " << quant::qconv_algo_name(a) << " on " << quant::qgemm_variant_name(v) << " relu " << relu;
        }
      }
    }
  }
}

TEST(QConv, PaddingReadsTheInputZeroPoint) {
  // An input that is real 0 everywhere (every byte = x_zero = 200): every output, border included, is
  // the requantized bias alone. Padding with the byte 0 would add -200 * (w - w_zero) at the border.
  Case c{"all zero", 1, 3, 5, 5, 4, 3, 3, kn::Conv2dParams::square(1, 2), true, 200};
  Operands o = operands(c, 5);
  std::fill(o.x.values.data<std::uint8_t>(), o.x.values.data<std::uint8_t>() + o.x.values.numel(), std::uint8_t{200});
  const quant::Requantization r = quant::make_requantization(o.x.params, o.w.params, o.bias, o.out);
  for (QConvAlgo a : quant::all_qconv_algos()) {
    const quant::QTensor y = quant::qconv2d(o.x, o.w, o.bias, c.p, o.out, false, a);
    for (std::int64_t oc = 0; oc < 4; ++oc) {
      // requantize_rows of the bias alone (checked against the fixed-point functions in qgemm_test).
      std::uint8_t bias_only = 0;
      const std::int32_t zero_acc = 0;
      quant::Requantization one = r;
      one.multiplier = {r.multiplier[static_cast<std::size_t>(oc)]};
      one.bias = {r.bias[static_cast<std::size_t>(oc)]};
      quant::requantize_rows(&zero_acc, 1, 1, 1, one, &bias_only, 1);
      for (std::int64_t i = 0; i < y.values.size(2) * y.values.size(3); ++i) {
        ASSERT_EQ(y.values.data<std::uint8_t>()[oc * y.values.size(2) * y.values.size(3) + i], bias_only)
            << quant::qconv_algo_name(a) << " channel " << oc << " pixel " << i;
      }
    }
  }
}

TEST(QConv, BadOperandsAreErrors) {
  const Operands o = operands(cases()[0], 1);
  const kn::Conv2dParams p = kn::Conv2dParams::square(1, 1);
  EXPECT_ERROR(quant::qconv2d(o.x, o.x, o.bias, p, o.out), "qconv2d", "w of dtype i8", "u8");
  const quant::QTensor x3{o.x.values.reshape({8, 9, 11}), o.x.params};
  EXPECT_ERROR(quant::qconv2d(x3, o.w, o.bias, p, o.out), "qconv2d", "rank 4", "[8, 9, 11]");
  gb::Rng rng(4);
  const quant::QTensor w_bad = random_weight(rng, {12, 7, 3, 3}, false);
  EXPECT_ERROR(quant::qconv2d(o.x, w_bad, o.bias, p, o.out), "qconv2d");
  EXPECT_ERROR(quant::qconv2d(o.x, o.w, gb::Tensor::zeros({3}), p, o.out), "a bias of shape [12]", "[3]");
  EXPECT_ERROR(quant::qconv2d(o.x, o.w, o.bias, p, quant::QParams{}), "output params of dtype u8", "i8");
  // ICg * KH * KW beyond the int32 bound: 4000 channels x 3 x 3 = 36000 > 33025.
  const quant::QTensor big_x = random_input(rng, {1, 4000, 3, 3}, 0);
  const quant::QTensor big_w = random_weight(rng, {1, 4000, 3, 3}, false);
  EXPECT_ERROR(quant::qconv2d(big_x, big_w, gb::Tensor(), kn::Conv2dParams::square(1, 0), o.out), "33025", "36000");
}

}  // namespace
