// onnx_ops_quant_test.cpp: QuantizeLinear, DequantizeLinear, QLinearConv and QLinearMatMul of the ONNX op
// set (onnx_ops_quant*.cpp) on the worked example of LESSONS.md, the node test vectors of ONNX's backend
// test suite (values copied from /usr/share/libonnx-testdata/data/node/test_*/test_data_set_0), ties and
// saturation, and an integer oracle built on lib/kernels' direct convolution.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/graph/executor.hpp"
#include "gb/kernels/conv.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::graph::Attributes;

Tensor run_op(const std::string& op, const Tensor& x, const std::vector<Tensor>& constants, Attributes attrs = {}) {
  gb::convert::register_onnx_ops();
  gb::graph::Graph g;
  std::vector<gb::graph::ValueId> in{g.placeholder("x", {x.dtype(), x.shape()})};
  for (const Tensor& c : constants) in.push_back(g.constant(c));
  g.set_outputs({g.add(op, in, std::move(attrs))});
  return gb::graph::run(g, {{"x", x}})[0];
}

Tensor vals(const std::vector<double>& v, const gb::Shape& shape, DType dtype = DType::f32) { return Tensor::from_values(v, shape, dtype); }
Tensor scalar(double v, DType dtype = DType::f32) { return Tensor::scalar(v, dtype); }

void expect_codes(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_EQ(got.to_vector(), want.to_vector());
}

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

Tensor random_codes(const gb::Shape& shape, DType dtype, std::uint64_t seed) {
  gb::Rng rng(seed);
  const double lo = dtype == DType::u8 ? 0 : -128, hi = dtype == DType::u8 ? 256 : 128;
  std::vector<double> v(static_cast<std::size_t>(gb::shape_numel(shape)));
  for (double& e : v) e = std::floor(rng.uniform(lo, hi));
  return vals(v, shape, dtype);
}

}  // namespace

TEST(OnnxQuantOps, QuantizeLinearLessonsExampleAndOnnxVectors) {
  // LESSONS.md: r = [-1, 0, 0.5, 2] as uint8 -> S = 3/255, Z = 85, q = [0, 85, 127, 255] (0.5 / S = 42.5 -> 42).
  expect_codes(run_op("QuantizeLinear", vals({-1, 0, 0.5, 2}, {4}), {scalar(3.0 / 255.0), scalar(85, DType::u8)}),
               vals({0, 85, 127, 255}, {4}, DType::u8));
  // ONNX test_quantizelinear: scale 2, zero point 128; 3 / 2 = 1.5 rounds to 2; 1000 and -1000 saturate.
  expect_codes(run_op("QuantizeLinear", vals({0, 2, 3, 1000, -254, -1000}, {6}), {scalar(2), scalar(128, DType::u8)}),
               vals({128, 129, 130, 255, 1, 0}, {6}, DType::u8));
  // ONNX test_quantizelinear_axis: per channel along axis 1 (the default).
  const Tensor x = vals({-162, 10, -100, 232, -20, -50, -76, 0, 0, 252, 32, -44, 245, -485, -960, -270, -375, -470}, {1, 3, 3, 2});
  const Tensor codes = vals({3, 89, 34, 200, 74, 59, 5, 24, 24, 87, 32, 13, 245, 99, 4, 142, 121, 102}, {1, 3, 3, 2}, DType::u8);
  const Tensor scale = vals({2, 4, 5}, {3}), zero = vals({84, 24, 196}, {3}, DType::u8);
  expect_codes(run_op("QuantizeLinear", x, {scale, zero}), codes);
  // ONNX test_dequantizelinear_axis: the way back is exact here.
  const Tensor back = run_op("DequantizeLinear", codes, {scale, zero});
  EXPECT_EQ(back.dtype(), DType::f32);
  EXPECT_EQ(back.to_vector(), x.to_vector());
  // ONNX test_dequantizelinear: [0, 3, 128, 255], scale 2, zero point 128.
  EXPECT_EQ(run_op("DequantizeLinear", vals({0, 3, 128, 255}, {4}, DType::u8), {scalar(2), scalar(128, DType::u8)}).to_vector(),
            (std::vector<double>{-256, -250, 0, 254}));
}

