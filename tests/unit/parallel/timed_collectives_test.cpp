// timed_collectives_test.cpp: the timing-only collectives (no values) take the same time and send the
// same bytes as the real ones on tensors of the same size, measured from two executions side by side.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"

namespace {

using namespace gb::parallel;
using gb::DType;
using gb::Tensor;

Simulator two_nodes(int n) {
  ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = 2;  // some links intra-node, some inter-node
  return Simulator(Cluster(spec));
}

std::vector<int> ranks(int n) {
  std::vector<int> g;
  for (int r = 0; r < n; ++r) g.push_back(r);
  return g;
}

std::vector<Tensor> f32_buffers(int n, std::int64_t numel) {
  std::vector<Tensor> t;
  for (int r = 0; r < n; ++r) t.push_back(Tensor::zeros({numel}, DType::f32));
  return t;
}

TEST(TimedCollectives, AllReduceTakesTheTimeAndBytesOfTheRealOne) {
  for (int n : {1, 2, 3, 4, 8}) {
    for (auto algorithm : {AllReduceAlgorithm::ring, AllReduceAlgorithm::tree, AllReduceAlgorithm::recursive_doubling}) {
      if (algorithm == AllReduceAlgorithm::recursive_doubling && (n & (n - 1)) != 0) continue;
      const std::int64_t numel = 1000 * n;
      Simulator real = two_nodes(n), timed = two_nodes(n);
      auto data = f32_buffers(n, numel);
      const Issued a = all_reduce(real, ranks(n), data, algorithm);
      const Issued b = timed_all_reduce(timed, ranks(n), numel * 4, algorithm);
      EXPECT_DOUBLE_EQ(real.run().makespan, timed.run().makespan) << n << " " << algorithm_name(algorithm);
      EXPECT_EQ(a.bytes_sent, b.bytes_sent);
      EXPECT_EQ(a.steps, b.steps);
    }
  }
}

TEST(TimedCollectives, ReduceScatterAndAllGatherAreTheRingsHalves) {
  for (int n : {1, 2, 4, 6}) {
    const std::int64_t chunk = 256;
    Simulator real = two_nodes(n), timed = two_nodes(n);
    auto full = f32_buffers(n, chunk * n), part = f32_buffers(n, chunk), gathered = f32_buffers(n, chunk * n);
    const Issued rs = reduce_scatter(real, ranks(n), full, part);
    const Issued ag = all_gather(real, ranks(n), part, gathered, rs.done);
    const Issued trs = timed_reduce_scatter(timed, ranks(n), chunk * n * 4);
    const Issued tag = timed_all_gather(timed, ranks(n), chunk * 4, trs.done);
    EXPECT_DOUBLE_EQ(real.run().makespan, timed.run().makespan) << n;
    EXPECT_EQ(rs.bytes_sent, trs.bytes_sent);
    EXPECT_EQ(ag.bytes_sent, tag.bytes_sent);
    // Together: the ring all-reduce, 2(n-1)/n x S per rank.
    EXPECT_EQ(trs.bytes_sent[0] + tag.bytes_sent[0], 2 * (n - 1) * chunk * 4);
  }
}

TEST(TimedCollectives, SendCostsOneMessageAndBadInputIsAnError) {
  Simulator sim = two_nodes(4);
  timed_send(sim, 0, 2, 1 << 20);  // across nodes
  const LinkCost inter = sim.cluster().spec().inter_node;
  EXPECT_DOUBLE_EQ(sim.run().makespan, inter.seconds(1 << 20));
  Simulator bad = two_nodes(4);
  EXPECT_THROW(timed_all_reduce(bad, {0, 9}, 16), gb::Error);
  EXPECT_THROW(timed_all_gather(bad, {}, 16), gb::Error);
  EXPECT_THROW(timed_reduce_scatter(bad, {0, 1}, -1), gb::Error);
  EXPECT_THROW(timed_send(bad, 1, 1, 16), gb::Error);
  EXPECT_THROW(timed_all_reduce(bad, {0, 1, 2}, 16, AllReduceAlgorithm::recursive_doubling), gb::Error);
}

}  // namespace
