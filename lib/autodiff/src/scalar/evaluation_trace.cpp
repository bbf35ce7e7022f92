// evaluation_trace.cpp: primal, tangent and adjoint of every node, from one run on Tape<Dual<double>>.
#include "gb/autodiff/evaluation_trace.hpp"

#include <cstdio>

#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/tape.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

namespace {

std::string definition_of(const Tape<Dual<double>>::Node& n, const std::vector<TraceRow>& rows) {
  if (tape_op_arity(n.op) == 0) return short_number(n.value.value);
  const std::string a = rows[n.inputs[0]].name, b = rows[n.inputs[1]].name;
  switch (n.op) {
    case TapeOp::add: case TapeOp::subtract: case TapeOp::multiply: case TapeOp::divide: case TapeOp::pow:
      return a + " " + tape_op_name(n.op) + " " + b;
    case TapeOp::negate: return "-" + a;
    case TapeOp::pow_constant: return a + " ^ " + short_number(n.exponent);
    default: return std::string(tape_op_name(n.op)) + "(" + a + ")";
  }
}

}  // namespace

EvaluationTrace evaluation_trace(const ExprPtr& f, const Point& point, std::size_t seed) {
  EvaluationTrace trace;
  const std::vector<double> x = point_coordinates(f, point, "evaluation_trace");
  trace.variables = variables(f);
  if (!x.empty() && seed >= x.size()) {
    throw Error("evaluation_trace", "a seed below the number of variables (" + std::to_string(x.size()) + ")",
                std::to_string(seed));
  }
  trace.seed = seed;
  // Inputs first, so that they are v_{1-n} .. v0.
  Tape<Dual<double>> tape;
  Environment<Var<Dual<double>>> env;
  for (std::size_t i = 0; i < x.size(); ++i) env[trace.variables[i]] = tape.variable(Dual<double>(x[i], i == seed ? 1.0 : 0.0));
  const Var<Dual<double>> y = evaluate(*f, env, [&](double c) { return tape.constant(Dual<double>(c)); });
  const std::vector<Dual<double>> adjoint = tape.adjoints(y, true);

  const long n = static_cast<long>(x.size());
  for (std::size_t i = 0; i < tape.size(); ++i) {
    const auto& node = tape.node(i);
    TraceRow row;
    row.name = "v" + std::to_string(static_cast<long>(i) - n + 1);
    row.op = tape_op_name(node.op);
    row.definition = node.op == TapeOp::input ? trace.variables[i] : definition_of(node, trace.rows);
    for (int k = 0; k < tape_op_arity(node.op); ++k) row.inputs.push_back(node.inputs[k]);
    row.value = node.value.value;
    row.tangent = node.value.tangent;
    row.adjoint = i < adjoint.size() ? adjoint[i].value : 0.0;
    trace.rows.push_back(std::move(row));
    // This node is a use of each of its inputs, with its saved local partial.
    for (int k = 0; k < tape_op_arity(node.op); ++k) trace.rows[node.inputs[k]].uses.push_back({i, node.partials[k].value});
  }
  for (TraceRow& row : trace.rows) {
    std::string terms, products;
    for (const auto& [consumer, partial] : row.uses) {
      terms += (terms.empty() ? "" : " + ") + trace.rows[consumer].name + "bar * " + short_number(partial);
      products += (products.empty() ? "" : " + ") + short_number(trace.rows[consumer].adjoint) + " * " + short_number(partial);
    }
    if (terms.empty()) terms = row.name == trace.rows.back().name ? "1 (the output)" : "0 (unused)";
    row.adjoint_formula = row.name + "bar = " + terms + (products.empty() ? "" : " = " + products) + " = " +
                          short_number(row.adjoint);
  }
  trace.value = y.value().value;
  for (std::size_t i = 0; i < x.size(); ++i) trace.gradient.push_back(trace.rows[i].adjoint);
  return trace;
}

}  // namespace gb::autodiff