TEST(OnnxQuantOps, QuantizeRoundsHalfToEvenAndSaturates) {
  // int8, zero point 0: ties go to the even neighbour, both signs; the grid ends at -128 and 127.
  expect_codes(run_op("QuantizeLinear", vals({0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 200, -200, 1e30}, {9}), {scalar(1), scalar(0, DType::i8)}),
               vals({0, 2, 2, 0, -2, -2, 127, -128, 127}, {9}, DType::i8));
  // No zero point: uint8 with Z = 0, negatives saturate at 0.
  const Tensor y = run_op("QuantizeLinear", vals({-3, 0.49, 0.5, 0.51, 300}, {5}), {scalar(1)});
  expect_codes(y, vals({0, 0, 0, 1, 255}, {5}, DType::u8));
  // Per axis 0 with int8 codes and a negative axis.
  expect_codes(run_op("QuantizeLinear", vals({1, -1, 1, -1}, {2, 2}), {vals({0.5, 0.25}, {2}), vals({-1, 3}, {2}, DType::i8)},
                      {{"axis", std::int64_t{-2}}}),
               vals({1, -3, 7, -1}, {2, 2}, DType::i8));
  // int32 dequantization (a quantized bias): zero point absent.
  EXPECT_EQ(run_op("DequantizeLinear", vals({-7, 1000000}, {2}, DType::i32), {scalar(0.5)}).to_vector(), (std::vector<double>{-3.5, 500000}));
}

TEST(OnnxQuantOps, QuantizeRejectsBadInputs) {
  const Tensor x = vals({1, 2, 3, 4, 5, 6}, {2, 3});
  auto q = [&](const std::string& op, const Tensor& in, const std::vector<Tensor>& c, Attributes a = {}) {
    return [=] { run_op(op, in, c, a); };
  };
  expect_rejected(q("QuantizeLinear", x, {vals({1, 2}, {2})}), false);                                   // 2 scales for axis 1 of 3
  expect_rejected(q("QuantizeLinear", x, {vals({1, 2, 3}, {3}), vals({0, 0}, {2}, DType::u8)}), false);   // zero point shape
  expect_rejected(q("QuantizeLinear", x, {scalar(1), scalar(0, DType::i32)}), true);                     // int32 codes
  expect_rejected(q("QuantizeLinear", x, {scalar(0)}), false);                                           // scale 0
  expect_rejected(q("QuantizeLinear", vals({NAN}, {1}), {scalar(1)}), false);                            // NaN
  expect_rejected(q("QuantizeLinear", x, {vals({1, 2, 3}, {3})}, {{"axis", std::int64_t{5}}}), false);  // axis out of range
  expect_rejected(q("DequantizeLinear", vals({1}, {1}, DType::u8), {scalar(1), scalar(0, DType::i8)}), false);  // zp dtype
  expect_rejected(q("DequantizeLinear", vals({1}, {1}), {scalar(1)}), true);                             // f32 codes
}

TEST(OnnxQuantOps, QLinearMatMulOnnxVector) {
  // ONNX test_qlinearmatmul_2D (uint8 x uint8: the reference loop).
  const Tensor a = vals({208, 236, 0, 238, 3, 214, 255, 29}, {2, 4}, DType::u8);
  const Tensor b = vals({152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247}, {4, 3}, DType::u8);
  const std::vector<Tensor> rest{vals({0.0066}, {1}), vals({113}, {1}, DType::u8), b, vals({0.00705}, {1}),
                                 vals({114}, {1}, DType::u8), vals({0.0107}, {1}), vals({118}, {1}, DType::u8)};
  expect_codes(run_op("QLinearMatMul", a, rest), vals({168, 115, 255, 1, 66, 151}, {2, 3}, DType::u8));
  // test_qlinearmatmul_3D is the same matrices twice in a batch: b broadcasts over a's batch axis.
  const Tensor a3 = vals({208, 236, 0, 238, 3, 214, 255, 29, 208, 236, 0, 238, 3, 214, 255, 29}, {2, 2, 4}, DType::u8);
  expect_codes(run_op("QLinearMatMul", a3, rest), vals({168, 115, 255, 1, 66, 151, 168, 115, 255, 1, 66, 151}, {2, 2, 3}, DType::u8));
  // Requantization ties: M = 1 * 1 / 2, acc = 1, 3, 5, -3 -> 0.5, 1.5, 2.5, -1.5 -> 0, 2, 2, -2 (half to even).
  const Tensor one = scalar(1), i8zero = scalar(0, DType::i8);
  expect_codes(run_op("QLinearMatMul", vals({1, 3, 5, -3}, {4, 1}, DType::i8), {one, i8zero, vals({1}, {1, 1}, DType::i8), one, i8zero, scalar(2), i8zero}),
               vals({0, 2, 2, -2}, {4, 1}, DType::i8));
}

