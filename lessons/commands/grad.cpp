// grad.cpp: `glassbox grad "EXPR" --at x1=2,x2=5 [--mode forward|reverse|numeric|symbolic] [--hessian]`
//
// Prints `value <f>`, then `d/d<var> <partial>` per variable in the order they first appear in the
// expression, then with --hessian one `hessian <row>` line per row (forward over reverse). Numbers
// are printed with %.17g, so they read back to the same double.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "gb/autodiff/modes.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"

namespace gb::lessons {

namespace {

std::string full(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double parse_number(const std::string& text, const std::string& name) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
    throw Error("grad --at", "a number for " + name, "'" + text + "'");
  }
  return v;
}

// "x1=2,x2=5" -> {x1: 2, x2: 5}
autodiff::Point parse_point(const std::string& text) {
  autodiff::Point point;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("grad --at", "name=value pairs separated by commas (x1=2,x2=5)", "'" + item + "'");
    const std::string name = item.substr(0, eq);
    if (point.count(name)) throw Error("grad --at", "each variable once", "'" + name + "' twice");
    point[name] = parse_number(item.substr(eq + 1), name);
    start = comma + 1;
  }
  return point;
}

int run_grad(const std::vector<std::string>& args, std::ostream& out) {
  std::string expression, at, mode = "reverse";
  bool have_expression = false, with_hessian = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value_of = [&](const std::string& flag) -> std::string {
      if (a.size() > flag.size() && a.compare(0, flag.size() + 1, flag + "=") == 0) return a.substr(flag.size() + 1);
      if (i + 1 >= args.size()) throw Error("grad", "a value after " + flag, "nothing");
      return args[++i];
    };
    if (a == "--at" || a.rfind("--at=", 0) == 0) at = value_of("--at");
    else if (a == "--mode" || a.rfind("--mode=", 0) == 0) mode = value_of("--mode");
    else if (a == "--hessian") with_hessian = true;
    else if (a.rfind("--", 0) == 0) throw Error("grad", "one of --at, --mode, --hessian", "'" + a + "'");
    else if (!have_expression) { expression = a; have_expression = true; }
    else throw Error("grad", "one expression (quote it)", "a second one, '" + a + "'");
  }
  if (!have_expression) throw Error("grad", "an expression, e.g. glassbox grad \"log(x1) + x1*x2\" --at x1=2,x2=5", "none");
  const autodiff::ExprPtr f = autodiff::parse(expression);
  const autodiff::Point point = at.empty() ? autodiff::Point{} : parse_point(at);
  const autodiff::Gradient g = autodiff::gradient(f, point, autodiff::mode_from_name(mode));
  out << "value " << full(g.value) << "\n";
  for (std::size_t i = 0; i < g.variables.size(); ++i) out << "d/d" << g.variables[i] << " " << full(g.partials[i]) << "\n";
  if (with_hessian) {
    for (const std::vector<double>& row : autodiff::hessian(f, point)) {
      out << "hessian";
      for (double v : row) out << " " << full(v);
      out << "\n";
    }
  }
  return 0;
}

}  // namespace

Command grad_command() {
  return {"grad", "grad EXPR --at x1=2,x2=5 [--mode forward|reverse|numeric|symbolic] [--hessian]",
          "the value and gradient of an expression (and its Hessian), in one of four modes of differentiation",
          run_grad};
}

}  // namespace gb::lessons
