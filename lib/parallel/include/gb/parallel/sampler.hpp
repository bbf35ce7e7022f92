// sampler.hpp: which examples each data-parallel rank reads (lesson 11), torch's DistributedSampler.
//
// Every rank must see a different part of the data and all ranks must take the same number of steps
// (a rank that ran out early would leave the others waiting in an all-reduce for ever). So the
// sampler (torch.utils.data.DistributedSampler):
//   1. orders the N indices: a permutation drawn from the seed seed + epoch (every rank draws the same
//      one, and set_epoch changes it each epoch), or 0..N-1 without shuffle;
//   2. pads the list to a multiple of the world size by repeating it from the start (or, with
//      drop_last, cuts it down to one);
//   3. gives rank r the indices[r::world]: positions r, r + world, r + 2 world, ...
// Each rank gets ceil(N / world) indices (floor with drop_last); with padding a few examples are
// seen twice per epoch.
#pragma once

#include <cstdint>
#include <vector>

namespace gb::parallel {

struct SamplerOptions {
  int world = 1;               // number of ranks (num_replicas)
  int rank = 0;                // 0 <= rank < world
  std::uint64_t seed = 0;      // the permutation of epoch e is drawn from seed + e
  bool shuffle = true;         // false: the data set's own order
  bool drop_last = false;      // true: cut the tail instead of padding
};

// Steps 2 and 3 on a given order of the indices (any permutation of 0..N-1): what torch does after
// torch.randperm. Throws gb::Error for an empty order, world < 1 or a rank outside 0..world-1, or
// drop_last with fewer indices than ranks.
std::vector<std::int64_t> rank_indices(const std::vector<std::int64_t>& order, int world, int rank,
                                       bool drop_last = false);

// The order of step 1: a Fisher-Yates shuffle drawn from gb::Rng(seed + epoch), or 0..n-1.
// (glassbox's generator, not torch's: the permutations differ from torch.randperm, the rules above
// do not.) Throws gb::Error for n < 1.
std::vector<std::int64_t> sampler_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch, bool shuffle);

// The indices rank options.rank reads in epoch `epoch` of a data set of n examples.
std::vector<std::int64_t> distributed_sampler(std::int64_t n, const SamplerOptions& options, std::int64_t epoch = 0);

}  // namespace gb::parallel
