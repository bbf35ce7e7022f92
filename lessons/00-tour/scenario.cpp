// 00-tour: a tour of glassbox. Every scene kind, each one drawn from real gb_core operations:
// a broadcast add cell by cell, a small op graph evaluated node by node, two threads on a timeline,
// a histogram of random normals, and a table of reductions filling row by row.
// The scenario checks its own numbers and throws gb::Error when one is wrong (like a Halide tutorial).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::lessons {

extern const char* const lesson_text_00_tour;    // lesson.md, embedded at build time
extern const char* const lesson_source_00_tour;  // this file, embedded at build time

namespace {

using trace::Level;
using trace::NodeState;
using trace::Recorder;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// A short badge for a value: the numbers themselves when there are few, else shape and dtype.
std::string badge(const Tensor& t) {
  if (t.numel() > 6) return shape_str(t.shape()) + " " + dtype_name(t.dtype());
  std::string out = t.ndim() == 0 ? "" : "[";
  std::vector<double> values = t.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + number(values[i]);
  return out + (t.ndim() == 0 ? "" : "]");
}

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 00-tour self-check", what, given);
}

// --- 1. Broadcasting: a row added to every row ------------------------------------------------
void broadcast_add(Recorder& rec) {
  Tensor a = Tensor::arange(6).reshape({2, 3});
  Tensor b = Tensor::from_values({10, 20, 30}, {3});
  Tensor b_wide = b.broadcast_to({2, 3});  // a view: stride 0 along the new axis, no copy
  Tensor c = a + b;
  rec.add_scene(trace::tensor_scene("a", "a = arange(6).reshape(2, 3)", a));
  rec.add_scene(trace::tensor_scene("b", "b (shape [3], broadcast to [2, 3])", b));
  rec.add_scene(trace::tensor_scene("c", "c = a + b", Tensor::zeros(c.shape())));
  rec.step("broadcast_shapes(" + shape_str(a.shape()) + ", " + shape_str(b.shape()) + ") = " +
               shape_str(c.shape()) + ": b's view gets strides " + shape_str(b_wide.strides()) +
               ", so its one row is read again for every row of a.",
           Level::pass);
  for (std::int64_t i = 0; i < c.size(0); ++i) {
    for (std::int64_t j = 0; j < c.size(1); ++j) {
      double value = c.at({i, j});
      check(value == a.at({i, j}) + b.at({j}), "c[i, j] == a[i, j] + b[j]", number(value));
      rec.step("c[" + std::to_string(i) + ", " + std::to_string(j) + "] = a[" + std::to_string(i) + ", " +
                   std::to_string(j) + "] + b[" + std::to_string(j) + "] = " + number(a.at({i, j})) + " + " +
                   number(b.at({j})) + " = " + number(value) + ".",
               Level::element)
          .read_cells("a", {trace::tensor_cell(a, {i, j})})
          .read_cells("b", {trace::tensor_cell(b, {j})})
          .write_cells("c", {trace::tensor_cell(c, {i, j})}, {value});
    }
  }
}

