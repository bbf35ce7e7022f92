// functional_test.cpp: the differentiable layer functions of gb::nn (functional.hpp): values against
// formulas written out here, gradients against central differences or an independent reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gb/kernels/pool.hpp"
#include "gb/nn/functional.hpp"
#include "layer_test_helpers.hpp"

using namespace gb_nn_test;
namespace nn = gb::nn;
namespace kn = gb::kernels;
using gb::DType;

// --- linear ------------------------------------------------------------------------------------------

// y = x W^T + b and its three adjoints for the seed G, written as loops in double.
struct LinearReference {
  std::vector<double> y, dx, dw, db;
};
LinearReference linear_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& g) {
  const std::int64_t n = x.size(0), in = x.size(1), out = w.size(0);
  LinearReference r{std::vector<double>(static_cast<std::size_t>(n * out)), std::vector<double>(static_cast<std::size_t>(n * in)),
                    std::vector<double>(static_cast<std::size_t>(out * in)), std::vector<double>(static_cast<std::size_t>(out))};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t o = 0; o < out; ++o) {
      double acc = b.defined() ? b.at({o}) : 0.0;
      for (std::int64_t k = 0; k < in; ++k) {
        acc += x.at({i, k}) * w.at({o, k});
        r.dx[static_cast<std::size_t>(i * in + k)] += g.at({i, o}) * w.at({o, k});
        r.dw[static_cast<std::size_t>(o * in + k)] += g.at({i, o}) * x.at({i, k});
      }
      r.y[static_cast<std::size_t>(i * out + o)] = acc;
      r.db[static_cast<std::size_t>(o)] += g.at({i, o});
    }
  return r;
}

TEST(Linear, F32ValueAndGradientsMatchTheFormulas) {
  gb::Rng rng(1);
  for (auto [n, in, out] : {std::array<std::int64_t, 3>{1, 1, 1}, {5, 7, 3}, {64, 128, 10}, {33, 17, 29}}) {
    const Tensor x = random(rng, {n, in}), w = random(rng, {out, in}), b = random(rng, {out}), g = random(rng, {n, out});
    const LinearReference ref = linear_reference(x, w, b, g);
    Variable xv(x, true), wv(w, true), bv(b, true);
    Variable y = nn::linear(xv, wv, bv);
    ASSERT_EQ(y.shape(), (Shape{n, out}));
    expect_close(y.value().to_vector(), ref.y, 1e-4, 1e-4, "y");
    y.backward(g);
    expect_close(xv.grad().value().to_vector(), ref.dx, 1e-4, 1e-4, "dx");
    expect_close(wv.grad().value().to_vector(), ref.dw, 1e-4, 1e-4, "dw");
    expect_close(bv.grad().value().to_vector(), ref.db, 1e-4, 1e-4, "db");
  }
}

TEST(Linear, NonContiguousInputsAndNoBias) {
  gb::Rng rng(2);
  const Tensor x_big = random(rng, {6, 8}), w_t = random(rng, {5, 4});
  const Tensor x = x_big.slice(0, 0, 6, 2).slice(1, 1, 6), w = w_t.transpose();  // [3, 5] strided, [4, 5]
  const Tensor g = random(rng, {3, 4});
  const LinearReference ref = linear_reference(x, w, Tensor(), g);
  Variable xv(x, true), wv(w, true);
  Variable y = nn::linear(xv, wv, Variable());
  expect_close(y.value().to_vector(), ref.y, 1e-5, 1e-5, "y");
  y.backward(g);
  expect_close(xv.grad().value().to_vector(), ref.dx, 1e-5, 1e-5, "dx");
  expect_close(wv.grad().value().to_vector(), ref.dw, 1e-5, 1e-5, "dw");
}

TEST(Linear, F64AndBatchAxesMatchCentralDifferences) {
  gb::Rng rng(3);
  const Tensor seed = random(rng, {2, 3, 4}, DType::f64);
  ScalarFunction f = [&](const std::vector<Variable>& v) { return weighted_sum(nn::linear(v[0], v[1], v[2]), seed); };
  expect_gradients_match(f, {random(rng, {2, 3, 5}, DType::f64), random(rng, {4, 5}, DType::f64), random(rng, {4}, DType::f64)},
                         1e-6, 1e-8, 1e-6, "linear f64 [2, 3, 5]");
  const Tensor seed2 = random(rng, {3, 4});
  ScalarFunction f32 = [&](const std::vector<Variable>& v) { return weighted_sum(nn::linear(v[0], v[1], v[2]), seed2); };
  expect_gradients_match(f32, {random(rng, {3, 5}), random(rng, {4, 5}), random(rng, {4})}, 0.25, 2e-3, 2e-3, "linear f32");
}

