// redistribute_test.cpp: redistribution plans (redistribute.hpp). The oracle for values is the layout
// itself: for every pair of layouts (on [2, 4], [8] and [2, 2, 2]), random shards of A pushed through the
// real collectives must be exactly to_shards(global, B); partial layouts start from random addends.
// Times and bytes: the real run equals the timed run, and both equal the alpha-beta formulas of
// Thakur, Rabenseifner and Gropp (2005) for the ring collectives, typed here.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/redistribute.hpp"

namespace {

using namespace gb::parallel;
using gb::Tensor;
using Kind = RedistributionKind;

Layout layout(std::vector<std::int64_t> matrix, std::vector<int> map, std::vector<std::int64_t> shape, std::vector<int> partial = {}) {
  return Layout{std::move(matrix), std::move(map), std::move(shape), std::move(partial)};
}

std::vector<Layout> layouts_on(const std::vector<std::int64_t>& matrix, const std::vector<std::int64_t>& shape) {
  const int axes = static_cast<int>(matrix.size());
  std::vector<Layout> out;
  // Every map of the 2 dims (each -1 or an axis, no axis twice), then with every free axis partial.
  for (int a = -1; a < axes; ++a)
    for (int b = -1; b < axes; ++b) {
      if (a != -1 && a == b) continue;
      out.push_back(layout(matrix, {a, b}, shape));
      for (int p = 0; p < axes; ++p)
        if (p != a && p != b) out.push_back(layout(matrix, {a, b}, shape, {p}));
    }
  return out;
}

// Shards of `global` in layout l whose partial axes hold random addends (summing to the values).
std::vector<Tensor> random_shards(const Tensor& global, const Layout& l, gb::Rng& rng) {
  Layout whole = l;
  whole.partial.clear();
  std::vector<Tensor> shards = to_shards(global, whole);
  if (l.partial.empty()) return shards;
  for (int axis : l.partial) {
    for (const std::vector<int>& group : axis_groups(l, axis)) {
      // rank 0 keeps value - (sum of the others' random addends)
      Tensor rest = Tensor::zeros(shards[static_cast<std::size_t>(group[0])].shape(), gb::DType::f64);
      std::vector<double> sum(static_cast<std::size_t>(rest.numel()), 0.0);
      for (std::size_t r = 1; r < group.size(); ++r) {
        Tensor addend = rng.normal(rest.shape(), 0, 1, gb::DType::f64);
        const auto v = addend.to_vector();
        for (std::size_t k = 0; k < v.size(); ++k) sum[k] += v[k];
        shards[static_cast<std::size_t>(group[r])] = addend;
      }
      auto own = shards[static_cast<std::size_t>(group[0])].to_vector();
      for (std::size_t k = 0; k < own.size(); ++k) own[k] -= sum[k];
      shards[static_cast<std::size_t>(group[0])] = Tensor::from_values(own, rest.shape(), gb::DType::f64);
    }
  }
  return shards;
}

ClusterSpec flat(int n) {
  ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = n;
  spec.intra_node = {5e-6, 1.0 / 25e9};
  return spec;
}

}  // namespace