TEST(OnnxQuantOps, QLinearMatMulQgemmPathEqualsTheReferenceLoop) {
  // uint8 a with one zero point and int8 b run lib/quant's qgemm_s32; a - 128 as int8 with its zero point
  // - 128 has the same centred values and runs the reference loop: the codes must be identical.
  const Tensor a = random_codes({3, 5, 37}, DType::u8, 1), b = random_codes({37, 6}, DType::i8, 2);
  const Tensor b_scale = vals({0.01, 0.02, 0.015, 0.03, 0.005, 0.01}, {6}), b_zero = vals({0, -3, 5, 1, 0, -128}, {6}, DType::i8);
  const auto run = [&](const Tensor& codes, double a_zero) {
    return run_op("QLinearMatMul", codes,
                  {scalar(0.02), scalar(a_zero, codes.dtype()), b, b_scale, b_zero, scalar(0.05), scalar(-10, DType::i8)});
  };
  const Tensor fast = run(a, 130);
  const Tensor shifted = vals([&] { auto v = a.to_vector(); for (double& e : v) e -= 128; return v; }(), a.shape(), DType::i8);
  expect_codes(run(shifted, 2), fast);
  // And both equal the formula computed here in int64 / double.
  const std::vector<double> av = a.to_vector(), bv = b.to_vector(), got = fast.to_vector();
  for (std::int64_t t = 0; t < 3; ++t) {
    for (std::int64_t i = 0; i < 5; ++i) {
      for (std::int64_t j = 0; j < 6; ++j) {
        std::int64_t acc = 0;
        for (std::int64_t k = 0; k < 37; ++k) {
          acc += static_cast<std::int64_t>(av[static_cast<std::size_t>((t * 5 + i) * 37 + k)] - 130) *
                 static_cast<std::int64_t>(bv[static_cast<std::size_t>(k * 6 + j)] - b_zero.at({j}));
        }
        const float m = (0.02f * static_cast<float>(b_scale.at({j}))) / 0.05f;
        const double want = std::clamp(std::nearbyint(static_cast<double>(acc) * m) - 10, -128.0, 127.0);
        EXPECT_EQ(got[static_cast<std::size_t>((t * 5 + i) * 6 + j)], want) << t << " " << i << " " << j;
      }
    }
  }
}

