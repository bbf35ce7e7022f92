// replay_test.cpp: what each change kind does to the state, transient vs persistent marks, and the
// error for every kind of bad change.
#include <gtest/gtest.h>

#include <cmath>

#include "gb/trace/recorder.hpp"
#include "gb/trace/replay.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

using testing::throws_error_with;

// One scene of each kind, small enough to reason about by hand.
Recording small_recording() {
  Recording r;
  r.lesson = "test";
  Scene g = graph_scene("g", "graph");
  g.graph.nodes.resize(2);
  g.graph.nodes[0].id = "a";
  g.graph.nodes[1].id = "b";
  g.graph.edges = {{"a->b", "a", "b", ""}};
  r.scenes.push_back(g);
  Scene t;
  t.id = "t";
  t.kind = SceneKind::tensor;
  t.tensor.rows = 2;
  t.tensor.cols = 3;
  t.tensor.values = {0, 1, 2, 3, 4, 5};
  r.scenes.push_back(t);
  r.scenes.push_back(timeline_scene("tl", "timeline", {{"l0", "lane 0"}, {"l1", "lane 1"}}));
  r.scenes.push_back(plot_scene("p", "plot", "x", "y"));
  r.scenes[3].plot.series = {{"h", SeriesKind::histogram, {0, 1}, {5}}};
  r.scenes.push_back(table_scene("tab", "table", {"a", "b"}));
  r.scenes.push_back(text_scene("src", "source", "f.cpp", 10, {"x", "y", "z"}));
  return r;
}

Change change(ChangeKind kind, const std::string& scene, const std::string& target = "", const std::string& text = "") {
  Change c;
  c.kind = kind;
  c.scene = scene;
  c.target = target;
  c.text = text;
  return c;
}

Span span(const std::string& id, const std::string& lane, double start, double duration) {
  Span s;
  s.id = id;
  s.lane = lane;
  s.name = id;
  s.start = start;
  s.duration = duration;
  return s;
}

class ReplayTest : public ::testing::Test {
 protected:
  Recording recording = small_recording();
  State state = replay(recording, -1);
  SceneState& scene(const std::string& id) { return *const_cast<SceneState*>(state.find(id)); }
};

TEST_F(ReplayTest, InitialStateIsTheScenes) {
  EXPECT_EQ(state.step, -1);
  ASSERT_EQ(state.scenes.size(), recording.scenes.size());
  for (std::size_t i = 0; i < state.scenes.size(); ++i) EXPECT_TRUE(state.scenes[i].scene == recording.scenes[i]);
  EXPECT_EQ(state.find("nope"), nullptr);
}

TEST_F(ReplayTest, HighlightLitsNodesAndEdges) {
  apply_change(state, change(ChangeKind::highlight, "g", "a"));
  apply_change(state, change(ChangeKind::highlight, "g", "a->b"));
  EXPECT_EQ(scene("g").highlighted, (std::set<std::string>{"a", "a->b"}));
}

TEST_F(ReplayTest, NodeStateValueAndGradient) {
  apply_change(state, change(ChangeKind::node_state, "g", "a", "running"));
  apply_change(state, change(ChangeKind::set_value, "g", "a", "3.0"));
  apply_change(state, change(ChangeKind::set_gradient, "g", "b", "-1"));
  const GraphScene& g = scene("g").scene.graph;
  EXPECT_EQ(g.nodes[0].state, NodeState::running);
  EXPECT_EQ(g.nodes[0].value, "3.0");
  EXPECT_EQ(g.nodes[1].gradient, "-1");
  apply_change(state, change(ChangeKind::node_state, "g", "a", "none"));
  EXPECT_EQ(scene("g").scene.graph.nodes[0].state, NodeState::none);
}

TEST_F(ReplayTest, AddNodeAndEdge) {
  Change n = change(ChangeKind::add_node, "g");
  n.node.id = "c";
  n.node.label = "c";
  apply_change(state, n);
  Change e = change(ChangeKind::add_edge, "g");
  e.edge = {"b->c", "b", "c", "out"};
  apply_change(state, e);
  const GraphScene& g = scene("g").scene.graph;
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[2].id, "c");
  ASSERT_EQ(g.edges.size(), 2u);
  EXPECT_TRUE(g.edges[1] == (GraphEdge{"b->c", "b", "c", "out"}));
}

