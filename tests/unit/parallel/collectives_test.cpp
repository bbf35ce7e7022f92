// collectives_test.cpp: the collectives of lesson 10 against a straightforward sum computed here on
// random data, and their simulated times and volumes against the alpha-beta costs of Thakur,
// Rabenseifner and Gropp (2005), measured from the Execution and the issued tasks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/ring.hpp"

namespace {

using namespace gb::parallel;
using gb::DType;
using gb::Tensor;

const LinkCost kLink{5e-6, 1.0 / 10e9};  // 5 us, 10 GB/s

Simulator flat(int n, LinkCost link = kLink) {
  ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = n;
  spec.intra_node = spec.inter_node = link;
  return Simulator(Cluster(spec));
}

std::vector<int> ranks(int n) {
  std::vector<int> g(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) g[static_cast<std::size_t>(r)] = r;
  return g;
}

// One random tensor per rank; `values[r]` keeps a copy for the expected results.
struct Data {
  std::vector<Tensor> tensors;
  std::vector<std::vector<double>> values;
};
Data rank_data(int n, std::vector<std::int64_t> shape, DType dtype, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Data d;
  std::int64_t numel = 1;
  for (auto s : shape) numel *= s;
  for (int r = 0; r < n; ++r) {
    std::vector<double> v(static_cast<std::size_t>(numel));
    for (double& x : v) x = u(rng);
    d.tensors.push_back(Tensor::from_values(v, shape, dtype));
    d.values.push_back(Tensor::from_values(v, shape, dtype).to_vector());  // rounded to the dtype
  }
  return d;
}

// The reduction written the plain way: element by element over the ranks.
std::vector<double> reduced(const std::vector<std::vector<double>>& values, ReduceOp op) {
  std::vector<double> out = values[0];
  for (std::size_t r = 1; r < values.size(); ++r)
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = op == ReduceOp::max ? std::max(out[i], values[r][i]) : out[i] + values[r][i];
  if (op == ReduceOp::mean)
    for (double& x : out) x /= static_cast<double>(values.size());
  return out;
}

void expect_values(const Tensor& t, const std::vector<double>& expected, const std::string& what) {
  const std::vector<double> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-5) << what << " element " << i;
}

const char* op_name(ReduceOp op) { return op == ReduceOp::sum ? "sum" : op == ReduceOp::mean ? "mean" : "max"; }

// Bytes each rank sent, added up from the message tasks themselves (their "bytes" and "from" tags).
std::vector<double> bytes_from_tasks(const Simulator& sim, const Issued& issued, int n) {
  std::vector<double> out(static_cast<std::size_t>(n), 0);
  for (int id : issued.tasks) {
    const Task& t = sim.task(id);
    if (t.tags.count("bytes") != 0) out[static_cast<std::size_t>(t.tags.at("from"))] += t.tags.at("bytes");
  }
  return out;
}

}  // namespace

TEST(AllReduce, EveryAlgorithmEqualsTheSumMeanAndMaxOnRandomData) {
  for (auto algorithm : {AllReduceAlgorithm::ring, AllReduceAlgorithm::tree, AllReduceAlgorithm::recursive_doubling}) {
    for (int n : {1, 2, 3, 4, 5, 8}) {
      if (algorithm == AllReduceAlgorithm::recursive_doubling && (n & (n - 1)) != 0) continue;
      for (std::int64_t numel : {1, 7, 13, 64}) {
        for (auto op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max}) {
          for (auto dtype : {DType::f32, DType::f64}) {
            Simulator sim = flat(n);
            Data d = rank_data(n, {numel}, dtype, static_cast<unsigned>(n * 1000 + numel));
            all_reduce(sim, ranks(n), d.tensors, algorithm, op);
            sim.run();
            const auto expected = reduced(d.values, op);
            for (int r = 0; r < n; ++r)
              expect_values(d.tensors[static_cast<std::size_t>(r)], expected,
                            std::string(algorithm_name(algorithm)) + " " + op_name(op) + " n=" + std::to_string(n) +
                                " numel=" + std::to_string(numel) + " rank " + std::to_string(r));
          }
        }
      }
    }
  }
}