TEST(OnnxQuantOps, QLinearConvOnnxVectorAndIntegerOracle) {
  // ONNX test_qlinearconv: a 1x1 uint8 filter of code 0 with zero point 255 (w - Z = -255).
  const Tensor x = vals({255, 174, 162, 25,  203, 168, 58,  15,  59,  237, 95,  129, 0,   64,  56,  242, 153,
                         221, 168, 12,  166, 232, 178, 186, 195, 237, 162, 237, 188, 39,  124, 77,  80,  102,
                         43,  127, 230, 21,  83,  41,  40,  134, 255, 154, 92,  141, 42,  148, 247},
                        {1, 1, 7, 7}, DType::u8);
  const Tensor y = vals({0,   81,  93,  230, 52,  87,  197, 240, 196, 18,  160, 126, 255, 191, 199, 13,  102,
                         34,  87,  243, 89,  23,  77,  69,  60,  18,  93,  18,  67,  216, 131, 178, 175, 153,
                         212, 128, 25,  234, 172, 214, 215, 121, 0,   101, 163, 114, 213, 107, 8},
                        {1, 1, 7, 7}, DType::u8);
  expect_codes(run_op("QLinearConv", x,
                      {scalar(0.003692046971991658), scalar(132, DType::u8), vals({0}, {1, 1, 1, 1}, DType::u8),
                       vals({0.0017279457533732057}, {1}), vals({255}, {1}, DType::u8), scalar(0.001626812620088458),
                       scalar(123, DType::u8)}),
               y);

  // Per-filter int8 weights, bias, stride, asymmetric pads, groups: uint8 x runs qgemm_s32, the same values
  // as int8 (x - 128, zero point - 128) run the reference loop; both equal an oracle that accumulates the
  // centred integers with lib/kernels' direct convolution (exact in f32 at these sizes) and requantizes here.
  const Tensor xq = random_codes({2, 4, 7, 6}, DType::u8, 3), wq = random_codes({6, 2, 3, 2}, DType::i8, 4);
  const std::vector<double> w_zero{1, -2, 0, 3, -1, 0}, w_scale{0.01, 0.02, 0.005, 0.012, 0.03, 0.007};
  const std::vector<double> bias{100, -2000, 0, 37, -5, 4000};
  const double x_zero = 121, x_scale = 0.02, y_scale = 0.04, y_zero = 7;
  const Attributes attrs{{"group", std::int64_t{2}}, {"strides", std::vector<std::int64_t>{2, 1}}, {"pads", std::vector<std::int64_t>{1, 0, 2, 1}}};
  auto run = [&](const Tensor& codes, double zero) {
    return run_op("QLinearConv", codes,
                  {scalar(x_scale), scalar(zero, codes.dtype()), wq, vals(w_scale, {6}), vals(w_zero, {6}, DType::i8), scalar(y_scale),
                   scalar(y_zero, DType::i8), vals(bias, {6}, DType::i32)},
                  attrs);
  };
  const Tensor fast = run(xq, x_zero);
  const Tensor shifted = vals([&] { auto v = xq.to_vector(); for (double& e : v) e -= 128; return v; }(), xq.shape(), DType::i8);
  expect_codes(run(shifted, x_zero - 128), fast);

  std::vector<double> xc = xq.to_vector(), wc = wq.to_vector();
  for (double& e : xc) e -= x_zero;
  for (std::size_t i = 0; i < wc.size(); ++i) wc[i] -= w_zero[i / 12];
  const Tensor acc = gb::kernels::conv2d(vals(xc, xq.shape()), vals(wc, wq.shape()), vals(bias, {6}), {2, 1, 1, 0, 2, 1, 1, 1, 2},
                                         gb::kernels::ConvAlgo::direct);
  ASSERT_EQ(fast.shape(), acc.shape());
  const std::vector<double> av = acc.to_vector(), got = fast.to_vector();
  const std::int64_t pixels = acc.size(2) * acc.size(3);
  for (std::size_t i = 0; i < av.size(); ++i) {
    const std::size_t m = (i / static_cast<std::size_t>(pixels)) % 6;
    const float mult = (static_cast<float>(x_scale) * static_cast<float>(w_scale[m])) / static_cast<float>(y_scale);
    EXPECT_EQ(got[i], std::clamp(std::nearbyint(av[i] * mult) + y_zero, -128.0, 127.0)) << "at " << i;
  }
}

TEST(OnnxQuantOps, QLinearOpsRejectBadInputs) {
  const Tensor a = random_codes({2, 4}, DType::u8, 1);
  const Tensor s = scalar(0.1), zu = scalar(0, DType::u8);
  auto mm = [&](const Tensor& b, const Tensor& b_zero, const Tensor& y_zero) {
    return [=] { run_op("QLinearMatMul", a, {s, zu, b, s, b_zero, s, y_zero}); };
  };
  expect_rejected(mm(random_codes({3, 3}, DType::u8, 2), zu, zu), false);                         // K 4 vs 3
  expect_rejected(mm(random_codes({4, 3}, DType::u8, 2), scalar(0, DType::i8), zu), false);       // zero point dtype
  expect_rejected(mm(random_codes({4, 3}, DType::u8, 2), vals({0, 0}, {2}, DType::u8), zu), false);  // 2 zero points, 3 columns
  expect_rejected(mm(random_codes({4, 3}, DType::i32, 2), scalar(0, DType::i32), zu), true);      // int32 codes
  const Tensor x = random_codes({1, 2, 5, 5}, DType::u8, 3);
  auto conv = [&](const Tensor& w, const Tensor& w_scale, const Tensor& bias) {
    return [=] { run_op("QLinearConv", x, {s, zu, w, w_scale, vals(std::vector<double>(static_cast<std::size_t>(w_scale.numel()), 0), w_scale.shape(), DType::i8), s, zu, bias}); };
  };
  const Tensor w = random_codes({3, 2, 3, 3}, DType::i8, 4);
  expect_rejected(conv(w, vals({1, 1}, {2}), vals({0, 0, 0}, {3}, DType::i32)), false);              // 2 scales for 3 filters
  expect_rejected(conv(w, s, vals({0, 0, 0}, {3}, DType::f32)), false);                              // float bias
  expect_rejected(conv(random_codes({3, 3, 3, 3}, DType::i8, 5), s, vals({0, 0, 0}, {3}, DType::i32)), false);  // C 2 vs 3
}
