// modes.cpp: the four modes of differentiation behind one function.
#include "gb/autodiff/modes.hpp"

#include <cmath>
#include <limits>

#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/hessian.hpp"
#include "gb/autodiff/numerical.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/symbolic.hpp"
#include "gb/autodiff/tape.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

template <class T> Environment<T> environment(const std::vector<std::string>& names, const std::vector<T>& values) {
  Environment<T> env;
  for (std::size_t i = 0; i < names.size(); ++i) env[names[i]] = values[i];
  return env;
}

}  // namespace

std::vector<double> point_coordinates(const ExprPtr& f, const Point& point, const std::string& op) {
  if (!f) throw Error(op, "an expression", "a null ExprPtr");
  const std::vector<std::string> names = variables(f);
  std::string listed;
  for (const std::string& name : names) listed += (listed.empty() ? "" : ", ") + name;
  for (const auto& [name, value] : point) {
    bool used = false;
    for (const std::string& n : names) used = used || n == name;
    if (!used) throw Error(op, "values only for the variables of the expression (" + listed + ")", "a value for '" + name + "'");
    if (!std::isfinite(value)) throw Error(op, "a finite value for " + name, std::to_string(value));
  }
  std::vector<double> x;
  for (const std::string& name : names) {
    auto it = point.find(name);
    if (it == point.end()) throw Error(op, "a value for every variable (" + listed + ")", "none for '" + name + "'");
    x.push_back(it->second);
  }
  return x;
}

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::numeric: return "numeric";
    case Mode::symbolic: return "symbolic";
    case Mode::forward: return "forward";
    case Mode::reverse: return "reverse";
  }
  return "?";
}

Mode mode_from_name(const std::string& name) {
  for (Mode m : {Mode::numeric, Mode::symbolic, Mode::forward, Mode::reverse}) {
    if (name == mode_name(m)) return m;
  }
  throw Error("mode", "numeric, symbolic, forward or reverse", "'" + name + "'");
}

double numeric_step(double x) {
  return std::cbrt(std::numeric_limits<double>::epsilon()) * std::max(1.0, std::fabs(x));
}

Gradient gradient(const ExprPtr& f, const Point& point, Mode mode) {
  Gradient g;
  if (!f) throw Error("gradient", "an expression", "a null ExprPtr");
  g.variables = variables(f);
  const std::vector<double> x = point_coordinates(f, point, "gradient");
  const std::size_t n = x.size();
  g.value = evaluate(*f, environment(g.variables, x));
  switch (mode) {
    case Mode::numeric: {
      std::vector<double> probe = x;
      for (std::size_t i = 0; i < n; ++i) {
        auto along_i = [&](double xi) { probe[i] = xi; return evaluate(*f, environment(g.variables, probe)); };
        g.partials.push_back(difference(along_i, x[i], numeric_step(x[i]), Difference::central));
        probe[i] = x[i];
      }
      break;
    }
    case Mode::symbolic:
      for (const std::string& name : g.variables) {
        g.partials.push_back(evaluate(*differentiate(f, name), environment(g.variables, x)));
      }
      break;
    case Mode::forward:  // one pass per variable, seeded with e_i
      for (std::size_t i = 0; i < n; ++i) {
        std::vector<Dual<double>> duals;
        for (std::size_t k = 0; k < n; ++k) duals.emplace_back(x[k], k == i ? 1.0 : 0.0);
        g.partials.push_back(evaluate(*f, environment(g.variables, duals)).tangent);
      }
      break;
    case Mode::reverse: {  // one pass for all of them
      Tape<double> tape;
      std::vector<Var<double>> inputs;
      for (double xi : x) inputs.push_back(tape.variable(xi));
      const Var<double> y = evaluate(*f, environment(g.variables, inputs), [&](double c) { return tape.constant(c); });
      g.partials = tape.gradient(y, inputs);
      break;
    }
  }
  return g;
}

Gradient gradient(const std::string& text, const Point& point, Mode mode) { return gradient(parse(text), point, mode); }

Matrix hessian(const ExprPtr& f, const Point& point) {
  const std::vector<double> x = point_coordinates(f, point, "hessian");
  const std::vector<std::string> names = variables(f);
  if (x.empty()) return {};
  return autodiff::hessian(
      [&](const std::vector<Var<Dual<double>>>& inputs) {
        Tape<Dual<double>>& tape = inputs[0].tape();
        return evaluate(*f, environment(names, inputs), [&](double c) { return tape.constant(Dual<double>(c)); });
      },
      x);
}

Matrix hessian(const std::string& text, const Point& point) { return hessian(parse(text), point); }

}  // namespace gb::autodiff