TEST(Linear, SecondDerivativesEqualTheCompositeOfAutodiffOps) {
  // Under create_graph the VJP is recorded, so a gradient of a gradient exists; it must equal the one
  // of x W^T + b written with matmul/transpose/add (whose Hessians lib/autodiff tests).
  gb::Rng rng(4);
  const Tensor x0 = random(rng, {3, 4}), w0 = random(rng, {2, 4}), b0 = random(rng, {2});
  auto second = [&](bool composite) {
    Variable x(x0.clone(), true), w(w0.clone(), true), b(b0.clone(), true);
    Variable y = composite ? ad::add(ad::matmul(x, ad::transpose(w)), b) : nn::linear(x, w, b);
    Variable loss = ad::sum(ad::mul(ad::tanh(y), y));
    Variable gw = ad::grad(loss, {w}, Tensor(), {true, true})[0];
    return ad::grad(ad::sum(ad::mul(gw, gw)), {x, b})[0].value().to_vector();
  };
  expect_close(second(false), second(true), 1e-5, 1e-4, "d/dx |dL/dW|^2");
}

TEST(Linear, BadInputsNameWhatWasExpected) {
  gb::Rng rng(5);
  const Variable w(random(rng, {10, 64})), b(random(rng, {10}));
  EXPECT_ERROR(nn::linear(Variable(random(rng, {4, 63})), w, b), "linear", "[N, 64]", "[4, 63]");
  EXPECT_ERROR(nn::linear(Variable(random(rng, {4, 64})), Variable(random(rng, {64})), b), "linear", "[out_features, in_features]");
  EXPECT_ERROR(nn::linear(Variable(random(rng, {4, 0})), Variable(random(rng, {3, 0})), Variable()), "linear", ">= 1", "[3, 0]");
  EXPECT_EQ(nn::linear(Variable(random(rng, {0, 64})), w, b).shape(), (Shape{0, 10}));  // an empty batch is fine
  EXPECT_ERROR(nn::linear(Variable(random(rng, {4, 64})), w, Variable(random(rng, {9}))), "linear", "[10]", "[9]");
  EXPECT_ERROR(nn::linear(Variable(random(rng, {4, 64}, DType::f64)), w, b), "linear", "same dtype", "f64");
  EXPECT_ERROR(nn::linear(Variable(Tensor::zeros({4, 64}, DType::i32)), w, b), "linear", "f32 or f64", "i32");
  EXPECT_ERROR(nn::linear(Variable(), w, b), "linear", "undefined");
}

// --- conv2d ------------------------------------------------------------------------------------------

// The convolution and its adjoints as the seven loops of the formula, in double.
struct ConvReference {
  Shape y_shape;
  std::vector<double> y, dx, dw, db;
};
ConvReference conv_reference(const Tensor& x, const Tensor& w, const Tensor& b, const kn::Conv2dParams& p,
                             const Tensor& g) {
  const std::int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const std::int64_t oc = w.size(0), icg = w.size(1), kh = w.size(2), kw = w.size(3), ocg = oc / p.groups;
  const std::int64_t oh = (h + p.pad_top + p.pad_bottom - p.dilation_h * (kh - 1) - 1) / p.stride_h + 1;
  const std::int64_t ow = (wd + p.pad_left + p.pad_right - p.dilation_w * (kw - 1) - 1) / p.stride_w + 1;
  ConvReference r{{n, oc, oh, ow}, std::vector<double>(static_cast<std::size_t>(n * oc * oh * ow)),
                  std::vector<double>(static_cast<std::size_t>(x.numel())), std::vector<double>(static_cast<std::size_t>(w.numel())),
                  std::vector<double>(static_cast<std::size_t>(oc))};
  const std::vector<double> xs = x.to_vector(), ws = w.to_vector();
  const std::vector<double> gs = g.defined() ? g.to_vector() : std::vector<double>(r.y.size(), 0.0);
  for (std::int64_t in = 0; in < n; ++in)
    for (std::int64_t o = 0; o < oc; ++o)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          const auto yi = static_cast<std::size_t>(((in * oc + o) * oh + i) * ow + j);
          double acc = b.defined() ? b.at({o}) : 0.0;
          for (std::int64_t ci = 0; ci < icg; ++ci)
            for (std::int64_t a = 0; a < kh; ++a)
              for (std::int64_t bb = 0; bb < kw; ++bb) {
                const std::int64_t ih = i * p.stride_h - p.pad_top + a * p.dilation_h;
                const std::int64_t iw = j * p.stride_w - p.pad_left + bb * p.dilation_w;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const auto xi = static_cast<std::size_t>(((in * c + (o / ocg) * icg + ci) * h + ih) * wd + iw);
                const auto wi = static_cast<std::size_t>(((o * icg + ci) * kh + a) * kw + bb);
                acc += xs[xi] * ws[wi];
                r.dx[xi] += gs[yi] * ws[wi];
                r.dw[wi] += gs[yi] * xs[xi];
              }
          r.y[yi] = acc;
          r.db[static_cast<std::size_t>(o)] += gs[yi];
        }
  return r;
}

