// onnx_ops_conv_test.cpp: Conv, the pools and BatchNormalization of the ONNX op set (onnx_ops_conv*.cpp),
// run as one-node graphs and compared with lib/kernels' direct convolution, hand-computed windows, the
// examples of the ONNX operator documentation and the BatchNorm formula.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/graph/executor.hpp"
#include "gb/kernels/conv.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;

// One node `op` reading a placeholder x (shape `x_info`, -1 allowed) and constants; returns its output for x.
Tensor run_op(const std::string& op, const Tensor& x, const std::vector<Tensor>& constants, Attributes attrs,
              gb::Shape x_info = {}) {
  gb::convert::register_onnx_ops();
  Graph g;
  std::vector<gb::graph::ValueId> in{g.placeholder("x", {x.dtype(), x_info.empty() ? x.shape() : x_info})};
  for (const Tensor& c : constants) in.push_back(g.constant(c));
  g.set_outputs({g.add(op, in, std::move(attrs))});
  return gb::graph::run(g, {{"x", x}})[0];
}

Tensor random(const gb::Shape& shape, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(gb::shape_numel(shape)));
  for (double& e : v) e = rng.uniform(-1.0, 1.0);
  return Tensor::from_values(v, shape);
}

void expect_near(const Tensor& got, const Tensor& want, double tol) {
  ASSERT_EQ(got.shape(), want.shape());
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], tol) << "at " << i;
}

// Whether building the node throws gb::Error (true) or the narrower Unsupported (checked by `unsupported`).
void expect_rejected(const std::function<void()>& build, bool unsupported) {
  try {
    build();
    ADD_FAILURE() << "expected an error";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::convert::Unsupported&) {
    EXPECT_TRUE(unsupported) << "Unsupported where a plain gb::Error was expected";
  } catch (const gb::Error&) {
    EXPECT_FALSE(unsupported) << "gb::Error where Unsupported was expected";
  }
}

std::vector<std::int64_t> ints(std::initializer_list<std::int64_t> v) { return v; }

}  // namespace

TEST(OnnxConvOps, ConvMatchesTheOnnxDocumentationExample) {
  // Conv's example in the ONNX operator documentation: x = 0..34 as 7x5, W = 3x3 of ones, strides 2, pads 1.
  const Tensor x = Tensor::arange(35).reshape({1, 1, 7, 5});
  const Tensor w = Tensor::ones({1, 1, 3, 3});
  const Tensor y = run_op("Conv", x, {w}, {{"kernel_shape", ints({3, 3})}, {"pads", ints({1, 1, 1, 1})}, {"strides", ints({2, 2})}});
  expect_near(y, Tensor::from_values({12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124}, {1, 1, 4, 3}), 1e-5);
  // ... and with strides 2 and asymmetric pads [1, 0, 1, 0] (top, left, bottom, right): 4 x 2.
  const Tensor y2 = run_op("Conv", x, {w}, {{"pads", ints({1, 0, 1, 0})}, {"strides", ints({2, 2})}});
  expect_near(y2, Tensor::from_values({21, 33, 99, 117, 189, 207, 171, 183}, {1, 1, 4, 2}), 1e-5);
}

