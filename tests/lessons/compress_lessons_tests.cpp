// compress_lessons_tests.cpp: lessons 26-pruning and 27-knowledge-distillation, checked on what their
// recordings hold, independently of the scenarios' own checks: the schedule against Zhu and Gupta's
// formula written again here, the mask's zeros against round(s n), the costs against the CNN's
// architecture counted by hand, the CSR arrays against the dense matrix drawn beside them, the softmax
// bars against the temperature's definition, and the T^2 column against the KL column.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;
using gb::trace::Series;

// Short runs: these checks are about the recordings, not the accuracies (tests/training holds those).
const Recording& pruning() {
  static const Recording r = gb::lessons::run("26-pruning", {{"epochs", "1"}, {"fine_tune_batches", "2"}, {"scope", "layer"}});
  return r;
}
const Recording& distillation() {
  static const Recording r =
      gb::lessons::run("27-knowledge-distillation", {{"epochs", "1"}, {"student_epochs", "2"}, {"batches", "3"}});
  return r;
}

// The scene `id` after step `step` (-1: the last step).
Scene scene_at(const Recording& r, const std::string& id, std::int64_t step = -1) {
  const auto state = gb::trace::replay(r, step < 0 ? static_cast<std::int64_t>(r.steps.size()) - 1 : step);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("compress_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

const Series& series(const Scene& plot, const std::string& name) {
  for (const auto& s : plot.plot.series)
    if (s.name == name) return s;
  throw gb::Error("compress_lessons_tests", "a series " + name + " in " + plot.id, "none");
}

// The steps that change a scene, in order.
std::vector<std::int64_t> steps_touching(const Recording& r, const std::string& id) {
  std::vector<std::int64_t> out;
  for (std::size_t k = 0; k < r.steps.size(); ++k)
    for (const auto& change : r.steps[k].changes)
      if (change.scene == id) {
        out.push_back(static_cast<std::int64_t>(k));
        break;
      }
  return out;
}

}  // namespace

// --- 26-pruning -------------------------------------------------------------------------------------------

TEST(Lesson26, AccuracyAgainstSparsityHasTheDenseModelThenEveryTarget) {
  const Scene plot = scene_at(pruning(), "sparsity_accuracy");
  const std::vector<double> targets = {0, 0.5, 0.7, 0.8, 0.9, 0.95};
  for (const std::string name : {"pruned", "fine-tuned"}) {
    const Series& s = series(plot, name);
    ASSERT_EQ(s.x.size(), targets.size()) << name;
    for (std::size_t i = 0; i < targets.size(); ++i) {
      EXPECT_NEAR(s.x[i], targets[i], 0.005) << name;
      EXPECT_GE(s.y[i], 0.0);
      EXPECT_LE(s.y[i], 1.0);
    }
  }
  EXPECT_EQ(series(plot, "pruned").y.front(), series(plot, "fine-tuned").y.front()) << "both start at the dense model";
}

TEST(Lesson26, TheScheduleIsZhuAndGuptasCubic) {
  const Scene plot = scene_at(pruning(), "schedule");
  // The lesson's schedule: s_i = 0, s_f = 0.9, t0 = 4, dt = 3, n = 10.
  const double si = 0, sf = 0.9;
  const std::int64_t t0 = 4, dt = 3, n = 10;
  const Series& formula = series(plot, "s_t (schedule)");
  ASSERT_GT(formula.x.size(), static_cast<std::size_t>(t0 + n * dt));
  for (std::size_t i = 0; i < formula.x.size(); ++i) {
    const auto t = static_cast<std::int64_t>(formula.x[i]);
    double expected = si;
    if (t >= t0 + n * dt) {
      expected = sf;
    } else if (t >= t0) {
      const std::int64_t event = t0 + dt * ((t - t0) / dt);  // the last pruning event at or before t
      expected = sf + (si - sf) * std::pow(1.0 - static_cast<double>(event - t0) / static_cast<double>(n * dt), 3);
    }
    EXPECT_NEAR(formula.y[i], expected, 1e-9) << "t = " << t;
  }
  const Series& measured = series(plot, "measured sparsity");
  ASSERT_EQ(measured.x.size(), static_cast<std::size_t>(n + 1));
  for (std::int64_t k = 0; k <= n; ++k) EXPECT_EQ(measured.x[static_cast<std::size_t>(k)], static_cast<double>(t0 + k * dt));
  EXPECT_NEAR(measured.y.back(), sf, 0.005);
  EXPECT_EQ(series(plot, "test accuracy").x, measured.x);
}

TEST(Lesson26, TheMaskOnlyLosesWeightsAndEndsAtRoundOfSn) {
  const Recording& r = pruning();
  const std::vector<std::int64_t> steps = steps_touching(r, "mask");
  ASSERT_EQ(steps.size(), 11u) << "one step per pruning event";
  std::int64_t previous = 0;
  for (std::int64_t k : steps) {
    const Scene mask = scene_at(r, "mask", k);
    ASSERT_EQ(mask.tensor.rows, 10);  // 5.weight of the MLP: [10, 64]
    ASSERT_EQ(mask.tensor.cols, 64);
    std::int64_t zeros = 0;
    for (double v : mask.tensor.values) {
      EXPECT_TRUE(v == 0.0 || v == 1.0) << v;
      zeros += v == 0.0;
    }
    EXPECT_GE(zeros, previous) << "a pruned weight stays pruned (step " << k << ")";
    previous = zeros;
  }
  EXPECT_EQ(previous, 576) << "scope layer: round(0.9 * 640) weights of 5.weight pruned";
}

TEST(Lesson26, FilterBarsMarkTheSmallestNorms) {
  for (const auto& [id, filters] : std::map<std::string, std::size_t>{{"filter_norms_0", 16}, {"filter_norms_4", 32}}) {
    const Scene plot = scene_at(pruning(), id);
    const Series& kept = series(plot, "kept");
    const Series& pruned = series(plot, "pruned");
    ASSERT_EQ(kept.y.size(), filters) << id;
    ASSERT_EQ(kept.x.size(), filters + 1) << id;
    std::size_t removed = 0;
    double largest_removed = 0, smallest_kept = 1e300;
    for (std::size_t f = 0; f < filters; ++f) {
      EXPECT_TRUE(kept.y[f] == 0.0 || pruned.y[f] == 0.0) << id << " filter " << f << " is kept or pruned, not both";
      if (pruned.y[f] > 0) {
        ++removed;
        largest_removed = std::max(largest_removed, pruned.y[f]);
      } else {
        smallest_kept = std::min(smallest_kept, kept.y[f]);
      }
    }
    EXPECT_EQ(removed, filters / 2) << id << ": half of the filters (filter_fraction 0.5)";
    EXPECT_LE(largest_removed, smallest_kept) << id;
  }
}

TEST(Lesson26, CostsAreTheCnnsArchitectureCountedByHand) {
  const auto rows = scene_at(pruning(), "costs").table.rows;
  ASSERT_EQ(rows.size(), 3u);
  // Conv(1->16, 3x3) + BN(16) + Conv(16->32, 3x3) + BN(32) + Linear(128 -> 10); 8 x 8 images, two 2x2 pools.
  auto parameters = [](std::int64_t c1, std::int64_t c2) {
    return (c1 * 9 + c1) + 2 * c1 + (c2 * c1 * 9 + c2) + 2 * c2 + (c2 * 4 * 10 + 10);
  };
  auto macs = [](std::int64_t c1, std::int64_t c2) { return c1 * 9 * 64 + c2 * c1 * 9 * 16 + c2 * 4 * 10; };
  EXPECT_EQ(rows[0][1], std::to_string(parameters(16, 32)));
  EXPECT_EQ(rows[0][3], std::to_string(macs(16, 32)));
  EXPECT_EQ(rows[1][1], std::to_string(parameters(8, 16))) << "half the filters of each convolution removed";
  EXPECT_EQ(rows[1][3], std::to_string(macs(8, 16)));
  EXPECT_EQ(rows[2][1], rows[0][1]) << "a masked model keeps its shape";
  EXPECT_EQ(rows[2][3], rows[0][3]);
  EXPECT_LT(std::stoll(rows[2][2]), std::stoll(rows[0][2])) << "but fewer nonzero parameters";
}

TEST(Lesson26, CsrArraysDescribeTheDenseMatrix) {
  const Scene dense = scene_at(pruning(), "csr_dense");
  const auto& row_ptr = scene_at(pruning(), "csr_row_ptr").tensor.values;
  const auto& col_index = scene_at(pruning(), "csr_col_index").tensor.values;
  const auto& values = scene_at(pruning(), "csr_values").tensor.values;
  ASSERT_EQ(dense.tensor.rows, 6);
  ASSERT_EQ(dense.tensor.cols, 10);
  ASSERT_EQ(row_ptr.size(), 7u);
  EXPECT_EQ(values.size(), 24u) << "60 entries, round(0.6 * 60) = 36 pruned";
  std::size_t k = 0;
  for (std::int64_t r = 0; r < 6; ++r) {
    EXPECT_EQ(row_ptr[static_cast<std::size_t>(r)], static_cast<double>(k)) << "row " << r;
    for (std::int64_t c = 0; c < 10; ++c) {
      const double v = dense.tensor.values[static_cast<std::size_t>(r * 10 + c)];
      if (v == 0.0) continue;
      ASSERT_LT(k, values.size());
      EXPECT_EQ(col_index[k], static_cast<double>(c));
      EXPECT_EQ(values[k], v);
      ++k;
    }
  }
  EXPECT_EQ(k, values.size());
  EXPECT_EQ(row_ptr.back(), static_cast<double>(k));
}

// --- 27-knowledge-distillation ----------------------------------------------------------------------------

TEST(Lesson27, SoftmaxBarsFollowTheTemperature) {
  // Interleaved bars: class c's teacher bar is bin 2c, the student's bin 2c + 1.
  std::map<double, std::vector<double>> teacher;
  for (double t : {1.0, 4.0, 10.0}) {
    const Scene plot = scene_at(distillation(), "softmax_T" + std::to_string(static_cast<int>(t)));
    const Series& tb = series(plot, "teacher");
    const Series& sb = series(plot, "student");
    ASSERT_EQ(tb.y.size(), 20u);
    ASSERT_EQ(tb.x.size(), 21u);
    double teacher_sum = 0, student_sum = 0;
    for (std::size_t c = 0; c < 10; ++c) {
      EXPECT_EQ(tb.y[2 * c + 1], 0.0);
      EXPECT_EQ(sb.y[2 * c], 0.0);
      teacher_sum += tb.y[2 * c];
      student_sum += sb.y[2 * c + 1];
      teacher[t].push_back(tb.y[2 * c]);
    }
    EXPECT_NEAR(teacher_sum, 1.0, 1e-5) << "T = " << t;
    EXPECT_NEAR(student_sum, 1.0, 1e-5) << "T = " << t;
  }
  // p(T) is softmax(z / T): from p(1) the logits are known up to a constant, log p_i(1) + const.
  for (double t : {4.0, 10.0}) {
    std::vector<double> expected(10);
    double total = 0;
    for (std::size_t c = 0; c < 10; ++c) total += expected[c] = std::pow(teacher[1.0][c], 1.0 / t);
    for (std::size_t c = 0; c < 10; ++c) {
      if (teacher[1.0][c] < 1e-30) continue;  // underflowed in f32: its logit is not recoverable
      EXPECT_NEAR(teacher[t][c], expected[c] / total, 1e-4) << "T = " << t << ", class " << c;
    }
  }
}

TEST(Lesson27, TheSoftLossIsTSquaredTimesTheKl) {
  const auto rows = scene_at(distillation(), "temperature").table.rows;
  ASSERT_EQ(rows.size(), 4u);
  const std::vector<double> ts = {1, 2, 4, 10};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double t = std::stod(rows[i][0]), kl = std::stod(rows[i][1]), loss = std::stod(rows[i][2]);
    const double bare = std::stod(rows[i][3]), grad = std::stod(rows[i][4]);
    EXPECT_EQ(t, ts[i]);
    EXPECT_GE(kl, 0.0) << "a KL divergence is never negative";
    EXPECT_NEAR(loss, t * t * kl, 2e-3 * std::fabs(loss) + 1e-12) << "T = " << t;  // 4 significant digits each
    EXPECT_NEAR(grad, t * t * bare, 2e-3 * std::fabs(grad) + 1e-12) << "T = " << t;
  }
}