TEST(Redistribute, EveryPairOfLayoutsMovesTheRightValues) {
  gb::Rng rng(2024);
  int pairs = 0;
  for (const auto& [matrix, shape] : std::vector<std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>>{
           {{2, 4}, {8, 8}}, {{8}, {8, 16}}, {{2, 2, 2}, {4, 4}}}) {
    const std::vector<Layout> all = layouts_on(matrix, shape);
    for (const Layout& a : all) {
      for (const Layout& b : all) {
        const Tensor global = rng.normal(shape, 0, 1, gb::DType::f64);
        const RedistributionPlan plan = plan_redistribution(a, b, 8);  // f64
        RedistributionCost real;
        const std::vector<Tensor> got = apply_redistribution(plan, random_shards(global, a, rng), flat(device_count(a)), &real);
        const std::string what = describe(a) + " -> " + describe(b);
        // Against the target layout's own shards (exact for copies and splits; sums round).
        const Tensor back = from_shards(got, b);
        const auto want = global.to_vector(), have = back.to_vector();
        for (std::size_t k = 0; k < want.size(); ++k) ASSERT_NEAR(have[k], want[k], 1e-12) << what;
        if (b.partial.empty()) {
          const std::vector<Tensor> expected = to_shards(global, b);
          for (std::size_t d = 0; d < got.size(); ++d) {
            const auto e = expected[d].to_vector(), g = got[d].to_vector();
            for (std::size_t k = 0; k < e.size(); ++k) ASSERT_NEAR(g[k], e[k], 1e-12) << what << " device " << d;
          }
        }
        // The timed run (no values) takes the same time and sends the same bytes.
        const RedistributionCost timed = time_redistribution(plan, flat(device_count(a)));
        EXPECT_NEAR(timed.seconds, real.seconds, 1e-15) << what;
        EXPECT_EQ(timed.step_bytes_sent, real.step_bytes_sent) << what;
        if (a == b) {
          EXPECT_TRUE(plan.steps.empty()) << what;
        }
        ++pairs;
      }
    }
  }
  EXPECT_EQ(pairs, 13 * 13 + 4 * 4 + 34 * 34);
}

TEST(Redistribute, PlansInsertTheCollectivesMindSporeNames) {
  const std::vector<std::int64_t> m{2, 4}, s{8, 8};
  auto kinds = [](const RedistributionPlan& p) {
    std::vector<Kind> k;
    for (const auto& step : p.steps) k.push_back(step.kind);
    return k;
  };
  EXPECT_EQ(kinds(plan_redistribution(layout(m, {1, -1}, s), layout(m, {-1, -1}, s))), std::vector<Kind>{Kind::all_gather});
  EXPECT_EQ(kinds(plan_redistribution(layout(m, {-1, -1}, s), layout(m, {1, 0}, s))), (std::vector<Kind>{Kind::split, Kind::split}));
  EXPECT_EQ(kinds(plan_redistribution(layout(m, {0, -1}, s), layout(m, {-1, 0}, s))), std::vector<Kind>{Kind::all_to_all});
  EXPECT_EQ(kinds(plan_redistribution(layout(m, {-1, -1}, s, {0}), layout(m, {-1, -1}, s))), std::vector<Kind>{Kind::all_reduce});
  EXPECT_EQ(kinds(plan_redistribution(layout(m, {-1, -1}, s, {0}), layout(m, {0, -1}, s))), std::vector<Kind>{Kind::reduce_scatter});
  // Swapping the axes of two dims: nothing can move first, so one all-gather, one all-to-all, one split.
  EXPECT_EQ(kinds(plan_redistribution(layout(m, {1, 0}, s), layout(m, {0, 1}, s))),
            (std::vector<Kind>{Kind::all_gather, Kind::all_to_all, Kind::split}));
  const auto p = plan_redistribution(layout(m, {1, -1}, s), layout(m, {-1, -1}, s));
  EXPECT_EQ(p.steps[0].describe(), "all-gather dim 0 along axis 1 (4 groups of 2)");
  EXPECT_EQ(p.steps[0].bytes, 4 * 8 * 4);
}

