// mpi_training_test.cpp: the four rank programs of rank_training.hpp (DDP, ZeRO, tensor and pipeline
// parallel) on MPI processes. Each process also runs the same program on simulated ranks and checks that
// its own RankRun is the same bits: losses, every parameter it holds, and the bytes it sent. The
// simulated runs are themselves checked against the global-view trainers and one device in
// tests/unit/parallel/rank_training_*_test.cpp, so this closes the chain MPI = simulated = one device.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

#include "gb/core/rng.hpp"
#include "gb/nn/data.hpp"
#include "gb/parallel/mpi_transport.hpp"
#include "gb/parallel/rank_training.hpp"
#include "gb/parallel/simulated_ranks.hpp"

namespace {

using namespace gb::parallel;
using gb::DType;
using gb::Tensor;

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * gb::dtype_size(a.dtype())) == 0;
}

// Runs `program` on the MPI world and on simulated ranks; compares this rank's two results.
void expect_same_on_mpi_and_simulated(const std::function<RankRun(Communicator&)>& program) {
  MpiTransport transport(60);
  Communicator world(transport);
  const RankRun real = program(world);
  const std::vector<RankRun> simulated = run_simulated_ranks_collect<RankRun>(world.size(), program);
  const RankRun& mine = simulated[static_cast<std::size_t>(world.rank())];
  EXPECT_EQ(real.losses, mine.losses);
  ASSERT_EQ(real.parameters.size(), mine.parameters.size());
  for (const auto& [name, t] : mine.parameters) {
    ASSERT_TRUE(real.parameters.count(name)) << name;
    EXPECT_TRUE(same_bits(real.parameters.at(name), t)) << name;
  }
  EXPECT_EQ(real.stats.bytes_sent, mine.stats.bytes_sent);
  EXPECT_EQ(real.stats.messages_sent, mine.stats.messages_sent);
  ASSERT_FALSE(real.losses.empty());
  EXPECT_LT(real.losses.back(), real.losses.front());  // it trains
}

const gb::nn::Dataset& digits() {
  static const gb::nn::Dataset d = gb::nn::load_digits();
  return d;
}

DataParallelConfig dp_config(int devices, const std::string& optimizer) {
  DataParallelConfig c;
  c.devices = devices;
  c.batch_size = 48;  // 2, 3, 4, 6, 8 ranks divide it
  c.steps = 4;
  c.optimizer = optimizer;
  c.lr = optimizer == "adam" ? 1e-3 : 0.05;
  c.ddp.buckets = {2048, 8192};
  return c;
}

int world_size() {
  MpiTransport transport;
  return transport.world_size();
}

}  // namespace

TEST(MpiTraining, DdpEqualsTheSimulatedRanks) {
  const DataParallelConfig c = dp_config(world_size(), "sgd");
  expect_same_on_mpi_and_simulated([&](Communicator& world) { return ddp_rank_train(world, digits(), c); });
}

TEST(MpiTraining, ZeroEqualsTheSimulatedRanks) {
  const DataParallelConfig c = dp_config(world_size(), "adam");
  expect_same_on_mpi_and_simulated([&](Communicator& world) { return zero_rank_train(world, digits(), c); });
}

TEST(MpiTraining, TensorParallelEqualsTheSimulatedRanks) {
  const int t = world_size();
  TpModelSpec spec;  // sizes that any t divides: heads t, vocabulary 4t, MLP width 8t
  spec.heads = t;
  spec.hidden = 2 * t;
  spec.vocab = 4 * t;
  spec.ffn = 8 * t;
  spec.layers = 2;
  const TpModelWeights init = init_tp_model(spec, 5);
  gb::Rng rng(6);
  Tensor ids = Tensor::zeros({spec.batch * spec.seq}, DType::i64), labels = ids.clone();
  for (std::int64_t i = 0; i < ids.numel(); ++i) {
    ids.data<std::int64_t>()[i] = rng.randint(0, spec.vocab);
    labels.data<std::int64_t>()[i] = rng.randint(0, spec.vocab);
  }
  expect_same_on_mpi_and_simulated([&](Communicator& world) { return tp_rank_train(world, spec, init, ids, labels, 3, 0.1); });
}

TEST(MpiTraining, PipelineParallelEqualsTheSimulatedRanks) {
  for (Schedule schedule : {Schedule::gpipe, Schedule::one_f_one_b}) {
    PipelineRankConfig c;
    c.widths = {8, 16, 16, 16, 4};  // four layers: up to four stages
    c.schedule = schedule;
    c.microbatches = 6;
    gb::Rng rng(11);
    const Tensor inputs = rng.normal({30, 8}, 0.0, 1.0), targets = rng.normal({30, 4}, 0.0, 1.0);
    expect_same_on_mpi_and_simulated([&](Communicator& world) { return pp_rank_train(world, c, inputs, targets); });
  }
}
