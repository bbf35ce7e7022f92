// viewer_unit_tests.cpp: the viewer's logic that needs no window: stepping back equals replay, search,
// state files, collapsed groups, and the layout cache's worker thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "gb/core/error.hpp"
#include "gb/trace/replay.hpp"
#include "graph_groups.hpp"
#include "graph_layout.hpp"
#include "markdown.hpp"
#include "session.hpp"
#include "state_file.hpp"

namespace gb::viewer {
namespace {

// Forward to the end, back to the start one step at a time, then jumps: every state is the replay.
void expect_seeks_equal_replay(Session& s) {
  const std::int64_t n = s.steps();
  std::vector<std::int64_t> path;
  for (std::int64_t k = 0; k < n; ++k) path.push_back(k);
  for (std::int64_t k = n - 2; k >= -1; --k) path.push_back(k);
  for (std::int64_t k : {n / 2, std::int64_t{2}, n - 1, std::int64_t{-1}, n / 3, n - 1, n - 2, n - 3}) {
    path.push_back(std::clamp<std::int64_t>(k, -1, n - 1));
  }
  for (std::int64_t k : path) {
    s.seek(k);
    ASSERT_EQ(s.step(), k);
    ASSERT_TRUE(s.state() == trace::replay(s.recording(), k)) << s.recording().lesson << " at step " << k;
  }
  EXPECT_THROW(s.seek(n), Error);
  EXPECT_THROW(s.seek(-2), Error);
}

TEST(ViewerSession, EverySeekEqualsReplayInEveryLesson) {
  for (const lessons::Lesson& lesson : lessons::all()) {
    Session s;
    try {
      s.load(lesson.id);
    } catch (const Error& e) {
      continue;  // a lesson that does not run is the lesson tests' failure, not the viewer's
    }
    expect_seeks_equal_replay(s);
  }
}

// Every change kind, many steps: every step back is one undo record, every jump goes through the Player.
TEST(ViewerSession, SteppingBackUndoesEveryChangeKind) {
  trace::Recording r;
  r.lesson = "synthetic";
  trace::Scene g{"g", "", trace::SceneKind::graph, {}, {}, {}, {}, {}, {}};
  g.graph.nodes = {{"a", "a", "", "", "", "", {}, "", ""}};
  trace::Scene t{"t", "", trace::SceneKind::tensor, {}, {}, {}, {}, {}, {}};
  t.tensor.rows = 4;
  t.tensor.cols = 4;
  t.tensor.values.assign(16, 0.0);
  trace::Scene tl{"tl", "", trace::SceneKind::timeline, {}, {}, {}, {}, {}, {}};
  tl.timeline.lanes = {{"l", "lane"}};
  trace::Scene p{"p", "", trace::SceneKind::plot, {}, {}, {}, {}, {}, {}};
  trace::Scene tb{"tb", "", trace::SceneKind::table, {}, {}, {}, {}, {}, {}};
  trace::Scene tx{"tx", "", trace::SceneKind::text, {}, {}, {}, {}, {}, {}};
  tx.text.lines = {"one", "two", "three"};
  r.scenes = {g, t, tl, p, tb, tx};
  for (int i = 0; i < 300; ++i) {
    trace::Step step;
    step.caption = "step " + std::to_string(i);
    auto change = [&](trace::ChangeKind kind, const std::string& scene) {
      trace::Change c;
      c.kind = kind;
      c.scene = scene;
      return c;
    };
    const std::string id = "n" + std::to_string(i);
    trace::Change c = change(trace::ChangeKind::add_node, "g");
    c.node = {id, id, "op", "", "", "", trace::NodeState::pending, "", ""};
    step.changes.push_back(c);
    c = change(trace::ChangeKind::add_edge, "g");
    c.edge = {"e" + std::to_string(i), "a", id, ""};
    step.changes.push_back(c);
    for (auto kind : {trace::ChangeKind::node_state, trace::ChangeKind::set_value, trace::ChangeKind::set_gradient,
                      trace::ChangeKind::highlight}) {
      c = change(kind, "g");
      c.target = i % 3 ? "a" : id;
      c.text = kind == trace::ChangeKind::node_state ? (i % 2 ? "done" : "running") : std::to_string(i);
      step.changes.push_back(c);
    }
    c = change(trace::ChangeKind::write_cells, "t");
    c.cells = {i % 16, (i * 7) % 16, i % 16};
    c.values = {double(i), double(-i), double(i) + 0.5};
    step.changes.push_back(c);
    c = change(trace::ChangeKind::read_cells, "t");
    c.cells = {(i + 1) % 16};
    step.changes.push_back(c);
    c = change(trace::ChangeKind::add_span, "tl");
    c.span = {"s" + std::to_string(i), "l", "w", "compute", double(i), 1.0};
    step.changes.push_back(c);
    c = change(trace::ChangeKind::add_counter, "tl");
    c.counter = {"mem", double(i), double(i % 5)};
    step.changes.push_back(c);
    if (i > 0) {
      c = change(trace::ChangeKind::add_flow, "tl");
      c.flow = {"f" + std::to_string(i), "s" + std::to_string(i - 1), "s" + std::to_string(i)};
      step.changes.push_back(c);
    }
    c = change(trace::ChangeKind::add_point, "p");
    c.target = "line " + std::to_string(i / 100);  // a new series every 100 steps
    c.x = i;
    c.y = i * i;
    step.changes.push_back(c);
    c = change(trace::ChangeKind::set_series, "p");
    c.target = i % 2 ? "hist" : "hist " + std::to_string(i / 50);
    c.text = "histogram";
    c.xs = {0, 1, double(2 + i)};
    c.values = {double(i), 1};
    step.changes.push_back(c);
    c = change(trace::ChangeKind::add_row, "tb");
    c.row = {std::to_string(i)};
    step.changes.push_back(c);
    c = change(trace::ChangeKind::set_cursor, "tx");
    c.line = 1 + i % 3;
    step.changes.push_back(c);
    r.steps.push_back(step);
  }
  Session s;
  s.load_recording(r, "synthetic.json");
  // From the end back to 150 one step at a time, then a few jumps and walks. Stepping back lends the
  // marks of the step before from its undo record; the walks back and forth and the jumps (more than 256
  // steps) check that every lent mark comes back: 20 -> 19 lends, the jump to 290 must return it before
  // the walk from 30 back down to 15 needs it again.
  s.seek(299);
  for (std::int64_t k = 298; k >= 150; --k) {
    s.seek(k);
    ASSERT_TRUE(s.state() == trace::replay(r, k)) << "at step " << k;
  }
  for (std::int64_t k : {10, 9, 200, 199, 198, 250, -1, 0, 20, 19, 18, 19, 20, 19, 290, 289, 30, 29, 28, 27, 26, 25, 24,
                         23, 22, 21, 20, 19, 18, 17, 16, 15, 16, 17, 299, 298, -1}) {
    s.seek(k);
    ASSERT_TRUE(s.state() == trace::replay(r, k)) << "at step " << k;
  }
}

TEST(ViewerSession, FindStepWrapsAndIgnoresCase) {
  trace::Recording r;
  r.lesson = "test";
  trace::Scene g;
  g.id = "g";
  g.kind = trace::SceneKind::graph;
  g.graph.nodes = {{"x", "input x", "", "", "", "", {}, "", ""}, {"mm", "x @ W", "matmul", "", "", "", {}, "", ""}};
  r.scenes.push_back(g);
  auto light = [](const std::string& id) {
    trace::Step step;
    step.caption = "lit " + id;
    trace::Change c;
    c.kind = trace::ChangeKind::highlight;
    c.scene = "g";
    c.target = id;
    step.changes.push_back(c);
    return step;
  };
  r.steps = {light("x"), light("mm"), light("x"), light("mm")};
  Session s;
  s.load_recording(r, "test.json");
  EXPECT_EQ(s.find_step("MATMUL", -1), 1);  // by op, case-insensitive
  EXPECT_EQ(s.find_step("matmul", 1), 3);   // the next one after step 1
  EXPECT_EQ(s.find_step("matmul", 3), 1);   // wraps around
  EXPECT_EQ(s.find_step("input", 0), 2);    // by label
  EXPECT_EQ(s.find_step("nothing", -1), -2);
  EXPECT_EQ(s.lesson(), nullptr);           // no registered lesson "test"
  EXPECT_TRUE(s.from_file());
}

TEST(ViewerSession, BadRecordingIsRejectedAndTheOldOneStays) {
  Session s;
  s.load("");
  const auto steps = s.steps();
  trace::Recording bad = s.recording();
  bad.steps.at(0).changes.push_back(trace::Change{});  // a highlight on scene "" does not replay
  EXPECT_THROW(s.load_recording(bad, "bad.json"), Error);
  EXPECT_EQ(s.steps(), steps);
  EXPECT_FALSE(s.from_file());
}

TEST(ViewerStateFile, RoundTripAndErrors) {
  ViewState v;
  v.lesson = "00-tour";
  v.params = {{"seed", "3"}};
  v.step = 12;
  v.level = trace::Level::op;
  ViewState back = parse_state(format_state(v), "test");
  EXPECT_EQ(back.lesson, "00-tour");
  EXPECT_EQ(back.params, v.params);
  EXPECT_EQ(back.step, 12);
  EXPECT_EQ(back.level, trace::Level::op);
  try {
    parse_state("lesson = a\nstep = -3\n", "'f'");
    FAIL() << "a negative step must not parse";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_state("step = 3\n", "f"), Error);                          // no lesson
  EXPECT_THROW(parse_state("lesson = a\nrecording = b\n", "f"), Error);        // both
  EXPECT_THROW(parse_state("lesson = a\ncolour = red\n", "f"), Error);         // unknown key
  EXPECT_THROW(parse_state("lesson = a\nlevel = medium\n", "f"), Error);       // unknown level
  EXPECT_THROW(read_state_file("/nonexistent/state"), Error);
}

trace::GraphScene grouped_graph() {
  trace::GraphScene g;
  g.groups = {{"layer", "layer 1"}};
  auto node = [](std::string id, std::string group, trace::NodeState state) {
    trace::GraphNode n;
    n.id = n.label = std::move(id);
    n.group = std::move(group);
    n.state = state;
    return n;
  };
  g.nodes = {node("x", "", trace::NodeState::done), node("a", "layer", trace::NodeState::done),
             node("b", "layer", trace::NodeState::running), node("y", "", trace::NodeState::pending)};
  g.edges = {{"x->a", "x", "a", ""}, {"x->b", "x", "b", ""}, {"a->b", "a", "b", ""}, {"b->y", "b", "y", ""}};
  return g;
}

TEST(ViewerGroups, CollapseJoinsEdgesAndAggregatesState) {
  std::set<std::string> lit;
  CollapsedGraph c = collapse_groups(grouped_graph(), {"layer"}, {"a", "x->b"}, &lit);
  ASSERT_EQ(c.graph.nodes.size(), 3u);  // x, the group box, y
  const std::string box = group_node_id("layer");
  EXPECT_EQ(c.stands_for.at("a"), box);
  EXPECT_EQ(c.members.at(box).size(), 2u);
  ASSERT_EQ(c.graph.edges.size(), 2u);  // x->box (two joined), box->y; a->b vanished inside
  EXPECT_EQ(c.edge_members.at(c.graph.edges[0].id).size(), 2u);
  EXPECT_EQ(c.graph.nodes[1].state, trace::NodeState::running);  // b runs inside
  EXPECT_TRUE(lit.count(box));
  EXPECT_TRUE(lit.count(c.graph.edges[0].id));
  EXPECT_TRUE(c.graph.groups.empty());
  // Nothing collapsed: the same graph.
  CollapsedGraph open = collapse_groups(grouped_graph(), {}, {}, nullptr);
  EXPECT_EQ(open.graph.nodes.size(), 4u);
  EXPECT_EQ(open.graph.edges.size(), 4u);
}

trace::GraphScene chain(int n) {
  trace::GraphScene g;
  for (int i = 0; i < n; ++i) {
    g.nodes.push_back(trace::GraphNode{"n" + std::to_string(i), "node " + std::to_string(i), "op", "", "", "", {}, "", ""});
    if (i > 0) g.edges.push_back({"e" + std::to_string(i), "n" + std::to_string(i - 1), "n" + std::to_string(i), ""});
  }
  return g;
}

TEST(ViewerLayout, LargeGraphsAreLaidOutOnAWorker) {
  auto measure = [](const std::string& s) { return 7.0 * static_cast<double>(s.size()); };
  LayoutCache cache;
  const auto big = chain(static_cast<int>(LayoutCache::kAsyncNodes) + 20);
  EXPECT_EQ(cache.get("g", big, measure, 15, true), nullptr);  // "laying out..."
  EXPECT_EQ(cache.pending(), 1u);
  const GraphLayout* done = nullptr;
  for (int i = 0; i < 600 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = cache.get("g", big, measure, 15, true);
  }
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->nodes.size(), big.nodes.size());
  EXPECT_EQ(done->error, "");
  EXPECT_EQ(cache.pending(), 0u);
  EXPECT_EQ(cache.get("g", big, measure, 15, true), done);  // cached
  // Small graphs, and every graph in synchronous mode, come back at once.
  EXPECT_NE(cache.get("s", chain(5), measure, 15, true), nullptr);
  LayoutCache sync;
  sync.set_synchronous(true);
  EXPECT_NE(sync.get("g", big, measure, 15, false), nullptr);
  // clear() while a worker runs: it finishes in the background, nothing is left pending.
  EXPECT_EQ(cache.get("g", big, measure, 15, false), nullptr);
  cache.clear();
  EXPECT_EQ(cache.pending(), 0u);
}

}  // namespace
}  // namespace gb::viewer

