// task_26_2_filter_ranking_test.cpp: exercise compress.prune.filter_ranking (lesson 26-pruning).
// filter_l1_norms(W) is sum over (ic, kh, kw) of |W[oc, ic, kh, kw]| for each filter oc, and
// filters_to_prune(W, count) the `count` filters of smallest norm (ties: lower index first), in
// increasing index order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gb/compress/prune.hpp"
#include "gb/core/rng.hpp"

namespace {

namespace cp = gb::compress;
using gb::Tensor;

TEST(Task_26_2_FilterRanking, NormsOfASmallWeightByHand) {
  // 3 filters of 1 x 2 x 2: |.| sums 1 + 2 + 3 + 4 = 10, 0.5 * 4 = 2, 0 + 0 + 0 + 7 = 7.
  const Tensor w = Tensor::from_values({1, -2, 3, -4, 0.5, -0.5, 0.5, -0.5, 0, 0, 0, -7}, {3, 1, 2, 2});
  const Tensor n = cp::filter_l1_norms(w);
  EXPECT_EQ(n.shape(), (gb::Shape{3}));
  EXPECT_EQ(n.dtype(), gb::DType::f32);
  EXPECT_EQ(n.to_vector(), (std::vector<double>{10, 2, 7}));
  EXPECT_EQ(cp::filters_to_prune(w, 1), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(cp::filters_to_prune(w, 2), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(cp::filters_to_prune(w, 0), (std::vector<std::int64_t>{}));
}

TEST(Task_26_2_FilterRanking, NormsMatchTheDefinitionOnRandomWeights) {
  const Tensor w = gb::Rng(3).normal({5, 3, 3, 2});
  const Tensor n = cp::filter_l1_norms(w);
  for (std::int64_t oc = 0; oc < 5; ++oc) {
    double sum = 0;
    for (std::int64_t ic = 0; ic < 3; ++ic)
      for (std::int64_t kh = 0; kh < 3; ++kh)
        for (std::int64_t kw = 0; kw < 2; ++kw) sum += std::fabs(w.at({oc, ic, kh, kw}));
    EXPECT_NEAR(n.at({oc}), sum, 1e-5) << "filter " << oc;
  }
}

TEST(Task_26_2_FilterRanking, TheSmallestFiltersInIndexOrderTiesLowerFirst) {
  // Filter oc is filled with the value scale[oc]: its norm is 4 * |scale[oc]|.
  const std::vector<double> scale = {3, -1, 2, 1, 5, 0.5, -2};
  std::vector<double> values;
  for (double s : scale) values.insert(values.end(), 4, s);
  const Tensor w = Tensor::from_values(values, {7, 1, 2, 2});
  EXPECT_EQ(cp::filters_to_prune(w, 1), (std::vector<std::int64_t>{5}));
  EXPECT_EQ(cp::filters_to_prune(w, 2), (std::vector<std::int64_t>{1, 5}));      // 0.5, then the first 1
  EXPECT_EQ(cp::filters_to_prune(w, 3), (std::vector<std::int64_t>{1, 3, 5}));   // both norms 4
  EXPECT_EQ(cp::filters_to_prune(w, 4), (std::vector<std::int64_t>{1, 2, 3, 5}));  // the first 2 (index 2 before 6)
  EXPECT_EQ(cp::filters_to_prune(w, 6), (std::vector<std::int64_t>{0, 1, 2, 3, 5, 6}));
}

TEST(Task_26_2_FilterRanking, EveryCountOnRandomFilters) {
  const Tensor w = gb::Rng(9).normal({16, 4, 3, 3});
  const auto n = cp::filter_l1_norms(w).to_vector();
  for (std::int64_t count = 0; count < 16; ++count) {
    const auto chosen = cp::filters_to_prune(w, count);
    ASSERT_EQ(static_cast<std::int64_t>(chosen.size()), count);
    EXPECT_TRUE(std::is_sorted(chosen.begin(), chosen.end()));
    // Every chosen filter is weaker than every one left.
    for (std::int64_t f = 0; f < 16; ++f) {
      if (std::binary_search(chosen.begin(), chosen.end(), f)) continue;
      for (std::int64_t g : chosen) EXPECT_LT(n[static_cast<std::size_t>(g)], n[static_cast<std::size_t>(f)]);
    }
  }
}

}  // namespace
