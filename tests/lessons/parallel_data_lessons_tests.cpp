// parallel_data_lessons_tests.cpp: lesson 12-zero-and-fsdp, checked on what its recording holds,
// independently of the scenario's own checks: the memory table against the ZeRO paper's table and
// formulas (written again here), the bars against the table, the volumes against 2 and 3 (n-1)/n Psi,
// and the stage-3 timeline's memory counters against the stage-0 ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

const Recording& zero() {
  static const Recording r = gb::lessons::run("12-zero-and-fsdp");
  return r;
}

Scene last(const Recording& r, const std::string& id) {
  const auto state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("parallel_data_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

// "31.4 GB" -> 31.4
double gb_of(const std::string& cell) { return std::stod(cell.substr(0, cell.find(' '))); }

}  // namespace

TEST(Lesson12, TheMemoryTableIsThePapersTable) {
  const Scene table = last(zero(), "zero_memory");
  ASSERT_EQ(table.table.rows.size(), 4u);
  // Rajbhandari et al. 2020, Table 1 (Psi = 7.5e9, Nd = 64, K = 12).
  const double paper[] = {120.0, 31.4, 16.6, 1.9};
  for (std::size_t stage = 0; stage < 4; ++stage) {
    const auto& row = table.table.rows[stage];
    EXPECT_NEAR(gb_of(row[5]), paper[stage], 0.05) << "stage " << stage;
    // The kinds add up to the total.
    EXPECT_NEAR(gb_of(row[2]) + gb_of(row[3]) + gb_of(row[4]), gb_of(row[5]), 0.15) << "stage " << stage;
  }
  EXPECT_EQ(table.table.rows[3][1], "FULL_SHARD");
  EXPECT_EQ(table.table.rows[2][1], "SHARD_GRAD_OP");
}

TEST(Lesson12, OtherParametersFollowTheFormulas) {
  const Recording r = gb::lessons::run("12-zero-and-fsdp", {{"parameters", "1000000000"}, {"devices", "8"}, {"timeline_parameters", "65536"}});
  const Scene table = last(r, "zero_memory");
  const double psi = 1e9, nd = 8, k = 12;
  const double formulas[] = {(4 + k) * psi, 4 * psi + k * psi / nd, 2 * psi + (2 + k) * psi / nd, (4 + k) * psi / nd};
  for (std::size_t stage = 0; stage < 4; ++stage)
    EXPECT_NEAR(gb_of(table.table.rows[stage][5]), formulas[stage] / 1e9, 0.05) << "stage " << stage;
}

TEST(Lesson12, TheBarsShowTheMeasuredTotals) {
  const Scene plot = last(zero(), "memory_bars");
  const Scene table = last(zero(), "zero_memory");
  for (const auto& series : plot.plot.series)
    if (series.name == "measured") {
      ASSERT_EQ(series.y.size(), 4u);
      for (std::size_t stage = 0; stage < 4; ++stage) EXPECT_NEAR(series.y[stage], gb_of(table.table.rows[stage][5]), 0.05);
      EXPECT_TRUE(std::is_sorted(series.y.rbegin(), series.y.rend())) << "every stage holds less";
    }
}

TEST(Lesson12, VolumesAreTwoPsiThenThreePsi) {
  const Scene table = last(zero(), "volume");
  ASSERT_EQ(table.table.rows.size(), 4u);
  const double ring = 3.0 / 4.0;  // 4 devices
  for (std::size_t stage = 0; stage < 4; ++stage)
    EXPECT_NEAR(std::stod(table.table.rows[stage][3]), (stage == 3 ? 3 : 2) * ring, 0.01) << "stage " << stage;
}

TEST(Lesson12, StageThreeMemoryCountersStayBelowPlainDataParallelism) {
  const auto peak = [](const Scene& timeline) {
    double most = 0;
    for (const auto& c : timeline.timeline.counters)
      if (c.counter == "device 0 memory (MiB)") most = std::max(most, c.value);
    return most;
  };
  const double p0 = peak(last(zero(), "timeline_stage_0")), p3 = peak(last(zero(), "timeline_stage_3"));
  EXPECT_NEAR(p0, 16.0, 1e-9);  // 16 bytes x 2^20 parameters = 16 MiB
  EXPECT_LT(p3, p0 / 2);
}