struct ConvCase {
  const char* name;
  Shape x, w;
  kn::Conv2dParams p;
  bool bias;
};

// Every parameter on its own and together: stride, asymmetric padding, dilation, groups, depthwise,
// no bias, non-square kernels, 1x1, a batch large enough for several images per GEMM.
const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {"plain 3x3", {2, 3, 6, 7}, {4, 3, 3, 3}, {}, true},
      {"padding 1 (the digits CNN)", {4, 1, 8, 8}, {16, 1, 3, 3}, kn::Conv2dParams::square(1, 1), true},
      {"16 -> 32 on 4x4", {3, 16, 4, 4}, {32, 16, 3, 3}, kn::Conv2dParams::square(1, 1), true},
      {"16 -> 32 on 4x4, batch 16 (forward by Winograd)", {16, 16, 4, 4}, {32, 16, 3, 3}, kn::Conv2dParams::square(1, 1), true},
      {"stride 2", {2, 2, 9, 8}, {3, 2, 3, 3}, kn::Conv2dParams::square(2, 0), true},
      {"stride 2x3, asymmetric padding", {1, 2, 7, 9}, {2, 2, 3, 2}, {2, 3, 1, 0, 2, 1, 1, 1, 1}, true},
      {"dilation 2", {2, 2, 9, 9}, {3, 2, 3, 3}, kn::Conv2dParams::square(1, 2, 2), true},
      {"dilation 1x3 with padding", {1, 3, 6, 10}, {2, 3, 2, 3}, {1, 1, 1, 2, 0, 1, 1, 3, 1}, false},
      {"groups 2", {2, 4, 6, 6}, {6, 2, 3, 3}, kn::Conv2dParams::square(1, 1, 1, 2), true},
      {"groups 3, stride 2, no bias", {2, 6, 7, 7}, {3, 2, 3, 3}, kn::Conv2dParams::square(2, 1, 1, 3), false},
      {"depthwise", {2, 4, 7, 6}, {4, 1, 3, 3}, kn::Conv2dParams::square(1, 1, 1, 4), true},
      {"depthwise multiplier 2", {1, 3, 5, 5}, {6, 1, 3, 3}, kn::Conv2dParams::square(2, 1, 1, 3), true},
      {"1x1", {3, 5, 4, 3}, {7, 5, 1, 1}, {}, true},
      {"kernel as large as the input", {2, 2, 3, 3}, {2, 2, 3, 3}, {}, true},
      {"padding wider than the kernel", {1, 1, 2, 2}, {1, 1, 2, 2}, kn::Conv2dParams::square(1, 3), true},
  };
  return cases;
}

TEST(Conv2d, ValuesAndGradientsMatchTheFormulaForEveryParameter) {
  gb::Rng rng(10);
  for (const ConvCase& c : conv_cases()) {
    const Tensor x = random(rng, c.x), w = random(rng, c.w), b = c.bias ? random(rng, {c.w[0]}) : Tensor();
    Variable xv(x, true), wv(w, true), bv = c.bias ? Variable(b, true) : Variable();
    Variable y = nn::conv2d(xv, wv, bv, c.p);
    const Tensor g = random(rng, y.shape());
    const ConvReference ref = conv_reference(x, w, b, c.p, g);
    ASSERT_EQ(y.shape(), ref.y_shape) << c.name;
    expect_close(y.value().to_vector(), ref.y, 1e-4, 1e-4, std::string(c.name) + ": y");
    y.backward(g);
    expect_close(xv.grad().value().to_vector(), ref.dx, 1e-4, 1e-4, std::string(c.name) + ": dx");
    expect_close(wv.grad().value().to_vector(), ref.dw, 1e-4, 1e-4, std::string(c.name) + ": dw");
    if (c.bias) expect_close(bv.grad().value().to_vector(), ref.db, 1e-4, 1e-4, std::string(c.name) + ": db");
  }
}

