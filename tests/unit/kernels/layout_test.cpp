// layout_test.cpp: NCHW, NHWC and NCHWx offsets against the formulas written out by hand, conversions
// that round-trip, zero padding of the last channel block, and errors.
#include <gtest/gtest.h>

#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/kernels/layout.hpp"

namespace kn = gb::kernels;

namespace {

// Values 1, 2, ... in NCHW order (no 0, so padding stands out).
gb::Tensor sample(const kn::Dims& d, gb::DType dtype = gb::DType::f32) {
  std::vector<double> values(static_cast<std::size_t>(d.n * d.c * d.h * d.w));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i + 1);
  return gb::Tensor::from_values(values, {d.n, d.c, d.h, d.w}, dtype);
}

}  // namespace

TEST(LayoutOffsets, MatchTheFormulasForEveryBlockSize) {
  for (std::int64_t x : {4, 8, 16}) {
    for (std::int64_t channels : {1, 3, 4, 5, 8, 13, 16, 17}) {
      const kn::Dims d{2, channels, 3, 5};
      const std::int64_t blocks = (channels + x - 1) / x;
      for (std::int64_t n = 0; n < d.n; ++n)
        for (std::int64_t c = 0; c < d.c; ++c)
          for (std::int64_t h = 0; h < d.h; ++h)
            for (std::int64_t w = 0; w < d.w; ++w) {
              const std::int64_t hand = ((((n * blocks + c / x) * d.h + h) * d.w + w) * x + c % x);
              ASSERT_EQ(kn::nchwx_offset(d, x, n, c, h, w), hand);
              ASSERT_EQ(kn::offset(kn::Layout::nchwx(x), d, n, c, h, w), hand);
              ASSERT_EQ(kn::offset(kn::Layout::nchw(), d, n, c, h, w), ((n * d.c + c) * d.h + h) * d.w + w);
              ASSERT_EQ(kn::offset(kn::Layout::nhwc(), d, n, c, h, w), ((n * d.h + h) * d.w + w) * d.c + c);
              if (x == 4) {
                ASSERT_EQ(kn::nc4hw4_offset(d, n, c, h, w), hand);
              }
            }
      EXPECT_EQ(kn::stored_numel(kn::Layout::nchwx(x), d), d.n * blocks * x * d.h * d.w);
      EXPECT_EQ(kn::stored_shape(kn::Layout::nchwx(x), d), (gb::Shape{2, blocks, 3, 5, x}));
    }
  }
}

TEST(LayoutConvert, NhwcIsAPermuteOfNchw) {
  const kn::Dims d{2, 3, 4, 5};
  const gb::Tensor x = sample(d);
  const gb::Tensor nhwc = kn::to_layout(x, kn::Layout::nchw(), kn::Layout::nhwc());
  EXPECT_TRUE(gb::allclose(nhwc, x.permute({0, 2, 3, 1}), 0, 0));
}

TEST(LayoutConvert, BlockedPadsWithZerosAndRoundTrips) {
  for (std::int64_t x : {4, 8, 16}) {
    for (std::int64_t channels : {1, 5, 8, 17}) {
      const kn::Dims d{2, channels, 3, 2};
      const gb::Tensor t = sample(d);
      const kn::Layout blocked = kn::Layout::nchwx(x);
      const gb::Tensor b = kn::to_layout(t, kn::Layout::nchw(), blocked);
      ASSERT_EQ(b.shape(), kn::stored_shape(blocked, d));
      // Every real element sits at its offset, every padding slot is 0.
      std::vector<double> flat = b.to_vector();
      for (std::int64_t n = 0; n < d.n; ++n)
        for (std::int64_t cb = 0; cb < (channels + x - 1) / x; ++cb)
          for (std::int64_t h = 0; h < d.h; ++h)
            for (std::int64_t w = 0; w < d.w; ++w)
              for (std::int64_t lane = 0; lane < x; ++lane) {
                const std::int64_t c = cb * x + lane;
                const double got = flat[static_cast<std::size_t>(kn::nchwx_offset(d, x, n, c, h, w))];
                ASSERT_EQ(got, c < channels ? t.at({n, c, h, w}) : 0.0) << "x=" << x << " c=" << c;
              }
      // Back to NCHW (with the true channel count), through NHWC, and to another block size.
      EXPECT_TRUE(gb::allclose(kn::to_layout(b, blocked, kn::Layout::nchw(), channels), t, 0, 0));
      const gb::Tensor nhwc = kn::to_layout(b, blocked, kn::Layout::nhwc(), channels);
      EXPECT_TRUE(gb::allclose(kn::to_layout(nhwc, kn::Layout::nhwc(), kn::Layout::nchw()), t, 0, 0));
      const kn::Layout other = kn::Layout::nchwx(x == 16 ? 4 : x * 2);
      const gb::Tensor b2 = kn::to_layout(b, blocked, other, channels);
      EXPECT_TRUE(gb::allclose(kn::to_layout(b2, other, kn::Layout::nchw(), channels), t, 0, 0));
      // Without `channels` the padding comes back as channels of zeros.
      const gb::Tensor all = kn::to_layout(b, blocked, kn::Layout::nchw());
      EXPECT_EQ(all.shape()[1], (channels + x - 1) / x * x);
    }
  }
}

