// 04-reverse-mode: the tape and the adjoints on f = ln(x1) + x1 x2 - sin(x2): the forward primal
// trace recorded on the tape, the adjoint trace bottom up, accumulation at a node used twice, why a
// topological order, and gradients of gradients. The scenario checks its own numbers.
#include <cmath>
#include <string>

#include "gb/autodiff/hessian.hpp"
#include "gb/autodiff/modes.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/recordings.hpp"
#include "gb/autodiff/tape.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_04_reverse_mode;

namespace {

namespace ad = gb::autodiff;
using V = ad::Var<double>;
using trace::Level;
using trace::Recorder;

const char* const golden = "log(x1) + x1*x2 - sin(x2)";

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 04-reverse-mode self-check", what, given);
}

std::string number(double v) { return ad::short_number(v); }

void golden_trace(Recorder& rec, const ad::Point& point, double x1, double x2) {
  const ad::EvaluationTrace t = ad::evaluation_trace(ad::parse(golden), point);
  rec.section("1. The tape: operator overloading records the forward pass");
  rec.add_scene(ad::tape_text_scene("tape", "The tape (one node per line)", t));
  rec.add_scene(ad::trace_graph_scene("graph", "f = ln(x1) + x1 x2 - sin(x2)", t));
  ad::record_primal_rows(rec, t, "primal", "graph", false);
  rec.section("2. The adjoint trace, bottom up");
  ad::record_adjoint_rows(rec, t, "adjoint", "graph", "tape");
  check(std::fabs(t.gradient[0] - (1 / x1 + x2)) < 1e-14 && std::fabs(t.gradient[1] - (x1 - std::cos(x2))) < 1e-14,
        "the adjoints of x1 and x2 to be 1/x1 + x2 and x1 - cos x2",
        number(t.gradient[0]) + ", " + number(t.gradient[1]));
  if (x1 == 2 && x2 == 5) {
    check(std::fabs(t.value - 11.652071) < 1e-6 && t.gradient[0] == 5.5 && std::fabs(t.gradient[1] - 1.716338) < 1e-6,
          "the golden numbers 11.652071, 5.5, 1.716338", number(t.value));
  }
  rec.step("One backward pass gave the whole gradient: [" + number(t.gradient[0]) + ", " + number(t.gradient[1]) + "].",
           Level::pass);
}

void used_twice(Recorder& rec, double x) {
  rec.section("3. Accumulation at a node used twice");
  const ad::EvaluationTrace t = ad::evaluation_trace(ad::parse("(x + 1 - 2*x)^2"), {{"x", x}});
  rec.add_scene(ad::trace_graph_scene("twice", "loss = (x + 1 - 2x)^2", t));
  ad::record_primal_rows(rec, t, "twice_primal", "twice", false);
  ad::record_adjoint_rows(rec, t, "twice_adjoint", "twice", "");
  // The same with the tape directly, as a user writes it.
  ad::Tape<double> tape;
  const V xv = tape.variable(x);
  const V y1 = xv + 1.0, y2 = 2.0 * xv;
  const V loss = ad::pow(y1 - y2, 2.0);
  tape.backward(loss);
  const double expected = 2 * (x + 1 - 2 * x) * (1 - 2);  // d/dx (1 - x)^2
  check(std::fabs(xv.grad() - expected) < 1e-12 && std::fabs(t.gradient[0] - expected) < 1e-12,
        "x.grad = " + number(expected), number(xv.grad()));
  if (x == 3) check(xv.grad() == 4, "x.grad = 4 at x = 3", number(xv.grad()));
  rec.step("x.grad = " + number(xv.grad()) + ": the contributions through y1 and y2 were summed.", Level::op);
}