TEST(Conv2d, ManyImagesPerGemmAndOnlyTheGradientsAskedFor) {
  // A batch of 40: the backward pass puts many images side by side in one GEMM; the input does not
  // require grad (a first layer), so dx is skipped and dW must still be complete.
  gb::Rng rng(11);
  const Tensor x = random(rng, {40, 3, 5, 5}), w = random(rng, {4, 3, 3, 3}), b = random(rng, {4});
  Variable wv(w, true), bv(b, true);
  Variable y = nn::conv2d(Variable(x), wv, bv, kn::Conv2dParams::square(1, 1));
  const Tensor g = random(rng, y.shape());
  const ConvReference ref = conv_reference(x, w, b, kn::Conv2dParams::square(1, 1), g);
  y.backward(g);
  expect_close(wv.grad().value().to_vector(), ref.dw, 1e-3, 1e-4, "dw");
  expect_close(bv.grad().value().to_vector(), ref.db, 1e-3, 1e-4, "db");
}

TEST(Conv2d, GradientsMatchCentralDifferences) {
  // Independent of the reference above: the convolution is linear in x and in w, so central
  // differences are exact up to float rounding even with a large step.
  gb::Rng rng(12);
  const kn::Conv2dParams p{2, 1, 1, 0, 1, 2, 1, 2, 1};
  const Tensor seed = random(rng, {2, 4, 3, 6});  // OH = (5 + 2 - 3) / 2 + 1, OW = (6 + 2 - 3) / 1 + 1
  ScalarFunction f = [&](const std::vector<Variable>& v) { return weighted_sum(nn::conv2d(v[0], v[1], v[2], p), seed); };
  expect_gradients_match(f, {random(rng, {2, 2, 5, 6}), random(rng, {4, 2, 3, 2}), random(rng, {4})}, 0.5, 1e-3, 1e-3,
                         "conv2d");
}

TEST(Conv2d, CreateGraphIsAnErrorNamingIt) {
  gb::Rng rng(13);
  Variable x(random(rng, {1, 1, 4, 4}), true), w(random(rng, {1, 1, 3, 3}), true);
  Variable loss = ad::sum(ad::mul(nn::conv2d(x, w, Variable(), {}), nn::conv2d(x, w, Variable(), {})));
  EXPECT_ERROR(ad::grad(loss, {w}, Tensor(), {true, true}), "conv2d backward", "create_graph");
}

TEST(Conv2d, BadInputsNameWhatWasExpected) {
  gb::Rng rng(14);
  const Variable w(random(rng, {4, 3, 3, 3}));
  EXPECT_ERROR(nn::conv2d(Variable(random(rng, {1, 3, 5, 5}, DType::f64)), w, Variable(), {}), "conv2d", "f32", "f64");
  EXPECT_ERROR(nn::conv2d(Variable(random(rng, {1, 2, 5, 5})), w, Variable(), {}), "conv2d", "[1, 2, 5, 5]");
  EXPECT_ERROR(nn::conv2d(Variable(random(rng, {3, 5, 5})), w, Variable(), {}), "conv2d", "[N, C, H, W]");
  EXPECT_ERROR(nn::conv2d(Variable(random(rng, {1, 3, 5, 5})), w, Variable(random(rng, {3})), {}), "conv2d", "[4]");
  EXPECT_ERROR(nn::conv2d(Variable(random(rng, {1, 3, 2, 2})), w, Variable(), {}), "conv2d", "kernel");
  EXPECT_ERROR(nn::conv2d(Variable(random(rng, {1, 3, 5, 5})), w, Variable(), kn::Conv2dParams::square(1, 0, 1, 2)),
               "conv2d", "groups");
}

// --- pooling -----------------------------------------------------------------------------------------

struct PoolCase {
  const char* name;
  Shape x;
  kn::Pool2dParams p;
};