// --- 2. A graph evaluated node by node --------------------------------------------------------
void graph_evaluation(Recorder& rec, Rng& rng) {
  trace::Scene g = trace::graph_scene("graph", "loss = mean(relu(x @ W + bias))");
  Tensor x = rng.normal({2, 2});
  Tensor w = rng.normal({2, 2});
  Tensor bias = Tensor::from_values({0.5, -0.5}, {2});
  struct NodeSpec { const char* id; const char* op; std::vector<const char*> inputs; };
  const std::vector<NodeSpec> nodes = {
      {"x", "", {}}, {"W", "", {}}, {"bias", "", {}},
      {"matmul", "matmul", {"x", "W"}}, {"add", "add", {"matmul", "bias"}},
      {"relu", "maximum", {"add"}}, {"loss", "mean", {"relu"}}};
  for (const NodeSpec& n : nodes) {
    g.graph.nodes.push_back({n.id, n.id, n.op, "", "", "f32", NodeState::pending, "", ""});
    for (const char* in : n.inputs) g.graph.edges.push_back({std::string(in) + "->" + n.id, in, n.id, ""});
  }
  rec.add_scene(std::move(g));
  rec.step("The graph is declared first: seven nodes, every one pending.", Level::pass);

  // Topological order is the order the nodes were declared in; each op is a real gb_core call.
  std::vector<std::pair<std::string, Tensor>> values;
  auto value_of = [&](const std::string& id) {
    for (auto& [name, t] : values) if (name == id) return t;
    throw Error("00-tour graph", "a computed node", id);
  };
  Tensor zero = Tensor::scalar(0.0);
  for (const NodeSpec& n : nodes) {
    std::string id = n.id;
    Tensor out;
    if (id == "x") out = x;
    else if (id == "W") out = w;
    else if (id == "bias") out = bias;
    else if (id == "matmul") out = matmul(value_of("x"), value_of("W"));
    else if (id == "add") out = value_of("matmul") + value_of("bias");
    else if (id == "relu") out = maximum(value_of("add"), zero);
    else out = mean(value_of("relu"));
    values.emplace_back(id, out);
    std::string caption = n.inputs.empty() ? "Input " + id + " is fed: " + badge(out) + "."
                                           : id + " runs (" + n.op + ") on its ready inputs: " + badge(out) + ".";
    auto step = rec.step(caption, Level::op);
    step.node_state("graph", id, NodeState::done).set_value("graph", id, badge(out)).highlight("graph", id);
    for (const char* in : n.inputs) step.highlight("graph", std::string(in) + "->" + id);
  }
  Tensor expected = mean(maximum(matmul(x, w) + bias, zero));
  check(allclose(value_of("loss"), expected), "the graph's loss to equal the eager loss",
        badge(value_of("loss")) + " vs " + badge(expected));
}

// --- 3. Two threads on a timeline -------------------------------------------------------------
void two_threads(Recorder& rec, Rng& rng) {
  const std::int64_t rows = 6, inner = 16, cols = 4;
  Tensor a = rng.uniform({rows, inner}, -1, 1);
  Tensor b = rng.uniform({inner, cols}, -1, 1);
  Tensor c = Tensor::zeros({rows, cols});
  // Each worker computes a band of rows of c = a @ b. The timeline counts multiply-adds, not
  // seconds, so the recording is the same on every machine.
  const std::vector<std::pair<std::int64_t, std::int64_t>> bands = {{0, 4}, {4, rows}};
  ThreadPool pool(2);
  pool.parallel_for(2, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t t = first; t < last; ++t) {
      auto [lo, hi] = bands[static_cast<std::size_t>(t)];
      c.slice(0, lo, hi).copy_from(matmul(a.slice(0, lo, hi), b));
    }
  });
  check(allclose(c, matmul(a, b)), "the banded product to equal matmul(a, b)", "a different result");

  rec.add_scene(trace::timeline_scene("threads", "c = a @ b on two threads (time in multiply-adds)",
                                      {{"main", "main thread"}, {"worker0", "worker 0"}, {"worker1", "worker 1"}}));
  rec.recording().scenes.back().timeline.unit = "multiply-adds";
  const double bytes_ab = static_cast<double>((a.numel() + b.numel()) * 4);
  const double split = 8;
  rec.step("The main thread allocates c and splits its rows into two bands.", Level::op)
      .add_span("threads", {"split", "main", "split rows", "schedule", 0, split})
      .add_counter("threads", {"memory (bytes)", 0, bytes_ab})
      .add_counter("threads", {"memory (bytes)", split, bytes_ab + static_cast<double>(c.numel() * 4)});
  double end = split;
  for (std::size_t t = 0; t < bands.size(); ++t) {
    auto [lo, hi] = bands[t];
    double cost = static_cast<double>((hi - lo) * inner * cols);
    std::string id = "band" + std::to_string(t);
    rec.step("Worker " + std::to_string(t) + " computes rows " + std::to_string(lo) + ".." + std::to_string(hi - 1) +
                 ": " + number(cost) + " multiply-adds.",
             Level::op)
        .add_span("threads", {id, "worker" + std::to_string(t), "rows " + std::to_string(lo) + "-" +
                                  std::to_string(hi - 1), "compute", split, cost})
        .add_flow("threads", {"split->" + id, "split", id});
    end = std::max(end, split + cost);
  }
  rec.step("The main thread waits for the slower band (" + number(end - split) +
               " multiply-adds): that wait is the load imbalance.",
           Level::op)
      .add_span("threads", {"join", "main", "join", "schedule", end, 2})
      .add_flow("threads", {"band0->join", "band0", "join"})
      .add_flow("threads", {"band1->join", "band1", "join"});
}

