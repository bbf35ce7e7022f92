// rank_training_dp_test.cpp: DDP and ZeRO written as rank programs (one replica per rank, talking only
// through the communicator) against the global-view trainers of lessons 11 and 12: the same arithmetic in
// the same order, so the same bits on every rank; and against one device within the f32 tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "gb/core/error.hpp"
#include "gb/nn/data.hpp"
#include "gb/parallel/rank_training.hpp"
#include "gb/parallel/simulated_ranks.hpp"
#include "gb/parallel/zero.hpp"

namespace {

using namespace gb::parallel;
using gb::Tensor;

const gb::nn::Dataset& digits() {
  static const gb::nn::Dataset d = gb::nn::load_digits();
  return d;
}

DataParallelConfig config(int devices, const std::string& optimizer) {
  DataParallelConfig c;
  c.devices = devices;
  c.batch_size = 48;
  c.steps = 4;
  c.optimizer = optimizer;
  c.lr = optimizer == "adam" ? 1e-3 : 0.05;
  c.ddp.buckets = {2048, 8192};  // several buckets for the 70 KB MLP
  return c;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * gb::dtype_size(a.dtype())) == 0;
}

double max_difference(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  double worst = 0;
  for (const auto& [name, t] : b) {
    const std::vector<double> x = a.at(name).to_vector(), y = t.to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  }
  return worst;
}

std::int64_t parameter_count(const std::map<std::string, Tensor>& parameters) {
  std::int64_t count = 0;
  for (const auto& [name, t] : parameters) count += t.numel();
  return count;
}

std::vector<RankRun> run_ranks(int n, const DataParallelConfig& c, bool zero) {
  return run_simulated_ranks_collect<RankRun>(n, [&](Communicator& world) {
    return zero ? zero_rank_train(world, digits(), c) : ddp_rank_train(world, digits(), c);
  });
}

}  // namespace

TEST(RankTrainingDp, DdpIsBitForBitTheGlobalTrainerOnEveryRank) {
  for (const std::string optimizer : {"sgd", "adam"}) {
    for (int n : {2, 3, 4}) {
      const DataParallelConfig c = config(n, optimizer);
      const TrainingRun global = train_data_parallel(digits(), c);
      const std::vector<RankRun> ranks = run_ranks(n, c, false);
      for (int r = 0; r < n; ++r) {
        const RankRun& run = ranks[static_cast<std::size_t>(r)];
        ASSERT_EQ(run.parameters.size(), global.parameters.size());
        for (const auto& [name, t] : global.parameters) EXPECT_TRUE(same_bits(run.parameters.at(name), t)) << optimizer << " n " << n << " rank " << r << " " << name;
        EXPECT_EQ(run.losses, global.losses) << optimizer << " n " << n << " rank " << r;
      }
      // Bytes: the broadcast of the weights plus, per step, every bucket's ring (2(n-1)/n of it, rounded
      // per chunk) and the gathered losses. At least the ring's share of the gradients:
      const std::int64_t grad_bytes = 4 * parameter_count(global.parameters);
      EXPECT_GE(ranks[0].stats.bytes_sent, c.steps * 2 * (n - 1) * grad_bytes / n);
    }
  }
}

TEST(RankTrainingDp, DdpOnOneRankIsOneDevice) {
  const DataParallelConfig c = config(1, "sgd");
  const std::vector<RankRun> ranks = run_ranks(1, c, false);
  const TrainingRun single = train_single_device(digits(), c);
  EXPECT_EQ(max_difference(ranks[0].parameters, single.parameters), 0.0);
  EXPECT_EQ(ranks[0].stats.messages_sent, 0);
}

TEST(RankTrainingDp, DdpEqualsOneDeviceWithinTheF32Tolerance) {
  const DataParallelConfig c = config(4, "sgd");
  const TrainingRun single = train_single_device(digits(), c);
  const std::vector<RankRun> ranks = run_ranks(4, c, false);
  const double gap = max_difference(ranks[3].parameters, single.parameters);
  EXPECT_LT(gap, 1e-5);
  EXPECT_GT(gap, 0.0);  // the shard means add in the ring's order, not the whole batch's
  for (std::size_t s = 0; s < single.losses.size(); ++s) EXPECT_NEAR(ranks[3].losses[s], single.losses[s], 1e-5);
}

TEST(RankTrainingDp, ZeroIsBitForBitTheGlobalTrainerOnEveryRank) {
  for (const std::string optimizer : {"sgd", "adam"}) {
    for (int n : {2, 4}) {
      const DataParallelConfig c = config(n, optimizer);
      const TrainingRun global = train_zero(digits(), c);
      const std::vector<RankRun> ranks = run_ranks(n, c, true);
      for (int r = 0; r < n; ++r) {
        const RankRun& run = ranks[static_cast<std::size_t>(r)];
        for (const auto& [name, t] : global.parameters) EXPECT_TRUE(same_bits(run.parameters.at(name), t)) << optimizer << " n " << n << " rank " << r << " " << name;
        EXPECT_EQ(run.losses, global.losses);
        // The master shard is 1/n of the (padded) parameters: what ZeRO saves.
        EXPECT_EQ(run.parameters.at("shard").numel(), shard_size(parameter_count(global.parameters), n));
      }
      EXPECT_LT(max_difference(ranks[0].parameters, train_single_device(digits(), c).parameters), 1e-5);
    }
  }
}

TEST(RankTrainingDp, BadConfigurationsAreErrors) {
  EXPECT_THROW(run_ranks(2, config(4, "sgd"), false), gb::Error);  // 4 devices configured, 2 ranks
  EXPECT_THROW(run_ranks(3, config(3, "lbfgs"), true), gb::Error);
  DataParallelConfig tree = config(2, "sgd");
  tree.ddp.algorithm = AllReduceAlgorithm::tree;
  EXPECT_THROW(run_ranks(2, tree, false), gb::Error);
}