kn::Pool2dParams pool(std::int64_t kh, std::int64_t kw, std::int64_t sh, std::int64_t sw, std::int64_t ph, std::int64_t pw,
                      std::int64_t dh = 1, std::int64_t dw = 1, bool ceil = false, bool include_pad = true) {
  kn::Pool2dParams p;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_h = ph;
  p.pad_w = pw;
  p.dilation_h = dh;
  p.dilation_w = dw;
  p.ceil_mode = ceil;
  p.count_include_pad = include_pad;
  return p;
}

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases = {
      {"2x2 (the digits CNN)", {3, 4, 8, 8}, kn::Pool2dParams::square(2)},
      {"3x3 stride 1: overlapping windows", {2, 2, 6, 5}, pool(3, 3, 1, 1, 0, 0)},
      {"3x3 stride 2 padding 1", {1, 3, 7, 7}, pool(3, 3, 2, 2, 1, 1)},
      {"ceil_mode", {2, 1, 7, 6}, pool(2, 2, 2, 2, 0, 0, 1, 1, true)},
      {"ceil_mode with padding", {1, 2, 6, 7}, pool(3, 3, 2, 2, 1, 1, 1, 1, true)},
      {"2x3 kernel stride 2x1 padding 1x1", {2, 2, 5, 6}, pool(2, 3, 2, 1, 1, 1)},
      {"odd size, no ceil", {1, 1, 5, 5}, kn::Pool2dParams::square(2)},
  };
  return cases;
}

TEST(MaxPool2d, ValuesEqualTheKernelsLibrary) {
  gb::Rng rng(20);
  std::vector<PoolCase> cases = pool_cases();
  cases.push_back({"dilation 2", {2, 2, 8, 9}, pool(3, 2, 1, 2, 1, 1, 2, 2)});
  cases.push_back({"dilation with ceil_mode", {1, 1, 9, 9}, pool(2, 2, 2, 2, 1, 1, 3, 2, true)});
  for (const PoolCase& c : cases) {
    const Tensor x = random(rng, c.x);
    const std::vector<double> expected = kn::max_pool2d(x, c.p).to_vector();
    EXPECT_EQ(nn::max_pool2d(Variable(x), c.p).value().to_vector(), expected) << c.name;
  }
}

TEST(MaxPool2d, TheAdjointGoesToTheWinnerOfEachWindow) {
  gb::Rng rng(21);
  std::vector<PoolCase> cases = pool_cases();
  cases.push_back({"dilation 2", {2, 2, 8, 9}, pool(3, 2, 1, 2, 1, 1, 2, 2)});
  for (const PoolCase& c : cases) {
    const Tensor seed_shape_probe = nn::max_pool2d(Variable(Tensor::zeros(c.x)), c.p).value();
    const Tensor seed = random(rng, seed_shape_probe.shape());
    ScalarFunction f = [&](const std::vector<Variable>& v) { return weighted_sum(nn::max_pool2d(v[0], c.p), seed); };
    // Distinct values at least 0.05 apart, step 0.01: no window changes its winner within a step.
    expect_gradients_match(f, {distinct(rng, c.x)}, 0.01, 1e-3, 1e-3, c.name);
  }
}