TEST(OnnxConvOps, ConvMatchesDirectConvolution) {
  struct Case {
    gb::Shape x, w;
    Attributes attrs;
    gb::kernels::Conv2dParams p;
  };
  const std::vector<Case> cases = {
      // stride 2, asymmetric pads, dilation (2, 1), bias
      {{2, 3, 9, 8}, {4, 3, 3, 2}, {{"strides", ints({2, 1})}, {"pads", ints({1, 0, 2, 1})}, {"dilations", ints({2, 1})}},
       {2, 1, 1, 0, 2, 1, 2, 1, 1}},
      // groups: 4 channels in 2 groups, 6 filters
      {{1, 4, 7, 7}, {6, 2, 3, 3}, {{"group", std::int64_t{2}}, {"pads", ints({1, 1, 1, 1})}}, {1, 1, 1, 1, 1, 1, 1, 1, 2}},
      // depthwise: group = C = M
      {{2, 5, 6, 6}, {5, 1, 3, 3}, {{"group", std::int64_t{5}}, {"strides", ints({2, 2})}}, {2, 2, 0, 0, 0, 0, 1, 1, 5}},
      // 3x3 stride 1 with 8 channels: the chooser's Winograd
      {{1, 8, 12, 12}, {8, 8, 3, 3}, {{"pads", ints({1, 1, 1, 1})}}, {1, 1, 1, 1, 1, 1, 1, 1, 1}},
      // auto_pad SAME_UPPER, in 6, k 3, stride 2: out 3, total pad 1 -> begin 0, end 1
      {{1, 2, 6, 6}, {3, 2, 3, 3}, {{"auto_pad", std::string("SAME_UPPER")}, {"strides", ints({2, 2})}}, {2, 2, 0, 0, 1, 1, 1, 1, 1}},
      // SAME_LOWER: the odd pixel of padding at the beginning
      {{1, 2, 6, 6}, {3, 2, 3, 3}, {{"auto_pad", std::string("SAME_LOWER")}, {"strides", ints({2, 2})}}, {2, 2, 1, 1, 0, 0, 1, 1, 1}},
      // VALID: no padding, pads ignored
      {{1, 2, 7, 5}, {3, 2, 3, 3}, {{"auto_pad", std::string("VALID")}, {"pads", ints({1, 1, 1, 1})}}, {1, 1, 0, 0, 0, 0, 1, 1, 1}},
  };
  std::uint64_t seed = 1;
  for (const Case& c : cases) {
    const Tensor x = random(c.x, seed++), w = random(c.w, seed++), b = random({c.w[0]}, seed++);
    const Tensor want = gb::kernels::conv2d(x, w, b, c.p, gb::kernels::ConvAlgo::direct);
    expect_near(run_op("Conv", x, {w, b}, c.attrs), want, 1e-4);
    const Tensor no_bias = gb::kernels::conv2d(x, w, Tensor(), c.p, gb::kernels::ConvAlgo::direct);
    expect_near(run_op("Conv", x, {w}, c.attrs), no_bias, 1e-4);
  }
}

TEST(OnnxConvOps, ConvOneDimensionalAndDynamicShapes) {
  // A 1-D Conv [N, C, L] is the 2-D one of height 1.
  const Tensor x = random({2, 3, 10}, 7), w = random({4, 3, 3}, 8);
  const Tensor y = run_op("Conv", x, {w}, {{"strides", ints({2})}, {"pads", ints({2, 1})}, {"dilations", ints({2})}});
  const Tensor want = gb::kernels::conv2d(x.unsqueeze(2), w.unsqueeze(2), Tensor(), {1, 2, 0, 2, 0, 1, 1, 2, 1},
                                          gb::kernels::ConvAlgo::direct);
  expect_near(y, want.squeeze(2), 1e-5);
  // Unknown batch and image sizes: inference says -1, the run decides.
  gb::convert::register_onnx_ops();
  Graph g;
  const auto xv = g.placeholder("x", {DType::f32, {-1, 3, -1, -1}});
  const auto out = g.add("Conv", {xv, g.constant(random({5, 3, 3, 3}, 9))}, {{"pads", ints({1, 1, 1, 1})}, {"strides", ints({2, 2})}});
  EXPECT_EQ(g.value(out).info.shape, (gb::Shape{-1, 5, -1, -1}));
  g.set_outputs({out});
  EXPECT_EQ(gb::graph::run(g, {{"x", random({2, 3, 9, 7}, 10)}})[0].shape(), (gb::Shape{2, 5, 5, 4}));
}

TEST(OnnxConvOps, ConvRejectsBadAttributesAndShapes) {
  const Tensor x = random({1, 4, 5, 5}, 1);
  auto conv = [&](const Tensor& in, const Tensor& w, Attributes attrs) { return [=] { run_op("Conv", in, {w}, attrs); }; };
  expect_rejected(conv(x, random({2, 3, 3, 3}, 2), {}), false);                                     // C 4 vs W's 3
  expect_rejected(conv(x, random({3, 2, 3, 3}, 2), {{"group", std::int64_t{2}}}), false);           // M 3 not divisible by 2
  expect_rejected(conv(x, random({2, 4, 3, 3}, 2), {{"pads", ints({1, 1})}}), false);               // pads of 2 entries
  expect_rejected(conv(x, random({2, 4, 3, 3}, 2), {{"auto_pad", std::string("SAME")}}), false);    // no such auto_pad
  expect_rejected(conv(x, random({2, 4, 7, 7}, 2), {}), false);                                     // kernel larger than the input
  expect_rejected(conv(x, random({2, 4, 3, 3}, 2), {{"kernel_shape", ints({2, 2})}}), false);       // disagrees with W
  expect_rejected(conv(x, random({2, 4, 3, 3}, 2), {{"strides", ints({0, 1})}}), false);            // stride 0
  expect_rejected(conv(random({1, 4, 3, 3, 3}, 3), random({2, 4, 1, 1, 1}, 2), {}), true);          // 3-D: Unsupported
  expect_rejected(conv(x.to(DType::f64), random({2, 4, 3, 3}, 2).to(DType::f64), {}), true);        // f64: Unsupported
}

