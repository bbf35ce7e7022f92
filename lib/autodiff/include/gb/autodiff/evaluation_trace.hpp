// evaluation_trace.hpp: the evaluation trace of an expression, the table of lessons 03 and 04.
//
// One run of the expression on the tape with dual numbers gives every column at once:
//   primal rows, top down     v-1 = x1 = 2, v0 = x2 = 5, v1 = log(v-1) = 0.693147, ...
//   tangent column            v1' = 0.5 ...          (forward mode, seeded with x_seed' = 1)
//   adjoint rows, bottom up   v-1bar = v1bar * 0.5 + v2bar * 5 = 5.5   (reverse mode, path products)
// Inputs are v_{1-n} .. v0, the other nodes v1, v2, ... in the order they were evaluated (tape order,
// which for the golden example gives v3 = v1 + v2 and v4 = sin(v0)).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gb/autodiff/modes.hpp"

namespace gb::autodiff {

struct TraceRow {
  std::string name;        // "v1"
  std::string op;          // "log", "input", "const", "+", ...
  std::string definition;  // "log(v-1)", "x1", "2"
  std::vector<std::size_t> inputs;  // rows this one reads
  double value = 0;
  double tangent = 0;  // d value / d x_seed
  double adjoint = 0;  // d f / d value
  // How the adjoint was summed: one (consumer, local partial) per use of this row.
  std::vector<std::pair<std::size_t, double>> uses;
  std::string adjoint_formula;  // "v-1bar = v1bar * 0.5 + v2bar * 5 = 5.5"
};

struct EvaluationTrace {
  std::vector<std::string> variables;  // in the order they first appear
  std::size_t seed = 0;                // the variable whose tangent is 1
  std::vector<TraceRow> rows;          // tape order: inputs first, the output last
  double value = 0;
  std::vector<double> gradient;        // the adjoints of the inputs
};

EvaluationTrace evaluation_trace(const ExprPtr& f, const Point& point, std::size_t seed = 0);

// A number as the traces print it: 6 significant digits ("0.693147", "-0.958924").
std::string short_number(double v);

}  // namespace gb::autodiff
