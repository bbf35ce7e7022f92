// graph.cpp: `glassbox graph "SCRIPT" [--dot] [--grad] [--lowered] [--run x=1,y=2]` and `glassbox graph --ops`
//
// Parses a script (lesson 09's language: assignments, if/elif/else, while, for i in range(n), return)
// into a graph and prints it: a listing of its nodes ("v3 = mul(v1, v2)  # f64[]"), or Graphviz DOT
// with --dot (pipe it into `dot -Tsvg`). --grad appends the backward graph of the returned value by
// every input (lesson 06's pass); --lowered replaces If and While by Switch, Merge, Enter, Exit and
// NextIteration (lesson 08); --run feeds scalar inputs and prints the outputs. --ops lists the
// registered ops with one line each.
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gb/control/dataflow.hpp"
#include "gb/control/functional.hpp"
#include "gb/control/script.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/registry.hpp"
#include "gb/graph/scene.hpp"
#include "gb/lessons/commands.hpp"

namespace gb::lessons {

std::map<std::string, double> parse_assignments(const std::string& text, const std::string& op);  // grad.cpp

namespace {

int run_graph(const std::vector<std::string>& args, std::ostream& out) {
  std::string script_text, feeds_text;
  bool have_script = false, dot = false, grad = false, lowered = false, ops = false, run = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--dot") dot = true;
    else if (a == "--grad") grad = true;
    else if (a == "--lowered") lowered = true;
    else if (a == "--ops") ops = true;
    else if (a == "--run") {
      if (i + 1 >= args.size()) throw Error("graph --run", "name=value pairs after --run (x=1,y=2)", "nothing");
      run = true;
      feeds_text = args[++i];
    } else if (a.rfind("--", 0) == 0) {
      throw Error("graph", "one of --dot, --grad, --lowered, --run, --ops", "'" + a + "'");
    } else if (!have_script) {
      script_text = a;
      have_script = true;
    } else {
      throw Error("graph", "one script (quote it)", "a second one, '" + a + "'");
    }
  }
  if (ops) {
    control::register_ops();
    for (const std::string& name : graph::op_names()) out << name << "  " << graph::find_op(name).doc << "\n";
    return 0;
  }
  if (!have_script) throw Error("graph", "a script, e.g. glassbox graph $'y = x * x\\nreturn y' --dot", "none");
  control::Script script = control::parse_script(script_text);
  graph::Graph g = std::move(script.graph);
  if (grad) {
    std::vector<graph::ValueId> inputs;
    for (const std::string& name : script.inputs) inputs.push_back(*g.find_input(name));
    std::vector<graph::ValueId> outputs = g.outputs();
    if (!inputs.empty()) {
      for (graph::ValueId d : graph::gradients(g, outputs.at(0), inputs)) outputs.push_back(d);
    }
    g.set_outputs(outputs);
  }
  if (lowered) g = control::lower_to_dataflow(g);
  if (run) {
    graph::Feeds feeds;
    for (const auto& [name, value] : parse_assignments(feeds_text, "graph --run")) {
      feeds[name] = Tensor::scalar(value, DType::f64);
    }
    const graph::RunResult r = lowered ? control::run_dataflow(g, feeds) : graph::run_fifo(g, feeds);
    for (std::size_t i = 0; i < r.outputs.size(); ++i) {
      out << "output " << i << " " << graph::value_text(r.outputs[i], 64) << "\n";
    }
    return 0;
  }
  out << (dot ? graph::to_dot(g) : g.str());
  return 0;
}

}  // namespace

Command graph_command() {
  return {"graph", "graph SCRIPT [--dot] [--grad] [--lowered] [--run x=1,y=2] | graph --ops",
          "parse a script with if/while/for into a graph and print it (or its DOT, its backward part, its "
          "Switch/Merge lowering, its outputs)",
          run_graph};
}

}  // namespace gb::lessons