TEST(LayoutConvert, AnyDtypeAndNonContiguousInput) {
  const kn::Dims d{1, 6, 2, 3};
  const gb::Tensor t = sample(d, gb::DType::i32);
  const gb::Tensor b = kn::to_layout(t, kn::Layout::nchw(), kn::Layout::nc4hw4());
  EXPECT_EQ(b.dtype(), gb::DType::i32);
  EXPECT_TRUE(gb::allclose(kn::to_layout(b, kn::Layout::nc4hw4(), kn::Layout::nchw(), 6), t, 0, 0));
  // A permuted view of NHWC data read as NCHW.
  const gb::Tensor nhwc = gb::Rng(5).uniform({2, 3, 4, 5});
  const gb::Tensor view = nhwc.permute({0, 3, 1, 2});  // [N, C, H, W], not contiguous
  EXPECT_TRUE(gb::allclose(kn::to_layout(view, kn::Layout::nchw(), kn::Layout::nhwc()), nhwc, 0, 0));
}

TEST(LayoutNames, RoundTrip) {
  for (const char* name : {"NCHW", "NHWC", "NC4HW4", "NCHW8", "NCHW16"}) {
    EXPECT_EQ(kn::layout_from_name(name).name(), name);
  }
  EXPECT_EQ(kn::layout_from_name("nchw4"), kn::Layout::nc4hw4());
  EXPECT_THROW(kn::layout_from_name("NCHW3"), gb::Error);
  EXPECT_THROW(kn::Layout::nchwx(5), gb::Error);
}

TEST(LayoutErrors, NameWhatWasWrong) {
  auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const gb::Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  };
  const gb::Tensor t3 = gb::Tensor::zeros({2, 3, 4});
  EXPECT_NE(message([&] { kn::to_layout(t3, kn::Layout::nchw(), kn::Layout::nhwc()); }).find("[2, 3, 4]"), std::string::npos);
  const gb::Tensor wrong_lanes = gb::Tensor::zeros({1, 2, 3, 3, 8});
  EXPECT_NE(message([&] { kn::to_layout(wrong_lanes, kn::Layout::nc4hw4(), kn::Layout::nchw()); }).find("5-D"),
            std::string::npos);
  const gb::Tensor blocked = gb::Tensor::zeros({1, 2, 3, 3, 4});
  EXPECT_NE(message([&] { kn::to_layout(blocked, kn::Layout::nc4hw4(), kn::Layout::nchw(), 3); }).find("channels"),
            std::string::npos);  // 3 channels fit one block, not two
  EXPECT_THROW(kn::to_layout(blocked, kn::Layout::nc4hw4(), kn::Layout::nchw(), 9), gb::Error);
  EXPECT_THROW(kn::to_layout(gb::Tensor(), kn::Layout::nchw(), kn::Layout::nhwc()), gb::Error);
  EXPECT_THROW(kn::to_layout(gb::Tensor::zeros({1, 1, 1, 1}), kn::Layout::nchw(), kn::Layout{kn::LayoutKind::nchwx, 3}),
               gb::Error);
  EXPECT_THROW(kn::offset(kn::Layout::nchw(), {1, 2, 3, 4}, 0, 2, 0, 0), gb::Error);
}