TEST_F(ReplayTest, ReadAndWriteCells) {
  Change read = change(ChangeKind::read_cells, "t");
  read.cells = {0, 5};
  apply_change(state, read);
  Change write = change(ChangeKind::write_cells, "t");
  write.cells = {1, 2};
  write.values = {10, NAN};
  apply_change(state, write);
  const SceneState& t = scene("t");
  EXPECT_EQ(t.cells_read, (std::set<std::int64_t>{0, 5}));
  EXPECT_EQ(t.cells_written, (std::set<std::int64_t>{1, 2}));
  EXPECT_EQ(t.scene.tensor.values[1], 10);
  EXPECT_TRUE(std::isnan(t.scene.tensor.values[2]));
  EXPECT_EQ(t.scene.tensor.values[0], 0);
}

TEST_F(ReplayTest, SpansCountersFlows) {
  Change a = change(ChangeKind::add_span, "tl");
  a.span = span("s0", "l0", 0, 1);
  Change b = change(ChangeKind::add_span, "tl");
  b.span = span("s1", "l1", 1, 2);
  Change c = change(ChangeKind::add_counter, "tl");
  c.counter = {"mem", 1, 64};
  Change f = change(ChangeKind::add_flow, "tl");
  f.flow = {"f0", "s0", "s1"};
  for (const Change* x : {&a, &b, &c, &f}) apply_change(state, *x);
  const TimelineScene& tl = scene("tl").scene.timeline;
  ASSERT_EQ(tl.spans.size(), 2u);
  EXPECT_TRUE(tl.spans[1] == span("s1", "l1", 1, 2));
  ASSERT_EQ(tl.counters.size(), 1u);
  EXPECT_EQ(tl.counters[0].value, 64);
  ASSERT_EQ(tl.flows.size(), 1u);
  EXPECT_EQ(tl.flows[0].to_span, "s1");
}

// Checks::none skips only the searches that grow with the scene (for a Recording already validated);
// the same changes give the same state, and indices out of range are still refused.
TEST_F(ReplayTest, ChecksNoneAppliesTheSameChangesAndStillGuardsIndices) {
  Change a = change(ChangeKind::add_span, "tl");
  a.span = span("s0", "l0", 0, 1);
  Change write = change(ChangeKind::write_cells, "t");
  write.cells = {4};
  write.values = {7};
  Change lit = change(ChangeKind::highlight, "g", "a");
  State checked = state;
  for (const Change* x : {&a, &write, &lit}) {
    apply_change(checked, *x);
    apply_change(state, *x, Checks::none);
  }
  EXPECT_TRUE(state == checked);
  EXPECT_TRUE(throws_error_with([&] { apply_change(checked, a); }, {"apply_change(add_span)", "a span id not used yet", "'s0'"}));
  EXPECT_NO_THROW(apply_change(state, a, Checks::none));  // the search a validated Recording does not need
  Change outside = write;
  outside.cells = {6};
  EXPECT_TRUE(throws_error_with([&] { apply_change(state, outside, Checks::none); }, {"apply_change", "cell indices in [0, 6)", "6"}));
}

TEST_F(ReplayTest, AddPointCreatesALineSeries) {
  Change p = change(ChangeKind::add_point, "p", "loss");
  p.x = 1;
  p.y = 2;
  apply_change(state, p);
  p.x = 2;
  p.y = 1;
  apply_change(state, p);
  const PlotScene& plot = scene("p").scene.plot;
  ASSERT_EQ(plot.series.size(), 2u);
  EXPECT_EQ(plot.series[1].name, "loss");
  EXPECT_EQ(plot.series[1].kind, SeriesKind::line);
  EXPECT_EQ(plot.series[1].x, (std::vector<double>{1, 2}));
  EXPECT_EQ(plot.series[1].y, (std::vector<double>{2, 1}));
}

