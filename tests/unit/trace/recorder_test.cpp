// recorder_test.cpp: attaching recorders per thread, what a step records, the scene helpers.
#include <gtest/gtest.h>

#include <thread>

#include "gb/trace/recorder.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

TEST(Recorder, OffUnlessAttachedAndNested) {
  EXPECT_EQ(active(), nullptr);
  Recorder outer("a", "outer");
  {
    ScopedRecorder attach(outer);
    EXPECT_EQ(active(), &outer);
    Recorder inner("b", "inner");
    {
      ScopedRecorder attach_inner(inner);
      EXPECT_EQ(active(), &inner);
    }
    EXPECT_EQ(active(), &outer);
  }
  EXPECT_EQ(active(), nullptr);
}

TEST(Recorder, ActiveIsPerThread) {
  Recorder rec("a", "t");
  ScopedRecorder attach(rec);
  Recorder* seen_by_other = &rec;
  std::thread([&] { seen_by_other = active(); }).join();
  EXPECT_EQ(seen_by_other, nullptr);
  EXPECT_EQ(active(), &rec);
}

TEST(Recorder, StepRecordsCaptionLevelSectionAndSource) {
  Recorder rec("00-tour", "Tour");
  rec.add_scene(graph_scene("g", "graph"));
  rec.section("First section");
  const int line = __LINE__ + 1;
  rec.step("Did a thing.", Level::tile).highlight("g", "x").set_value("g", "x", "1");
  rec.section("");
  Step& second = rec.step("Another.").get();
  const Recording& r = rec.recording();
  ASSERT_EQ(r.steps.size(), 2u);
  const Step& s = r.steps[0];
  EXPECT_EQ(s.caption, "Did a thing.");
  EXPECT_EQ(s.level, Level::tile);
  EXPECT_EQ(s.section, "First section");
  ASSERT_TRUE(s.source.has_value());
  EXPECT_EQ(s.source->file, "tests/unit/trace/recorder_test.cpp");  // relative to the repository root
  EXPECT_EQ(s.source->line, line);
  ASSERT_EQ(s.changes.size(), 2u);
  EXPECT_EQ(s.changes[0].kind, ChangeKind::highlight);
  EXPECT_EQ(s.changes[1].text, "1");
  EXPECT_EQ(second.section, "");
  EXPECT_EQ(second.level, Level::op);
}

TEST(Recorder, BuilderFillsEveryChangeKind) {
  Recorder rec("x", "y");
  StepBuilder b = rec.step("all");
  b.highlight("s", "t")
      .node_state("s", "n", NodeState::done)
      .set_value("s", "n", "v")
      .set_gradient("s", "n", "g")
      .add_node("s", GraphNode{})
      .add_edge("s", {"e", "a", "b", ""})
      .read_cells("s", {1})
      .write_cells("s", {2}, {3})
      .add_span("s", {"sp", "l", "", "", 0, 1})
      .add_counter("s", {"c", 1, 2})
      .add_flow("s", {"f", "a", "b"})
      .add_point("s", "ser", 4, 5)
      .set_series("s", "ser", {6}, {7})
      .add_row("s", {"r"})
      .set_cursor("s", 9);
  const auto& c = b.get().changes;
  ASSERT_EQ(c.size(), 15u);
  for (std::size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].kind, static_cast<ChangeKind>(i));
    EXPECT_EQ(c[i].scene, "s");
  }
  EXPECT_EQ(c[1].text, "done");
  EXPECT_EQ(c[7].values, (std::vector<double>{3}));
  EXPECT_EQ(c[11].x, 4);
  EXPECT_EQ(c[11].y, 5);
  EXPECT_EQ(c[12].xs, (std::vector<double>{6}));
  EXPECT_EQ(c[12].values, (std::vector<double>{7}));
  EXPECT_EQ(c[14].line, 9);
}

TEST(Recorder, SceneIdsAreUnique) {
  Recorder rec("x", "y");
  rec.add_scene(graph_scene("g", "one"));
  EXPECT_TRUE(testing::throws_error_with([&] { rec.add_scene(table_scene("g", "two", {})); },
                                         {"Recorder::add_scene", "'g'"}));
  EXPECT_EQ(rec.recording().scenes.size(), 1u);
}

TEST(Recorder, ParametersAndTake) {
  Recorder rec("00-tour", "Tour");
  rec.set_parameter("n", "3");
  rec.set_parameter("n", "4");
  rec.set_parameter("a", "x");
  const Recording r = rec.take();
  EXPECT_EQ(r.lesson, "00-tour");
  EXPECT_EQ(r.title, "Tour");
  EXPECT_EQ(r.parameters, (std::map<std::string, std::string>{{"a", "x"}, {"n", "4"}}));
  EXPECT_EQ(r.find_scene("nope"), nullptr);
}

TEST(SceneHelpers, FillTheirKind) {
  const Scene text = text_scene("src", "Source", "a.cpp", 5, {"x"});
  EXPECT_EQ(text.kind, SceneKind::text);
  EXPECT_EQ(text.text.first_line, 5);
  EXPECT_EQ(text.text.language, "cpp");
  const Scene tl = timeline_scene("tl", "T", {{"l", "L"}});
  EXPECT_EQ(tl.kind, SceneKind::timeline);
  EXPECT_EQ(tl.timeline.unit, "us");
  EXPECT_EQ(tl.timeline.lanes.size(), 1u);
  const Scene p = plot_scene("p", "P", "x", "y");
  EXPECT_EQ(p.kind, SceneKind::plot);
  EXPECT_EQ(p.plot.y_label, "y");
  EXPECT_EQ(table_scene("t", "T", {"a"}).table.columns, (std::vector<std::string>{"a"}));
  EXPECT_EQ(graph_scene("g", "G").kind, SceneKind::graph);
  EXPECT_EQ(graph_scene("g", "G").title, "G");
}

}  // namespace
}  // namespace gb::trace
