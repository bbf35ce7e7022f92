// collectives_parts_test.cpp: broadcast, reduce, reduce-scatter, all-gather, all-to-all and send/recv:
// values against the definitions written out here, times against Thakur et al.'s alpha-beta costs, and
// bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"

namespace {

using namespace gb::parallel;
using gb::DType;
using gb::Tensor;

const LinkCost kLink{3e-6, 1.0 / 50e9};

Simulator flat(int n) {
  ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = n;
  spec.intra_node = spec.inter_node = kLink;
  return Simulator(Cluster(spec));
}

std::vector<int> ranks(int n) {
  std::vector<int> g;
  for (int r = 0; r < n; ++r) g.push_back(r);
  return g;
}

std::vector<std::vector<double>> values_of(int n, std::int64_t numel, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(-50, 50);  // integers: f32 sums are exact
  std::vector<std::vector<double>> v(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(numel)));
  for (auto& row : v)
    for (double& x : row) x = u(rng);
  return v;
}

std::vector<Tensor> tensors_of(const std::vector<std::vector<double>>& v, std::vector<std::int64_t> shape) {
  std::vector<Tensor> out;
  for (const auto& row : v) out.push_back(Tensor::from_values(row, shape));
  return out;
}

std::vector<Tensor> zeros(int n, std::vector<std::int64_t> shape) {
  std::vector<Tensor> out;
  for (int r = 0; r < n; ++r) out.push_back(Tensor::zeros(shape));
  return out;
}

double lg(int n) { return std::ceil(std::log2(n)); }

}  // namespace

TEST(Broadcast, EveryRankGetsTheRootsTensorInCeilLog2NRounds) {
  for (int n : {1, 2, 3, 5, 8}) {
    for (int root : {0, n - 1}) {
      const auto v = values_of(n, 9, static_cast<unsigned>(n));
      auto data = tensors_of(v, {3, 3});
      Simulator sim = flat(n);
      const Issued issued = broadcast(sim, ranks(n), data, root);
      const double makespan = sim.run().makespan;
      for (const Tensor& t : data) EXPECT_EQ(t.to_vector(), v[static_cast<std::size_t>(root)]) << "n=" << n;
      EXPECT_NEAR(makespan, lg(n) * (kLink.alpha + 36 * kLink.beta), 1e-12) << "n=" << n;
      EXPECT_EQ(issued.steps, static_cast<int>(lg(n)));
    }
  }
}

TEST(Reduce, TheRootHoldsTheSumMeanOrMax) {
  for (int n : {1, 2, 3, 4, 7}) {
    const auto v = values_of(n, 5, 11);
    for (auto op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max}) {
      auto data = tensors_of(v, {5});
      Simulator sim = flat(n);
      reduce(sim, ranks(n), data, 1 % n, op);
      const double makespan = sim.run().makespan;
      const std::vector<double> got = data[static_cast<std::size_t>(1 % n)].to_vector();
      for (std::size_t i = 0; i < 5; ++i) {
        double sum = 0, max = -1e9;
        for (const auto& row : v) {
          sum += row[i];
          max = std::max(max, row[i]);
        }
        const double expected = op == ReduceOp::sum ? sum : op == ReduceOp::mean ? sum / n : max;
        EXPECT_NEAR(got[i], expected, 1e-5) << "n=" << n;
      }
      EXPECT_NEAR(makespan, lg(n) * (kLink.alpha + 20 * kLink.beta), 1e-12) << "n=" << n;
    }
  }
}

TEST(ReduceScatter, RankRGetsChunkROfTheSumInNMinusOneSteps) {
  for (int n : {1, 2, 3, 4, 5, 8}) {
    const std::int64_t chunk = 3, numel = chunk * n;
    const auto v = values_of(n, numel, 5);
    const auto in = tensors_of(v, {numel});
    auto out = zeros(n, {chunk});
    Simulator sim = flat(n);
    const Issued issued = reduce_scatter(sim, ranks(n), in, out, ReduceOp::sum);
    const double makespan = sim.run().makespan;
    for (int r = 0; r < n; ++r) {
      for (std::int64_t i = 0; i < chunk; ++i) {
        double sum = 0;
        for (const auto& row : v) sum += row[static_cast<std::size_t>(r * chunk + i)];
        EXPECT_EQ(out[static_cast<std::size_t>(r)].to_vector()[static_cast<std::size_t>(i)], sum) << "n=" << n;
      }
      EXPECT_EQ(in[static_cast<std::size_t>(r)].to_vector(), v[static_cast<std::size_t>(r)]) << "inputs untouched";
      EXPECT_EQ(issued.bytes_sent[static_cast<std::size_t>(r)], (n - 1) * chunk * 4);  // (n-1)/n x S
    }
    // Thakur et al. 2005: (p - 1) alpha + (p - 1)/p n beta.
    EXPECT_NEAR(makespan, (n - 1) * (kLink.alpha + chunk * 4 * kLink.beta), 1e-12) << "n=" << n;
  }
}

