// quant_lessons_tests.cpp: lessons 23 (quantization basics) and 24 (post-training quantization),
// checked on what their recordings hold after the last step, independently of the scenarios' own
// checks: LESSONS.md's published worked example, and relations the numbers must satisfy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

gb::trace::Scene final_scene(const gb::trace::Recording& r, const std::string& id) {
  const gb::trace::State state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw std::runtime_error("no scene " + id);
  return s->scene;
}

// (a reference into s: keep the scene alive)
const gb::trace::Series& series(const gb::trace::Scene& s, const std::string& name) {
  for (const auto& x : s.plot.series)
    if (x.name == name) return x;
  throw std::runtime_error("no series " + name);
}

double number(const std::string& cell) { return std::stod(cell); }

TEST(Lesson23, TheWorkedExampleGivesTheCodesOfLessonsMd) {
  const auto r = gb::lessons::run("23-quantization-basics");
  const auto table = final_scene(r, "example").table;
  ASSERT_EQ(table.rows.size(), 8u);
  const std::vector<double> uint8_codes = {0, 85, 127, 255}, int8_codes = {-64, 0, 32, 127};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(table.rows[i][0], "uint8 affine");
    EXPECT_EQ(number(table.rows[i][4]), uint8_codes[i]);
    EXPECT_EQ(table.rows[4 + i][0], "int8 symmetric");
    EXPECT_EQ(number(table.rows[4 + i][4]), int8_codes[i]);
  }
  // r = 0 comes back exactly on both grids
  EXPECT_EQ(number(table.rows[1][5]), 0.0);
  EXPECT_EQ(number(table.rows[5][5]), 0.0);
}

TEST(Lesson23, TheStaircaseRisesOneCodeAtATimeAndSaturatesAtBothEnds) {
  for (const std::string dtype : {"int8", "uint8"}) {
    const auto r = gb::lessons::run("23-quantization-basics", {{"dtype", dtype}, {"min", "-0.5"}, {"max", "3"}});
    const auto stairs_scene = final_scene(r, "staircase");
    const auto& stairs = series(stairs_scene, "quantize");
    ASSERT_GT(stairs.y.size(), 100u);
    const double qmin = dtype == "int8" ? -128 : 0, qmax = dtype == "int8" ? 127 : 255;
    EXPECT_EQ(stairs.y.front(), qmin);
    EXPECT_EQ(stairs.y.back(), qmax);
    for (std::size_t i = 1; i < stairs.y.size(); ++i) {
      EXPECT_GE(stairs.y[i], stairs.y[i - 1]);
      EXPECT_LE(stairs.y[i] - stairs.y[i - 1], 2.0);  // ~1201 samples over ~1.5 x 255 steps
    }
    // Inside the range the round trip is within half a step: S = 3.5 / 255 here.
    const auto err_scene = final_scene(r, "roundtrip_error");
    const auto& err = series(err_scene, "error");
    for (std::size_t i = 0; i < err.x.size(); ++i) {
      if (err.x[i] >= -0.5 && err.x[i] <= 3.0) {
        EXPECT_LE(std::fabs(err.y[i]), 0.5 * 3.5 / 255 * (1 + 1e-4)) << err.x[i];
      }
    }
  }
}

TEST(Lesson23, PerChannelScalesAreNeverCoarserAndTheLayerErrorIsSmaller) {
  const auto r = gb::lessons::run("23-quantization-basics");
  const auto table = final_scene(r, "channels").table;
  ASSERT_EQ(table.rows.size(), 16u);
  double sq_t = 0, sq_c = 0;
  for (const auto& row : table.rows) {
    const double amax = number(row[1]), st = number(row[2]), sc = number(row[3]);
    EXPECT_NEAR(sc, amax / 127, 2e-5 * sc);  // (the table prints 6 digits)
    EXPECT_LE(sc, st * (1 + 1e-5));
    EXPECT_LE(number(row[5]), sc / 2 * (1 + 2e-5));  // the RMS of errors each at most S_c / 2
    sq_t += number(row[4]) * number(row[4]);
    sq_c += number(row[5]) * number(row[5]);
  }
  EXPECT_LT(sq_c, sq_t);
}