TEST(AllReduce, ValuesStayRightAcrossNodesWhereLinksDiffer) {
  // Two nodes of three and three devices: messages of one step finish at different times.
  ClusterSpec spec;
  spec.devices = 8;
  spec.devices_per_node = 3;
  for (auto algorithm : {AllReduceAlgorithm::ring, AllReduceAlgorithm::tree, AllReduceAlgorithm::recursive_doubling}) {
    Simulator sim{Cluster(spec)};
    const std::vector<int> group = {0, 5, 1, 6, 2, 7, 3, 4};
    Data d = rank_data(8, {3, 5}, DType::f32, 7);
    all_reduce(sim, group, d.tensors, algorithm);
    sim.run();
    for (const Tensor& t : d.tensors) expect_values(t, reduced(d.values, ReduceOp::sum), algorithm_name(algorithm));
  }
}

TEST(AllReduce, RingSendsTwoNMinusOneOverNTimesTheBufferPerRank) {
  for (int n : {2, 3, 4, 5, 8}) {
    const std::int64_t numel = 6 * n;  // S divisible by n
    Simulator sim = flat(n);
    Data d = rank_data(n, {numel}, DType::f32, 1);
    const Issued issued = all_reduce(sim, ranks(n), d.tensors);
    const double S = static_cast<double>(numel * 4);
    const std::vector<double> measured = bytes_from_tasks(sim, issued, n);
    for (int r = 0; r < n; ++r) {
      EXPECT_DOUBLE_EQ(measured[static_cast<std::size_t>(r)], 2.0 * (n - 1) / n * S) << "n=" << n << " rank " << r;
      EXPECT_EQ(issued.bytes_sent[static_cast<std::size_t>(r)], static_cast<std::int64_t>(measured[static_cast<std::size_t>(r)]));
    }
    EXPECT_EQ(issued.steps, 2 * (n - 1));
  }
}

TEST(AllReduce, MakespansMatchTheAlphaBetaFormulas) {
  const double a = kLink.alpha, b = kLink.beta;
  for (int n : {2, 3, 4, 5, 8}) {
    const std::int64_t numel = 1000 * n;
    const double S = static_cast<double>(numel * 4);
    const double lg = std::ceil(std::log2(n));
    struct Case {
      AllReduceAlgorithm algorithm;
      double formula;
    };
    std::vector<Case> cases = {{AllReduceAlgorithm::ring, 2.0 * (n - 1) * (a + S / n * b)},  // Thakur eq. for ring
                               {AllReduceAlgorithm::tree, 2.0 * lg * (a + S * b)}};          // binomial reduce + bcast
    if ((n & (n - 1)) == 0) cases.push_back({AllReduceAlgorithm::recursive_doubling, lg * (a + S * b)});
    for (const Case& c : cases) {
      Simulator sim = flat(n);
      Data d = rank_data(n, {numel}, DType::f32, 2);
      all_reduce(sim, ranks(n), d.tensors, c.algorithm);
      const Execution ex = sim.run();
      EXPECT_NEAR(ex.makespan, c.formula, 1e-12) << algorithm_name(c.algorithm) << " n=" << n;
      const CollectiveCost cost = all_reduce_cost(c.algorithm, n, numel * 4, kLink);
      EXPECT_NEAR(cost.seconds, c.formula, 1e-12) << "all_reduce_cost " << algorithm_name(c.algorithm) << " n=" << n;
    }
  }
}

TEST(AllReduce, CostOfOneRankIsZeroAndRecursiveDoublingNeedsAPowerOfTwo) {
  const CollectiveCost one = all_reduce_cost(AllReduceAlgorithm::ring, 1, 1 << 20, kLink);
  EXPECT_EQ(one.seconds, 0);
  EXPECT_EQ(one.bytes_sent_per_rank, 0);
  EXPECT_THROW(all_reduce_cost(AllReduceAlgorithm::recursive_doubling, 6, 1024, kLink), gb::Error);
  EXPECT_THROW(all_reduce_cost(AllReduceAlgorithm::ring, 0, 1024, kLink), gb::Error);
  EXPECT_THROW(all_reduce_cost(AllReduceAlgorithm::ring, 4, -1, kLink), gb::Error);
  EXPECT_EQ(all_reduce_cost(AllReduceAlgorithm::tree, 8, 4096, kLink).bytes_sent_per_rank, 3 * 4096);  // the root broadcasts log2 8 times
}

