// trace_testing.cpp: recordings shared by the gb_trace tests.
#include "trace_testing.hpp"

#include <limits>
#include <string>

#include "gb/trace/recorder.hpp"

namespace gb::trace::testing {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

GraphNode node(const std::string& id, const std::string& label, const std::string& op = "",
               const std::string& group = "") {
  GraphNode n;
  n.id = id;
  n.label = label;
  n.op = op;
  n.group = group;
  return n;
}
}  // namespace

Recording every_kind_recording() {
  Recorder rec("99-sample", "Every kind of scene and change");
  rec.set_parameter("seed", "42");
  rec.set_parameter("size", "2x3");

  Scene g = graph_scene("g", "The graph");
  g.graph.groups = {{"ops", "Operations \"fused\""}};
  g.graph.nodes = {node("a", "a = 2"), node("b", "b\\n is \"b\"\nsecond line ✓"), node("add", "add", "add", "ops")};
  for (GraphNode& n : g.graph.nodes) {
    n.shape = "[]";
    n.dtype = "f32";
  }
  g.graph.edges = {{"a->add", "a", "add", ""}, {"b->add", "b", "add", "rhs"}};
  rec.add_scene(g);

  Scene t;
  t.id = "t";
  t.title = "A 2 x 3 tensor";
  t.kind = SceneKind::tensor;
  t.tensor = {.rows = 2, .cols = 3, .values = {0, 1, 2, 3, -0.0, 5}, .dtype = "f32", .shape = "[2, 3]"};
  rec.add_scene(t);

  Scene tl = timeline_scene("tl", "Two devices", {{"gpu0", "GPU 0"}, {"gpu1", ""}});
  tl.timeline.spans = {{.id = "init", .lane = "gpu0", .name = "init", .category = "setup", .start = 0, .duration = 2}};
  rec.add_scene(tl);

  Scene p = plot_scene("p", "Loss and histogram", "step", "loss");
  p.plot.series = {{"loss", SeriesKind::line, {}, {}}, {"hist", SeriesKind::histogram, {0, 1, 2}, {3, 4}}};
  p.plot.thresholds = {{"clip", 1.5}, {"", -inf}};
  rec.add_scene(p);
  rec.add_scene(plot_scene("empty", "", "", ""));  // a scene with nothing in it

  rec.add_scene(table_scene("tab", "Evaluation", {"step", "loss"}));
  rec.add_scene(text_scene("src", "Source", "lib/core/src/tensor.cpp", 10, {"int a = 1;", "int b = 2;", "// ☃"}));

  rec.section("Graphs");
  rec.step("Lit the add node and its input edge.")
      .highlight("g", "add")
      .highlight("g", "a->add")
      .node_state("g", "add", NodeState::running)
      .set_value("g", "add", "3.0")
      .set_gradient("g", "a", "1.0");
  rec.step("Added a multiply.", Level::pass)
      .add_node("g", {.id = "mul", .label = "mul", .op = "mul", .group = "ops", .shape = "[2]", .dtype = "f64",
                      .state = NodeState::pending, .value = "-0.0", .gradient = ""})
      .add_edge("g", {"add->mul", "add", "mul", "x"})
      .node_state("g", "add", NodeState::done);
  rec.section("Tensors");
  rec.step("Read two cells, wrote a NaN.", Level::element).read_cells("t", {0, 1}).write_cells("t", {5}, {nan});
  rec.step("Wrote infinities; read nothing.", Level::tile)
      .write_cells("t", {0, 4}, {inf, -inf})
      .read_cells("t", {})
      .write_cells("t", {}, {});
  rec.section("Timelines");
  rec.step("Two kernels and a message.")
      .add_span("tl", {.id = "k0", .lane = "gpu0", .name = "matmul", .category = "compute", .start = 2, .duration = 3.25})
      .add_span("tl", {.id = "k1", .lane = "gpu1", .name = "recv", .category = "comm", .start = 4, .duration = 0})
      .add_counter("tl", {"memory (bytes)", 2, 1024})
      .add_counter("tl", {"memory (bytes)", 5.5, 0.1})
      .add_flow("tl", {"m0", "k0", "k1"});
  rec.section("Plots");
  rec.step("Points, a new series, a histogram.")
      .add_point("p", "loss", 0, 1.5)
      .add_point("p", "loss", 1, 1e-300)
      .add_point("p", "new series", nan, inf)
      .set_series("p", "hist", {0, 0.5, 1}, {1, 2})
      .set_series("p", "fresh", {}, {});
  rec.section("Unicode — ünïcödé 日本");
  rec.step("Added a row and moved the cursor.").add_row("tab", {"1", "0.5 – ✓"}).set_cursor("src", 11);
  rec.step("Cleared the cursor.", Level::element).set_cursor("src", 0);

  Recording r = rec.take();
  // A hand-built step: no source, a set_series that names its kind.
  Step manual;
  manual.caption = "A scatter series, named by the change.";
  Change scatter;
  scatter.kind = ChangeKind::set_series;
  scatter.scene = "p";
  scatter.target = "dots";
  scatter.text = "scatter";
  scatter.xs = {1, 2};
  scatter.values = {3, 0.1 + 0.2};
  manual.changes.push_back(scatter);
  r.steps.push_back(manual);
  return r;
}