TEST(AllGather, EveryRankGetsEveryChunkInRankOrder) {
  for (int n : {1, 2, 3, 6}) {
    const auto v = values_of(n, 4, 9);
    const auto in = tensors_of(v, {2, 2});
    auto out = zeros(n, {2 * n, 2});
    Simulator sim = flat(n);
    all_gather(sim, ranks(n), in, out);
    const double makespan = sim.run().makespan;
    std::vector<double> expected;
    for (const auto& row : v) expected.insert(expected.end(), row.begin(), row.end());
    for (const Tensor& t : out) EXPECT_EQ(t.to_vector(), expected) << "n=" << n;
    EXPECT_NEAR(makespan, (n - 1) * (kLink.alpha + 16 * kLink.beta), 1e-12) << "n=" << n;
  }
}

TEST(AllToAll, ChunkJOfRankRLandsAtPositionROfRankJ) {
  const int n = 4;
  const auto v = values_of(n, 8, 21);  // [4, 2]: four chunks of one row
  const auto in = tensors_of(v, {4, 2});
  auto out = zeros(n, {4, 2});
  Simulator sim = flat(n);
  all_to_all(sim, ranks(n), in, out);
  const double makespan = sim.run().makespan;
  for (int j = 0; j < n; ++j)
    for (int r = 0; r < n; ++r)
      for (int k = 0; k < 2; ++k)
        EXPECT_EQ(out[static_cast<std::size_t>(j)].at({r, k}), v[static_cast<std::size_t>(r)][static_cast<std::size_t>(j * 2 + k)]);
  EXPECT_NEAR(makespan, (n - 1) * (kLink.alpha + 8 * kLink.beta), 1e-12);  // pairwise exchange
}

TEST(SendRecv, OneMessageCostsAlphaPlusBetaTimesItsBytes) {
  ClusterSpec spec;
  spec.devices = 4;
  spec.devices_per_node = 2;
  Simulator sim{Cluster(spec)};
  const Tensor data = Tensor::from_values({1, 2, 3}, {3});
  Tensor into = Tensor::zeros({3});
  const int inside = send_recv(sim, 0, 1, data, into);
  const int across = send_recv(sim, 1, 2, into, Tensor::zeros({3}), {inside});
  const Execution ex = sim.run();
  EXPECT_EQ(into.to_vector(), (std::vector<double>{1, 2, 3}));
  EXPECT_NEAR(ex.tasks[static_cast<std::size_t>(inside)].end, spec.intra_node.seconds(12), 1e-15);
  EXPECT_NEAR(ex.tasks[static_cast<std::size_t>(across)].end - ex.tasks[static_cast<std::size_t>(across)].start,
              spec.inter_node.seconds(12), 1e-15);
}

TEST(Collectives, BadInputGetsAnErrorNamingTheCollective) {
  Simulator sim = flat(4);
  auto data = zeros(4, {8});
  auto expect_error = [](auto&& call, const std::string& op) {
    try {
      call();
      ADD_FAILURE() << "no error for " << op;
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.op()).find(op), std::string::npos) << e.what();
    }
  };
  std::vector<Tensor> none;
  expect_error([&] { all_reduce(sim, {}, none); }, "all_reduce");
  expect_error([&] { all_reduce(sim, {0, 1, 2}, data); }, "all_reduce");  // 4 tensors for 3 ranks
  expect_error([&] { all_reduce(sim, {0, 1, 1, 2}, data); }, "all_reduce");
  expect_error([&] { all_reduce(sim, {0, 1, 2, 9}, data); }, "all_reduce");
  auto mixed = zeros(4, {8});
  mixed[2] = Tensor::zeros({7});
  expect_error([&] { all_reduce(sim, ranks(4), mixed); }, "all_reduce");
  auto ints = data;
  ints[0] = Tensor::zeros({8}, DType::i32);
  expect_error([&] { all_reduce(sim, ranks(4), ints); }, "all_reduce");
  auto strided = zeros(4, {8});
  strided[1] = Tensor::zeros({16}).slice(0, 0, 16, 2);
  expect_error([&] { all_reduce(sim, ranks(4), strided); }, "all_reduce");
  auto three = zeros(3, {8});
  expect_error([&] { all_reduce(sim, {0, 1, 2}, three, AllReduceAlgorithm::recursive_doubling); }, "all_reduce");
  expect_error([&] { broadcast(sim, ranks(4), data, 4); }, "broadcast");
  expect_error([&] { reduce(sim, ranks(4), data, -1); }, "reduce");
  auto out = zeros(4, {3});
  expect_error([&] { reduce_scatter(sim, ranks(4), data, out); }, "reduce_scatter");  // 8 / 4 != 3
  auto small = zeros(4, {2});
  auto in7 = zeros(4, {7});
  expect_error([&] { reduce_scatter(sim, ranks(4), in7, small); }, "reduce_scatter");  // 7 not divisible
  expect_error([&] { all_gather(sim, ranks(4), small, small); }, "all_gather");
  expect_error([&] { all_to_all(sim, ranks(4), in7, in7); }, "all_to_all");
  expect_error([&] { all_to_all(sim, ranks(4), data, data); }, "all_to_all");  // out is in
  expect_error([&] { send_recv(sim, 0, 0, data[0], data[1]); }, "send_recv");
  expect_error([&] { send_recv(sim, 0, 1, data[0], Tensor::zeros({3})); }, "send_recv");
  expect_error([&] { algorithm_from_name("butterfly"); }, "algorithm_from_name");
  EXPECT_EQ(algorithm_from_name("recursive_doubling"), AllReduceAlgorithm::recursive_doubling);
}
