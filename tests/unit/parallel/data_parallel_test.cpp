// data_parallel_test.cpp: data-parallel training with real math on the digits MLP. The oracle is one
// device training on the whole batch (lib/nn, the same batches and optimizer): DDP, a synchronous
// parameter server and ZeRO's sharded update must end with its weights, up to the order of the f32
// additions (the all-reduce sums shard means in ring order; one device sums the whole batch at once).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "gb/core/error.hpp"
#include "gb/nn/data.hpp"
#include "gb/parallel/data_parallel.hpp"

namespace {

using namespace gb::parallel;
using gb::Tensor;

// Stated tolerance: f32 weights after 5 steps that differ only in the order of additions.
constexpr double kTolerance = 1e-5;

const gb::nn::Dataset& digits() {
  static const gb::nn::Dataset d = gb::nn::load_digits();
  return d;
}

double max_difference(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  double worst = 0;
  for (const auto& [name, t] : a) {
    const std::vector<double> x = t.to_vector(), y = b.at(name).to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  }
  return worst;
}

DataParallelConfig config(const std::string& optimizer = "sgd") {
  DataParallelConfig c;
  c.devices = 4;
  c.batch_size = 64;
  c.steps = 5;
  c.optimizer = optimizer;
  c.lr = optimizer == "adam" ? 1e-3 : 0.05;
  return c;
}

}  // namespace

TEST(DataParallel, DdpEqualsOneDeviceOnTheWholeBatch) {
  const TrainingRun single = train_single_device(digits(), config());
  const TrainingRun ddp = train_data_parallel(digits(), config());
  EXPECT_LT(max_difference(ddp.parameters, single.parameters), kTolerance);
  EXPECT_EQ(ddp.replica_spread, 0.0);  // every replica took the same step from the same averaged gradient
  ASSERT_EQ(ddp.losses.size(), single.losses.size());
  for (std::size_t s = 0; s < ddp.losses.size(); ++s) EXPECT_NEAR(ddp.losses[s], single.losses[s], 1e-5);
  EXPECT_LT(single.losses.back(), single.losses.front());  // it trains
  // The weights moved: the comparison is not between two untouched models.
  EXPECT_GT(max_difference(single.parameters, train_single_device(digits(), [] { auto c = config(); c.steps = 1; return c; }()).parameters), 1e-3);
}

TEST(DataParallel, SmallBucketsGiveTheSameWeights) {
  DataParallelConfig c = config();
  c.ddp.buckets.first_bucket_bytes = 1024;
  c.ddp.buckets.bucket_cap_bytes = 8192;
  const TrainingRun ddp = train_data_parallel(digits(), c);
  // Backward order: 5.bias + 5.weight (2600 bytes >= 1024), 3.bias + 3.weight, 1.bias + 1.weight (>= 8192).
  EXPECT_EQ(ddp.steps.front().buckets, (std::vector<std::vector<int>>{{5, 4}, {3, 2}, {1, 0}}));
  EXPECT_LT(max_difference(ddp.parameters, train_single_device(digits(), c).parameters), kTolerance);
}

TEST(DataParallel, TheRanksStartFromRankZerosWeights) {
  DataParallelConfig c = config();
  c.steps = 1;
  c.devices = 2;
  // Without the broadcast, rank 1 would train other weights and the replicas would differ.
  EXPECT_EQ(train_data_parallel(digits(), c).replica_spread, 0.0);
}

TEST(ParameterServer, SynchronousEqualsDataParallel) {
  const TrainingRun sync = train_parameter_server(digits(), config(), 0);
  EXPECT_LT(max_difference(sync.parameters, train_single_device(digits(), config()).parameters), kTolerance);
}

TEST(ParameterServer, StaleGradientsTakeAnotherPathButStillTrain) {
  DataParallelConfig c = config();
  c.steps = 20;
  const TrainingRun sync = train_parameter_server(digits(), c, 0);
  const TrainingRun stale = train_parameter_server(digits(), c, 3);
  EXPECT_GT(max_difference(stale.parameters, sync.parameters), 1e-3);
  const auto mean = [](const std::vector<double>& v, std::size_t from, std::size_t to) {
    double s = 0;
    for (std::size_t i = from; i < to; ++i) s += v[i];
    return s / static_cast<double>(to - from);
  };
  EXPECT_LT(mean(stale.losses, 15, 20), mean(stale.losses, 0, 5));  // the loss still falls
}

TEST(Zero, ShardedAdamEqualsDataParallelAdam) {
  const TrainingRun dp = train_data_parallel(digits(), config("adam"));
  const TrainingRun zero = train_zero(digits(), config("adam"));
  EXPECT_LT(max_difference(zero.parameters, dp.parameters), kTolerance);
  EXPECT_EQ(zero.replica_spread, 0.0);
  // Per step, reduce-scatter + all-gather send what one ring all-reduce sends: 2 (n - 1)/n of the buffer
  // (ZeRO's flat buffer is padded to a multiple of 4: 17228 values for 17226, hence the 0.1%).
  std::int64_t all_reduced = 0;
  for (const DdpStep& step : dp.steps) all_reduced += step.bytes_sent_per_rank;
  EXPECT_NEAR(static_cast<double>(zero.bytes_sent_per_rank) / static_cast<double>(all_reduced), 1.0, 0.001);
}

TEST(DataParallel, BadConfigurationsAreErrors) {
  DataParallelConfig c = config();
  c.batch_size = 63;  // 4 devices do not divide it
  EXPECT_THROW(train_data_parallel(digits(), c), gb::Error);
  c = config();
  c.optimizer = "lbfgs";
  EXPECT_THROW(train_zero(digits(), c), gb::Error);
  EXPECT_THROW(train_parameter_server(digits(), config(), -1), gb::Error);
}
