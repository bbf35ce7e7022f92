// sampler_test.cpp: the distributed sampler (torch.utils.data.DistributedSampler's rules, sampler.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/sampler.hpp"

namespace {

using gb::parallel::distributed_sampler;
using gb::parallel::rank_indices;
using gb::parallel::SamplerOptions;
using Indices = std::vector<std::int64_t>;

SamplerOptions options(int world, int rank, bool shuffle = true, std::uint64_t seed = 0, bool drop_last = false) {
  SamplerOptions o;
  o.world = world;
  o.rank = rank;
  o.shuffle = shuffle;
  o.seed = seed;
  o.drop_last = drop_last;
  return o;
}

}  // namespace

TEST(DistributedSampler, WithoutShuffleRankRTakesEveryWorldthIndexFromR) {
  // 10 examples over 3 ranks: padded to 12 by repeating 0, 1; rank r takes indices[r::3].
  EXPECT_EQ(distributed_sampler(10, options(3, 0, false)), (Indices{0, 3, 6, 9}));
  EXPECT_EQ(distributed_sampler(10, options(3, 1, false)), (Indices{1, 4, 7, 0}));
  EXPECT_EQ(distributed_sampler(10, options(3, 2, false)), (Indices{2, 5, 8, 1}));
  // drop_last cuts to 9 instead.
  EXPECT_EQ(distributed_sampler(10, options(3, 1, false, 0, true)), (Indices{1, 4, 7}));
}

TEST(DistributedSampler, TheRanksCoverTheDataSetWithEqualSizes) {
  for (std::int64_t n : {1, 7, 100, 1797})
    for (int world : {1, 2, 3, 8}) {
      std::multiset<std::int64_t> all;
      for (int r = 0; r < world; ++r) {
        const Indices mine = distributed_sampler(n, options(world, r), 4);
        EXPECT_EQ(static_cast<std::int64_t>(mine.size()), (n + world - 1) / world) << n << " over " << world;
        all.insert(mine.begin(), mine.end());
      }
      for (std::int64_t i = 0; i < n; ++i) EXPECT_GE(all.count(i), 1u) << "example " << i << " of " << n;
      EXPECT_EQ(static_cast<std::int64_t>(all.size()), ((n + world - 1) / world) * world);  // n + padding
    }
}

TEST(DistributedSampler, TheEpochChangesTheOrderAndTheSeedFixesIt) {
  const Indices e0 = distributed_sampler(100, options(4, 1, true, 7), 0);
  EXPECT_EQ(e0, distributed_sampler(100, options(4, 1, true, 7), 0));  // same seed and epoch: same indices
  EXPECT_NE(e0, distributed_sampler(100, options(4, 1, true, 7), 1));  // set_epoch: another order
  EXPECT_NE(e0, distributed_sampler(100, options(4, 1, true, 8), 0));
  // seed + epoch: (seed 7, epoch 1) draws the permutation of (seed 8, epoch 0).
  EXPECT_EQ(distributed_sampler(100, options(4, 1, true, 7), 1), distributed_sampler(100, options(4, 1, true, 8), 0));
}

TEST(DistributedSampler, PaddingRepeatsFromTheStartEvenMoreThanOnce) {
  // 2 examples over 5 ranks: the order [1, 0] becomes [1, 0, 1, 0, 1].
  EXPECT_EQ(rank_indices({1, 0}, 5, 4), (Indices{1}));
  EXPECT_EQ(rank_indices({1, 0}, 5, 3), (Indices{0}));
}

TEST(DistributedSampler, BadInputIsAnError) {
  EXPECT_THROW(distributed_sampler(0, options(2, 0)), gb::Error);
  EXPECT_THROW(distributed_sampler(10, options(0, 0)), gb::Error);
  EXPECT_THROW(distributed_sampler(10, options(2, 2)), gb::Error);
  EXPECT_THROW(distributed_sampler(10, options(2, -1)), gb::Error);
  EXPECT_THROW(distributed_sampler(3, options(4, 0, true, 0, true)), gb::Error);
}
