// conv_winograd_test.cpp: Winograd's matrices against the lesson's 1-D example and direct
// correlation, its fp32 error on a ResNet-like layer (printed: the README quotes it), and the
// multiplication counter of the lesson 21 recording (16 vs 36, 36 vs 144).
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "conv_test_helpers.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/winograd.hpp"

using namespace gb_conv_test;

TEST(Winograd, OneDLessonExample) {
  std::int64_t mults = 0;
  const std::vector<float> y = kn::winograd_1d(2, {1, 2, 3, 4}, {1, 0, -1}, &mults);
  ASSERT_EQ(y.size(), 2u);
  EXPECT_FLOAT_EQ(y[0], -2.0f);
  EXPECT_FLOAT_EQ(y[1], -2.0f);
  EXPECT_EQ(mults, 4);  // instead of 2 * 3 = 6
}

TEST(Winograd, OneDF43MatchesDirectCorrelation) {
  gb::Rng rng(4);
  for (std::int64_t m : {2, 4}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> d(static_cast<std::size_t>(m + 2)), g(3);
      for (float& v : d) v = static_cast<float>(rng.uniform(-2, 2));
      for (float& v : g) v = static_cast<float>(rng.uniform(-2, 2));
      std::int64_t mults = 0;
      const std::vector<float> y = kn::winograd_1d(m, d, g, &mults);
      EXPECT_EQ(mults, m + 2);
      for (std::int64_t i = 0; i < m; ++i) {
        const float expected = d[static_cast<std::size_t>(i)] * g[0] + d[static_cast<std::size_t>(i + 1)] * g[1] +
                               d[static_cast<std::size_t>(i + 2)] * g[2];
        EXPECT_NEAR(y[static_cast<std::size_t>(i)], expected, 1e-5) << "m = " << m;
      }
    }
  }
  EXPECT_THROW(kn::winograd_1d(3, {1, 2, 3, 4, 5}, {1, 2, 3}), gb::Error);
  EXPECT_THROW(kn::winograd_1d(2, {1, 2, 3}, {1, 2, 3}), gb::Error);
}

TEST(Winograd, MatricesOfLessonsMd) {
  const kn::WinogradMatrices& f2 = kn::winograd_matrices(2);
  EXPECT_EQ(f2.bt, (std::vector<float>{1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1}));
  EXPECT_EQ(f2.g, (std::vector<float>{1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0, 0, 1}));
  EXPECT_EQ(f2.at, (std::vector<float>{1, 1, 1, 0, 0, 1, -1, -1}));
  EXPECT_EQ(kn::winograd_matrices(4).alpha, 6);
  EXPECT_THROW(kn::winograd_matrices(3), gb::Error);
}

// The fp32 error of both variants on a ResNet-like layer against a double-precision direct
// convolution (inputs uniform in [-1, 1], weights scaled by 1/sqrt(fan-in) as after He init).
TEST(Winograd, Fp32MaxErrorIsReported) {
  const gb::Shape xs{1, 64, 28, 28}, ws{64, 64, 3, 3};
  gb::Rng rng(5);
  const gb::Tensor x = rng.uniform(xs, -1, 1), w = rng.uniform(ws, -1.0 / 24, 1.0 / 24);
  const kn::Conv2dParams p = kn::Conv2dParams::square(1, 1);
  const gb::Tensor ref = kn::conv2d(x.to(gb::DType::f64).to(gb::DType::f32), w, gb::Tensor(), p, kn::ConvAlgo::direct);
  // A double-precision reference, to tell each algorithm's own rounding apart.
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector();
  std::vector<double> exact(static_cast<std::size_t>(64 * 28 * 28), 0.0);
  for (int o = 0; o < 64; ++o)
    for (int i = 0; i < 64; ++i)
      for (int kh = 0; kh < 3; ++kh)
        for (int kw = 0; kw < 3; ++kw) {
          const double wt = wv[static_cast<std::size_t>(((o * 64 + i) * 3 + kh) * 3 + kw)];
          for (int oh = 0; oh < 28; ++oh) {
            const int ih = oh - 1 + kh;
            if (ih < 0 || ih >= 28) continue;
            for (int ow = 0; ow < 28; ++ow) {
              const int iw = ow - 1 + kw;
              if (iw < 0 || iw >= 28) continue;
              exact[static_cast<std::size_t>((o * 28 + oh) * 28 + ow)] += wt * xv[static_cast<std::size_t>((i * 28 + ih) * 28 + iw)];
            }
          }
        }
  auto err = [&](const gb::Tensor& y) {
    const std::vector<double> v = y.to_vector();
    double m = 0;
    for (std::size_t i = 0; i < v.size(); ++i) m = std::max(m, std::fabs(v[i] - exact[i]));
    return m;
  };
  const double e_direct = err(ref);
  const double e2 = err(kn::conv2d(x, w, gb::Tensor(), p, kn::ConvAlgo::winograd_2x2));
  const double e4 = err(kn::conv2d(x, w, gb::Tensor(), p, kn::ConvAlgo::winograd_4x4));
  std::cout << "[ fp32 max abs error vs f64, 28x28x64->64 3x3 ] direct " << e_direct << ", winograd F(2x2,3x3) " << e2 << ", winograd F(4x4,3x3) " << e4 << "\n";
  RecordProperty("winograd_2x2_max_error", std::to_string(e2));
  RecordProperty("winograd_4x4_max_error", std::to_string(e4));
  EXPECT_LT(e2, 1e-5);
  EXPECT_LT(e4, 1e-4);
  EXPECT_GE(e4, e2 * 0.5);  // F(4x4) is not more accurate: larger constants in its transforms
}

TEST(WinogradRecording, CountsSixteenVsThirtySixAndThirtySixVsOneFortyFour) {
  for (std::int64_t m : {2, 4}) {
    gb::trace::Recorder rec("21-winograd", "tile");
    const kn::WinogradTileCount c = kn::record_winograd_tile(rec, m);
    EXPECT_EQ(c.winograd, (m + 2) * (m + 2));
    EXPECT_EQ(c.direct, m * m * 9);
    EXPECT_LT(c.max_abs_diff, 1e-4);
    const gb::trace::Scene* table = rec.recording().find_scene("count");
    ASSERT_NE(table, nullptr);
    std::vector<std::vector<std::string>> rows;
    for (const gb::trace::Step& s : rec.recording().steps)
      for (const gb::trace::Change& ch : s.changes)
        if (ch.kind == gb::trace::ChangeKind::add_row && ch.scene == "count") rows.push_back(ch.row);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][1], m == 2 ? "16" : "36");
    EXPECT_EQ(rows[1][1], m == 2 ? "36" : "144");
  }
  gb::trace::Recorder rec("21-winograd", "tile");
  EXPECT_THROW(kn::record_winograd_tile(rec, 3), gb::Error);
}
