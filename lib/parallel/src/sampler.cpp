// sampler.cpp: DistributedSampler's three steps (see sampler.hpp and torch/utils/data/distributed.py).
#include "gb/parallel/sampler.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"

namespace gb::parallel {

std::vector<std::int64_t> rank_indices(const std::vector<std::int64_t>& order, int world, int rank, bool drop_last) {
  const auto n = static_cast<std::int64_t>(order.size());
  if (n < 1) throw Error("distributed sampler", "a data set of at least 1 example", "0 examples");
  if (world < 1) throw Error("distributed sampler", "a world size >= 1", std::to_string(world));
  if (rank < 0 || rank >= world)
    throw Error("distributed sampler", "a rank in 0.." + std::to_string(world - 1), std::to_string(rank));
  if (drop_last && n < world)
    throw Error("distributed sampler with drop_last", "at least one example per rank (" + std::to_string(world) + ")",
                std::to_string(n) + " examples");
  // Every rank reads the same number of examples: ceil(n / world), or floor(n / world) with drop_last.
  const std::int64_t per_rank = drop_last ? n / world : (n + world - 1) / world;
  const std::int64_t total = per_rank * world;
  std::vector<std::int64_t> padded(order.begin(), order.begin() + std::min(n, total));
  // Padding repeats the list from its start (more than once when world > n).
  for (std::int64_t i = 0; static_cast<std::int64_t>(padded.size()) < total; ++i) padded.push_back(order[i % n]);
  std::vector<std::int64_t> mine;
  mine.reserve(static_cast<std::size_t>(per_rank));
  for (std::int64_t i = rank; i < total; i += world) mine.push_back(padded[i]);  // indices[rank::world]
  return mine;
}

std::vector<std::int64_t> sampler_order(std::int64_t n, std::uint64_t seed, std::int64_t epoch, bool shuffle) {
  if (n < 1) throw Error("distributed sampler", "a data set of at least 1 example", std::to_string(n) + " examples");
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle) return order;
  // Every rank draws the same permutation: the generator depends only on seed + epoch, never on the rank.
  Rng rng(seed + static_cast<std::uint64_t>(epoch));
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.randint(0, i + 1)]);
  return order;
}

std::vector<std::int64_t> distributed_sampler(std::int64_t n, const SamplerOptions& options, std::int64_t epoch) {
  return rank_indices(sampler_order(n, options.seed, epoch, options.shuffle), options.world, options.rank,
                      options.drop_last);
}

}  // namespace gb::parallel
