// 08-control-flow: the logistic map l <- 4 l (1 - l) as a loop, three ways: unrolled by the host
// language (a traced C++ loop), a functional While holding subgraphs, and lowered to Switch / Merge /
// Enter / Exit / NextIteration run by the dataflow executor token by token. The scenario checks the
// value and d l_n / dx against the scalar tape and, for n = 3, the closed form.
#include <cmath>
#include <map>
#include <string>

#include "gb/autodiff/tape.hpp"
#include "gb/control/dataflow.hpp"
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

extern const char* const lesson_text_08_control_flow;

namespace {

namespace g = gb::graph;
namespace ctl = gb::control;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 08-control-flow self-check", what, given);
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string logistic_script(std::int64_t n) {
  return "l = x\nfor i in range(" + std::to_string(n) + "):\n    l = 4 * l * (1 - l)\nreturn l\n";
}

// How many nodes of each op a graph holds, as "3 Switch, 2 Merge, ...".
std::string op_counts(const g::Graph& graph, const std::vector<std::string>& ops) {
  std::map<std::string, int> count;
  for (const g::Node& node : graph.nodes()) ++count[node.op];
  std::string out;
  for (const std::string& op : ops) out += (out.empty() ? "" : ", ") + std::to_string(count[op]) + " " + op;
  return out;
}

void host_language(Recorder& rec, double x, std::int64_t n) {
  rec.section("1. Control flow in the host language");
  // The loop runs in C++; the tracer (lesson 09) records what executes: an unrolled chain.
  trace::ScopedPause pause;  // the scene below is the picture
  const g::TraceResult traced = g::trace(
      [n](const std::vector<g::Traced>& in) {
        g::Traced l = in[0];
        for (std::int64_t i = 0; i < n; ++i) l = 4.0 * l * (1.0 - l);
        return std::vector<g::Traced>{l};
      },
      {{"x", Tensor::scalar(x, DType::f64)}});
  rec.add_scene(g::to_scene(traced.graph, "unrolled", "The loop as the host language runs it: unrolled"));
  check(traced.graph.size() >= static_cast<std::size_t>(3 * n), "at least 3 n nodes in the unrolled chain",
        std::to_string(traced.graph.size()));
  rec.step("The C++ loop ran " + std::to_string(n) + " times and left " + std::to_string(traced.graph.size()) +
               " nodes: no loop, just its unrolled body, rebuilt for every n.",
           Level::pass);
}

trace::Recording control_flow(const Params& params) {
  Recorder rec("08-control-flow", "Control flow in the graph: If, While, Switch and Merge");
  const double x = param_double(params, "x");
  const std::int64_t n = param_int(params, "n");
  if (n < 0 || n > 12) throw Error("lesson 08-control-flow", "n in 0..12", std::to_string(n));
  trace::ScopedRecorder attach(rec);
  host_language(rec, x, n);

  rec.section("2. Functional If and While: subgraphs as attributes");
  ctl::Script script = ctl::parse_script(logistic_script(n));
  g::Graph& graph = script.graph;
  rec.add_scene(g::to_scene(graph, "functional", "One While node, whatever n is"));
  const g::Node* loop = nullptr;
  for (const g::Node& node : graph.nodes()) {
    if (node.op == "While") loop = &node;
  }
  check(loop != nullptr, "a While node in the parsed graph", graph.str());
  rec.add_scene(g::to_scene(*loop->attr_graph("body"), "body", "The While's body subgraph: l, i -> next l, i"));
  rec.add_scene(g::to_scene(*loop->attr_graph("cond"), "cond", "The While's cond subgraph: i < n"));
  rec.step("The loop is one While node with two subgraph attributes (cond and body); the outer graph has " +
               std::to_string(graph.size()) + " nodes for any n.",
           Level::pass)
      .highlight("functional", "n" + std::to_string(loop->id));

  rec.section("3. Gradients through If and While");
  const g::ValueId out = graph.outputs()[0];
  const g::ValueId input = *graph.find_input("x");
  const g::ValueId grad = g::gradients(graph, out, {input})[0];
  graph.set_outputs({out, grad});
  const g::Feeds feeds = {{"x", Tensor::scalar(x, DType::f64)}};
  std::vector<Tensor> functional;
  {
    trace::ScopedPause pause;  // section 5 shows a run, token by token
    functional = g::run(graph, feeds);
  }
  // The oracle: the scalar tape of lesson 04 on the unrolled loop.
  autodiff::Tape<double> tape;
  const autodiff::Var<double> xv = tape.variable(x);
  autodiff::Var<double> l = xv;
  for (std::int64_t i = 0; i < n; ++i) l = 4.0 * l * (1.0 - l);
  tape.backward(l);
  check(std::fabs(functional[0].item() - l.value()) < 1e-12 && std::fabs(functional[1].item() - xv.grad()) < 1e-9,
        "the tape's l_n = " + number(l.value()) + " and dl_n/dx = " + number(xv.grad()),
        number(functional[0].item()) + ", " + number(functional[1].item()));
  if (n == 3) {  // d/dx of 64x(1-x)(1-2x)^2(1-8x+8x^2)^2
    const double closed = logistic3_closed_form(x).slope;
    check(std::fabs(functional[1].item() - closed) < 1e-9, "the closed form's derivative " + number(closed),
          number(functional[1].item()));
  }
  rec.step("l_" + std::to_string(n) + " = " + number(functional[0].item()) + " and dl/dx = " +
               number(functional[1].item()) + ": WhileGrad reran the loop, kept every iteration's l and ran the "
               "body's backward graph in reverse.",
           Level::pass);

  rec.section("4. Lowering to Switch, Merge, Enter, Exit and NextIteration");
  ctl::Script forward_only = ctl::parse_script(logistic_script(n));
  const g::Graph lowered = ctl::lower_to_dataflow(forward_only.graph);
  rec.add_scene(g::to_scene(lowered, "lowered", "The same loop as TensorFlow 1 primitives"));
  rec.step("Lowered: " + op_counts(lowered, {"Enter", "Merge", "Switch", "NextIteration", "Exit"}) +
               "; NextIteration feeds the Merge of the next iteration, closing the loop.",
           Level::pass);

  rec.section("5. Tokens through a while loop");
  const g::RunResult tokens = ctl::run_dataflow(lowered, feeds);
  check(tokens.outputs[0].item() == functional[0].item(), "the dataflow value equals the functional one",
        number(tokens.outputs[0].item()));
  const g::Graph lowered_with_grad = ctl::lower_to_dataflow(graph);
  g::RunResult with_grad;
  {
    trace::ScopedPause pause;  // the backward part's tokens are not shown
    with_grad = ctl::run_dataflow(lowered_with_grad, feeds);
  }
  check(with_grad.outputs[1].item() == functional[1].item(), "the lowered gradient equals the functional one",
        number(with_grad.outputs[1].item()));
  rec.step("The tokens left through Exit with l = " + number(tokens.outputs[0].item()) +
               "; lowered with its backward part, the graph gives dl/dx = " + number(with_grad.outputs[1].item()) +
               ", the functional value exactly.",
           Level::pass);
  return rec.take();
}

}  // namespace

Lesson lesson_08_control_flow() {
  return {"08-control-flow",
          "Control flow in the graph: If, While, Switch and Merge",
          "Part I, framework core",
          {{"x", "0.3", "the input of the logistic map"}, {"n", "3", "iterations of l <- 4 l (1 - l) (0..12)"}},
          lesson_text_08_control_flow,
          control_flow};
}

}  // namespace gb::lessons
