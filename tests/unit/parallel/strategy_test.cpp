// strategy_test.cpp: the strategy search (strategy.hpp). The dynamic program must return the optimum
// that brute force finds over every combination (random chains, random memory limits), and the
// outcomes must be the textbook ones: a small model picks data parallelism, weights that do not fit
// get sharded, and a transformer MLP block becomes Megatron's column-then-row pair, whose
// middle needs no redistribution. Costs are checked against the alpha-beta formulas where they are one
// collective.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/redistribute.hpp"
#include "gb/parallel/strategy.hpp"

namespace {

using namespace gb::parallel;
using S = LayerStrategy;

StrategyProblem problem(std::int64_t batch, const std::vector<std::int64_t>& widths, int devices = 8) {
  StrategyProblem p;
  p.batch = batch;
  p.layers = mlp_chain(widths);
  p.devices = devices;
  p.cluster.devices_per_node = devices;  // one node: every link NVLink-like
  return p;
}

}  // namespace

TEST(Strategy, TheDynamicProgramFindsTheBruteForceOptimum) {
  gb::Rng rng(15);
  const std::int64_t sizes[] = {64, 128, 256, 1024, 4096};
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<std::int64_t> widths;
    const int layers = static_cast<int>(rng.randint(1, 6));
    for (int i = 0; i <= layers; ++i) widths.push_back(sizes[rng.randint(0, 5)]);
    StrategyProblem p = problem(sizes[rng.randint(0, 5)] / 8, widths, trial % 2 ? 8 : 4);
    // A limit between the smallest and the largest memory of any assignment, sometimes none.
    const std::int64_t all_dp = evaluate_strategy(p, std::vector<S>(widths.size() - 1, S::data_parallel)).memory_bytes;
    if (trial % 3 != 0) p.memory_limit = static_cast<std::int64_t>(static_cast<double>(all_dp) * rng.uniform(0.3, 1.2));
    StrategyChoice dp, brute;
    bool dp_found = true, brute_found = true;
    try {
      dp = search_strategy(p);
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error&) {
      dp_found = false;
    }
    try {
      brute = brute_force_strategy(p);
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error&) {
      brute_found = false;
    }
    ASSERT_EQ(dp_found, brute_found) << "trial " << trial;
    if (!dp_found) continue;
    EXPECT_NEAR(dp.seconds, brute.seconds, 1e-12 * brute.seconds) << "trial " << trial;
    if (p.memory_limit > 0) {
      EXPECT_LE(dp.memory_bytes, p.memory_limit);
    }
    // The choice is what it says it is.
    const StrategyChoice again = evaluate_strategy(p, dp.strategies);
    EXPECT_DOUBLE_EQ(again.seconds, dp.seconds);
    EXPECT_EQ(again.memory_bytes, dp.memory_bytes);
  }
}

TEST(Strategy, ASmallModelPicksDataParallelism) {
  // Small weights, a big batch: sharing the work pays, and the weight gradients are the cheapest thing to send.
  const StrategyChoice c = search_strategy(problem(16384, {512, 512, 512, 512}));
  EXPECT_EQ(c.strategies, std::vector<S>(3, S::data_parallel));
  // A tiny batch: the work is so small that every collective costs more than doing it all everywhere.
  EXPECT_EQ(search_strategy(problem(64, {512, 512, 512, 512})).strategies, std::vector<S>(3, S::replicate));
}

TEST(Strategy, WeightsThatDoNotFitAreSharded) {
  StrategyProblem p = problem(16384, {2048, 2048, 2048, 2048});
  const StrategyChoice free = search_strategy(p);
  EXPECT_EQ(free.strategies, std::vector<S>(3, S::data_parallel));
  p.memory_limit = free.memory_bytes * 3 / 4;
  const StrategyChoice tight = search_strategy(p);
  EXPECT_LE(tight.memory_bytes, p.memory_limit);
  EXPECT_GT(tight.seconds, free.seconds);
  int sharded = 0;
  for (S s : tight.strategies) sharded += s == S::column || s == S::row;
  EXPECT_GE(sharded, 1);
  p.memory_limit = 1 << 20;  // nothing fits in 1 MiB
  EXPECT_THROW(search_strategy(p), gb::Error);
  EXPECT_THROW(brute_force_strategy(p), gb::Error);
}

TEST(Strategy, AnMlpBlockBecomesMegatronsColumnThenRow) {
  StrategyProblem p = problem(2048, {4096, 16384, 4096});  // 2048 tokens
  const StrategyChoice c = search_strategy(p);
  EXPECT_EQ(c.strategies, (std::vector<S>{S::column, S::row}));
  // Column's Y is split by columns, exactly the split row wants for its X: no message either way.
  EXPECT_EQ(redistribution_seconds(p, output_layout(p, 0, S::column), input_layout(p, 1, S::row)), 0.0);
  EXPECT_TRUE(plan_redistribution(output_layout(p, 0, S::column), input_layout(p, 1, S::row)).steps.empty());
}

TEST(Strategy, LayerCostsAreTheFormulas) {
  StrategyProblem p = problem(512, {1024, 2048});
  const double n = 8, alpha = p.cluster.intra_node.alpha, beta = p.cluster.intra_node.beta;
  const double flops = 6.0 * 512 * 1024 * 2048;
  const LayerCost dp = layer_cost(p, 0, S::data_parallel);
  EXPECT_DOUBLE_EQ(dp.compute_seconds, flops / n / p.cluster.flops_per_second);
  // Ring all-reduce of the weight gradient: 2(n-1)(alpha + beta S/n).
  EXPECT_NEAR(dp.collective_seconds, 2 * (n - 1) * (alpha + beta * 1024 * 2048 * 4 / n), 1e-12);
  EXPECT_EQ(dp.model_state_bytes, 1024 * 2048 * 16);
  EXPECT_EQ(dp.activation_bytes, 512 / 8 * 1024 * 4);
  const LayerCost col = layer_cost(p, 0, S::column);
  EXPECT_NEAR(col.collective_seconds, 2 * (n - 1) * (alpha + beta * 512 * 1024 * 4 / n), 1e-12);
  EXPECT_EQ(col.model_state_bytes, 1024 * 2048 / 8 * 16);
  EXPECT_EQ(col.activation_bytes, 512 * 1024 * 4);
  const LayerCost rep = layer_cost(p, 0, S::replicate);
  EXPECT_DOUBLE_EQ(rep.compute_seconds, flops / p.cluster.flops_per_second);
  EXPECT_EQ(rep.collective_seconds, 0.0);
}

TEST(Strategy, BadProblemsAreErrors) {
  EXPECT_THROW(search_strategy(problem(8, {64})), gb::Error);  // mlp_chain: no layer
  StrategyProblem p = problem(8, {64, 64});
  p.layers.push_back({32, 64});  // not a chain
  EXPECT_THROW(search_strategy(p), gb::Error);
  p = problem(0, {64, 64});
  EXPECT_THROW(search_strategy(p), gb::Error);
  p = problem(6, {60, 60}, 8);  // nothing divides by 8: only replicate fits
  EXPECT_EQ(search_strategy(p).strategies, std::vector<S>{S::replicate});
  EXPECT_THROW(layer_cost(p, 0, S::data_parallel), gb::Error);
  EXPECT_THROW(evaluate_strategy(p, {S::column}), gb::Error);
  EXPECT_THROW(evaluate_strategy(p, {S::replicate, S::replicate}), gb::Error);
  EXPECT_THROW(layer_strategy_from_name("diagonal"), gb::Error);
  EXPECT_EQ(layer_strategy_from_name("row"), S::row);
}