TEST(ViewerMarkdown, IndentedAndFencedCodeBlocks) {
  using gb::viewer::BlockKind;
  const auto blocks = gb::viewer::parse_markdown(
      "Text that\n    continues a paragraph.\n\n    l = x\n\n    return l\nAfter.\n\n```\nfenced\n```\n");
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(blocks[0].kind, BlockKind::paragraph);
  EXPECT_EQ(blocks[1].kind, BlockKind::code);
  EXPECT_EQ(blocks[1].text, "l = x\n\nreturn l");
  EXPECT_EQ(blocks[2].kind, BlockKind::paragraph);
  EXPECT_EQ(blocks[3].kind, BlockKind::code);
  EXPECT_EQ(blocks[3].text, "fenced");
}

TEST(ViewerLayout, LabelledEdgesAcrossClustersLayOutWithoutCrashing) {
  // Graphviz 2.42's dot double-frees in gvFreeLayout on this graph (lesson 08's backward graph: a
  // forward and a backward cluster, labelled edges between them) when edges carry `label`; the
  // layout uses external labels (xlabel) instead.
  const int widths[29] = {48, 54, 48, 67, 48, 67, 48, 48, 67, 48, 79, 79, 79, 84, 84, 113, 84, 84, 134, 134, 134, 48, 48, 48, 48, 48, 84, 84, 48};
  const std::vector<std::pair<int, int>> edges = {{3, 4}, {2, 4}, {5, 6}, {2, 6}, {4, 7}, {6, 7}, {0, 9}, {8, 9}, {1, 13}, {2, 14}, {1, 15}, {0, 16}, {2, 17}, {10, 18}, {16, 18}, {13, 19}, {11, 19}, {14, 20}, {17, 20}, {12, 21}, {6, 21}, {12, 22}, {4, 22}, {22, 23}, {21, 24}, {3, 24}, {23, 25}, {24, 25}, {0, 26}, {1, 27}, {23, 28}, {24, 28}};
  const std::set<int> backward = {13, 14, 16, 17, 21, 22, 23, 24, 25, 26, 27, 28};
  gb::trace::GraphScene g;
  for (int i = 0; i < 29; ++i) {
    gb::trace::GraphNode node;
    node.id = "n" + std::to_string(i);
    node.label = std::string(static_cast<std::size_t>(widths[i] / 8), 'x');
    node.group = backward.count(i) ? "backward" : "forward";
    g.nodes.push_back(node);
  }
  g.groups = {{"forward", "forward"}, {"backward", "backward"}};
  for (std::size_t e = 0; e < edges.size(); ++e) {
    g.edges.push_back({"e" + std::to_string(e), "n" + std::to_string(edges[e].first), "n" + std::to_string(edges[e].second),
                       "v" + std::to_string(edges[e].first)});
  }
  const auto layout = gb::viewer::layout_graph(g, [](const std::string& s) { return 8.0 * static_cast<double>(s.size()); }, 14, true);
  EXPECT_TRUE(layout.error.empty()) << layout.error;
  EXPECT_EQ(layout.nodes.size(), 29u);
  std::size_t labelled = 0;
  for (const auto& e : layout.edges) labelled += e.has_label;
  EXPECT_EQ(labelled, g.edges.size());
}
