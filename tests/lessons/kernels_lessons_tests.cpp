// kernels_lessons_tests.cpp: lessons 18-22 (memory layout, GEMM, convolution, Winograd, indirect
// convolution), checked on what their recordings hold after the last step, independently of the
// scenarios' own checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

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

std::int64_t count_value(const std::vector<double>& values, double v) {
  return static_cast<std::int64_t>(std::count(values.begin(), values.end(), v));
}

TEST(Lesson18, TheBlockedStripHoldsEveryValueOnceAndPadsWithZeros) {
  const auto r = gb::lessons::run("18-memory-layout");  // [1, 6, 2, 3], x = 4
  const auto blocked = final_scene(r, "blocked").tensor;
  ASSERT_EQ(blocked.values.size(), 48u);  // 1 * ceil(6/4) * 2 * 3 * 4
  EXPECT_EQ(count_value(blocked.values, 0), 12);
  for (int v = 1; v <= 36; ++v) EXPECT_EQ(count_value(blocked.values, v), 1) << v;
  // Element (0, 4, 1, 2) has NCHW offset 29, so value 30, at NC4HW4 offset ((1*2 + 1)*3 + 2)*4 + 0 = 44.
  EXPECT_EQ(blocked.values[44], 30);
  // Element (0, 1, 0, 0) (value 7) is next to element (0, 0, 0, 0) (value 1).
  EXPECT_EQ(blocked.values[0], 1);
  EXPECT_EQ(blocked.values[1], 7);
  EXPECT_EQ(final_scene(r, "offsets").table.rows.size(), 5u);
}

TEST(Lesson19, TheRecordedGemmEqualsMatmulAndTheLadderListsEveryRung) {
  const auto r = gb::lessons::run("19-gemm", {{"m", "5"}, {"n", "7"}, {"k", "6"}});
  const auto a = r.find_scene("A")->tensor, b = r.find_scene("B")->tensor;
  const auto c = final_scene(r, "C").tensor;
  ASSERT_EQ(c.rows, 5);
  ASSERT_EQ(c.cols, 7);
  const gb::Tensor expected = gb::matmul(gb::Tensor::from_values(a.values, {a.rows, a.cols}),
                                         gb::Tensor::from_values(b.values, {b.rows, b.cols}));
  EXPECT_EQ(c.values, expected.to_vector());
  const auto ladder = final_scene(r, "ladder").table;
  ASSERT_EQ(ladder.rows.size(), 9u);  // naive .. threaded, best
  EXPECT_EQ(ladder.rows.front()[0], "naive");
  EXPECT_EQ(ladder.rows.back()[0], "best");
}

TEST(Lesson20, TheColumnMatrixIsTapsByPixelsAndEveryAlgorithmIsListed) {
  const auto r = gb::lessons::run("20-convolution-and-im2col", {{"channels", "2"}});
  const auto col = final_scene(r, "im2col_col").tensor;
  EXPECT_EQ(col.rows, 18);  // C*KH*KW = 2*3*3
  EXPECT_EQ(col.cols, 9);   // OH*OW = 3*3 for a 5 x 5 input
  const auto out = final_scene(r, "window_output").tensor;
  EXPECT_EQ(out.rows, 3);
  EXPECT_EQ(out.cols, 3);
  EXPECT_EQ(final_scene(r, "im2col_output").tensor.rows, 4);
  EXPECT_EQ(final_scene(r, "pack_tiles").table.rows.size(), 4u);  // a 10 x 10 input: 8 x 8 outputs, tiles of 4
  EXPECT_EQ(final_scene(r, "algorithms").table.rows.size(), 7u);
}

TEST(Lesson21, TheCountersSay16Versus36And36Versus144) {
  const auto r = gb::lessons::run("21-winograd");
  for (const auto& [prefix, winograd, direct] :
       std::vector<std::tuple<std::string, double, double>>{{"f2_", 16, 36}, {"f4_", 36, 144}}) {
    const auto plot = final_scene(r, prefix + "multiplications").plot;
    double w = -1, d = -1;
    for (const auto& s : plot.series) {
      ASSERT_FALSE(s.y.empty()) << s.name;
      if (s.name == "winograd") w = s.y.back();
      if (s.name == "direct") d = s.y.back();
    }
    EXPECT_EQ(w, winograd) << prefix;
    EXPECT_EQ(d, direct) << prefix;
    const auto count = final_scene(r, prefix + "count").table;
    ASSERT_EQ(count.rows.size(), 2u);
    EXPECT_EQ(count.rows[0].back(), std::to_string(static_cast<int>(winograd)));
    EXPECT_EQ(count.rows[1].back(), std::to_string(static_cast<int>(direct)));
  }
  const auto f23 = final_scene(r, "f23").table;
  EXPECT_EQ(f23.rows.back().back(), "[-2, -2]");
}

TEST(Lesson22, OneArrowPerPixelAndTapWithPaddingAtTheZeroVector) {
  const auto r = gb::lessons::run("22-indirect-convolution");  // 3 x 3 input, 3 x 3 kernel, padding 1, OC 4
  const auto graph = final_scene(r, "indirection").graph;
  EXPECT_EQ(graph.edges.size(), 81u);  // 9 output pixels x 9 taps
  std::int64_t to_zero = 0;
  for (const auto& e : graph.edges) to_zero += e.to == "zero";
  EXPECT_EQ(to_zero, 32);  // 81 taps - (4 corners x 4 + 4 edges x 6 + 9) inside the input
  const auto buffer = final_scene(r, "buffer").tensor;
  EXPECT_EQ(count_value(buffer.values, -1), 32);
  std::int64_t calls = 0;
  for (const auto& s : r.steps) calls += s.level == gb::trace::Level::tile;
  EXPECT_EQ(calls, 3);  // ceil(9 / 4) * ceil(4 / 8)
}

}  // namespace