TEST(OnnxConvOps, MaxPoolWindowsByHand) {
  const Tensor x = Tensor::arange(16).reshape({1, 1, 4, 4});  // 0..15
  // kernel 3, stride 2, ceil_mode: 2 x 2, the last window hangs over the edge (ONNX's maxpool_2d_ceil example).
  expect_near(run_op("MaxPool", x, {}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"ceil_mode", std::int64_t{1}}}),
              Tensor::from_values({10, 11, 14, 15}, {1, 1, 2, 2}), 0);
  // without ceil_mode: one window.
  expect_near(run_op("MaxPool", x, {}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}}),
              Tensor::from_values({10}, {1, 1, 1, 1}), 0);
  // dilations 2, kernel 2: taps (i, i+2) x (j, j+2) (ONNX's maxpool_2d_dilations example, 0-based).
  expect_near(run_op("MaxPool", x, {}, {{"kernel_shape", ints({2, 2})}, {"dilations", ints({2, 2})}, {"strides", ints({1, 1})}}),
              Tensor::from_values({10, 11, 14, 15}, {1, 1, 2, 2}), 0);
  // SAME_UPPER with an even kernel: pads (0, 1) on each axis, asymmetric (the reference loop, not lib/kernels).
  const Tensor x3 = Tensor::from_values({5, 1, 3, 2, 9, 4, 7, 6, 8}, {1, 1, 3, 3});
  expect_near(run_op("MaxPool", x3, {}, {{"kernel_shape", ints({2, 2})}, {"auto_pad", std::string("SAME_UPPER")}}),
              Tensor::from_values({9, 9, 4, 9, 9, 8, 7, 8, 8}, {1, 1, 3, 3}), 0);
  // SAME_LOWER: pads (1, 0).
  expect_near(run_op("MaxPool", x3, {}, {{"kernel_shape", ints({2, 2})}, {"auto_pad", std::string("SAME_LOWER")}}),
              Tensor::from_values({5, 5, 3, 5, 9, 9, 7, 9, 9}, {1, 1, 3, 3}), 0);
  // uint8, pads 1: the padding never wins, and the codes come back unchanged.
  const Tensor q = Tensor::from_values({200, 3, 7, 250, 0, 9, 1, 2, 255}, {1, 1, 3, 3}, DType::u8);
  const Tensor yq = run_op("MaxPool", q, {}, {{"kernel_shape", ints({2, 2})}, {"pads", ints({1, 1, 0, 0})}});
  EXPECT_EQ(yq.dtype(), DType::u8);
  expect_near(yq, Tensor::from_values({200, 200, 7, 250, 250, 9, 250, 250, 255}, {1, 1, 3, 3}), 0);
  // 1-D
  expect_near(run_op("MaxPool", Tensor::from_values({1, 5, 2, 8, 3}, {1, 1, 5}), {}, {{"kernel_shape", ints({2})}}),
              Tensor::from_values({5, 5, 8, 8}, {1, 1, 4}), 0);
}

TEST(OnnxConvOps, AveragePoolWindowsByHand) {
  const Tensor x16 = Tensor::arange(16).reshape({1, 1, 4, 4}) + Tensor::scalar(1.0);  // 1..16
  // ONNX's averagepool_2d_ceil example: the clipped last windows average only their real values.
  expect_near(run_op("AveragePool", x16, {}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"ceil_mode", std::int64_t{1}}}),
              Tensor::from_values({6, 7.5, 12, 13.5}, {1, 1, 2, 2}), 1e-6);
  // pads 1 on a 3x3 input, kernel 3: the corner window holds 4 real values of the 9 taps.
  const Tensor x9 = Tensor::arange(9).reshape({1, 1, 3, 3}) + Tensor::scalar(1.0);  // 1..9
  const Attributes pad1{{"kernel_shape", ints({3, 3})}, {"pads", ints({1, 1, 1, 1})}, {"strides", ints({1, 1})}};
  const Tensor excl = run_op("AveragePool", x9, {}, pad1);  // count_include_pad = 0 (ONNX's default)
  EXPECT_NEAR(excl.at({0, 0, 0, 0}), (1 + 2 + 4 + 5) / 4.0, 1e-6);
  EXPECT_NEAR(excl.at({0, 0, 0, 1}), (1 + 2 + 3 + 4 + 5 + 6) / 6.0, 1e-6);
  EXPECT_NEAR(excl.at({0, 0, 1, 1}), 45 / 9.0, 1e-6);
  Attributes incl = pad1;
  incl["count_include_pad"] = std::int64_t{1};
  const Tensor with_pad = run_op("AveragePool", x9, {}, incl);
  EXPECT_NEAR(with_pad.at({0, 0, 0, 0}), 12 / 9.0, 1e-6);
  EXPECT_NEAR(with_pad.at({0, 0, 2, 1}), (4 + 5 + 6 + 7 + 8 + 9) / 9.0, 1e-6);
  // Asymmetric pads [0, 0, 1, 1] (reference loop): bottom-right window = 9 alone; with count_include_pad 4 taps.
  Attributes asym{{"kernel_shape", ints({2, 2})}, {"pads", ints({0, 0, 1, 1})}};
  EXPECT_NEAR(run_op("AveragePool", x9, {}, asym).at({0, 0, 2, 2}), 9.0, 1e-6);
  asym["count_include_pad"] = std::int64_t{1};
  EXPECT_NEAR(run_op("AveragePool", x9, {}, asym).at({0, 0, 2, 2}), 9 / 4.0, 1e-6);
  EXPECT_NEAR(run_op("AveragePool", x9, {}, asym).at({0, 0, 0, 0}), (1 + 2 + 4 + 5) / 4.0, 1e-6);
}

