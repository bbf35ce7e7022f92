// 03-forward-mode: dual numbers on f = ln(x1) + x1 x2 - sin(x2): the tangent trace row by row, the
// Jacobian column by column (one pass per input), and a second derivative from nested duals.
// The scenario checks its own numbers and throws gb::Error when one is wrong.
#include <cmath>
#include <string>

#include "gb/autodiff/dual.hpp"
#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/jvp.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/recordings.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_03_forward_mode;

namespace {

namespace ad = gb::autodiff;
using D = ad::Dual<double>;
using trace::Level;
using trace::Recorder;

const char* const golden = "log(x1) + x1*x2 - sin(x2)";

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 03-forward-mode self-check", what, given);
}

std::string number(double v) { return ad::short_number(v); }

// f written once, for any number type (here double, Dual<double> and Dual<Dual<double>>).
template <class T> T f(const T& x1, const T& x2) { return log(x1) + x1 * x2 - sin(x2); }

void dual_numbers(Recorder& rec, double x1, double x2) {
  rec.section("1. Dual numbers");
  const D a(x1, 1), b(x2, 0);
  const D product = a * b;
  rec.step("Seed: x1 = " + number(x1) + " + 1 eps, x2 = " + number(x2) + " + 0 eps; then x1 * x2 = " +
               number(product.value) + " + " + number(product.tangent) + " eps by the product rule.",
           Level::op);
  check(product.tangent == x2, "the tangent of x1 * x2 along x1 to be x2", number(product.tangent));
}

void tangent_trace(Recorder& rec, const ad::ExprPtr& expr, const ad::Point& point, double x1, double x2) {
  rec.section("2. The tangent trace");
  const ad::EvaluationTrace t = ad::evaluation_trace(expr, point, 0);
  rec.add_scene(ad::trace_graph_scene("graph", "f = ln(x1) + x1 x2 - sin(x2)", t));
  ad::record_primal_rows(rec, t, "trace", "graph", true);
  const D y = f(D(x1, 1), D(x2, 0));
  check(std::fabs(t.rows.back().tangent - y.tangent) < 1e-14 && std::fabs(y.tangent - (1 / x1 + x2)) < 1e-14,
        "the last tangent to equal df/dx1 = 1/x1 + x2", number(t.rows.back().tangent));
  if (x1 == 2 && x2 == 5) {
    const double expected[] = {1, 0, 0.5, 5, 5.5, 0, 5.5};  // v-1 .. v5
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      check(std::fabs(t.rows[i].tangent - expected[i]) < 1e-14, t.rows[i].name + "' = " + number(expected[i]),
            number(t.rows[i].tangent));
    }
    check(std::fabs(t.value - 11.652071) < 1e-6, "f(2, 5) = 11.652071", number(t.value));
  }
  rec.step("After one pass: f = " + number(t.value) + " and df/dx1 = " + number(t.rows.back().tangent) + ".", Level::pass);
}

void jacobian(Recorder& rec, double x1, double x2) {
  rec.section("3. One pass per input: the Jacobian column by column");
  rec.add_scene(trace::table_scene("jacobian", "The Jacobian of f, one column per forward pass", {"seed", "f", "J column"}));
  auto as_vector = [](const std::vector<D>& v) { return std::vector<D>{f(v[0], v[1])}; };
  for (std::size_t j = 0; j < 2; ++j) {
    std::vector<double> seed = {0, 0};
    seed[j] = 1;
    const ad::JvpResult r = ad::jvp(as_vector, {x1, x2}, seed);
    const std::string seed_text = j == 0 ? "(1, 0)" : "(0, 1)";
    rec.step("Pass " + std::to_string(j + 1) + ", seed " + seed_text + ": df/dx" + std::to_string(j + 1) + " = " +
                 number(r.tangent[0]) + ".",
             Level::op)
        .add_row("jacobian", {seed_text, number(r.value[0]), number(r.tangent[0])});
  }
  const ad::Matrix j = ad::jacfwd(as_vector, {x1, x2});
  check(std::fabs(j[0][1] - (x1 - std::cos(x2))) < 1e-14, "df/dx2 = x1 - cos x2", number(j[0][1]));
  rec.step("jacfwd: J = [" + number(j[0][0]) + ", " + number(j[0][1]) + "] after n = 2 passes.", Level::pass);
}

void nested(Recorder& rec, double x1, double x2) {
  rec.section("4. Second derivatives with nested duals");
  using DD = ad::Dual<D>;
  const DD y = f(DD(D(x1, 1), D(1, 0)), DD(D(x2, 0), D(0, 0)));
  rec.step("Dual<Dual<double>>: f = " + number(y.value.value) + ", df/dx1 = " + number(y.value.tangent) +
               ", d2f/dx1^2 = " + number(y.tangent.tangent) + ".",
           Level::op);
  check(std::fabs(y.tangent.tangent + 1 / (x1 * x1)) < 1e-14, "d2f/dx1^2 = -1/x1^2", number(y.tangent.tangent));
}

trace::Recording forward_mode(const Params& params) {
  Recorder rec("03-forward-mode", "Forward mode: dual numbers");
  const double x1 = param_double(params, "x1"), x2 = param_double(params, "x2");
  const ad::Point point = {{"x1", x1}, {"x2", x2}};
  const ad::ExprPtr expr = ad::parse(golden);
  dual_numbers(rec, x1, x2);
  tangent_trace(rec, expr, point, x1, x2);
  jacobian(rec, x1, x2);
  nested(rec, x1, x2);
  return rec.take();
}

}  // namespace

Lesson lesson_03_forward_mode() {
  return {"03-forward-mode",
          "Forward mode: dual numbers",
          "Part I, framework core",
          {{"x1", "2", "the point: x1 (> 0, ln x1 must be defined)"}, {"x2", "5", "the point: x2"}},
          lesson_text_03_forward_mode,
          forward_mode};
}

}  // namespace gb::lessons