TEST(Lesson27, OneCurvePointPerStudentEpochAndATableOfThree) {
  const Scene curves = scene_at(distillation(), "distill_curves");
  for (const std::string name : {"teacher", "student, labels only", "student, distilled"})
    EXPECT_EQ(series(curves, name).x, (std::vector<double>{1, 2})) << name;  // student_epochs = 2
  const auto rows = scene_at(distillation(), "accuracy").table.rows;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][4], "+0.00") << "the teacher against itself";
  // The student MLP, Linear(64, 32) and Linear(32, 10), counted by hand; the teacher as in lesson 26.
  EXPECT_EQ(rows[1][1], std::to_string(64 * 32 + 32 + 32 * 10 + 10));
  EXPECT_EQ(rows[1][2], std::to_string(64 * 32 + 32 * 10));
  EXPECT_EQ(rows[2][1], rows[1][1]) << "the same student twice";
  EXPECT_EQ(rows[0][1], "6186");
  const auto& distilled = series(curves, "student, distilled").y;
  EXPECT_NEAR(std::stod(rows[2][3]), distilled.back(), 5e-5) << "the table's accuracy is the curve's last point";
  EXPECT_NEAR(std::stod(rows[0][3]), series(curves, "teacher").y.back(), 5e-5);
}

TEST(CompressLessons, BadParametersAreErrorsNamingThem) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"26-pruning", "scope", "sideways"},       {"26-pruning", "final_sparsity", "1"},
      {"26-pruning", "watch", "2.weight"},       {"26-pruning", "filter_fraction", "0"},
      {"26-pruning", "fine_tune_batches", "0"},  {"27-knowledge-distillation", "temperature", "0"},
      {"27-knowledge-distillation", "digit", "-1"}, {"27-knowledge-distillation", "hidden", "0"},
      {"27-knowledge-distillation", "lambda", "-1"}};
  for (const auto& [lesson, name, value] : cases) {
    try {
      gb::lessons::run(lesson, {{name, value}});
      FAIL() << lesson << ": " << name << " = " << value << " must throw";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}
