// 02-derivatives: four ways to take a derivative, run on f = ln(x1) + x1 x2 - sin(x2): by hand,
// by finite differences (with the error-versus-h U curve), symbolically (with the expression swell of
// the logistic map) and automatically. The scenario checks its own numbers (like a Halide tutorial).
#include <cmath>
#include <string>

#include "gb/autodiff/modes.hpp"
#include "gb/autodiff/numerical.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/recordings.hpp"
#include "gb/autodiff/swell.hpp"
#include "gb/autodiff/symbolic.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_02_derivatives;

namespace {

namespace ad = gb::autodiff;
using trace::Level;
using trace::Recorder;

const char* const golden = "log(x1) + x1*x2 - sin(x2)";

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 02-derivatives self-check", what, given);
}

std::string number(double v) { return ad::short_number(v); }

// The comparison table: one row per method.
void add_method_row(Recorder& rec, const std::string& method, double value, double d1, double d2,
                    const std::string& why) {
  rec.step(method + ": df/dx1 = " + number(d1) + ", df/dx2 = " + number(d2) + " (" + why + ").", Level::op)
      .add_row("methods", {method, number(value), number(d1), number(d2)});
}

void manual(Recorder& rec, double x1, double x2) {
  rec.section("1. Manual differentiation");
  const double value = std::log(x1) + x1 * x2 - std::sin(x2);
  add_method_row(rec, "manual", value, 1 / x1 + x2, x1 - std::cos(x2), "derived by hand: 1/x1 + x2 and x1 - cos x2");
}

void numerical(Recorder& rec, const ad::Point& point, double x1, double x2, double h_min, double h_max, int points) {
  rec.section("2. Numerical differentiation");
  const ad::Gradient g = ad::gradient(golden, point, ad::Mode::numeric);
  add_method_row(rec, "numeric (central)", g.value, g.partials[0], g.partials[1],
                 "two evaluations per input, h = " + number(ad::numeric_step(x1)));
  // The U curve along x1: t -> ln t + t x2 - sin x2, whose exact derivative is 1/x1 + x2.
  const auto along_x1 = [&](double t) { return std::log(t) + t * x2 - std::sin(x2); };
  const std::vector<ad::ErrorAtH> curve = ad::error_versus_h(along_x1, 1 / x1 + x2, x1, h_min, h_max, points);
  ad::record_error_versus_h(rec, "u_curve", curve);
  double best = curve.front().central_error;
  for (const ad::ErrorAtH& p : curve) best = std::min(best, p.central_error);
  check(std::fabs(g.partials[0] - (1 / x1 + x2)) < 1e-7, "the central difference within 1e-7 of 1/x1 + x2",
        number(g.partials[0]));
  if (h_min <= -12 && h_max >= -3) {
    check(best < 1e-8 && curve.back().central_error > 100 * best && curve.front().central_error > 100 * best,
          "a U curve: both ends of the sweep 100 times worse than its bottom", number(best));
  }
}

void symbolic(Recorder& rec, const ad::Point& point) {
  rec.section("3. Symbolic differentiation");
  rec.add_scene(trace::table_scene("symbolic", "Derivatives as expressions", {"", "expression", "nodes"}));
  const ad::ExprPtr f = ad::parse(golden);
  rec.step("f = " + ad::to_string(f) + " is a tree of " + std::to_string(ad::node_count(f)) + " nodes.", Level::op)
      .add_row("symbolic", {"f", ad::to_string(f), std::to_string(ad::node_count(f))});
  for (const std::string var : {"x1", "x2"}) {
    const ad::ExprPtr raw = ad::differentiate(f, var, false), simple = ad::differentiate(f, var, true);
    rec.step("The rules alone give df/d" + var + " = " + ad::to_string(raw) + ".", Level::op)
        .add_row("symbolic", {"df/d" + var + " (rules)", ad::to_string(raw), std::to_string(ad::node_count(raw))});
    rec.step("Simplified: df/d" + var + " = " + ad::to_string(simple) + ".", Level::op)
        .add_row("symbolic", {"df/d" + var + " (simplified)", ad::to_string(simple), std::to_string(ad::node_count(simple))});
  }
  check(ad::to_string(ad::differentiate(f, "x1")) == "1 / x1 + x2", "df/dx1 = 1 / x1 + x2",
        ad::to_string(ad::differentiate(f, "x1")));
  const ad::Gradient g = ad::gradient(f, point, ad::Mode::symbolic);
  add_method_row(rec, "symbolic", g.value, g.partials[0], g.partials[1], "the derivative expressions, evaluated");
}