// --- 4. A histogram of random normals -------------------------------------------------------
void normal_histogram(Recorder& rec, Rng& rng, std::int64_t samples, std::int64_t bins) {
  if (samples < 4 || bins < 2) throw Error("lesson 00-tour", "samples >= 4 and bins >= 2",
                                            std::to_string(samples) + " and " + std::to_string(bins));
  Tensor x = rng.normal(Shape{samples});
  rec.add_scene(trace::plot_scene("histogram", "Histogram of " + std::to_string(samples) + " normal samples",
                                  "value", "count"));
  trace::PlotScene& plot = rec.recording().scenes.back().plot;
  plot.series = {{"samples", trace::SeriesKind::histogram, {}, {}}, {"expected (normal)", trace::SeriesKind::line, {}, {}}};
  plot.thresholds = {{"-1 sigma", -1}, {"+1 sigma", 1}};
  const double lo = -4, width = 8.0 / static_cast<double>(bins);
  std::vector<double> edges, centers;
  for (std::int64_t i = 0; i <= bins; ++i) edges.push_back(lo + width * static_cast<double>(i));
  for (std::int64_t i = 0; i < bins; ++i) centers.push_back(lo + width * (static_cast<double>(i) + 0.5));
  auto normal_cdf = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  const std::int64_t batches = 4;
  double within_one_sigma = 0;
  for (std::int64_t batch = 1; batch <= batches; ++batch) {
    std::int64_t seen = samples * batch / batches;
    Tensor xs = x.slice(0, 0, seen);
    std::vector<double> counts, expected;
    for (std::int64_t i = 0; i < bins; ++i) {
      Tensor inside = mul(ge(xs, Tensor::scalar(edges[i])), lt(xs, Tensor::scalar(edges[i + 1])));
      counts.push_back(sum(inside).item());  // a real reduction: u8 mask summed to i64
      expected.push_back(static_cast<double>(seen) * (normal_cdf(edges[i + 1]) - normal_cdf(edges[i])));
    }
    within_one_sigma = sum(mul(ge(xs, Tensor::scalar(-1.0)), lt(xs, Tensor::scalar(1.0)))).item() /
                       static_cast<double>(seen);
    rec.step(std::to_string(seen) + " samples counted into " + std::to_string(bins) + " bins; " +
                 number(100 * within_one_sigma) + "% lie within one sigma (normal: 68.27%).",
             Level::op)
        .set_series("histogram", "samples", edges, counts)
        .set_series("histogram", "expected (normal)", centers, expected);
  }
  if (samples >= 1000) {
    check(std::abs(within_one_sigma - 0.6827) < 0.05, "about 68% of normal samples within one sigma",
          number(100 * within_one_sigma) + "%");
  }
}

// --- 5. Reductions, row by row ----------------------------------------------------------------
void reductions_table(Recorder& rec) {
  rec.add_scene(trace::table_scene("reductions", "Reductions of m = [[0, 1, 2], [3, 4, 5]]",
                                   {"expression", "result", "shape", "dtype"}));
  Tensor m = Tensor::arange(6).reshape({2, 3});
  const std::vector<std::pair<std::string, Tensor>> rows = {
      {"sum(m)", sum(m)},
      {"sum(m, axis=0)", sum(m, {0})},
      {"sum(m, axis=1)", sum(m, {1})},
      {"mean(m, axis=1)", mean(m, {1})},
      {"max(m, axis=0)", max(m, {0})},
      {"argmax(m, axis=1)", argmax(m, 1)},
      {"m @ m^T", matmul(m, m.transpose())},
  };
  check(sum(m).item() == 15 && sum(m, {0}).at({2}) == 7, "sum(m) == 15 and sum(m, axis=0)[2] == 7",
        number(sum(m).item()));
  for (const auto& [expression, result] : rows) {
    rec.step(expression + " = " + badge(result) + ".", Level::op)
        .add_row("reductions", {expression, badge(result), shape_str(result.shape()), dtype_name(result.dtype())});
  }
}

