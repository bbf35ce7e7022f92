// conv_algorithms_test.cpp: every convolution algorithm equals direct convolution on randomized
// shapes (batch, groups, depthwise, asymmetric padding, stride, dilation), the output size formula,
// the chooser, workspace sizes, and the errors.
#include <algorithm>
#include <gtest/gtest.h>

#include <functional>

#include "conv_test_helpers.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/trace/recorder.hpp"

using namespace gb_conv_test;

TEST(ConvOutputSize, FormulaAndLessonExample) {
  // LESSONS.md: a 5x5 input and 3x3 kernels (no padding, stride 1) give 3x3 outputs.
  EXPECT_EQ(kn::conv_output_size(5, 3, 0, 0, 1, 1), 3);
  EXPECT_EQ(kn::conv_output_size(5, 3, 1, 1, 1, 1), 5);
  EXPECT_EQ(kn::conv_output_size(56, 3, 1, 1, 2, 1), 28);
  EXPECT_EQ(kn::conv_output_size(7, 3, 0, 1, 2, 2), 2);  // floor((7 + 1 - 4 - 1) / 2) + 1
  EXPECT_THROW(kn::conv_output_size(2, 3, 0, 0, 1, 1), gb::Error);
  EXPECT_THROW(kn::conv_output_size(5, 3, -1, 0, 1, 1), gb::Error);
  EXPECT_THROW(kn::conv_output_size(5, 3, 0, 0, 0, 1), gb::Error);
}

TEST(ConvDirect, LessonExampleSixKernels) {
  // A 5x5x1 input with six 3x3 kernels gives six 3x3 outputs; kernel k is all k's, so output k is
  // k times the 3x3 window sums of x = 0..24.
  std::vector<double> xv(25), wv(54);
  for (int i = 0; i < 25; ++i) xv[static_cast<std::size_t>(i)] = i;
  for (int i = 0; i < 54; ++i) wv[static_cast<std::size_t>(i)] = i / 9;
  const gb::Tensor y = kn::conv2d(gb::Tensor::from_values(xv, {1, 1, 5, 5}), gb::Tensor::from_values(wv, {6, 1, 3, 3}),
                                  gb::Tensor(), kn::Conv2dParams{}, kn::ConvAlgo::direct);
  ASSERT_EQ(y.shape(), (gb::Shape{1, 6, 3, 3}));
  EXPECT_EQ(y.at({0, 0, 1, 1}), 0);
  EXPECT_EQ(y.at({0, 1, 0, 0}), 0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12);  // 54
  EXPECT_EQ(y.at({0, 5, 2, 2}), 5 * (12 + 13 + 14 + 17 + 18 + 19 + 22 + 23 + 24));
}

TEST(ConvAlgorithms, EveryAlgorithmEqualsDirectOnRandomShapes) {
  gb::Rng rng(20);
  for (int i = 0; i < 60; ++i) {
    const ConvCase c = random_case(rng, false);
    for (kn::ConvAlgo a : {kn::ConvAlgo::direct_nhwc, kn::ConvAlgo::im2col, kn::ConvAlgo::spatial, kn::ConvAlgo::indirect,
                           kn::ConvAlgo::best}) {
      check_against_direct(a, c, 100 + static_cast<std::uint64_t>(i));
    }
  }
}

TEST(ConvAlgorithms, WinogradEqualsDirectOnRandomShapes) {
  gb::Rng rng(21);
  for (int i = 0; i < 40; ++i) {
    const ConvCase c = random_case(rng, true);
    check_against_direct(kn::ConvAlgo::winograd_2x2, c, 200 + static_cast<std::uint64_t>(i), 1e-4);
    check_against_direct(kn::ConvAlgo::winograd_4x4, c, 200 + static_cast<std::uint64_t>(i), 5e-4);
  }
}

TEST(ConvAlgorithms, DepthwisePointwiseAndLargerChannels) {
  std::vector<ConvCase> cases;
  cases.push_back({{2, 16, 13, 11}, {16, 1, 3, 3}, kn::Conv2dParams::square(1, 1, 1, 16)});   // depthwise
  cases.push_back({{1, 8, 9, 9}, {16, 1, 3, 3}, kn::Conv2dParams::square(2, 1, 1, 8)});       // depthwise x2
  cases.push_back({{1, 24, 7, 9}, {40, 24, 1, 1}, kn::Conv2dParams{}});                        // pointwise
  cases.push_back({{1, 32, 17, 19}, {36, 32, 3, 3}, kn::Conv2dParams::square(1, 1)});          // many channels
  cases.push_back({{1, 3, 20, 20}, {8, 3, 5, 5}, kn::Conv2dParams{2, 1, 2, 0, 1, 3, 1, 2, 1}});
  for (const ConvCase& c : cases) {
    for (kn::ConvAlgo a : kn::all_conv_algos()) {
      if (!kn::conv_algo_supports(a, kn::conv_shape(c.x, c.w, c.p))) continue;
      check_against_direct(a, c, 7, a == kn::ConvAlgo::winograd_4x4 ? 1e-3 : 1e-4);
    }
    check_against_direct(kn::ConvAlgo::best, c, 7, 1e-3);
  }
}