TEST(Lesson23, TheDotProductSumsItsTermsAndEveryOutputIsRequantized) {
  for (const std::string dtype : {"int8", "uint8"}) {
    const auto r = gb::lessons::run("23-quantization-basics", {{"dtype", dtype}, {"image", "5"}});
    const auto terms = final_scene(r, "terms").table;
    ASSERT_EQ(terms.rows.size(), 9u);
    double acc = 0;
    for (const auto& row : terms.rows) {
      EXPECT_EQ(number(row[3]) * number(row[5]), number(row[6]));  // (qx - Zx) qw
      acc += number(row[6]);
      EXPECT_EQ(number(row[7]), acc);
      EXPECT_GE(number(row[5]), -127);
      EXPECT_LE(number(row[5]), 127);
    }
    const auto outputs = final_scene(r, "outputs").table;
    ASSERT_EQ(outputs.rows.size(), 2u);
    EXPECT_EQ(number(outputs.rows[0][1]) + number(outputs.rows[1][1]), 64);
    // The graph's last node holds the clamped code, which the float node matches within one.
    const auto graph = final_scene(r, "requant").graph;
    double clamp = 0, fl = 0;
    for (const auto& n : graph.nodes) {
      if (n.id == "clamp") clamp = number(n.value);
      if (n.id == "float") fl = number(n.value);
    }
    EXPECT_LE(std::fabs(clamp - fl), 1.0);
    EXPECT_GE(clamp, dtype == "int8" ? -128 : 0);
  }
}

TEST(Lesson23, BadParametersAreErrors) {
  EXPECT_THROW(gb::lessons::run("23-quantization-basics", {{"dtype", "int4"}}), gb::Error);
  EXPECT_THROW(gb::lessons::run("23-quantization-basics", {{"min", "2"}, {"max", "1"}}), gb::Error);
  EXPECT_THROW(gb::lessons::run("23-quantization-basics", {{"image", "359"}}), gb::Error);
}

TEST(Lesson24, CalibratorsClipBelowMinMaxAndTheTableComparesAllFive) {
  const auto r = gb::lessons::run("24-post-training-quantization");
  const auto table = final_scene(r, "compare").table;
  ASSERT_EQ(table.rows.size(), 5u);
  const std::vector<std::string> names = {"minmax", "moving_average", "percentile", "kl", "mse"};
  const double minmax = number(table.rows[0][1]);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(table.rows[i][0], names[i]);
    const double t = number(table.rows[i][1]);
    EXPECT_GT(t, 0);
    EXPECT_LE(t, minmax * (1 + 1e-3));
    EXPECT_NEAR(number(table.rows[i][2]), t / 127, 1e-3 * t / 127);
    EXPECT_GT(number(table.rows[i][5]), 20);  // SQNR in dB
  }
  // The clipping calibrators clip at least as many held-out values as min-max.
  const auto pct = [](const std::string& s) { return std::stod(s.substr(0, s.size() - 1)); };
  for (std::size_t i = 1; i < 5; ++i) EXPECT_GE(pct(table.rows[i][3]), pct(table.rows[0][3]));
}

TEST(Lesson24, TheKlSweepChoosesItsSmallestDivergenceAndTheHistogramHoldsEveryValue) {
  const auto r = gb::lessons::run("24-post-training-quantization", {{"batches", "4"}, {"batch_size", "16"}});
  const auto kl = final_scene(r, "kl");
  const auto& curve = series(kl, "divergence");
  const auto& chosen = series(kl, "chosen");
  ASSERT_EQ(chosen.y.size(), 1u);
  EXPECT_EQ(chosen.y[0], *std::min_element(curve.y.begin(), curve.y.end()));
  const auto hist = final_scene(r, "histogram");
  const auto& bars = series(hist, "|x|");
  double total = 0;
  for (double h : bars.y) total += std::pow(10.0, h) - 1;
  EXPECT_NEAR(total, 4 * 16 * 64, 1e-6 * total);  // 4 batches of 16 images, 64 outputs each
  EXPECT_EQ(series(hist, "kl").x[0], chosen.x[0]);
  // The min-max threshold only grows from batch to batch.
  const auto batches = final_scene(r, "batches");
  const auto& mm = series(batches, "min-max");
  ASSERT_EQ(mm.y.size(), 4u);
  for (std::size_t i = 1; i < mm.y.size(); ++i) EXPECT_GE(mm.y[i], mm.y[i - 1]);
}

TEST(Lesson24, BadParametersAreErrors) {
  EXPECT_THROW(gb::lessons::run("24-post-training-quantization", {{"model", "resnet"}}), gb::Error);
  EXPECT_THROW(gb::lessons::run("24-post-training-quantization", {{"layer", "5"}}), gb::Error);  // the logits
  EXPECT_THROW(gb::lessons::run("24-post-training-quantization", {{"bins", "100"}}), gb::Error);
}

}  // namespace