TEST(MaxPool2d, TiesGoToTheFirstMaximumAsInPyTorch) {
  // One 2x3 window of equal values, then a window where the max appears at (0, 1) and (1, 0).
  Variable x(Tensor::from_values({1, 1, 1, 0, 5, 1, 1, 1, 1, 5, 0, 2}, {1, 1, 2, 6}), true);
  Variable y = nn::max_pool2d(x, pool(2, 3, 2, 3, 0, 0));
  EXPECT_EQ(y.value().to_vector(), (std::vector<double>{1, 5}));
  y.backward(Tensor::from_values({10, 20}, {1, 1, 1, 2}));
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{10, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MaxPool2d, OverlappingWindowsAddTheirAdjointsAndNaNWins) {
  // 3 windows of width 2, stride 1 over [0, 9, 1, 2]: 9 wins the first two windows.
  Variable x(Tensor::from_values({0, 9, 1, 2}, {1, 1, 1, 4}), true);
  Variable y = nn::max_pool2d(x, pool(1, 2, 1, 1, 0, 0));
  y.backward(Tensor::from_values({1, 10, 100}, {1, 1, 1, 3}));
  EXPECT_EQ(x.grad().value().to_vector(), (std::vector<double>{0, 11, 0, 100}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Variable z(Tensor::from_values({1, nan, 3, 4}, {1, 1, 2, 2}), true);
  Variable m = nn::max_pool2d(z, kn::Pool2dParams::square(2));
  EXPECT_TRUE(std::isnan(m.value().item()));
  m.backward(Tensor::ones({1, 1, 1, 1}));
  EXPECT_EQ(z.grad().value().to_vector(), (std::vector<double>{0, 1, 0, 0}));
}

TEST(AvgPool2d, GradientsMatchCentralDifferencesBothWaysOfCounting) {
  gb::Rng rng(22);
  for (bool include_pad : {true, false}) {
    for (PoolCase c : pool_cases()) {
      c.p.count_include_pad = include_pad;
      const Tensor seed = random(rng, kn::avg_pool2d(Tensor::zeros(c.x), c.p).shape());
      ScalarFunction f = [&](const std::vector<Variable>& v) { return weighted_sum(nn::avg_pool2d(v[0], c.p), seed); };
      expect_gradients_match(f, {random(rng, c.x)}, 0.5, 1e-4, 1e-3, std::string(c.name) + (include_pad ? " (incl. pad)" : ""));
      EXPECT_EQ(nn::avg_pool2d(Variable(Tensor::ones(c.x)), c.p).shape(), seed.shape());
    }
  }
}

TEST(AvgPool2d, PaddingCountsInTheDivisorOnlyWithCountIncludePad) {
  // A 2x2 input of ones, 3x3 windows with padding 1: 4 real values in a 9-cell window.
  const kn::Pool2dParams with = pool(3, 3, 1, 1, 1, 1), without = pool(3, 3, 1, 1, 1, 1, 1, 1, false, false);
  Variable x(Tensor::ones({1, 1, 2, 2}), true);
  nn::avg_pool2d(x, with).backward(Tensor::ones({1, 1, 2, 2}));
  expect_close(x.grad().value().to_vector(), std::vector<double>(4, 4.0 / 9.0), 1e-6, 0, "dx");  // in 4 windows each
  x.zero_grad();
  EXPECT_EQ(nn::avg_pool2d(x, without).value().to_vector(), std::vector<double>(4, 1.0));
  nn::avg_pool2d(x, without).backward(Tensor::ones({1, 1, 2, 2}));
  EXPECT_EQ(x.grad().value().to_vector(), std::vector<double>(4, 1.0));
}

TEST(Pooling, BadInputsNameWhatWasExpected) {
  EXPECT_ERROR(nn::max_pool2d(Variable(Tensor::zeros({1, 1, 4, 4}, DType::f64)), kn::Pool2dParams::square(2)),
               "max_pool2d", "f32", "f64");
  EXPECT_ERROR(nn::max_pool2d(Variable(Tensor::zeros({1, 4, 4})), kn::Pool2dParams::square(2)), "max_pool2d", "[N, C, H, W]");
  EXPECT_ERROR(nn::max_pool2d(Variable(Tensor::zeros({1, 1, 4, 4})), pool(2, 2, 2, 2, 2, 0)), "max_pool2d", "padding");
  EXPECT_ERROR(nn::max_pool2d(Variable(Tensor::zeros({1, 1, 4, 4})), pool(0, 2, 1, 1, 0, 0)), "max_pool2d", "kernel");
  EXPECT_ERROR(nn::max_pool2d(Variable(Tensor::zeros({1, 1, 2, 2})), kn::Pool2dParams::square(3)), "window");
  EXPECT_ERROR(nn::avg_pool2d(Variable(Tensor::zeros({1, 1, 4, 4}, DType::f64)), kn::Pool2dParams::square(2)),
               "avg_pool2d", "f32", "f64");
  EXPECT_ERROR(nn::avg_pool2d(Variable(Tensor::zeros({1, 1, 4, 4})), pool(2, 2, 2, 2, 0, 0, 2, 2)), "avg_pool2d", "dilation");
  Variable x(Tensor::ones({1, 1, 4, 4}), true);
  Variable y = nn::max_pool2d(x, kn::Pool2dParams::square(2));
  Variable loss = ad::sum(ad::mul(y, y));
  EXPECT_ERROR(ad::grad(loss, {x}, Tensor(), {true, true}), "max_pool2d backward", "create_graph");
}

// --- flatten, dropout, accuracy ---------------------------------------------------------------------

TEST(Flatten, KeepsTheBatchAxisAndTheGradientFlowsBack) {
  gb::Rng rng(30);
  Variable x(random(rng, {3, 2, 4, 5}), true);
  Variable y = nn::flatten(x);
  EXPECT_EQ(y.shape(), (Shape{3, 40}));
  EXPECT_EQ(y.value().to_vector(), x.value().to_vector());
  const Tensor g = random(rng, {3, 40});
  y.backward(g);
  EXPECT_EQ(x.grad().shape(), (Shape{3, 2, 4, 5}));
  EXPECT_EQ(x.grad().value().to_vector(), g.to_vector());
  EXPECT_EQ(nn::flatten(Variable(Tensor::zeros({4, 7}))).shape(), (Shape{4, 7}));
  EXPECT_ERROR(nn::flatten(Variable(Tensor::zeros({4}))), "flatten", "[N, d1, ...]", "[4]");
}

TEST(Dropout, TheSameSeedDropsTheSameElementsAndKeptOnesAreScaled) {
  const Tensor x = Tensor::full({50, 40}, 2.0);
  gb::Rng a(7), b(7), c(8);
  const std::vector<double> ya = nn::dropout(Variable(x), 0.3, true, a).value().to_vector();
  EXPECT_EQ(nn::dropout(Variable(x), 0.3, true, b).value().to_vector(), ya);
  EXPECT_NE(nn::dropout(Variable(x), 0.3, true, c).value().to_vector(), ya);
  std::int64_t dropped = 0;
  for (double v : ya) {
    if (v == 0.0) ++dropped;
    else EXPECT_FLOAT_EQ(v, 2.0 / 0.7);  // inverted dropout: 1 / (1 - p)
  }
  EXPECT_NEAR(static_cast<double>(dropped) / 2000.0, 0.3, 0.04);  // binomial: sd = 0.010
}

TEST(Dropout, TheGradientIsTheMaskAndEvalOrZeroIsTheIdentity) {
  gb::Rng rng(9);
  Variable x(random(rng, {6, 7}, DType::f64), true);
  Variable y = nn::dropout(x, 0.5, true, rng);
  y.backward(Tensor::ones({6, 7}, DType::f64));
  const std::vector<double> xs = x.value().to_vector(), ys = y.value().to_vector(), gs = x.grad().value().to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_TRUE(gs[i] == 0.0 || gs[i] == 2.0) << gs[i];
    EXPECT_DOUBLE_EQ(ys[i], xs[i] * gs[i]);
  }
  EXPECT_EQ(nn::dropout(x, 0.5, false, rng).id(), x.id());  // eval: x itself
  EXPECT_EQ(nn::dropout(x, 0.0, true, rng).id(), x.id());
  EXPECT_EQ(nn::dropout(x, 1.0, true, rng).value().to_vector(), std::vector<double>(42, 0.0));
  EXPECT_ERROR(nn::dropout(x, 1.5, true, rng), "dropout", "[0, 1]");
  EXPECT_ERROR(nn::dropout(x, -0.1, true, rng), "dropout", "[0, 1]");
}

TEST(Accuracy, CountsRowsWhoseFirstMaximumIsTheLabel) {
  const Tensor logits = Tensor::from_values({0, 3, 1, 2, 2, 0, 5, 1, 1, 0, 0, 0}, {4, 3});  // argmax 1, 0 (tie), 0, 0
  EXPECT_DOUBLE_EQ(nn::accuracy(logits, Tensor::from_values({1, 0, 0, 2}, {4}, DType::i64)), 0.75);
  EXPECT_DOUBLE_EQ(nn::accuracy(logits, Tensor::from_values({1, 1, 2, 2}, {4}, DType::i64)), 0.25);
  EXPECT_ERROR(nn::accuracy(logits, Tensor::from_values({1, 1, 3, 2}, {4}, DType::i64)), "accuracy", "[0, 3)", "3");
  EXPECT_ERROR(nn::accuracy(logits, Tensor::from_values({1, 1, 2, 2}, {4}, DType::i32)), "accuracy", "i64", "i32");
  EXPECT_ERROR(nn::accuracy(logits, Tensor::from_values({1, 1}, {2}, DType::i64)), "accuracy", "[4]");
  EXPECT_ERROR(nn::accuracy(Tensor::zeros({4}), Tensor::zeros({4}, DType::i64)), "accuracy", "[N, C]");
}