Recording long_recording(int steps) {
  Recorder rec("98-long", "A long recording");
  Scene g = graph_scene("g", "graph");
  for (int i = 0; i < 8; ++i) g.graph.nodes.push_back(node("n" + std::to_string(i), "node"));
  rec.add_scene(g);
  Scene t;
  t.id = "t";
  t.kind = SceneKind::tensor;
  t.tensor.rows = 4;
  t.tensor.cols = 5;
  t.tensor.values.assign(20, 0.0);
  rec.add_scene(t);
  rec.add_scene(timeline_scene("tl", "timeline", {{"l0", ""}, {"l1", ""}}));
  rec.add_scene(plot_scene("p", "plot", "x", "y"));
  rec.add_scene(table_scene("tab", "table", {"i"}));
  rec.add_scene(text_scene("src", "source", "a.cpp", 1, {"a", "b", "c", "d"}));

  const NodeState states[] = {NodeState::pending, NodeState::running, NodeState::done, NodeState::none};
  for (int i = 0; i < steps; ++i) {
    const std::string n = "n" + std::to_string(i % 8);
    const std::string s = std::to_string(i);
    StepBuilder b = rec.step("step " + s, static_cast<Level>(i % 4));
    switch (i % 7) {
      case 0: b.highlight("g", n).node_state("g", n, states[(i / 7) % 4]); break;
      case 1: b.set_value("g", n, s).set_gradient("g", n, "-" + s).highlight("g", "n0"); break;
      case 2: b.read_cells("t", {i % 20, (i + 3) % 20}).write_cells("t", {(i * 7) % 20}, {i * 0.5}); break;
      case 3:
        b.add_span("tl", {.id = "s" + s, .lane = i % 2 ? "l1" : "l0", .name = "work", .category = "", .start = double(i),
                          .duration = 0.5})
            .add_counter("tl", {"mem", double(i), double(i * i)});
        if (i >= 10) b.add_flow("tl", {"f" + s, "s" + std::to_string(i - 7), "s" + s});
        break;
      case 4: b.add_point("p", "loss", i, 1.0 / (i + 1)).set_series("p", "w", {0, 1}, {double(i), -double(i)}); break;
      case 5: b.add_row("tab", {s}).set_cursor("src", 1 + i % 4); break;
      case 6: b.add_node("g", node("extra" + s, s)).add_edge("g", {"e" + s, n, "extra" + s, ""}); break;
    }
  }
  return rec.take();
}

}  // namespace gb::trace::testing
