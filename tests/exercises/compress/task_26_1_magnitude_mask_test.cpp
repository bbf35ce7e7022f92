// task_26_1_magnitude_mask_test.cpp: exercise compress.prune.magnitude_mask (lesson 26-pruning).
// magnitude_mask(w, s) must zero the k = round(s * numel) weights of smallest |w| (Python's round, half
// to even), the lower flat index first among equal magnitudes, and keep every other weight (mask 1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gb/compress/prune.hpp"
#include "gb/core/rng.hpp"

namespace {

namespace cp = gb::compress;
using gb::Tensor;

// The definition, written out slowly: weight i is pruned when fewer than k weights come before it in
// the order (|w|, index).
std::vector<double> expected_mask(const std::vector<double>& w, std::int64_t k) {
  std::vector<double> mask(w.size(), 1.0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::int64_t before = 0;
    for (std::size_t j = 0; j < w.size(); ++j)
      if (std::fabs(w[j]) < std::fabs(w[i]) || (std::fabs(w[j]) == std::fabs(w[i]) && j < i)) ++before;
    if (before < k) mask[i] = 0.0;
  }
  return mask;
}

TEST(Task_26_1_MagnitudeMask, ASmallVectorByHand) {
  // |w| = 0.3, 2, 0.1, 1.5, 0.7, 0.2: at 50% the three smallest (0.1, 0.2, 0.3) go.
  const Tensor w = Tensor::from_values({-0.3, 2.0, 0.1, -1.5, 0.7, -0.2}, {6});
  EXPECT_EQ(cp::magnitude_mask(w, 0.5).to_vector(), (std::vector<double>{0, 1, 0, 1, 1, 0}));
}

TEST(Task_26_1_MagnitudeMask, ZeroAndOneKeepAllAndPruneAll) {
  const Tensor w = gb::Rng(1).normal({4, 5});
  EXPECT_EQ(cp::magnitude_mask(w, 0.0).to_vector(), std::vector<double>(20, 1.0));
  EXPECT_EQ(cp::magnitude_mask(w, 1.0).to_vector(), std::vector<double>(20, 0.0));
}

TEST(Task_26_1_MagnitudeMask, CountsRoundHalfToEven) {
  const Tensor five = Tensor::from_values({5, 4, 3, 2, 1}, {5});
  // 0.5 * 5 = 2.5 -> 2 (even); 0.5 * 7 = 3.5 -> 4 (even).
  EXPECT_EQ(cp::magnitude_mask(five, 0.5).to_vector(), (std::vector<double>{1, 1, 1, 0, 0}));
  const Tensor seven = Tensor::from_values({7, 6, 5, 4, 3, 2, 1}, {7});
  EXPECT_EQ(cp::magnitude_mask(seven, 0.5).to_vector(), (std::vector<double>{1, 1, 1, 0, 0, 0, 0}));
}

TEST(Task_26_1_MagnitudeMask, TiesPruneTheLowerIndexFirst) {
  const Tensor w = Tensor::from_values({0.5, -0.5, 0.5, 0.1, -0.5, 0.5}, {2, 3});
  // 0.1 goes first, then the 0.5s in index order.
  EXPECT_EQ(cp::magnitude_mask(w, 0.5).to_vector(), (std::vector<double>{0, 0, 1, 0, 1, 1}));
  const Tensor same = Tensor::ones({2, 4});
  EXPECT_EQ(cp::magnitude_mask(same, 0.25).to_vector(), (std::vector<double>{0, 0, 1, 1, 1, 1, 1, 1}));
}

TEST(Task_26_1_MagnitudeMask, MatchesTheDefinitionOnRandomWeightsAndShapes) {
  gb::Rng rng(7);
  for (const gb::Shape& shape : {gb::Shape{1}, gb::Shape{9}, gb::Shape{6, 7}, gb::Shape{3, 2, 3, 3}}) {
    Tensor w = rng.normal(shape);
    // Some exact ties and zeros too.
    if (w.numel() > 4) {
      w.data<float>()[1] = 0.0f;
      w.data<float>()[3] = -w.data<float>()[2];
    }
    for (double s : {0.0, 0.2, 0.5, 0.75, 0.9, 1.0}) {
      const Tensor m = cp::magnitude_mask(w, s);
      ASSERT_EQ(m.shape(), w.shape());
      ASSERT_EQ(m.dtype(), gb::DType::f32);
      const auto k = static_cast<std::int64_t>(std::nearbyint(s * static_cast<double>(w.numel())));
      EXPECT_EQ(m.to_vector(), expected_mask(w.to_vector(), k)) << gb::shape_str(shape) << " at " << s;
    }
  }
}

}  // namespace