void topological_order(Recorder& rec, int n) {
  rec.section("4. Why a topological order, not plain recursion");
  // Paths from the output to each node of l_n's graph, counted on the tape: paths(v) = sum over uses.
  ad::Tape<double> tape;
  const V x = tape.variable(0.3);
  V l = x;
  for (int k = 1; k < n; ++k) l = 4.0 * l * (1.0 - l);
  std::vector<double> paths(tape.size(), 0.0);
  paths[l.index()] = 1;
  for (std::size_t i = l.index() + 1; i-- > 0;) {
    const auto& node = tape.node(i);
    for (int k = 0; k < ad::tape_op_arity(node.op); ++k) {
      paths[node.inputs[k]] += paths[i];
    }
  }
  // The oracle: the chain rule of the map itself, dl_{k+1}/dx = 4 (1 - 2 l_k) dl_k/dx.
  double value = 0.3, direct = 1;
  for (int k = 1; k < n; ++k) {
    direct = 4 * (1 - 2 * value) * direct;
    value = 4 * value * (1 - value);
  }
  const double reverse = tape.gradient(l, {x})[0];
  check(std::fabs(reverse - direct) < 1e-9 * (1 + std::fabs(direct)), "reverse mode equal to the symbolic derivative",
        number(reverse));
  check(paths[x.index()] == std::pow(2.0, n - 1), "2^(n-1) paths down to x", number(paths[x.index()]));
  rec.step("l_" + std::to_string(n) + ": the tape has " + std::to_string(tape.size()) + " nodes, each visited once; a recursion over paths would walk " +
               number(paths[x.index()]) + " paths down to x. dl/dx = " + number(reverse) + ".",
           Level::op);
}

void higher_order(Recorder& rec, const ad::Point& point, double x1, double x2) {
  rec.section("5. Gradients of gradients");
  ad::Tape<double> tape;
  const V v1 = tape.variable(x1), v2 = tape.variable(x2);
  const V f = ad::log(v1) + v1 * v2 - ad::sin(v2);
  const std::vector<V> g = tape.gradient_graph(f, {v1, v2});
  const std::vector<double> row = tape.gradient(g[0], {v1, v2}, true);
  rec.step("create_graph: df/dx1 = " + number(g[0].value()) + " is itself on the tape; its gradient is [" +
               number(row[0]) + ", " + number(row[1]) + "].",
           Level::op);
  const ad::Matrix h = ad::hessian(golden, point);
  rec.add_scene(trace::table_scene("hessian", "Hessian by forward over reverse", {"", "d/dx1", "d/dx2"}));
  for (std::size_t i = 0; i < 2; ++i) {
    rec.step("Backward pass on duals seeded with e_" + std::to_string(i + 1) + ": column " + std::to_string(i + 1) +
                 " of the Hessian.",
             Level::op)
        .add_row("hessian", {"d/dx" + std::to_string(i + 1) + " grad", number(h[0][i]), number(h[1][i])});
  }
  check(std::fabs(row[0] + 1 / (x1 * x1)) < 1e-14 && std::fabs(row[1] - 1) < 1e-14, "[-1/x1^2, 1]",
        number(row[0]) + ", " + number(row[1]));
  check(std::fabs(h[0][0] - row[0]) < 1e-14 && std::fabs(h[1][1] - std::sin(x2)) < 1e-14 && h[0][1] == h[1][0],
        "the Hessian [[-1/x1^2, 1], [1, sin x2]]", number(h[0][0]) + ", " + number(h[1][1]));
}

trace::Recording reverse_mode(const Params& params) {
  Recorder rec("04-reverse-mode", "Reverse mode: the tape and the adjoints");
  const double x1 = param_double(params, "x1"), x2 = param_double(params, "x2"), x = param_double(params, "x");
  const int n = static_cast<int>(param_int(params, "logistic_n"));
  if (n < 1 || n > 40) throw Error("lesson 04-reverse-mode", "logistic_n in 1..40", std::to_string(n));
  const ad::Point point = {{"x1", x1}, {"x2", x2}};
  golden_trace(rec, point, x1, x2);
  used_twice(rec, x);
  topological_order(rec, n);
  higher_order(rec, point, x1, x2);
  return rec.take();
}

}  // namespace

Lesson lesson_04_reverse_mode() {
  return {"04-reverse-mode",
          "Reverse mode: the tape and the adjoints",
          "Part I, framework core",
          {{"x1", "2", "the point: x1 (> 0, ln x1 must be defined)"},
           {"x2", "5", "the point: x2"},
           {"x", "3", "the input of loss = (x + 1 - 2x)^2"},
           {"logistic_n", "20", "iterations of the logistic map whose paths are counted (1..40)"}},
          lesson_text_04_reverse_mode,
          reverse_mode};
}

}  // namespace gb::lessons
