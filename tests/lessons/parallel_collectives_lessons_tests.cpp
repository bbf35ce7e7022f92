// parallel_collectives_lessons_tests.cpp: lesson 10-collectives, checked on what its recording holds,
// independently of the scenario's own checks: the panels' final rows against the sums typed here
// (rank r holds (i + 1) x 10^r), the ring's partial sums as each chunk arrives, its 2(n - 1) steps,
// messages and timeline against 2(n - 1)(alpha + S beta / n), the bytes per rank against
// 2(n - 1)/n x S, the plotted times against the published formulas, and the measured crossovers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

const double kAlpha = 1e-5, kBeta = 4e-11;  // the lesson's defaults: 10 us, 25 GB/s

const Recording& collectives() {
  static const Recording r = gb::lessons::run("10-collectives");  // 4 ranks, 8 f64 elements, 25 MiB
  return r;
}

Scene final_scene(const Recording& r, const std::string& id) {
  const auto state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("parallel_collectives_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

// Rank r's input at element i, and the sum over the n ranks.
double input(int r, std::int64_t i) { return static_cast<double>(i + 1) * std::pow(10.0, r); }
double sum(int n, std::int64_t i) {
  double total = 0;
  for (int r = 0; r < n; ++r) total += input(r, i);
  return total;
}

double cell(const Scene& s, int row, std::int64_t col) { return s.tensor.values.at(static_cast<std::size_t>(row * s.tensor.cols + col)); }

void expect_every_row_is_the_sum(const Recording& r, const std::string& id, int n, std::int64_t elements) {
  const Scene s = final_scene(r, id);
  ASSERT_EQ(s.tensor.rows, n) << id;
  ASSERT_EQ(s.tensor.cols, elements) << id;
  for (int row = 0; row < n; ++row)
    for (std::int64_t i = 0; i < elements; ++i) EXPECT_EQ(cell(s, row, i), sum(n, i)) << id << " rank " << row << " element " << i;
}

const std::vector<std::string>& table_row(const Scene& table, const std::string& first) {
  for (const auto& row : table.table.rows)
    if (row.at(0) == first) return row;
  throw gb::Error("parallel_collectives_lessons_tests", "a table row " + first, "none");
}

const gb::trace::Series& series(const Scene& plot, const std::string& name) {
  for (const auto& s : plot.plot.series)
    if (s.name == name) return s;
  throw gb::Error("parallel_collectives_lessons_tests", "a series " + name, "none");
}

}  // namespace

TEST(Lesson10, EveryCollectiveEndsWithTheValuesItPromises) {
  const int n = 4;
  const std::int64_t elements = 8, chunk = 2;
  for (const std::string id : {"all_reduce_ring", "all_reduce_tree", "all_gather", "ring_cells"})
    expect_every_row_is_the_sum(collectives(), id, n, elements);
  const Scene broadcast = final_scene(collectives(), "broadcast"), reduce = final_scene(collectives(), "reduce");
  const Scene scatter = final_scene(collectives(), "reduce_scatter"), to_all = final_scene(collectives(), "all_to_all");
  for (int r = 0; r < n; ++r) {
    for (std::int64_t i = 0; i < elements; ++i) {
      EXPECT_EQ(cell(broadcast, r, i), input(0, i)) << "broadcast from rank 0, rank " << r;
      // reduce-scatter in place: chunk r of rank r is the sum, the rest is rank r's input.
      EXPECT_EQ(cell(scatter, r, i), i / chunk == r ? sum(n, i) : input(r, i)) << "reduce-scatter rank " << r << " element " << i;
      // all-to-all: position r x chunk + k of rank j is element j x chunk + k of rank r.
      const int from = static_cast<int>(i / chunk);
      EXPECT_EQ(cell(to_all, r, i), input(from, r * chunk + i % chunk)) << "all-to-all rank " << r << " element " << i;
    }
  }
  for (std::int64_t i = 0; i < elements; ++i) EXPECT_EQ(cell(reduce, 0, i), sum(n, i)) << "reduce to rank 0";
}

TEST(Lesson10, TheRingWritesEachChunkAsItArrivesWithThePartialSum) {
  const int n = 4;
  const std::int64_t elements = 8, chunk = 2;
  std::vector<const gb::trace::Step*> ring_steps;
  for (const auto& step : collectives().steps)
    if (step.section == "The ring all-reduce step by step" && step.level == gb::trace::Level::tile) ring_steps.push_back(&step);
  ASSERT_EQ(ring_steps.size(), static_cast<std::size_t>(2 * (n - 1))) << "2(n - 1) ring steps";
  for (std::size_t s = 0; s < ring_steps.size(); ++s) {
    int writes = 0, spans = 0;
    for (const auto& change : ring_steps[s]->changes) {
      if (change.kind == gb::trace::ChangeKind::add_span) ++spans;
      if (change.kind != gb::trace::ChangeKind::write_cells || change.scene != "ring_cells") continue;
      ++writes;
      ASSERT_EQ(change.cells.size(), static_cast<std::size_t>(chunk));
      for (std::size_t k = 0; k < change.cells.size(); ++k) {
        const int to = static_cast<int>(change.cells[k] / elements);
        const std::int64_t i = change.cells[k] % elements;
        // Reduce-scatter step s: the chunk that arrives at rank q carries ranks q - s - 1 .. q; all-gather: everything.
        double expected = 0;
        if (s < static_cast<std::size_t>(n - 1)) {
          for (int back = 0; back <= static_cast<int>(s) + 1; ++back) expected += input(((to - back) % n + n) % n, i);
        } else {
          expected = sum(n, i);
        }
        EXPECT_EQ(change.values[k], expected) << "ring step " << s << " rank " << to << " element " << i;
      }
    }
    EXPECT_EQ(writes, n) << "every rank receives one chunk per step";
    EXPECT_EQ(spans, n) << "every rank sends one message per step";
  }
}

TEST(Lesson10, TheRingTimelineIsTwoNMinusOneStepsOfAlphaPlusSBetaOverN) {
  const int n = 4;
  const double S = 8 * 8;  // 8 f64 elements
  const Scene t = final_scene(collectives(), "ring_timeline");
  ASSERT_EQ(t.timeline.lanes.size(), static_cast<std::size_t>(n));
  ASSERT_EQ(t.timeline.spans.size(), static_cast<std::size_t>(2 * (n - 1) * n));
  std::map<std::string, int> per_lane;
  double end = 0;
  for (const auto& span : t.timeline.spans) {
    EXPECT_EQ(span.category, "communication");
    EXPECT_NEAR(span.duration, (kAlpha + S / n * kBeta) * 1e6, 1e-9);
    ++per_lane[span.lane];
    end = std::max(end, span.start + span.duration);
  }
  for (const auto& [lane, count] : per_lane) EXPECT_EQ(count, 2 * (n - 1)) << lane;
  EXPECT_NEAR(end, 2 * (n - 1) * (kAlpha + S * kBeta / n) * 1e6, 1e-9);
  // Every message but the first step's waits for the one that brought its sender the chunk: an arrow
  // from the left neighbour's lane.
  ASSERT_EQ(t.timeline.flows.size(), static_cast<std::size_t>(n * (2 * (n - 1) - 1)));
  std::map<std::string, std::string> lane_of;
  for (const auto& span : t.timeline.spans) lane_of[span.id] = span.lane;
  for (const auto& flow : t.timeline.flows) {
    const int from = std::stoi(lane_of.at(flow.from_span).substr(4)), to = std::stoi(lane_of.at(flow.to_span).substr(4));
    EXPECT_EQ(to, (from + 1) % n) << flow.id;
  }
}

TEST(Lesson10, BytesPerRankAreTwoNMinusOneOverNTimesS) {
  const int n = 4;
  const Scene small = final_scene(collectives(), "collectives");
  EXPECT_EQ(table_row(small, "all-reduce (ring)").at(1), std::to_string(2 * (n - 1)));  // rounds
  EXPECT_EQ(table_row(small, "all-reduce (ring)").at(2), std::to_string(2 * (n - 1) * n));  // messages
  EXPECT_EQ(std::stod(table_row(small, "all-reduce (ring)").at(3)), 2.0 * (n - 1) / n * 64);
  EXPECT_EQ(std::stod(table_row(small, "reduce-scatter").at(3)), 1.0 * (n - 1) / n * 64);
  EXPECT_EQ(std::stod(table_row(small, "all-gather").at(3)), 1.0 * (n - 1) / n * 64);
  EXPECT_EQ(table_row(small, "all-reduce (tree)").at(1), "4");  // 2 ceil(log2 n)
  const Scene big = final_scene(collectives(), "cost_at_bytes");
  const double S = 25 << 20;
  EXPECT_EQ(std::stod(table_row(big, "ring").at(4)), 2.0 * (n - 1) / n * S);
  EXPECT_EQ(std::stod(table_row(big, "recursive doubling").at(4)), 2 * S);  // log2 n whole buffers
  EXPECT_NEAR(std::stod(table_row(big, "ring").at(2)), 2 * (n - 1) * (kAlpha + S * kBeta / n) * 1e6, 0.5);
}

TEST(Lesson10, ThePlottedTimesAreThePublishedFormulas) {
  const int n = 4;
  const Scene plot = final_scene(collectives(), "cost");
  const std::map<std::string, double> rounds_alpha{{"ring", 2.0 * (n - 1)}, {"tree", 4}, {"recursive doubling", 2}};
  const std::map<std::string, double> rounds_bytes{{"ring", 2.0 * (n - 1) / n}, {"tree", 4}, {"recursive doubling", 2}};
  for (const auto& [name, a] : rounds_alpha) {
    const auto& measured = series(plot, name + " (simulated)");
    const auto& formula = series(plot, name + " formula");
    ASSERT_EQ(measured.x.size(), formula.x.size());
    ASSERT_GE(measured.x.size(), 20u);
    for (std::size_t k = 0; k < measured.x.size(); ++k) {
      const double S = std::round(std::exp2(measured.x[k]));
      const double expected = (a * kAlpha + rounds_bytes.at(name) * S * kBeta) * 1e6;
      EXPECT_NEAR(measured.y[k], expected, 1e-9 * expected) << name << " at S = " << S;
      EXPECT_NEAR(measured.y[k], formula.y[k], 1e-9 * formula.y[k]) << name << " at S = " << S;
    }
  }
}

TEST(Lesson10, TheMeasuredCrossoversAreWhereTheFormulasCross) {
  // Ring against tree: 6 alpha + 1.5 S beta = 4 alpha + 4 S beta -> S = 0.8 alpha / beta; against
  // recursive doubling: 6 alpha + 1.5 S beta = 2 alpha + 2 S beta -> S = 8 alpha / beta.
  const Scene ratio = final_scene(collectives(), "ratio");
  ASSERT_EQ(ratio.plot.thresholds.size(), 2u);
  EXPECT_NEAR(std::exp2(ratio.plot.thresholds[0].x), 0.8 * kAlpha / kBeta, 5);
  EXPECT_NEAR(std::exp2(ratio.plot.thresholds[1].x), 8 * kAlpha / kBeta, 5);
  // Below the crossover the tree is faster (ratio under 1), above it slower.
  const auto& tree = series(ratio, "tree / ring");
  for (std::size_t k = 0; k < tree.x.size(); ++k) {
    const double S = std::exp2(tree.x[k]);
    if (S < 0.8 * kAlpha / kBeta) {
      EXPECT_LT(tree.y[k], 1) << S;
    } else if (S > 0.8 * kAlpha / kBeta) {
      EXPECT_GT(tree.y[k], 1) << S;
    }
  }
  const Scene table = final_scene(collectives(), "crossover");
  ASSERT_EQ(table.table.rows.size(), 3u);  // intra-node, inter-node, this lesson's link
  EXPECT_EQ(table.table.rows[2].back().rfind("the ring", 0), 0u) << "the ring is fastest for 25 MiB";
}

TEST(Lesson10, ParametersChangeTheRunAndBadOnesAreErrors) {
  const Recording eight = gb::lessons::run("10-collectives", {{"ranks", "8"}, {"elements", "16"}});
  expect_every_row_is_the_sum(eight, "ring_cells", 8, 16);
  expect_every_row_is_the_sum(eight, "all_reduce_tree", 8, 16);
  // Three ranks: no recursive doubling, and a ring of odd size still sums.
  const Recording three = gb::lessons::run("10-collectives", {{"ranks", "3"}, {"elements", "6"}, {"bytes", "1000"}});
  expect_every_row_is_the_sum(three, "ring_cells", 3, 6);
  EXPECT_EQ(final_scene(three, "cost").plot.series.size(), 4u);
  EXPECT_EQ(final_scene(three, "ring_timeline").timeline.spans.size(), static_cast<std::size_t>(2 * 2 * 3));
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"ranks", "1"}, {"ranks", "9"}, {"elements", "6"}, {"bytes", "0"}, {"alpha", "-1"}, {"beta", "0"}}) {
    try {
      gb::lessons::run("10-collectives", {{name, value}});
      ADD_FAILURE() << name << " = " << value << " was accepted";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}