TEST(AllReduce, CrossNodeLinksAreSlowerThanIntraNodeOnes) {
  ClusterSpec spec;  // 8 devices, 4 per node
  spec.devices = 8;
  spec.devices_per_node = 4;
  auto ring_time = [&](const std::vector<int>& group) {
    Simulator sim{Cluster(spec)};
    Data d = rank_data(4, {1 << 16}, DType::f32, 3);
    all_reduce(sim, group, d.tensors);
    return sim.run().makespan;
  };
  const double S = 4.0 * (1 << 16);
  auto formula = [&](const LinkCost& l) { return 2.0 * 3 * (l.alpha + S / 4 * l.beta); };
  const double inside = ring_time({0, 1, 2, 3}), across = ring_time({0, 4, 1, 5});  // every hop crosses nodes
  EXPECT_NEAR(inside, formula(spec.intra_node), 1e-12);
  EXPECT_NEAR(across, formula(spec.inter_node), 1e-12);
  EXPECT_GT(across, 4 * inside);
}

TEST(AllReduce, WaitsForAfterAndReadsTheValuesAtRunTime) {
  Simulator sim = flat(3);
  std::vector<Tensor> grads = {Tensor::zeros({4}), Tensor::zeros({4}), Tensor::zeros({4})};
  // A backward pass on each device writes its gradient when it runs, after the collective was issued.
  std::vector<int> backward;
  for (int r = 0; r < 3; ++r) {
    Task t;
    t.name = "backward";
    t.kind = TaskKind::backward;
    t.device = r;
    t.resources = {sim.compute(r)};
    t.duration = 1e-3 * (r + 1);
    Tensor g = grads[static_cast<std::size_t>(r)];
    t.action = [g, r]() mutable { g.copy_from(Tensor::full({4}, r + 1.0)); };
    backward.push_back(sim.add(std::move(t)));
  }
  const Issued issued = all_reduce(sim, ranks(3), grads, AllReduceAlgorithm::ring, ReduceOp::sum, backward);
  const Execution ex = sim.run();
  for (const Tensor& g : grads) expect_values(g, {6, 6, 6, 6}, "sum of 1, 2, 3");
  double first = 1e9;
  for (int id : issued.tasks) first = std::min(first, ex.tasks[static_cast<std::size_t>(id)].start);
  EXPECT_DOUBLE_EQ(first, 3e-3) << "no message before the slowest backward ends";
  // done[r] ends when the last message that read or wrote rank r's buffer ends (chunks of 2, 1, 1
  // elements: the ranks finish at different times).
  for (int r = 0; r < 3; ++r) {
    double last = 0;
    for (int id : issued.tasks) {
      const Task& t = sim.task(id);
      if (t.tags.count("from") != 0 && (t.tags.at("from") == r || t.tags.at("to") == r))
        last = std::max(last, ex.tasks[static_cast<std::size_t>(id)].end);
    }
    EXPECT_DOUBLE_EQ(ex.tasks[static_cast<std::size_t>(issued.done[static_cast<std::size_t>(r)])].end, last) << "rank " << r;
  }
}

TEST(RingChunks, RangesDifferByAtMostOneAndCoverTheBuffer) {
  for (std::int64_t numel : {0, 1, 7, 10, 16}) {
    for (int n : {1, 2, 3, 4, 5, 8}) {
      std::int64_t next = 0, smallest = numel, largest = 0;
      for (int c = 0; c < n; ++c) {
        const ChunkRange range = ring_chunk_range(numel, n, c);
        EXPECT_EQ(range.begin, next);
        next += range.size;
        smallest = std::min(smallest, range.size);
        largest = std::max(largest, range.size);
      }
      EXPECT_EQ(next, numel);
      EXPECT_LE(largest - smallest, 1);
    }
  }
  EXPECT_EQ(ring_chunk_range(10, 4, 1).size, 3);  // torch.tensor_split(10 elements, 4): 3, 3, 2, 2
  EXPECT_EQ(ring_chunk_range(10, 4, 2).size, 2);
  EXPECT_THROW(ring_chunk_range(10, 4, 4), gb::Error);
  EXPECT_THROW(ring_chunk_range(10, 0, 0), gb::Error);
}