TEST(ConvAlgorithms, NonContiguousInputAndUndefinedBias) {
  gb::Rng rng(3);
  const gb::Tensor base = rng.uniform({1, 9, 8, 4}, -1, 1);  // viewed as [1, 4, 8, 9] by a permute
  const gb::Tensor x = base.permute({0, 3, 2, 1});
  const gb::Tensor w = rng.uniform({5, 4, 3, 3}, -1, 1);
  const gb::Tensor expected = kn::conv2d(x.contiguous(), w, gb::Tensor(), kn::Conv2dParams::square(1, 1), kn::ConvAlgo::direct);
  for (kn::ConvAlgo a : kn::all_conv_algos()) {
    EXPECT_LE(max_abs_diff(kn::conv2d(x, w, gb::Tensor(), kn::Conv2dParams::square(1, 1), a), expected), 1e-4)
        << kn::conv_algo_name(a);
  }
}

TEST(ConvChooser, FollowsTheDocumentedRules) {
  const auto choose = [](gb::Shape x, gb::Shape w, kn::Conv2dParams p) {
    return kn::choose_algorithm(kn::conv_shape(x, w, p));
  };
  EXPECT_EQ(choose({1, 64, 56, 56}, {64, 64, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_4x4);
  EXPECT_EQ(choose({1, 128, 28, 28}, {128, 128, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_4x4);
  EXPECT_EQ(choose({1, 256, 14, 14}, {256, 256, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_2x2);
  EXPECT_EQ(choose({8, 256, 14, 14}, {256, 256, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_4x4);
  EXPECT_EQ(choose({1, 512, 7, 7}, {512, 512, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_2x2);
  EXPECT_EQ(choose({4, 64, 10, 10}, {64, 64, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_4x4);
  EXPECT_EQ(choose({1, 256, 4, 4}, {256, 256, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_2x2);
  EXPECT_EQ(choose({1, 256, 2, 2}, {256, 256, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_2x2);
  EXPECT_EQ(choose({1, 64, 56, 56}, {64, 1, 3, 3}, kn::Conv2dParams::square(1, 1, 1, 64)), kn::ConvAlgo::direct);
  EXPECT_EQ(choose({1, 64, 56, 56}, {128, 64, 3, 3}, kn::Conv2dParams::square(2, 1)), kn::ConvAlgo::im2col);
  EXPECT_EQ(choose({1, 64, 56, 56}, {64, 64, 1, 1}, kn::Conv2dParams{}), kn::ConvAlgo::im2col);
  EXPECT_EQ(choose({1, 3, 32, 32}, {8, 3, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::im2col);
  // The digits CNN on a batch of 256 (lesson 01): conv1 has one input channel, conv2 of the filter-pruned
  // CNNs (lesson 26) 12 or 8: many 4x4 tiles over the batch, so Winograd from 8 channels.
  EXPECT_EQ(choose({256, 1, 8, 8}, {16, 1, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::im2col);
  EXPECT_EQ(choose({256, 12, 4, 4}, {24, 12, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_4x4);
  EXPECT_EQ(choose({256, 8, 4, 4}, {16, 8, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::winograd_4x4);
  EXPECT_EQ(choose({1, 4, 16, 16}, {8, 4, 3, 3}, kn::Conv2dParams::square(1, 1)), kn::ConvAlgo::im2col);
  EXPECT_EQ(choose({1, 3, 224, 224}, {64, 3, 7, 7}, kn::Conv2dParams::square(2, 3)), kn::ConvAlgo::im2col);
}

TEST(ConvWorkspace, MatchesWhatEachAlgorithmAllocates) {
  const kn::ConvShape s = kn::conv_shape({1, 64, 56, 56}, {64, 64, 3, 3}, kn::Conv2dParams::square(1, 1));
  EXPECT_EQ(kn::workspace_bytes(s, kn::ConvAlgo::direct), 0u);
  EXPECT_EQ(kn::workspace_bytes(s, kn::ConvAlgo::im2col), 4u * 576 * 3136);
  // Winograd: V for every tile (the tiles padded to whole slivers of the micro-kernel's MR), then U and
  // M of one block of output channels (whole groups of max(16, NR) channels, U at most 256 KiB unless one
  // group is larger), each of the three with 16 floats of skew per alpha^2 matrix.
  const kn::Variant best = kn::best_variant();
  const std::size_t mr = best == kn::Variant::avx512 ? 12 : best == kn::Variant::avx2 ? 6 : 4;
  const std::size_t nr = best == kn::Variant::avx512 ? 32 : best == kn::Variant::avx2 ? 16 : 8;
  const auto winograd = [&](std::size_t alpha, std::size_t tiles) {
    const std::size_t a2 = alpha * alpha, padded = (tiles + mr - 1) / mr * mr, group = std::max<std::size_t>(16, nr);
    const std::size_t groups = std::clamp<std::size_t>(256 * 1024 / (a2 * group * 64 * 4), 1, (64 + group - 1) / group);
    return 4 * a2 * (padded * 64 + groups * group * (64 + padded) + 3 * 16);
  };
  EXPECT_EQ(kn::workspace_bytes(s, kn::ConvAlgo::winograd_4x4), winograd(6, 14 * 14));
  EXPECT_EQ(kn::workspace_bytes(s, kn::ConvAlgo::winograd_2x2), winograd(4, 28 * 28));
  if (best == kn::Variant::avx512) {  // the numbers on an AVX-512 CPU: 204 tiles, blocks of 32 channels
    EXPECT_EQ(kn::workspace_bytes(s, kn::ConvAlgo::winograd_4x4), 4u * 36 * (204 * 64 + 32 * (64 + 204) + 48));
  }
  EXPECT_GT(kn::workspace_bytes(s, kn::ConvAlgo::indirect), 3136u * 9 * sizeof(void*));
  EXPECT_GT(kn::workspace_bytes(s, kn::ConvAlgo::spatial), 0u);
  EXPECT_EQ(kn::workspace_bytes(s, kn::ConvAlgo::best), kn::workspace_bytes(s, kn::ConvAlgo::winograd_4x4));
  const kn::ConvShape pointwise = kn::conv_shape({1, 8, 5, 5}, {4, 8, 1, 1}, kn::Conv2dParams{});
  EXPECT_EQ(kn::workspace_bytes(pointwise, kn::ConvAlgo::im2col), 0u);  // the input is the column matrix
}

TEST(ConvErrors, BadInputsNameTheProblem) {
  const gb::Tensor x = gb::Tensor::zeros({1, 4, 8, 8}), w = gb::Tensor::zeros({6, 4, 3, 3});
  const auto fails = [](const std::function<void()>& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "no error, expected one mentioning " << needle;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  fails([&] { kn::conv2d(gb::Tensor::zeros({4, 8, 8}), w, gb::Tensor(), {}, kn::ConvAlgo::direct); }, "[N, C, H, W]");
  fails([&] { kn::conv2d(x, gb::Tensor::zeros({6, 3, 3, 3}), gb::Tensor(), {}, kn::ConvAlgo::direct); }, "groups");
  fails([&] { kn::conv2d(x, w, gb::Tensor(), kn::Conv2dParams::square(1, 0, 1, 3), kn::ConvAlgo::direct); }, "groups");
  fails([&] { kn::conv2d(x, w, gb::Tensor::zeros({5}), {}, kn::ConvAlgo::direct); }, "bias");
  fails([&] { kn::conv2d(x.to(gb::DType::f64), w, gb::Tensor(), {}, kn::ConvAlgo::direct); }, "f32");
  fails([&] { kn::conv2d(gb::Tensor::zeros({1, 4, 2, 2}), w, gb::Tensor(), {}, kn::ConvAlgo::direct); }, "kernel");
  fails([&] { kn::conv2d(x, w, gb::Tensor(), kn::Conv2dParams::square(2, 1), kn::ConvAlgo::winograd_4x4); }, "stride 1");
  fails([&] { kn::conv2d(x, w, gb::Tensor(), kn::Conv2dParams::square(1, 2, 2), kn::ConvAlgo::winograd_2x2); }, "dilation 1");
  fails([&] { kn::conv2d(x, gb::Tensor::zeros({6, 4, 5, 5}), gb::Tensor(), {}, kn::ConvAlgo::winograd_2x2); }, "3x3");
  fails([&] { kn::conv2d(x, w, gb::Tensor(), kn::Conv2dParams{0, 1, 0, 0, 0, 0, 1, 1, 1}, kn::ConvAlgo::direct); }, "stride");
  fails([&] { kn::conv_algo_from_name("fft"); }, "im2col");
  fails([&] { kn::conv2d(gb::Tensor::zeros({0, 4, 8, 8}), w, gb::Tensor(), {}, kn::ConvAlgo::direct); }, "non-empty");
  EXPECT_EQ(kn::conv_algo_from_name("winograd"), kn::ConvAlgo::winograd_4x4);
  for (kn::ConvAlgo a : kn::all_conv_algos()) EXPECT_EQ(kn::conv_algo_from_name(kn::conv_algo_name(a)), a);
}

TEST(ConvRecordingOff, KernelsRecordNothingEvenWithARecorderAttached) {
  gb::trace::Recorder rec("test", "test");
  gb::trace::ScopedRecorder attach(rec);
  gb::Rng rng(1);
  const gb::Tensor x = rng.uniform({1, 4, 9, 9}, -1, 1), w = rng.uniform({4, 4, 3, 3}, -1, 1);
  for (kn::ConvAlgo a : kn::all_conv_algos()) kn::conv2d(x, w, gb::Tensor(), kn::Conv2dParams::square(1, 1), a);
  EXPECT_TRUE(rec.recording().steps.empty());
  EXPECT_TRUE(rec.recording().scenes.empty());
}
