// grad.cpp: `glassbox grad "EXPR" --at x1=2,x2=5 [--mode forward|reverse|numeric|symbolic|graph] [--hessian]`
//
// Prints `value <f>`, then `d/d<var> <partial>` per variable in the order they first appear in the
// expression, then with --hessian one `hessian <row>` line per row (forward over reverse). Numbers
// are printed with %.17g, so they read back to the same double.
// A script with statements (lesson 09: several lines or ';', if/while/for, a final `return`) is
// parsed into a graph (control::parse_script) and differentiated by the graph-level backward pass
// (graph::gradients), through its If and While ops; `--mode graph` does the same for an expression.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <ostream>

#include "gb/autodiff/modes.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/control/script.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"
#include "gb/core/error.hpp"
#include "gb/lessons/commands.hpp"

namespace gb::lessons {

// "x1=2,x2=5" -> {x1: 2, x2: 5}; gb::Error naming `op` for anything else. Shared with graph.cpp.
std::map<std::string, double> parse_assignments(const std::string& text, const std::string& op);

namespace {

std::string full(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}


autodiff::Point parse_point(const std::string& text) { return parse_assignments(text, "grad --at"); }

bool is_script(const std::string& text) {
  return text.find('\n') != std::string::npos || text.find(';') != std::string::npos ||
         text.find("return") != std::string::npos;
}

// The script's value and its gradient by every input, with the graph-level backward pass.
void graph_gradient(const std::string& script_text, const autodiff::Point& point, std::ostream& out) {
  control::Script script = control::parse_script(script_text);
  graph::Graph& g = script.graph;
  std::vector<graph::ValueId> inputs;
  graph::Feeds feeds;
  for (const std::string& name : script.inputs) {
    auto at = point.find(name);
    if (at == point.end()) throw Error("grad --at", "a value for every input of the script", "none for '" + name + "'");
    inputs.push_back(*g.find_input(name));
    feeds[name] = Tensor::scalar(at->second, DType::f64);
  }
  for (const auto& [name, value] : point) {
    if (!feeds.count(name)) throw Error("grad --at", "only the script's inputs", "'" + name + "'");
  }
  const graph::ValueId value = g.outputs().at(0);
  std::vector<graph::ValueId> fetch = {value};
  if (!inputs.empty()) {
    for (graph::ValueId d : graph::gradients(g, value, inputs)) fetch.push_back(d);
  }
  g.set_outputs(fetch);
  const std::vector<Tensor> r = graph::run(g, feeds);
  if (r[0].numel() != 1) throw Error("grad", "a script that returns one number", "a value of shape " + shape_str(r[0].shape()));
  out << "value " << full(r[0].item()) << "\n";
  for (std::size_t i = 0; i < script.inputs.size(); ++i) out << "d/d" << script.inputs[i] << " " << full(r[i + 1].item()) << "\n";
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
  const autodiff::Point point = at.empty() ? autodiff::Point{} : parse_point(at);
  if (is_script(expression) || mode == "graph") {
    if (with_hessian) throw Error("grad --hessian", "an expression (scripts have gradients only)", "a script");
    if (mode != "reverse" && mode != "graph") {
      throw Error("grad --mode", "graph (a script is differentiated by the graph's backward pass)", "'" + mode + "'");
    }
    graph_gradient(is_script(expression) ? expression : "return " + expression, point, out);
    return 0;
  }
  const autodiff::ExprPtr f = autodiff::parse(expression);
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

std::map<std::string, double> parse_assignments(const std::string& text, const std::string& op) {
  std::map<std::string, double> point;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw Error(op, "name=value pairs separated by commas (x1=2,x2=5)", "'" + item + "'");
    const std::string name = item.substr(0, eq), number = item.substr(eq + 1);
    if (point.count(name)) throw Error(op, "each variable once", "'" + name + "' twice");
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || errno == ERANGE) {
      throw Error(op, "a number for " + name, "'" + number + "'");
    }
    point[name] = v;
    start = comma + 1;
  }
  return point;
}

Command grad_command() {
  return {"grad", "grad EXPR|SCRIPT --at x1=2,x2=5 [--mode forward|reverse|numeric|symbolic|graph] [--hessian]",
          "the value and gradient of an expression (and its Hessian) in one of five modes, or of a script with "
          "if/while/for (graph-level AD)",
          run_grad};
}

}  // namespace gb::lessons