void swell(Recorder& rec, int max_n) {
  rec.section("4. Expression swell");
  const std::vector<ad::SwellRow> rows = ad::expression_swell(max_n);
  ad::record_swell(rec, "swell", "swell_counts", rows);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    check(rows[i].expression_nodes == 2 * rows[i - 1].expression_nodes + 5, "s_n = 2 s_{n-1} + 5 tree nodes",
          std::to_string(rows[i].expression_nodes));
    check(rows[i].graph_nodes == rows[i - 1].graph_nodes + 5, "5 more graph nodes per iteration",
          std::to_string(rows[i].graph_nodes));
  }
  // The published closed form of three iterations, l_4 = 64x(1-x)(1-2x)^2(1-8x+8x^2)^2, at x = 0.3.
  if (max_n >= 4) {
    const double x = 0.3;
    const double closed = 64 * x * (1 - x) * std::pow(1 - 2 * x, 2) * std::pow(1 - 8 * x + 8 * x * x, 2);
    const double l4 = ad::gradient(ad::logistic_map(4), {{"x", x}}, ad::Mode::reverse).value;
    check(std::fabs(l4 - closed) < 1e-12, "l_4 equal to its closed form " + number(closed), number(l4));
    rec.step("Check: l_4(0.3) = " + number(l4) + " equals the closed form 64x(1-x)(1-2x)^2(1-8x+8x^2)^2.", Level::op);
  }
}

void automatic(Recorder& rec, const ad::Point& point, double x1, double x2) {
  rec.section("5. Automatic differentiation");
  for (ad::Mode mode : {ad::Mode::forward, ad::Mode::reverse}) {
    const ad::Gradient g = ad::gradient(golden, point, mode);
    add_method_row(rec, std::string(ad::mode_name(mode)) + " mode", g.value, g.partials[0], g.partials[1],
                   mode == ad::Mode::forward ? "one pass of dual numbers per input" : "one backward pass over the tape");
    check(std::fabs(g.partials[0] - (1 / x1 + x2)) < 1e-13 && std::fabs(g.partials[1] - (x1 - std::cos(x2))) < 1e-13,
          "AD equal to the manual derivatives", number(g.partials[0]) + ", " + number(g.partials[1]));
  }
}

trace::Recording derivatives(const Params& params) {
  Recorder rec("02-derivatives", "Four ways to take a derivative");
  const double x1 = param_double(params, "x1"), x2 = param_double(params, "x2");
  const double h_min = param_double(params, "log10_h_min"), h_max = param_double(params, "log10_h_max");
  const int points = static_cast<int>(param_int(params, "points"));
  const int max_n = static_cast<int>(param_int(params, "swell_n"));
  if (max_n < 1 || max_n > 20) throw Error("lesson 02-derivatives", "swell_n in 1..20", std::to_string(max_n));
  const ad::Point point = {{"x1", x1}, {"x2", x2}};
  rec.add_scene(trace::table_scene("methods", "f = ln(x1) + x1 x2 - sin(x2) at (" + number(x1) + ", " + number(x2) + ")",
                                   {"method", "f", "df/dx1", "df/dx2"}));
  manual(rec, x1, x2);
  numerical(rec, point, x1, x2, h_min, h_max, points);
  symbolic(rec, point);
  swell(rec, max_n);
  automatic(rec, point, x1, x2);
  if (x1 == 2 && x2 == 5) {
    const ad::Gradient g = ad::gradient(golden, point, ad::Mode::reverse);
    check(std::fabs(g.value - 11.652071) < 1e-6 && std::fabs(g.partials[1] - 1.716338) < 1e-6,
          "the golden numbers 11.652071, 5.5, 1.716338", number(g.value) + ", " + number(g.partials[1]));
  }
  return rec.take();
}

}  // namespace

Lesson lesson_02_derivatives() {
  return {"02-derivatives",
          "Four ways to take a derivative",
          "Part I, framework core",
          {{"x1", "2", "the point: x1 (> 0, ln x1 must be defined)"},
           {"x2", "5", "the point: x2"},
           {"log10_h_min", "-16", "smallest step of the U curve, as a power of ten"},
           {"log10_h_max", "-1", "largest step of the U curve, as a power of ten"},
           {"points", "31", "steps on the U curve"},
           {"swell_n", "8", "iterations of the logistic map for the swell meter (1..20)"}},
          lesson_text_02_derivatives,
          derivatives};
}

}  // namespace gb::lessons
