// Exercise kernels.layout.nc4hw4_offset (lesson 18-memory-layout): the offset of element (n, c, h, w)
// in the blocked layout NCHWx (NC4HW4 when x = 4), nchwx_offset in lib/kernels/src/layout.cpp:
//   ((((n * ceil(C/x) + c/x) * H + h) * W + w) * x + c % x
// Channels are cut into blocks of x; the x lanes of one pixel sit side by side; the last block is
// padded when x does not divide C.
//
// Run only this exercise:  kernels_exercise_tests --gtest_filter='Task_18_1_Nc4hw4Offset.*'
#include <gtest/gtest.h>

#include "gb/core/ops.hpp"
#include "gb/kernels/layout.hpp"

namespace kn = gb::kernels;

TEST(Task_18_1_Nc4hw4Offset, LessonExample) {
  // C = 6 channels in NC4HW4: two blocks (channels 0-3 and 4-5 plus two lanes of padding), H = W = 2.
  const kn::Dims d{1, 6, 2, 2};
  EXPECT_EQ(kn::nc4hw4_offset(d, 0, 0, 0, 0), 0);
  EXPECT_EQ(kn::nc4hw4_offset(d, 0, 1, 0, 0), 1);   // the next channel is the next float
  EXPECT_EQ(kn::nc4hw4_offset(d, 0, 0, 0, 1), 4);   // the next pixel is 4 floats on
  EXPECT_EQ(kn::nc4hw4_offset(d, 0, 3, 1, 1), 15);  // end of block 0: 2 * 2 pixels * 4 lanes
  EXPECT_EQ(kn::nc4hw4_offset(d, 0, 4, 0, 0), 16);  // block 1 starts after H * W * 4
  EXPECT_EQ(kn::nc4hw4_offset(d, 0, 5, 1, 0), 16 + 2 * 4 + 1);
}

TEST(Task_18_1_Nc4hw4Offset, ImagesAndPaddedBlocks) {
  const kn::Dims d{3, 5, 2, 3};  // ceil(5/4) = 2 blocks per image, 2 * 2 * 3 * 4 = 48 floats per image
  EXPECT_EQ(kn::nc4hw4_offset(d, 1, 0, 0, 0), 48);
  EXPECT_EQ(kn::nc4hw4_offset(d, 2, 4, 1, 2), 2 * 48 + 24 + (1 * 3 + 2) * 4);
}

TEST(Task_18_1_Nc4hw4Offset, EveryBlockSizeMatchesTheFormula) {
  for (std::int64_t x : {4, 8, 16}) {
    const kn::Dims d{2, 19, 3, 2};
    const std::int64_t blocks = (19 + x - 1) / x;
    for (std::int64_t n = 0; n < d.n; ++n)
      for (std::int64_t c = 0; c < d.c; ++c)
        for (std::int64_t h = 0; h < d.h; ++h)
          for (std::int64_t w = 0; w < d.w; ++w)
            ASSERT_EQ(kn::nchwx_offset(d, x, n, c, h, w), (((n * blocks + c / x) * d.h + h) * d.w + w) * x + c % x)
                << "x = " << x << ", (n, c, h, w) = (" << n << ", " << c << ", " << h << ", " << w << ")";
  }
}

TEST(Task_18_1_Nc4hw4Offset, ToLayoutRoundTripsWithZeroPadding) {
  std::vector<double> values(24);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i + 1);
  const gb::Tensor x = gb::Tensor::from_values(values, {1, 6, 2, 2});
  const gb::Tensor b = kn::to_layout(x, kn::Layout::nchw(), kn::Layout::nc4hw4());
  EXPECT_EQ(b.shape(), (gb::Shape{1, 2, 2, 2, 4}));
  EXPECT_EQ(b.at({0, 1, 0, 0, 0}), x.at({0, 4, 0, 0}));
  EXPECT_EQ(b.at({0, 1, 1, 1, 3}), 0.0);  // padding
  EXPECT_TRUE(gb::allclose(kn::to_layout(b, kn::Layout::nc4hw4(), kn::Layout::nchw(), 6), x, 0, 0));
}
