// conv_threads_test.cpp: conv2d with threads splits the work into whole images or bands of output rows
// (conv_threads.cpp); every algorithm must give exactly the bits it gives on one thread, whatever the
// padding (bands whose halo reaches into it), stride, dilation, groups and batch.
#include <gtest/gtest.h>

#include <cstring>

#include "conv_test_helpers.hpp"
#include "gb/core/error.hpp"

using namespace gb_conv_test;

namespace {

bool bit_identical(const gb::Tensor& a, const gb::Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data<float>(), b.data<float>(), static_cast<std::size_t>(a.numel()) * sizeof(float)) == 0;
}

void expect_same_on_threads(const ConvCase& c, gb::Rng& rng) {
  const gb::Tensor x = rng.normal(c.x), w = rng.normal(c.w);
  const gb::Tensor b = c.bias ? rng.normal(gb::Shape{c.w[0]}) : gb::Tensor();
  const kn::ConvShape s = kn::conv_shape(c.x, c.w, c.p);
  for (kn::ConvAlgo a : kn::all_conv_algos()) {
    if (!kn::conv_algo_supports(a, s)) continue;
    const gb::Tensor one = kn::conv2d(x, w, b, c.p, a, 1);
    for (int threads : {2, 3, 0}) {
      EXPECT_TRUE(bit_identical(kn::conv2d(x, w, b, c.p, a, threads), one))
          << kn::conv_algo_name(a) << " on " << threads << " threads, " << describe(c);
    }
  }
}

}  // namespace

TEST(ConvThreads, RandomCasesBitIdenticalToOneThread) {
  gb::Rng rng(11);
  for (int i = 0; i < 40; ++i) expect_same_on_threads(random_case(rng, i % 2 == 0), rng);
}

TEST(ConvThreads, TallImagesSplitIntoBandsWithHalos) {
  // Batch 1 and 30-40 rows: three or four bands of whole multiples of 4 rows, with asymmetric padding,
  // so the first band's halo is padding at the top and the last band's at the bottom.
  gb::Rng rng(12);
  for (const auto& [h, stride, dil, pt, pb] : std::vector<std::array<std::int64_t, 5>>{
           {30, 1, 1, 1, 1}, {37, 1, 1, 2, 0}, {40, 2, 1, 0, 3}, {33, 1, 2, 2, 2}, {29, 3, 1, 1, 2}}) {
    ConvCase c;
    c.x = {1, 5, h, 17};
    c.w = {7, 5, 3, 3};
    c.p = kn::Conv2dParams{stride, 1, pt, 1, pb, 0, dil, 1, 1};
    expect_same_on_threads(c, rng);
  }
  ConvCase depthwise;  // groups == channels
  depthwise.x = {1, 8, 36, 20};
  depthwise.w = {8, 1, 3, 3};
  depthwise.p = kn::Conv2dParams::square(1, 1, 1, 8);
  expect_same_on_threads(depthwise, rng);
}

TEST(ConvThreads, WholeImagesWhenTheBatchIsLarge) {
  gb::Rng rng(13);
  ConvCase c;
  c.x = {5, 4, 9, 9};
  c.w = {6, 4, 3, 3};
  c.p = kn::Conv2dParams::square(1, 1);
  expect_same_on_threads(c, rng);
}

TEST(ConvThreads, PaddingTallerThanABandStillWorks) {
  // 2 input rows and 6 rows of padding each side: some bands read only padding; conv2d then runs on one
  // thread rather than hand an algorithm an empty image.
  gb::Rng rng(14);
  ConvCase c;
  c.x = {1, 2, 2, 5};
  c.w = {3, 2, 3, 3};
  c.p = kn::Conv2dParams{1, 1, 6, 1, 6, 1, 1, 1, 1};
  expect_same_on_threads(c, rng);
}

TEST(ConvThreads, NegativeThreadsIsAnError) {
  const gb::Tensor x = gb::Tensor::zeros({1, 1, 4, 4}), w = gb::Tensor::zeros({1, 1, 3, 3});
  try {
    kn::conv2d(x, w, gb::Tensor(), {}, kn::ConvAlgo::direct, -1);
    FAIL() << "expected gb::Error";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("threads >= 0"), std::string::npos) << e.what();
  }
}
