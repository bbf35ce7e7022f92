// 09-dynamic-to-static: TorchScript's example `if sum(h2h) > sum(w_x): h2h = h2h + matmul(w_x, x^T)`
// traced with two inputs (two different frozen graphs) and parsed (one graph with an If holding both
// branches), then a parsed loop differentiated. The scenario checks every answer against eager.
#include <cmath>
#include <string>

#include "gb/control/script.hpp"
#include "gb/core.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/graph/tracer.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_09_dynamic_to_static;

namespace {

namespace g = gb::graph;
namespace ctl = gb::control;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 09-dynamic-to-static self-check", what, given);
}

const char* const kScript =
    "h2h = h\n"
    "if sum(h2h) > sum(w_x):\n"
    "    h2h = h2h + matmul(w_x, transpose(x))\n"
    "return tanh(h2h)\n";

// The eager function, written once for the tracer: C++ decides the if on a concrete value.
std::vector<g::Traced> f(const std::vector<g::Traced>& in) {
  const g::Traced& x = in[0];
  const g::Traced& h = in[1];
  const g::Traced& w_x = in[2];
  g::Traced h2h = h;
  if (sum(h2h) > sum(w_x)) h2h = h2h + matmul(w_x, transpose(x));
  return {tanh(h2h)};
}

struct Example {
  std::string name;
  Tensor x, h, w_x;
  g::Feeds feeds() const { return {{"x", x}, {"h", h}, {"w_x", w_x}}; }
  std::vector<std::pair<std::string, Tensor>> inputs() const { return {{"x", x}, {"h", h}, {"w_x", w_x}}; }
};

Tensor eager(const Example& e) {
  Tensor h2h = e.h;
  if (gb::sum(h2h).item() > gb::sum(e.w_x).item()) h2h = gb::add(h2h, gb::matmul(e.w_x, e.x.transpose()));
  return map_floating(h2h, "tanh", [](double v) { return std::tanh(v); });
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

trace::Recording dynamic_to_static(const Params& params) {
  Recorder rec("09-dynamic-to-static", "Dynamic to static: tracing versus parsing");
  Rng rng(static_cast<std::uint64_t>(param_int(params, "seed")));
  const Tensor x = rng.normal({1, 3}, 0, 1, DType::f64), w_x = rng.normal({2, 3}, 0, 1, DType::f64);
  const double half = gb::sum(w_x).item() / 2;
  // Two inputs that differ only in h: sum(h) is above sum(w_x) for A and below it for B.
  const Example a{"A", x, Tensor::full({2, 1}, half + 0.5, DType::f64), w_x};
  const Example b{"B", x, Tensor::full({2, 1}, half - 0.5, DType::f64), w_x};
  trace::ScopedRecorder attach(rec);

  rec.section("1. Tracing runs the program once");
  trace::ScopedPause pause;  // traces and runs are shown by the scenes and the table below
  const g::TraceResult traced_a = g::trace(f, a.inputs());
  rec.add_scene(g::to_scene(traced_a.graph, "traced_a", "Traced with input A (the condition was true)"));
  check(gb::allclose(traced_a.eager_outputs[0], eager(a), 0, 1e-15), "the traced run equals eager on A",
        traced_a.eager_outputs[0].str());
  rec.step("Tracing f on A ran it once and recorded " + std::to_string(traced_a.graph.size()) +
               " nodes, the matmul branch included.",
           Level::pass);

  rec.section("2. The frozen branch");
  const g::TraceResult traced_b = g::trace(f, b.inputs());
  rec.add_scene(g::to_scene(traced_b.graph, "traced_b", "Traced with input B (the condition was false)"));
  check(traced_a.graph.size() != traced_b.graph.size(), "two different graphs for A and B",
        std::to_string(traced_a.graph.size()) + " and " + std::to_string(traced_b.graph.size()));
  check(!traced_a.warnings.empty(), "a tracer warning about the frozen branch", "none");
  rec.add_scene(trace::table_scene("compare", "tanh(h2h) for each input, by each road",
                                   {"input", "eager", "traced on A", "traced on B", "parsed script"}));
  const Tensor frozen = g::run(traced_a.graph, b.feeds())[0];
  check(!gb::allclose(frozen, eager(b), 0, 1e-12), "the graph traced on A to be wrong on B", frozen.str());
  rec.step("Traced on B the graph has " + std::to_string(traced_b.graph.size()) + " nodes, not " +
               std::to_string(traced_a.graph.size()) + "; the tracer warned (" + traced_a.warnings[0] + ").",
           Level::pass);

  rec.section("3. Parsing keeps both branches");
  const ctl::Script script = ctl::parse_script(
      kScript, {{"x", {DType::f64, {1, 3}}}, {"h", {DType::f64, {2, 1}}}, {"w_x", {DType::f64, {2, 3}}}});
  rec.add_scene(g::to_scene(script.graph, "parsed", "Parsed: one If with both branches as subgraphs"));
  for (const Example* e : {&a, &b}) {
    const Tensor want = eager(*e), on_a = g::run(traced_a.graph, e->feeds())[0],
                 on_b = g::run(traced_b.graph, e->feeds())[0], parsed = g::run(script.graph, e->feeds())[0];
    check(gb::allclose(parsed, want, 0, 1e-15), "the parsed graph equals eager on " + e->name, parsed.str());
    rec.step("Input " + e->name + ": eager " + g::value_text(want) + "; the parsed graph agrees, the traced graph of the "
                 "other input does not.",
             Level::op)
        .add_row("compare", {e->name, g::value_text(want), g::value_text(on_a), g::value_text(on_b), g::value_text(parsed)});
  }

  rec.section("4. Gradients of a script");
  const double x0 = param_double(params, "x");
  ctl::Script logistic = ctl::parse_script("l = x\nfor i in range(3):\n    l = 4*l*(1-l)\nreturn l\n");
  g::Graph& graph = logistic.graph;
  const g::ValueId out = graph.outputs()[0];
  const g::ValueId grad = g::gradients(graph, out, {*graph.find_input("x")})[0];
  graph.set_outputs({out, grad});
  rec.add_scene(g::to_scene(graph, "logistic", "The parsed loop and its backward part"));
  const std::vector<Tensor> r = g::run(graph, {{"x", Tensor::scalar(x0, DType::f64)}});
  const auto [value, slope] = logistic3_closed_form(x0);
  check(std::fabs(r[0].item() - value) < 1e-12 && std::fabs(r[1].item() - slope) < 1e-9,
        "the closed form 64x(1-x)(1-2x)^2(1-8x+8x^2)^2 and its derivative: " + number(value) + ", " + number(slope),
        number(r[0].item()) + ", " + number(r[1].item()));
  rec.step("At x = " + number(x0) + ": value " + number(r[0].item()) + " and d/dx " + number(r[1].item()) +
               ", the closed form's; `glassbox grad` prints the same.",
           Level::pass);
  return rec.take();
}

}  // namespace

Lesson lesson_09_dynamic_to_static() {
  return {"09-dynamic-to-static",
          "Dynamic to static: tracing versus parsing",
          "Part I, framework core",
          {{"seed", "3", "seed of x (1x3) and w_x (2x3)"}, {"x", "0.3", "the input of the differentiated logistic map"}},
          lesson_text_09_dynamic_to_static,
          dynamic_to_static};
}

}  // namespace gb::lessons
