// ddp_test.cpp: one simulated DDP step: the averaged gradients against a sum computed here, the
// buckets' all-reduces against the backward tasks they wait for, overlap measured from the Execution,
// unused parameters, and the broadcast at the start.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/ddp.hpp"

namespace {

using namespace gb::parallel;
using gb::Tensor;

// Four layers of a weight (64K values) and a bias (256), backward costing about what a bucket's
// all-reduce costs on the default NVLink-like links.
struct Model {
  std::vector<DdpLayer> layers;
  std::vector<DdpParameter> parameters;
};
Model model() {
  Model m;
  for (int l = 0; l < 4; ++l) {
    m.parameters.push_back({std::to_string(l) + ".weight", 1 << 16});
    m.parameters.push_back({std::to_string(l) + ".bias", 256});
    m.layers.push_back({std::to_string(l), {2 * l, 2 * l + 1}, 1e9, 2e9});  // 10 us, 20 us
  }
  return m;
}

std::vector<std::vector<Tensor>> random_grads(const Model& m, int ranks) {
  gb::Rng rng(3);
  std::vector<std::vector<Tensor>> grads(ranks);
  for (auto& rank : grads)
    for (const DdpParameter& p : m.parameters) rank.push_back(rng.normal(gb::Shape{p.numel}));
  return grads;
}

DdpOptions options(bool overlap) {
  DdpOptions o;
  o.overlap = overlap;
  o.buckets.first_bucket_bytes = 4 << 16;  // one layer's weight: every bucket holds about one layer
  o.buckets.bucket_cap_bytes = 4 << 16;
  return o;
}

ClusterSpec spec(int n) {
  ClusterSpec s;
  s.devices = n;
  return s;
}

}  // namespace

TEST(DdpStep, EveryRankEndsWithTheMeanGradient) {
  const Model m = model();
  auto grads = random_grads(m, 4);
  const auto original = grads;
  Simulator sim{Cluster(spec(4))};
  ddp_step(sim, {0, 1, 2, 3}, m.layers, m.parameters, grads, options(true));
  for (std::size_t p = 0; p < m.parameters.size(); ++p) {
    std::vector<double> mean(static_cast<std::size_t>(m.parameters[p].numel), 0.0);
    for (const auto& rank : original) {
      const std::vector<double> v = rank[p].to_vector();
      for (std::size_t i = 0; i < v.size(); ++i) mean[i] += v[i] / 4;
    }
    for (int r = 0; r < 4; ++r) {
      const std::vector<double> got = grads[r][p].to_vector();
      double worst = 0;
      for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - mean[i]));
      EXPECT_LT(worst, 1e-6) << m.parameters[p].name << " on rank " << r;
    }
  }
}

TEST(DdpStep, EachBucketStartsWhenItsLastGradientIsReadyAndOverlapsTheBackward) {
  const Model m = model();
  auto grads = random_grads(m, 4);
  Simulator sim{Cluster(spec(4))};
  const DdpStep step = ddp_step(sim, {0, 1, 2, 3}, m.layers, m.parameters, grads, options(true));
  ASSERT_EQ(step.buckets.size(), 4u);
  EXPECT_EQ(step.buckets.front(), (std::vector<int>{7, 6}));  // the last layer's bias and weight, first
  const auto& tasks = step.execution.tasks;
  // The first message of bucket b starts after layer 3 - b's backward (its parameters) ends.
  for (std::size_t b = 0; b < step.buckets.size(); ++b) {
    double first_message = 1e30;
    for (int id : step.all_reduces[b].tasks) first_message = std::min(first_message, tasks[id].start);
    EXPECT_GE(first_message, tasks[step.backward_tasks[b]].end) << "bucket " << b;
  }
  // Overlap: the first bucket is reduced before the backward has ended.
  EXPECT_LT(tasks[step.bucket_tasks[0]].end, tasks[step.backward_tasks.back()].end);
}

TEST(DdpStep, OverlapHidesCommunication) {
  const Model m = model();
  auto a = random_grads(m, 4), b = a;
  Simulator with{Cluster(spec(4))}, without{Cluster(spec(4))};
  const DdpStep overlapped = ddp_step(with, {0, 1, 2, 3}, m.layers, m.parameters, a, options(true));
  const DdpStep serial = ddp_step(without, {0, 1, 2, 3}, m.layers, m.parameters, b, options(false));
  EXPECT_DOUBLE_EQ(overlapped.compute_seconds, serial.compute_seconds);
  EXPECT_LT(overlapped.step_seconds, serial.step_seconds);
  EXPECT_LT(overlapped.exposed_communication_seconds, serial.exposed_communication_seconds);
  // Without overlap nothing hides the communication: the step is compute then communication.
  EXPECT_NEAR(serial.step_seconds, serial.compute_seconds + serial.communication_seconds, 1e-12);
  EXPECT_NEAR(serial.exposed_communication_seconds, serial.communication_seconds, 1e-12);
  EXPECT_EQ(overlapped.bytes_sent_per_rank, serial.bytes_sent_per_rank);  // the same messages
}

TEST(DdpStep, UnusedParametersStopTheStepUnlessFound) {
  const Model m = model();
  auto grads = random_grads(m, 2);
  grads[1][2] = Tensor();  // rank 1's layer 1 weight got no gradient
  Simulator sim{Cluster(spec(2))};
  try {
    ddp_step(sim, {0, 1}, m.layers, m.parameters, grads, options(true));
    FAIL() << "expected a gb::Error";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("1.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("find_unused_parameters"), std::string::npos) << e.what();
  }
  DdpOptions o = options(true);
  o.find_unused_parameters = true;
  const std::vector<double> rank0 = grads[0][2].to_vector();
  Simulator sim2{Cluster(spec(2))};
  const DdpStep step = ddp_step(sim2, {0, 1}, m.layers, m.parameters, grads, o);
  EXPECT_EQ(step.unused, (std::vector<int>{2}));
  const std::vector<double> averaged = grads[1][2].to_vector();
  for (std::size_t i = 0; i < 100; ++i) EXPECT_NEAR(averaged[i], rank0[i] / 2, 1e-6);  // a zero from rank 1
}

TEST(DdpStep, BadInputIsAnError) {
  const Model m = model();
  auto grads = random_grads(m, 2);
  Simulator sim{Cluster(spec(2))};
  EXPECT_THROW(ddp_step(sim, {0, 1, 1}, m.layers, m.parameters, grads), gb::Error);  // 3 ranks, 2 lists
  auto layers = m.layers;
  layers[0].parameters = {0};  // parameter 1 in no layer
  EXPECT_THROW(ddp_step(sim, {0, 1}, layers, m.parameters, grads), gb::Error);
  grads[0][0] = Tensor::zeros({3});
  EXPECT_THROW(ddp_step(sim, {0, 1}, m.layers, m.parameters, grads), gb::Error);
}

TEST(BroadcastParameters, EveryRankGetsRankZerosValues) {
  gb::Rng rng(1);
  std::vector<std::vector<Tensor>> values(3);
  for (auto& rank : values) rank = {rng.normal(gb::Shape{5, 4}), rng.normal(gb::Shape{4})};
  const std::vector<double> w0 = values[0][0].to_vector();
  Simulator sim{Cluster(spec(3))};
  broadcast_parameters(sim, {0, 1, 2}, values);
  sim.run();
  for (int r = 1; r < 3; ++r) EXPECT_EQ(values[r][0].to_vector(), w0);
}
