// bench_viewer.cpp: the viewer's costs: a frame under Mesa llvmpipe at 1280x800, a Graphviz layout, and
// stepping back versus stepping forward through a 10,000-step Recording (DESIGN.md section 7: each row
// beside its peer, with the ratio).
//
//   gb/frame                 a whole frame (ImGui + draw lists + OpenGL) with a 1,000-node graph and a 64x64
//   peer:100-nodes/frame     heatmap; the peer is the same window with a 100-node graph (target: 60 fps)
//   gb/layout                Graphviz `dot` layout of the 1,000-node graph, beside the 100-node one
//   peer:100-nodes/layout
//   gb/step                  Session::seek one step back, over and over, on 10,000 steps, starting from a
//   peer:forward/step        jump to the end; the peer steps forward. The ratio says whether stepping back
//                            is as fast as stepping forward.
//   gb/player_step           the same with trace::Player alone (snapshots every 32 steps, no history):
//   peer:forward/player_step why the Session keeps the last states it showed.
//
// Needs a display for the frame rows: `make bench` runs the benchmarks under xvfb-run -a when DISPLAY is unset.
#include <GL/gl.h>
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app.hpp"
#include "gb/trace/replay.hpp"
#include "window.hpp"

namespace gb::viewer {
namespace {

// A layered graph (about 20 layers), every node fed by two nodes of the layer before, and a 64x64 tensor.
trace::Recording frame_recording(int nodes) {
  trace::Recording r;
  r.lesson = "bench";
  r.title = "viewer benchmark";
  trace::Scene graph;
  graph.id = "graph";
  graph.title = std::to_string(nodes) + " nodes";
  graph.kind = trace::SceneKind::graph;
  const int width = std::max(1, nodes / 20);
  for (int i = 0; i < nodes; ++i) {
    trace::GraphNode n;
    n.id = "n" + std::to_string(i);
    n.label = "op " + std::to_string(i);
    n.op = "add";
    n.state = i % 3 == 0 ? trace::NodeState::done : trace::NodeState::pending;
    n.value = i % 3 == 0 ? "1.5" : "";
    graph.graph.nodes.push_back(n);
    if (i >= width) {
      for (int k : {i - width, i - width + (i % width == width - 1 ? 0 : 1)}) {
        graph.graph.edges.push_back({"e" + std::to_string(i) + "_" + std::to_string(k), "n" + std::to_string(k), n.id, ""});
      }
    }
  }
  r.scenes.push_back(graph);
  trace::Scene tensor;
  tensor.id = "heat";
  tensor.title = "64 x 64";
  tensor.kind = trace::SceneKind::tensor;
  tensor.tensor.rows = tensor.tensor.cols = 64;
  tensor.tensor.dtype = "f32";
  tensor.tensor.shape = "[64, 64]";
  for (int i = 0; i < 64 * 64; ++i) tensor.tensor.values.push_back(static_cast<double>((i * 37) % 101) - 50.0);
  r.scenes.push_back(tensor);
  for (int s = 0; s < 8; ++s) {
    trace::Step step;
    step.caption = "step " + std::to_string(s);
    trace::Change lit;
    lit.kind = trace::ChangeKind::highlight;
    lit.scene = "graph";
    lit.target = "n" + std::to_string(nodes / 2 + s);
    step.changes.push_back(lit);
    trace::Change write;
    write.kind = trace::ChangeKind::write_cells;
    write.scene = "heat";
    write.cells = {s, 64 + s};
    write.values = {1.0, -1.0};
    step.changes.push_back(write);
    r.steps.push_back(step);
  }
  return r;
}

// One hidden 1280x800 window for every frame row (ImGui allows one context at a time here).
Window* shared_window() {
  static std::unique_ptr<Window> window;
  if (!window) {
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display) return nullptr;
    window = std::make_unique<Window>(1280, 800, /*visible=*/false, "bench_viewer");
  }
  return window.get();
}

void frame(benchmark::State& state, int nodes) {
  Window* window = shared_window();
  if (!window) {
    state.SkipWithError("no display: run under xvfb-run -a (make bench does)");
    return;
  }
  App app;
  app.fonts = window->fonts();
  app.layouts.set_synchronous(true);  // lay out before timing, not during
  app.session.load_recording(frame_recording(nodes), "bench");
  app.session.seek(3);
  app.focus = false;
  auto one_frame = [&] {
    window->begin_frame();
    draw_app(app);
    window->render();
    glFinish();  // the frame is drawn, not just queued
    window->swap();
  };
  for (int i = 0; i < 3; ++i) one_frame();  // layout, fonts, scroll settle
  for (auto _ : state) one_frame();
  state.counters["fps"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["nodes_drawn"] = static_cast<double>(app.stats.scenes["graph"].second["nodes_drawn"]);
  state.counters["cells_drawn"] = static_cast<double>(app.stats.scenes["heat"].second["cells_drawn"]);
}
BENCHMARK_CAPTURE(frame, 1000, 1000)->Name("gb/frame")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(frame, 100, 100)->Name("peer:100-nodes/frame")->Unit(benchmark::kMillisecond)->UseRealTime();

void layout(benchmark::State& state, int nodes) {
  const trace::Recording r = frame_recording(nodes);
  auto measure = [](const std::string& s) { return 8.0 * static_cast<double>(s.size()); };
  for (auto _ : state) {
    GraphLayout l = layout_graph(r.scenes[0].graph, measure, 15, true);
    benchmark::DoNotOptimize(l.width);
  }
}
BENCHMARK_CAPTURE(layout, 1000, 1000)->Name("gb/layout")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(layout, 100, 100)->Name("peer:100-nodes/layout")->Unit(benchmark::kMillisecond)->UseRealTime();

// 10,000 steps over a 64x64 tensor, a timeline and a small graph: each step writes a cell, adds a span
// and lights a node, so states grow as they would in a long lesson.
const trace::Recording& long_recording() {
  static const trace::Recording r = [] {
    trace::Recording rec = frame_recording(20);
    trace::Scene timeline;
    timeline.id = "time";
    timeline.kind = trace::SceneKind::timeline;
    timeline.timeline.lanes = {{"a", "lane a"}, {"b", "lane b"}};
    rec.scenes.push_back(timeline);
    rec.steps.clear();
    for (int s = 0; s < 10000; ++s) {
      trace::Step step;
      step.caption = "step";
      trace::Change write;
      write.kind = trace::ChangeKind::write_cells;
      write.scene = "heat";
      write.cells = {s % 4096};
      write.values = {static_cast<double>(s)};
      step.changes.push_back(write);
      trace::Change span;
      span.kind = trace::ChangeKind::add_span;
      span.scene = "time";
      span.span = {"s" + std::to_string(s), s % 2 ? "a" : "b", "work", "compute", static_cast<double>(s), 1.0};
      step.changes.push_back(span);
      trace::Change lit;
      lit.kind = trace::ChangeKind::highlight;
      lit.scene = "graph";
      lit.target = "n" + std::to_string(s % 20);
      step.changes.push_back(lit);
      rec.steps.push_back(step);
    }
    return rec;
  }();
  return r;
}

void session_step(benchmark::State& state, int direction) {
  Session session;
  session.load_recording(long_recording(), "bench");
  const std::int64_t n = session.steps();
  std::int64_t k = direction < 0 ? n - 1 : n / 2;
  session.seek(k);
  for (auto _ : state) {
    k += direction;
    if (k < n / 2) k = n - 1;  // stay in the second half, where states are large
    if (k >= n) k = n / 2;
    session.seek(k);
    benchmark::DoNotOptimize(session.state().step);
  }
}
BENCHMARK_CAPTURE(session_step, back, -1)->Name("gb/step")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(session_step, forward, 1)->Name("peer:forward/step")->Unit(benchmark::kMicrosecond);


void player_step(benchmark::State& state, int direction) {
  trace::Player player(long_recording());
  const std::int64_t n = player.steps();
  std::int64_t k = direction < 0 ? n - 1 : n / 2;
  player.seek(k);
  for (auto _ : state) {
    k += direction;
    if (k < n / 2) k = n - 1;
    if (k >= n) k = n / 2;
    benchmark::DoNotOptimize(player.seek(k).step);
  }
}
BENCHMARK_CAPTURE(player_step, back, -1)->Name("gb/player_step")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(player_step, forward, 1)->Name("peer:forward/player_step")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gb::viewer