TEST(Redistribute, TimesAndBytesAreTheRingFormulas) {
  const int n = 8;
  const double alpha = 5e-6, beta = 1.0 / 25e9;
  const std::int64_t rows = 64, cols = 4096, S = rows * cols * 4;  // 1 MiB in f32
  const std::vector<std::int64_t> m{n}, s{rows, cols};
  auto cost = [&](const Layout& a, const Layout& b) { return time_redistribution(plan_redistribution(a, b), flat(n)); };
  const double chunk = static_cast<double>(S) / n;
  // S(0) -> R: all-gather of S/n-byte chunks: (n-1)(alpha + beta S/n), (n-1) S/n bytes.
  const auto gather = cost(layout(m, {0, -1}, s), layout(m, {-1, -1}, s));
  EXPECT_NEAR(gather.seconds, (n - 1) * (alpha + beta * chunk), 1e-12);
  EXPECT_EQ(gather.step_bytes_sent[0], (n - 1) * S / n);
  // P -> R: ring all-reduce, 2(n-1)(alpha + beta S/n), 2(n-1) S/n bytes.
  const auto reduce = cost(layout(m, {-1, -1}, s, {0}), layout(m, {-1, -1}, s));
  EXPECT_NEAR(reduce.seconds, 2 * (n - 1) * (alpha + beta * chunk), 1e-12);
  EXPECT_EQ(reduce.step_bytes_sent[0], 2 * (n - 1) * S / n);
  // S(0) -> S(1): all-to-all, each device keeps 1/n of its S/n and sends the rest: (n-1)(alpha + beta S/n^2).
  const auto a2a = cost(layout(m, {0, -1}, s), layout(m, {-1, 0}, s));
  EXPECT_NEAR(a2a.seconds, (n - 1) * (alpha + beta * chunk / n), 1e-12);
  EXPECT_EQ(a2a.step_bytes_sent[0], (n - 1) * S / n / n);
  // R -> S(0) is free.
  EXPECT_EQ(cost(layout(m, {-1, -1}, s), layout(m, {0, -1}, s)).seconds, 0.0);
  // The backward of an all-gather is a reduce-scatter (P -> S(0)): the ring's other half, same time, same bytes.
  const auto scatter = cost(layout(m, {-1, -1}, s, {0}), layout(m, {0, -1}, s));
  EXPECT_NEAR(scatter.seconds, gather.seconds, 1e-15);
  EXPECT_EQ(scatter.step_bytes_sent, gather.step_bytes_sent);
}

TEST(Redistribute, MessagesAreReportedPerStep) {
  const auto plan = plan_redistribution(layout({2, 4}, {1, 0}, {8, 8}), layout({2, 4}, {0, 1}, {8, 8}));
  const auto cost = time_redistribution(plan, flat(8));
  ASSERT_EQ(cost.step_seconds.size(), 3u);
  int gather = 0, a2a = 0;
  for (const auto& msg : cost.messages) {
    EXPECT_NE(msg.from, msg.to);
    EXPECT_LE(msg.end, cost.seconds + 1e-15);
    (msg.step == 0 ? gather : a2a)++;
  }
  EXPECT_EQ(gather, 2 * 4 * 3);  // along axis 0: 2 groups of 4, a ring of 3 steps, each rank sending
  EXPECT_EQ(a2a, 4 * 2 * 1);     // along axis 1: 4 groups of 2, one pairwise step
}

TEST(Redistribute, BadInputsAreErrors) {
  const Layout a = layout({2, 4}, {1, 0}, {8, 8});
  EXPECT_THROW(plan_redistribution(a, layout({8}, {0, -1}, {8, 8})), gb::Error);
  EXPECT_THROW(plan_redistribution(a, layout({2, 4}, {1, 0}, {8, 16})), gb::Error);
  EXPECT_THROW(plan_redistribution(a, a, 0), gb::Error);
  EXPECT_THROW(plan_redistribution(a, layout({2, 4}, {1, 1}, {8, 8})), gb::Error);
  const auto plan = plan_redistribution(a, layout({2, 4}, {-1, -1}, {8, 8}));
  EXPECT_THROW(apply_redistribution(plan, {Tensor::zeros({4, 2})}), gb::Error);
  std::vector<Tensor> wrong(8, Tensor::zeros({2, 4}));
  EXPECT_THROW(apply_redistribution(plan, wrong), gb::Error);
  std::vector<Tensor> ints(8, Tensor::zeros({4, 2}, gb::DType::i32));
  EXPECT_THROW(apply_redistribution(plan, ints), gb::Error);
  std::vector<Tensor> doubles(8, Tensor::zeros({4, 2}, gb::DType::f64));  // the plan counted 4 bytes per element
  EXPECT_THROW(apply_redistribution(plan, doubles), gb::Error);
}