TEST_F(ReplayTest, SetSeriesReplacesOrCreates) {
  Change h = change(ChangeKind::set_series, "p", "h");
  h.xs = {0, 1, 2};
  h.values = {4, 5};
  apply_change(state, h);
  Change s = change(ChangeKind::set_series, "p", "dots", "scatter");
  s.xs = {1};
  s.values = {2};
  apply_change(state, s);
  const PlotScene& plot = scene("p").scene.plot;
  ASSERT_EQ(plot.series.size(), 2u);
  EXPECT_EQ(plot.series[0].kind, SeriesKind::histogram);  // an existing series keeps its kind
  EXPECT_EQ(plot.series[0].y, (std::vector<double>{4, 5}));
  EXPECT_EQ(plot.series[1].kind, SeriesKind::scatter);
  EXPECT_EQ(plot.series[1].x, (std::vector<double>{1}));
}

TEST_F(ReplayTest, AddRowAndSetCursor) {
  Change row = change(ChangeKind::add_row, "tab");
  row.row = {"1", "2"};
  apply_change(state, row);
  Change cursor = change(ChangeKind::set_cursor, "src");
  cursor.line = 12;
  apply_change(state, cursor);
  EXPECT_EQ(scene("tab").scene.table.rows, (std::vector<std::vector<std::string>>{{"1", "2"}}));
  EXPECT_EQ(scene("src").scene.text.cursor, 12);
  cursor.line = 0;
  apply_change(state, cursor);
  EXPECT_EQ(scene("src").scene.text.cursor, 0);
}

// Transient marks belong to one step; persistent content stays.
TEST(Replay, TransientMarksLastOneStepPersistentContentAccumulates) {
  Recorder rec("test", "transient");
  Recording base = small_recording();
  for (const Scene& s : base.scenes) rec.add_scene(s);
  rec.step("one").highlight("g", "a").read_cells("t", {0}).write_cells("t", {1}, {7}).set_value("g", "a", "1");
  rec.step("two").write_cells("t", {2}, {8});
  rec.step("three");
  const Recording r = rec.take();

  const State s0 = replay(r, 0);
  EXPECT_EQ(s0.step, 0);
  EXPECT_EQ(s0.find("g")->highlighted, (std::set<std::string>{"a"}));
  EXPECT_EQ(s0.find("t")->cells_read, (std::set<std::int64_t>{0}));
  EXPECT_EQ(s0.find("t")->cells_written, (std::set<std::int64_t>{1}));

  const State s1 = replay(r, 1);
  EXPECT_TRUE(s1.find("g")->highlighted.empty());
  EXPECT_TRUE(s1.find("t")->cells_read.empty());
  EXPECT_EQ(s1.find("t")->cells_written, (std::set<std::int64_t>{2}));
  EXPECT_EQ(s1.find("t")->scene.tensor.values[1], 7);  // the write stays
  EXPECT_EQ(s1.find("g")->scene.graph.nodes[0].value, "1");

  const State s2 = replay(r, 2);
  EXPECT_TRUE(s2.find("t")->cells_written.empty());
  EXPECT_EQ(s2.find("t")->scene.tensor.values[2], 8);
  EXPECT_NO_THROW(validate(r));
}

TEST(Replay, StepIndexOutOfRange) {
  const Recording r = testing::every_kind_recording();
  const auto n = static_cast<std::int64_t>(r.steps.size());
  EXPECT_NO_THROW(replay(r, n - 1));
  EXPECT_TRUE(throws_error_with([&] { replay(r, n); }, {"replay", "[-1, " + std::to_string(n - 1) + "]"}));
  EXPECT_TRUE(throws_error_with([&] { replay(r, -2); }, {"replay", "-2"}));
}

TEST(Replay, SampleRecordingsAreValid) {
  EXPECT_NO_THROW(validate(testing::every_kind_recording()));
  EXPECT_NO_THROW(validate(testing::long_recording(200)));
}

