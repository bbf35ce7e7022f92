// qat_lessons_tests.cpp: lesson 25-quantization-aware-training, checked on what its recording holds,
// independently of the scenario's own checks: the staircase against the formula written again here,
// the mask against the staircase's flat ends, the folded weights against the table's stretches, one
// curve point per QAT epoch, and an accuracy table with every method.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

const char* const kLesson = "25-quantization-aware-training";

// The lesson with a short training run: these checks are about the recording, not the accuracy
// (tests/training/check_quant_report.py holds the accuracy bounds).
const gb::trace::Recording& recording() {
  static const gb::trace::Recording r = gb::lessons::run(kLesson, {{"epochs", "1"}, {"calibration_batches", "2"},
                                                                   {"qat_epochs", "2"}, {"qat_batches", "3"}});
  return r;
}

const gb::trace::Scene& final_scene(const std::string& id) {
  static gb::trace::State state;
  static bool replayed = false;
  if (!replayed) {
    state = gb::trace::replay(recording(), static_cast<std::int64_t>(recording().steps.size()) - 1);
    replayed = true;
  }
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("qat_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

const gb::trace::Series& series(const gb::trace::Scene& plot, const std::string& name) {
  for (const auto& s : plot.plot.series)
    if (s.name == name) return s;
  throw gb::Error("qat_lessons_tests", "a series " + name, "none");
}

}  // namespace

TEST(Lesson25, TheStaircaseIsFakeQuantAndTheMaskIsOneExactlyOnTheGrid) {
  const auto& plot = final_scene("staircase");
  const double s = 0.1;
  const int z = 128;  // the lesson's defaults
  const auto& stairs = series(plot, "fake_quant(x)");
  const auto& mask = series(plot, "STE mask");
  ASSERT_EQ(stairs.x.size(), mask.x.size());
  ASSERT_GT(stairs.x.size(), 1000u);
  std::size_t inside = 0;
  for (std::size_t i = 0; i < stairs.x.size(); ++i) {
    const double x = stairs.x[i];
    const double code = std::nearbyint(x / s) + z;  // in double here: only the ties could differ
    const double expected = s * (std::clamp(code, 0.0, 255.0) - z);
    EXPECT_NEAR(stairs.y[i], expected, s * 1.0001) << "x = " << x;
    if (std::fabs(x / s - std::nearbyint(x / s)) < 0.49) {
      EXPECT_NEAR(stairs.y[i], expected, 1e-5) << "x = " << x;
      EXPECT_EQ(mask.y[i], code >= 0 && code <= 255 ? 1.0 : 0.0) << "x = " << x;
    }
    inside += mask.y[i] == 1.0;
  }
  // Both flat ends are drawn, and the thresholds mark where they start.
  EXPECT_EQ(mask.y.front(), 0.0);
  EXPECT_EQ(mask.y.back(), 0.0);
  EXPECT_GT(inside, stairs.x.size() / 2);
  ASSERT_EQ(plot.plot.thresholds.size(), 2u);
  EXPECT_NEAR(plot.plot.thresholds[0].x, s * (0 - z), 1e-9);
  EXPECT_NEAR(plot.plot.thresholds[1].x, s * (255 - z), 1e-9);
}

TEST(Lesson25, FoldedWeightsAreTheTrainedOnesTimesEachChannelsStretch) {
  const auto& before = final_scene("w_before").tensor;
  const auto& after = final_scene("w_after").tensor;
  const auto& table = final_scene("fold").table;
  ASSERT_EQ(before.rows, 16);
  ASSERT_EQ(before.cols, 9);
  ASSERT_EQ(table.rows.size(), 16u);
  for (std::int64_t c = 0; c < 16; ++c) {
    const double stretch = std::stod(table.rows[static_cast<std::size_t>(c)][1]);
    for (std::int64_t k = 0; k < 9; ++k) {
      const auto i = static_cast<std::size_t>(c * 9 + k);
      EXPECT_NEAR(after.values[i], before.values[i] * stretch, 1e-3 * std::fabs(before.values[i] * stretch) + 1e-6)
          << "channel " << c;
    }
  }
}

TEST(Lesson25, OneCurvePointPerQatEpochAndEveryMethodInTheTable) {
  const auto& curve = final_scene("qat_curve");
  EXPECT_EQ(series(curve, "test accuracy").x, (std::vector<double>{0, 1, 2}));  // the start, then qat_epochs = 2
  EXPECT_EQ(series(curve, "train loss").x.size(), 2u);
  EXPECT_EQ(series(curve, "batch loss").x.size(), 6u);  // qat_batches = 3 per epoch
  const auto& rows = final_scene("accuracy").table.rows;
  std::vector<std::string> methods;
  for (const auto& row : rows) {
    methods.push_back(row[0]);
    const double accuracy = std::stod(row[1]);
    EXPECT_GE(accuracy, 0.5) << row[0] << ": a sanity bound (one epoch of training)";
    EXPECT_LE(accuracy, 1.0) << row[0];
  }
  ASSERT_FALSE(methods.empty());
  EXPECT_EQ(methods.front(), "fp32");
  for (const std::string m : {"PTQ dynamic", "PTQ static minmax", "PTQ static moving_average", "PTQ static percentile",
                              "PTQ static kl", "PTQ static mse", "QAT fake quant", "QAT int8"})
    EXPECT_NE(std::find(methods.begin(), methods.end(), m), methods.end()) << m;
}

TEST(Lesson25, BadParametersAreErrorsNamingThem) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"zero_point", "300"}, {"scale", "0"}, {"epochs", "0"}, {"calibration_batches", "0"}, {"qat_batches", "-1"}}) {
    try {
      gb::lessons::run(kLesson, {{name, value}});
      FAIL() << name << " = " << value << " must throw";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}