// --- the code panel: this file's own tour() function, with a cursor on the part that runs ------
std::vector<std::string> source_lines() {
  std::vector<std::string> lines;
  std::string text = lesson_source_00_tour, line;
  for (char ch : text) {
    if (ch == '\n') { lines.push_back(line); line.clear(); } else { line += ch; }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// Line number (1-based) of the first line that starts with `needle` (after indentation),
// searching from line `from`.
std::int64_t line_of(const std::vector<std::string>& lines, const std::string& needle, std::int64_t from = 1) {
  for (std::size_t i = static_cast<std::size_t>(from - 1); i < lines.size(); ++i) {
    std::size_t indent = lines[i].find_first_not_of(' ');
    if (indent != std::string::npos && lines[i].compare(indent, needle.size(), needle) == 0) {
      return static_cast<std::int64_t>(i + 1);
    }
  }
  throw Error("lesson 00-tour", "the line '" + needle + "' in scenario.cpp", "no such line");
}

// Starts a part of the tour: the lesson.md section it explains, and the code cursor on its call.
void show_part(Recorder& rec, const std::vector<std::string>& lines, std::int64_t first, const std::string& call,
               const std::string& section, const std::string& caption) {
  rec.section(section);
  rec.step(caption, Level::pass).set_cursor("code", line_of(lines, call, first));
}

trace::Recording tour(const Params& params) {
  Recorder rec("00-tour", "A tour of glassbox");
  Rng rng(static_cast<std::uint64_t>(param_int(params, "seed")));
  const std::vector<std::string> lines = source_lines();
  const std::int64_t first = line_of(lines, "trace::Recording tour(const Params& params) {");
  const std::int64_t last = line_of(lines, "return rec.take();", first) + 1;
  rec.add_scene(trace::text_scene("code", "lessons/00-tour/scenario.cpp", "lessons/00-tour/scenario.cpp", first,
                                  std::vector<std::string>(lines.begin() + first - 1, lines.begin() + last)));
  show_part(rec, lines, first, "broadcast_add(rec);",
            "1. Broadcasting: adding a row to every row",
            "Part 1 of 5: a broadcast add, one cell at a time.");
  broadcast_add(rec);
  show_part(rec, lines, first, "graph_evaluation(rec, rng);",
            "2. A graph evaluated node by node",
            "Part 2 of 5: a small graph, one node at a time.");
  graph_evaluation(rec, rng);
  show_part(rec, lines, first, "two_threads(rec, rng);",
            "3. Two threads on a timeline",
            "Part 3 of 5: a matrix product split over two threads.");
  two_threads(rec, rng);
  show_part(rec, lines, first, "normal_histogram(rec, rng",
            "4. A histogram of random normals",
            "Part 4 of 5: random normals, counted into bins.");
  normal_histogram(rec, rng, param_int(params, "samples"), param_int(params, "bins"));
  show_part(rec, lines, first, "reductions_table(rec);",
            "5. Reductions, row by row",
            "Part 5 of 5: reductions, one table row at a time.");
  reductions_table(rec);
  return rec.take();
}

}  // namespace

Lesson lesson_00_tour() {
  return {"00-tour",
          "A tour of glassbox",
          "Part 0, getting started",
          {{"seed", "7", "seed of the random numbers (graph inputs, timeline matrices, histogram samples)"},
           {"samples", "4000", "how many normal samples the histogram counts"},
           {"bins", "16", "histogram bins over [-4, 4)"}},
          lesson_text_00_tour,
          tour};
}

}  // namespace gb::lessons
