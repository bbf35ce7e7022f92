// nn_lessons_tests.cpp: lesson 01-what-a-framework-does, checked on what its recording holds,
// independently of the scenario's own checks (finite differences for the chain, the scenes' contents
// step by step for the two paradigms).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

const gb::trace::SceneState* scene_at(const gb::trace::Recording& r, std::int64_t step, const std::string& id) {
  static gb::trace::State state;  // kept alive for the returned pointer
  state = gb::trace::replay(r, step);
  return state.find(id);
}

std::int64_t first_step_of(const gb::trace::Recording& r, const std::string& section_prefix) {
  for (std::size_t i = 0; i < r.steps.size(); ++i)
    if (r.steps[i].section.rfind(section_prefix, 0) == 0) return static_cast<std::int64_t>(i);
  return -1;
}

// L(w1, w2, w3) of the lesson's chain, written again here.
double chain_loss(double w1, double w2, double w3) {
  const double x = 1.5, t = 0.5;
  const double h1 = 1 / (1 + std::exp(-w1 * x)), h2 = 1 / (1 + std::exp(-w2 * h1)), y = w3 * h2;
  return 0.5 * (y - t) * (y - t);
}

TEST(Lesson01, TheChainTableAgreesWithFiniteDifferences) {
  const auto r = gb::lessons::run("01-what-a-framework-does");
  const auto* table = scene_at(r, first_step_of(r, "2.") - 1, "prefixes");
  ASSERT_NE(table, nullptr);
  const auto& rows = table->scene.table.rows;
  ASSERT_EQ(rows.size(), 3u);
  const double w[3] = {0.8, -1.2, 2.0}, h = 1e-6;
  const char* names[3] = {"dL/dw3", "dL/dw2", "dL/dw1"};
  for (int k = 0; k < 3; ++k) {
    const int i = 2 - k;  // row 0 is dL/dw3
    double up[3] = {w[0], w[1], w[2]}, down[3] = {w[0], w[1], w[2]};
    up[i] += h;
    down[i] -= h;
    const double numeric = (chain_loss(up[0], up[1], up[2]) - chain_loss(down[0], down[1], down[2])) / (2 * h);
    EXPECT_EQ(rows[static_cast<std::size_t>(k)][0], names[k]);
    EXPECT_NEAR(std::stod(rows[static_cast<std::size_t>(k)][3]), numeric, 1e-6) << names[k];
  }
}

TEST(Lesson01, EagerNodesAppearAsTheyRunDeclaredNodesAllAtOnce) {
  const auto r = gb::lessons::run("01-what-a-framework-does");
  const std::int64_t eager = first_step_of(r, "2."), declared = first_step_of(r, "3.");
  ASSERT_GE(eager, 0);
  ASSERT_GT(declared, eager);
  std::size_t previous = 0, grew = 0;
  for (std::int64_t s = eager; s < declared; ++s) {
    const auto* tape = scene_at(r, s, "autodiff");
    ASSERT_NE(tape, nullptr);
    const std::size_t n = tape->scene.graph.nodes.size();
    EXPECT_GE(n, previous);
    grew += n > previous;
    previous = n;
  }
  EXPECT_GE(grew, 10u) << "the tape should grow node by node";
  // The declared run's graph has every node from its first step on; later steps only change states.
  std::int64_t first_run = -1;
  for (std::int64_t s = declared; s < static_cast<std::int64_t>(r.steps.size()) && first_run < 0; ++s)
    if (scene_at(r, s, "declared_graph") != nullptr) first_run = s;
  ASSERT_GE(first_run, 0);
  const std::size_t at_start = scene_at(r, first_run, "declared_graph")->scene.graph.nodes.size();
  const std::size_t at_end =
      scene_at(r, static_cast<std::int64_t>(r.steps.size()) - 1, "declared_graph")->scene.graph.nodes.size();
  EXPECT_EQ(at_start, at_end);
  EXPECT_GT(at_start, previous) << "the declared graph holds the backward nodes too";
}

TEST(Lesson01, BothParadigmsTrainToTheSameFallingCurve) {
  const auto r = gb::lessons::run("01-what-a-framework-does", {{"steps", "30"}});
  const auto* plot = scene_at(r, static_cast<std::int64_t>(r.steps.size()) - 1, "losses");
  ASSERT_NE(plot, nullptr);
  const auto& series = plot->scene.plot.series;
  ASSERT_EQ(series.size(), 2u);
  ASSERT_EQ(series[0].y.size(), 30u);
  EXPECT_EQ(series[0].y, series[1].y);
  EXPECT_NEAR(series[0].y.front(), std::log(10.0), 0.3);  // a fresh network guesses uniformly
  EXPECT_LT(series[0].y.back(), 0.7 * series[0].y.front());
}

TEST(Lesson01, BadParametersAreClearErrors) {
  EXPECT_THROW(gb::lessons::run("01-what-a-framework-does", {{"steps", "1"}}), gb::Error);
  EXPECT_THROW(gb::lessons::run("01-what-a-framework-does", {{"hidden", "0"}}), gb::Error);
  EXPECT_THROW(gb::lessons::run("01-what-a-framework-does", {{"lr", "-1"}}), gb::Error);
}

}  // namespace