// A whole replay keeps an index of span ids (a lookup per add_span instead of a search): a span id
// used by the initial scene or by any earlier step is still refused, flows still find spans added
// steps before, and a Player (which replays the same way) refuses what validate refuses.
TEST(Replay, SpanIdsAreCheckedAcrossStepsAndTheInitialScene) {
  Recording r = small_recording();
  r.scenes[2].timeline.spans = {span("first", "l0", 0, 1)};
  const auto step_with = [](const Change& c) {
    Step st;
    st.caption = "step.";
    st.changes = {c};
    return st;
  };
  Change add = change(ChangeKind::add_span, "tl");
  add.span = span("s0", "l0", 1, 1);
  Change flow = change(ChangeKind::add_flow, "tl");
  flow.flow = {"f0", "first", "s0"};
  r.steps = {step_with(add), step_with(flow)};
  EXPECT_NO_THROW(validate(r));
  EXPECT_NO_THROW(Player(r).seek(1));
  Recording again = r;
  again.steps.push_back(step_with(add));  // s0 a second time, two steps later
  EXPECT_TRUE(throws_error_with([&] { validate(again); }, {"replay step 2, change 0 (add_span)", "a span id not used yet", "'s0'"}));
  EXPECT_TRUE(throws_error_with([&] { Player p(again); }, {"replay step 2", "'s0'"}));
  Recording initial = r;
  initial.steps[0].changes[0].span.id = "first";  // the initial scene's span
  EXPECT_TRUE(throws_error_with([&] { validate(initial); }, {"replay step 0", "a span id not used yet", "'first'"}));
  Recording dangling = r;
  dangling.steps[1].changes[0].flow.to_span = "s9";
  EXPECT_TRUE(throws_error_with([&] { validate(dangling); }, {"replay step 1", "the id of a span", "'s9'"}));
}

// --- bad changes: each names the change, what was expected and what was given ---------------

class BadChange : public ReplayTest {
 protected:
  ::testing::AssertionResult fails(const Change& c, std::initializer_list<std::string> parts) {
    State copy = state;
    return throws_error_with([&] { apply_change(copy, c); }, parts);
  }
};

TEST_F(BadChange, UnknownScene) {
  EXPECT_TRUE(fails(change(ChangeKind::highlight, "nope", "a"), {"apply_change(highlight)", "scene", "'nope'"}));
  EXPECT_THROW(apply_change(state, change(ChangeKind::add_row, "")), gb::Error);
}

TEST_F(BadChange, KindMismatch) {
  Change w = change(ChangeKind::write_cells, "g");
  EXPECT_TRUE(fails(w, {"apply_change(write_cells)", "expected a tensor scene", "given graph scene 'g'"}));
  EXPECT_TRUE(fails(change(ChangeKind::highlight, "t", "a"), {"expected a graph scene", "tensor scene 't'"}));
  EXPECT_TRUE(fails(change(ChangeKind::add_span, "p"), {"expected a timeline scene", "plot scene 'p'"}));
  EXPECT_TRUE(fails(change(ChangeKind::add_point, "tab"), {"expected a plot scene", "table scene 'tab'"}));
  EXPECT_TRUE(fails(change(ChangeKind::add_row, "src"), {"expected a table scene", "text scene 'src'"}));
  EXPECT_TRUE(fails(change(ChangeKind::set_cursor, "tl"), {"expected a text scene", "timeline scene 'tl'"}));
}

TEST_F(BadChange, UnknownNode) {
  for (ChangeKind kind : {ChangeKind::node_state, ChangeKind::set_value, ChangeKind::set_gradient})
    EXPECT_TRUE(fails(change(kind, "g", "zz", "done"),
                      {std::string("apply_change(") + change_kind_name(kind) + ")", "node", "'zz'"}));
  EXPECT_TRUE(fails(change(ChangeKind::highlight, "g", "zz"), {"node or edge", "'zz'"}));
  EXPECT_TRUE(fails(change(ChangeKind::node_state, "g", "a", "finished"), {"node state", "'finished'", "running"}));
}

TEST_F(BadChange, DuplicateOrDanglingGraphElements) {
  Change n = change(ChangeKind::add_node, "g");
  n.node.id = "a";
  EXPECT_TRUE(fails(n, {"apply_change(add_node)", "not used yet", "'a'"}));
  n.node.id = "";
  EXPECT_TRUE(fails(n, {"non-empty id"}));
  Change e = change(ChangeKind::add_edge, "g");
  e.edge = {"a->b", "a", "b", ""};
  EXPECT_TRUE(fails(e, {"apply_change(add_edge)", "edge id not used yet", "'a->b'"}));
  e.edge = {"a->zz", "a", "zz", ""};
  EXPECT_TRUE(fails(e, {"node", "'zz'"}));
}

