// Exercise kernels.indirect.buffer (lesson 22-indirect-convolution): build_indirection_buffer in
// lib/kernels/src/indirect.cpp. Entry [pixel * taps + tap], pixel = (n*OH + oh)*OW + ow and
// tap = kh*KW + kw, points at x_nhwc + ((n*H + ih)*W + iw)*C with
//   ih = oh*sh - pad_top + kh*dh,   iw = ow*sw - pad_left + kw*dw,
// or at the shared zero vector when (ih, iw) is in the padding.
//
// Run only this exercise:  kernels_exercise_tests --gtest_filter='Task_22_1_IndirectionBuffer.*'
#include <gtest/gtest.h>

#include "conv_test_helpers.hpp"
#include "gb/kernels/indirect.hpp"

using namespace gb_conv_test;

namespace {
// The entries as input pixel indices (n*H + ih)*W + iw, or -1 for the zero vector.
std::vector<std::int64_t> targets(const kn::ConvShape& s) {
  const std::int64_t pixels = s.batch * s.out_h * s.out_w, taps = s.kernel_h * s.kernel_w;
  std::vector<float> x(static_cast<std::size_t>(s.batch * s.in_h * s.in_w * s.in_channels)), zero(static_cast<std::size_t>(s.in_channels));
  std::vector<const float*> buffer(static_cast<std::size_t>(pixels * taps), nullptr);
  kn::build_indirection_buffer(x.data(), zero.data(), s, buffer.data());
  std::vector<std::int64_t> out;
  for (const float* p : buffer) {
    if (p == zero.data()) {
      out.push_back(-1);
    } else {
      EXPECT_TRUE(p >= x.data() && p < x.data() + x.size());
      if (!(p >= x.data() && p < x.data() + x.size())) return {};
      EXPECT_EQ((p - x.data()) % s.in_channels, 0);
      out.push_back((p - x.data()) / s.in_channels);
    }
  }
  return out;
}
}  // namespace

TEST(Task_22_1_IndirectionBuffer, ThreeByThreeWithPadding) {
  // 3x3 input, 3x3 kernel, padding 1: 9 output pixels x 9 taps. The centre pixel sees all 9 inputs;
  // the corner (0, 0) sees 4 and points 5 times at the zero vector.
  const kn::ConvShape s = kn::conv_shape({1, 2, 3, 3}, {1, 2, 3, 3}, kn::Conv2dParams::square(1, 1));
  const std::vector<std::int64_t> t = targets(s);
  ASSERT_EQ(t.size(), 81u);
  EXPECT_EQ(std::vector<std::int64_t>(t.begin() + 4 * 9, t.begin() + 5 * 9), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(std::vector<std::int64_t>(t.begin(), t.begin() + 9), (std::vector<std::int64_t>{-1, -1, -1, -1, 0, 1, -1, 3, 4}));
}

TEST(Task_22_1_IndirectionBuffer, StrideDilationBatchAndAsymmetricPadding) {
  const kn::Conv2dParams p{2, 1, 0, 2, 1, 0, 1, 2, 1};
  const kn::ConvShape s = kn::conv_shape({2, 3, 5, 4}, {4, 3, 2, 3}, p);
  const std::vector<std::int64_t> t = targets(s);
  ASSERT_EQ(t.size(), static_cast<std::size_t>(2 * s.out_h * s.out_w * 6));
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t oh = 0; oh < s.out_h; ++oh)
      for (std::int64_t ow = 0; ow < s.out_w; ++ow)
        for (std::int64_t kh = 0; kh < 2; ++kh)
          for (std::int64_t kw = 0; kw < 3; ++kw) {
            const std::int64_t ih = oh * 2 + kh, iw = ow - 2 + kw * 2;
            const std::int64_t expected = ih < 5 && iw >= 0 && iw < 4 ? (n * 5 + ih) * 4 + iw : -1;
            ASSERT_EQ(t[static_cast<std::size_t>((((n * s.out_h + oh) * s.out_w + ow) * 2 + kh) * 3 + kw)], expected)
                << "n " << n << " pixel (" << oh << ", " << ow << ") tap (" << kh << ", " << kw << ")";
          }
}

TEST(Task_22_1_IndirectionBuffer, IndirectConvolutionEqualsDirect) {
  gb::Rng rng(15);
  for (int i = 0; i < 10; ++i) check_against_direct(kn::ConvAlgo::indirect, random_case(rng, false), 500 + static_cast<std::uint64_t>(i));
}