TEST(OnnxConvOps, GlobalPoolsAndBatchNormalization) {
  const Tensor x = random({2, 3, 4, 5}, 11);
  const Tensor gap = run_op("GlobalAveragePool", x, {}, {});
  ASSERT_EQ(gap.shape(), (gb::Shape{2, 3, 1, 1}));
  const Tensor gmp = run_op("GlobalMaxPool", x, {}, {});
  for (std::int64_t n = 0; n < 2; ++n) {
    for (std::int64_t c = 0; c < 3; ++c) {
      double sum = 0, best = -1e30;
      for (std::int64_t h = 0; h < 4; ++h) {
        for (std::int64_t w = 0; w < 5; ++w) {
          sum += x.at({n, c, h, w});
          best = std::max(best, x.at({n, c, h, w}));
        }
      }
      EXPECT_NEAR(gap.at({n, c, 0, 0}), sum / 20, 1e-6);
      EXPECT_EQ(gmp.at({n, c, 0, 0}), best);
    }
  }
  EXPECT_EQ(run_op("GlobalAveragePool", random({2, 3, 7}, 1), {}, {}).shape(), (gb::Shape{2, 3, 1}));

  // BatchNormalization: y = scale (x - mean) / sqrt(var + eps) + B, per channel (axis 1).
  const Tensor scale = Tensor::from_values({1.5, -0.5, 2}, {3}), bias = Tensor::from_values({0.1, 0.2, -0.3}, {3});
  const Tensor mean = Tensor::from_values({0.2, -0.1, 0}, {3}), var = Tensor::from_values({0.5, 1, 2}, {3});
  const Tensor y = run_op("BatchNormalization", x, {scale, bias, mean, var}, {{"epsilon", 1e-2}});
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const std::int64_t c = (i / 20) % 3;
    const double want = scale.at({c}) * (x.to_vector()[static_cast<std::size_t>(i)] - mean.at({c})) / std::sqrt(var.at({c}) + 1e-2) +
                        bias.at({c});
    EXPECT_NEAR(y.to_vector()[static_cast<std::size_t>(i)], want, 1e-5);
  }
}

TEST(OnnxConvOps, PoolAndBatchNormRejectWhatTheyDoNotRun) {
  const Tensor x = random({1, 2, 4, 4}, 1);
  auto op = [&](const std::string& name, const std::vector<Tensor>& c, Attributes attrs) { return [=] { run_op(name, x, c, attrs); }; };
  expect_rejected(op("MaxPool", {}, {}), false);                                                           // no kernel_shape
  expect_rejected(op("MaxPool", {}, {{"kernel_shape", ints({5, 5})}}), false);                             // larger than the input
  expect_rejected(op("AveragePool", {}, {{"kernel_shape", ints({2, 2})}, {"dilations", ints({2, 2})}}), true);
  expect_rejected(op("MaxPool", {}, {{"kernel_shape", ints({2, 2})}, {"storage_order", std::int64_t{1}}}), true);
  const Tensor c2 = Tensor::ones({2}), c3 = Tensor::ones({3});
  expect_rejected(op("BatchNormalization", {c2, c2, c2, c2}, {{"training_mode", std::int64_t{1}}}), true);
  expect_rejected(op("BatchNormalization", {c2, c3, c2, c2}, {}), false);                                  // B of 3 for C = 2
  expect_rejected(op("BatchNormalization", {c2, c2, c2, Tensor::full({2}, -1.0)}, {{"epsilon", 0.0}}), false);  // var < 0
}