TEST_F(BadChange, CellsOutOfRange) {
  Change r = change(ChangeKind::read_cells, "t");
  r.cells = {0, 6};
  EXPECT_TRUE(fails(r, {"apply_change(read_cells)", "[0, 6)", "given 6"}));
  r.cells = {-1};
  EXPECT_TRUE(fails(r, {"given -1"}));
  Change w = change(ChangeKind::write_cells, "t");
  w.cells = {6};
  w.values = {1};
  EXPECT_TRUE(fails(w, {"apply_change(write_cells)", "[0, 6)", "given 6"}));
  w.cells = {0, 1};
  EXPECT_TRUE(fails(w, {"one value per cell (2)", "given 1 values"}));
  // A failed write changes nothing.
  State copy = state;
  EXPECT_THROW(apply_change(copy, w), gb::Error);
  EXPECT_TRUE(copy == state);
}

TEST_F(BadChange, TensorWhoseValuesDoNotFill) {
  scene("t").scene.tensor.values.pop_back();
  Change r = change(ChangeKind::read_cells, "t");
  r.cells = {0};
  EXPECT_TRUE(fails(r, {"rows * cols = 6 values", "given 5 values"}));
}

TEST_F(BadChange, TimelineReferences) {
  Change s = change(ChangeKind::add_span, "tl");
  s.span = span("s0", "gpu9", 0, 1);
  EXPECT_TRUE(fails(s, {"apply_change(add_span)", "lane", "'gpu9'"}));
  s.span = span("s0", "l0", 0, -1);
  EXPECT_TRUE(fails(s, {"duration >= 0"}));
  s.span = span("s0", "l0", NAN, 1);
  EXPECT_TRUE(fails(s, {"finite start"}));
  s.span = span("s0", "l0", 0, 1);
  apply_change(state, s);
  EXPECT_TRUE(fails(s, {"span id not used yet", "'s0'"}));
  Change f = change(ChangeKind::add_flow, "tl");
  f.flow = {"f", "s0", "s9"};
  EXPECT_TRUE(fails(f, {"apply_change(add_flow)", "span", "'s9'"}));
}

TEST_F(BadChange, PlotSeries) {
  Change p = change(ChangeKind::add_point, "p", "h");
  EXPECT_TRUE(fails(p, {"apply_change(add_point)", "line or scatter", "histogram 'h'"}));
  Change s = change(ChangeKind::set_series, "p", "h");
  s.xs = {0, 1};
  s.values = {1, 2};
  EXPECT_TRUE(fails(s, {"apply_change(set_series)", "values + 1 bin edges (3 xs)", "given 2 xs"}));
  s.target = "line";
  s.xs = {0};
  EXPECT_TRUE(fails(s, {"one x per value (2 xs)", "given 1 xs"}));
  s.text = "pie";
  EXPECT_TRUE(fails(s, {"series kind", "'pie'"}));
}

TEST_F(BadChange, TableRowWidthAndCursorLine) {
  Change r = change(ChangeKind::add_row, "tab");
  r.row = {"only one"};
  EXPECT_TRUE(fails(r, {"apply_change(add_row)", "2 cells per row", "given 1"}));
  Change c = change(ChangeKind::set_cursor, "src");
  c.line = 13;
  EXPECT_TRUE(fails(c, {"apply_change(set_cursor)", "[10, 12]", "given 13"}));
  c.line = 9;
  EXPECT_TRUE(fails(c, {"given 9"}));
}

TEST(Validate, NamesTheStepAndChange) {
  Recording r = small_recording();
  r.steps.resize(3);
  r.steps[2].changes = {change(ChangeKind::set_value, "g", "a"), change(ChangeKind::set_value, "g", "zz")};
  EXPECT_TRUE(throws_error_with([&] { validate(r); }, {"replay step 2, change 1 (set_value)", "'zz'"}));
  EXPECT_TRUE(throws_error_with([&] { Player(r, 4); }, {"step 2, change 1"}));
}

TEST(Validate, DuplicateSceneIds) {
  Recording r = small_recording();
  r.scenes.push_back(r.scenes[0]);
  EXPECT_TRUE(throws_error_with([&] { validate(r); }, {"validate", "unique scene ids", "'g'"}));
}

}  // namespace
}  // namespace gb::trace
