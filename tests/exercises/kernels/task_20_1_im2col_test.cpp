// Exercise kernels.conv.im2col_index (lesson 20-convolution-and-im2col): im2col in
// lib/kernels/src/conv_im2col.cpp. Row r = (i*KH + kh)*KW + kw of the column matrix is one tap of one
// channel; column p = oh*OW + ow is one output pixel; the value is
//   x[i, oh*sh - pad_top + kh*dh, ow*sw - pad_left + kw*dw]   (0 when that falls in the padding)
// Then conv2d(im2col) is one GEMM: W [OC x ICg*KH*KW] times col.
//
// Run only this exercise:  kernels_exercise_tests --gtest_filter='Task_20_1_Im2ColIndex.*'
#include <gtest/gtest.h>

#include "conv_test_helpers.hpp"

using namespace gb_conv_test;

TEST(Task_20_1_Im2ColIndex, LessonExampleNoPadding) {
  // One 4x4 channel holding 0..15, a 3x3 kernel: 2x2 outputs, 9 rows of 4 columns.
  std::vector<float> x(16), col(9 * 4, -1.0f);
  for (int i = 0; i < 16; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>(i);
  const kn::ConvShape s = kn::conv_shape({1, 1, 4, 4}, {1, 1, 3, 3}, kn::Conv2dParams{});
  kn::im2col(x.data(), s, col.data());
  // Row 0 = tap (0, 0): the top-left value of each window; row 4 = tap (1, 1): the centres.
  EXPECT_EQ(std::vector<float>(col.begin(), col.begin() + 4), (std::vector<float>{0, 1, 4, 5}));
  EXPECT_EQ(std::vector<float>(col.begin() + 16, col.begin() + 20), (std::vector<float>{5, 6, 9, 10}));
  EXPECT_EQ(std::vector<float>(col.begin() + 32, col.end()), (std::vector<float>{10, 11, 14, 15}));
}

TEST(Task_20_1_Im2ColIndex, PaddingReadsAsZero) {
  std::vector<float> x(4, 1.0f), col(9 * 4, -1.0f);  // 2x2 ones, 3x3 kernel, padding 1: 2x2 outputs
  const kn::ConvShape s = kn::conv_shape({1, 1, 2, 2}, {1, 1, 3, 3}, kn::Conv2dParams::square(1, 1));
  kn::im2col(x.data(), s, col.data());
  // Tap (0, 0) lies in the padding for every output pixel except (1, 1).
  EXPECT_EQ(std::vector<float>(col.begin(), col.begin() + 4), (std::vector<float>{0, 0, 0, 1}));
  float sum = 0;
  for (float v : col) sum += v;
  EXPECT_EQ(sum, 16.0f);  // every output window holds all 4 ones: no -1 left, no value twice
}

TEST(Task_20_1_Im2ColIndex, StrideDilationAsymmetricPaddingAndChannels) {
  gb::Rng rng(9);
  const kn::Conv2dParams p{2, 1, 1, 0, 2, 1, 1, 2, 1};
  const kn::ConvShape s = kn::conv_shape({1, 2, 6, 7}, {1, 2, 3, 2}, p);
  std::vector<float> x(2 * 6 * 7), col(static_cast<std::size_t>(2 * 3 * 2 * s.out_h * s.out_w), -1.0f);
  for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
  kn::im2col(x.data(), s, col.data());
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t kh = 0; kh < 3; ++kh)
      for (std::int64_t kw = 0; kw < 2; ++kw)
        for (std::int64_t oh = 0; oh < s.out_h; ++oh)
          for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
            const std::int64_t ih = oh * 2 - 1 + kh, iw = ow * 1 - 0 + kw * 2;
            const float expected = ih >= 0 && ih < 6 && iw >= 0 && iw < 7 ? x[static_cast<std::size_t>((i * 6 + ih) * 7 + iw)] : 0.0f;
            ASSERT_EQ(col[static_cast<std::size_t>((((i * 3 + kh) * 2 + kw) * s.out_h + oh) * s.out_w + ow)], expected)
                << "channel " << i << " tap (" << kh << ", " << kw << ") pixel (" << oh << ", " << ow << ")";
          }
}

// conv2d(im2col) fills its column matrix with im2col_rows (each row split once into padding and an
// inside run), not with the exercise's im2col: this check passes in the student kit too, so it is not
// in the task's suite.
TEST(Im2ColEngine, ConvolutionEqualsDirect) {
  gb::Rng rng(10);
  for (int i = 0; i < 10; ++i) check_against_direct(kn::ConvAlgo::im2col, random_case(rng, false), 300 + static_cast<std::uint64_t>(i));
}
