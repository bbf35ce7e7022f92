// pool_test.cpp: max and average pooling on hand-computed cases (padding, ceil mode,
// count_include_pad, dilation), output sizes as PyTorch computes them, and the errors.
#include <gtest/gtest.h>

#include <cmath>

#include "gb/core/error.hpp"
#include "gb/kernels/pool.hpp"

namespace kn = gb::kernels;

namespace {
gb::Tensor iota(gb::Shape shape) {  // 1, 2, 3, ... in NCHW order
  std::vector<double> v(static_cast<std::size_t>(gb::shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i + 1);
  return gb::Tensor::from_values(v, shape);
}
}  // namespace

TEST(Pool, OutputSizesLikePyTorch) {
  EXPECT_EQ(kn::pool_output_size(4, 2, 0, 2, 1, false), 2);
  EXPECT_EQ(kn::pool_output_size(5, 2, 0, 2, 1, false), 2);
  EXPECT_EQ(kn::pool_output_size(5, 2, 0, 2, 1, true), 3);   // ceil: a last window over the edge
  EXPECT_EQ(kn::pool_output_size(6, 3, 1, 2, 1, true), 4);   // (6+2-3+1)/2+1 = 4, starts at 6 < 6+1: kept
  EXPECT_EQ(kn::pool_output_size(5, 3, 1, 2, 1, true), 3);   // (5+2-3+1)/2+1 = 3: last starts at 4 < 6: kept
  EXPECT_EQ(kn::pool_output_size(4, 2, 1, 2, 1, true), 3);   // (4+2-2+1)/2+1 = 3; starts at 4 >= 4+1? no: kept
  EXPECT_EQ(kn::pool_output_size(3, 2, 1, 2, 1, true), 2);   // (3+2-2+1)/2+1 = 3, last starts at 4 >= 3+1: dropped
  EXPECT_EQ(kn::pool_output_size(7, 3, 0, 1, 2, false), 3);  // dilation 2: extent 5
}

TEST(Pool, MaxPoolHandCase) {
  const gb::Tensor x = iota({1, 1, 4, 4});  // rows 1-4, 5-8, 9-12, 13-16
  const gb::Tensor y = kn::max_pool2d(x, kn::Pool2dParams::square(2));
  ASSERT_EQ(y.shape(), (gb::Shape{1, 1, 2, 2}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{6, 8, 14, 16}));
  // 3x3 stride 2 padding 1: the padding never wins (it is -inf), even against negative values.
  const gb::Tensor neg = kn::max_pool2d(gb::Tensor::full({1, 1, 3, 3}, -5.0), kn::Pool2dParams::square(3, 2, 1));
  EXPECT_EQ(neg.to_vector(), (std::vector<double>{-5, -5, -5, -5}));
  const gb::Tensor ceil = kn::max_pool2d(iota({1, 1, 5, 5}), kn::Pool2dParams::square(2, 2, 0, true));
  ASSERT_EQ(ceil.shape(), (gb::Shape{1, 1, 3, 3}));
  EXPECT_EQ(ceil.to_vector(), (std::vector<double>{7, 9, 10, 17, 19, 20, 22, 24, 25}));
  kn::Pool2dParams dil = kn::Pool2dParams::square(2, 1);
  dil.dilation_h = dil.dilation_w = 2;
  EXPECT_EQ(kn::max_pool2d(iota({1, 1, 3, 3}), dil).to_vector(), (std::vector<double>{9}));
}

TEST(Pool, MaxPoolPropagatesNaN) {
  gb::Tensor x = iota({1, 1, 2, 2});
  x.set({0, 0, 0, 1}, NAN);
  EXPECT_TRUE(std::isnan(kn::max_pool2d(x, kn::Pool2dParams::square(2)).item()));
}

TEST(Pool, AvgPoolCountIncludePad) {
  const gb::Tensor x = iota({1, 1, 2, 2});  // 1 2 / 3 4
  kn::Pool2dParams p = kn::Pool2dParams::square(2, 1, 1);  // 3x3 outputs, windows half in the padding
  const gb::Tensor with_pad = kn::avg_pool2d(x, p);
  ASSERT_EQ(with_pad.shape(), (gb::Shape{1, 1, 3, 3}));
  EXPECT_FLOAT_EQ(static_cast<float>(with_pad.at({0, 0, 0, 0})), 1.0f / 4);   // 1 / (2*2 window)
  EXPECT_FLOAT_EQ(static_cast<float>(with_pad.at({0, 0, 1, 1})), 10.0f / 4);
  p.count_include_pad = false;
  const gb::Tensor without = kn::avg_pool2d(x, p);
  EXPECT_FLOAT_EQ(static_cast<float>(without.at({0, 0, 0, 0})), 1.0f);        // only the real value
  EXPECT_FLOAT_EQ(static_cast<float>(without.at({0, 0, 0, 1})), 1.5f);        // (1 + 2) / 2
  // ceil mode: the overhanging window divides by what lies inside the padded input, not by k*k.
  const gb::Tensor ceil = kn::avg_pool2d(iota({1, 1, 3, 3}), kn::Pool2dParams::square(2, 2, 0, true));
  ASSERT_EQ(ceil.shape(), (gb::Shape{1, 1, 2, 2}));
  EXPECT_FLOAT_EQ(static_cast<float>(ceil.at({0, 0, 0, 1})), (3.0f + 6.0f) / 2);
  EXPECT_FLOAT_EQ(static_cast<float>(ceil.at({0, 0, 1, 1})), 9.0f);
}

TEST(Pool, NonContiguousInputAndBatches) {
  const gb::Tensor x = iota({2, 3, 4, 4}).permute({0, 1, 3, 2});
  const gb::Tensor y = kn::max_pool2d(x, kn::Pool2dParams::square(2));
  EXPECT_EQ(y.at({1, 2, 0, 1}), kn::max_pool2d(x.contiguous(), kn::Pool2dParams::square(2)).at({1, 2, 0, 1}));
  EXPECT_EQ(y.at({0, 0, 0, 1}), 14);  // transposed: rows of x are columns of the iota
}

TEST(Pool, Errors) {
  const gb::Tensor x = iota({1, 1, 4, 4});
  EXPECT_THROW(kn::max_pool2d(iota({4, 4}), kn::Pool2dParams::square(2)), gb::Error);
  EXPECT_THROW(kn::max_pool2d(x.to(gb::DType::f64), kn::Pool2dParams::square(2)), gb::Error);
  EXPECT_THROW(kn::max_pool2d(x, kn::Pool2dParams::square(2, 1, 2)), gb::Error);  // pad > kernel / 2
  EXPECT_THROW(kn::max_pool2d(x, kn::Pool2dParams::square(5)), gb::Error);        // window > input
  EXPECT_THROW(kn::max_pool2d(x, kn::Pool2dParams::square(0)), gb::Error);
  kn::Pool2dParams dil = kn::Pool2dParams::square(2);
  dil.dilation_h = 2;
  EXPECT_THROW(kn::avg_pool2d(x, dil), gb::Error);
  EXPECT_THROW(kn::avg_pool2d(gb::Tensor::zeros({1, 0, 4, 4}), kn::Pool2dParams::square(2)), gb::Error);
}
