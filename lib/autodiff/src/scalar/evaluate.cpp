// evaluate.cpp: the error messages of the evaluator (the walk itself is a template in evaluate.hpp).
#include "gb/autodiff/evaluate.hpp"

#include <cstdio>

#include "gb/core/error.hpp"

namespace gb::autodiff {

void domain_error(const Expr& e, const std::string& expected, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  const std::string where = e.pos.line > 0 ? " (at " + to_string(e.pos) + ")" : "";
  throw Error(op_name(e), expected + where, text);
}

void unknown_variable(const Expr& e, const std::string& known) {
  const std::string where = e.pos.line > 0 ? " (at " + to_string(e.pos) + ")" : "";
  throw Error("evaluate", "a value for the variable '" + e.name + "'" + where,
              known.empty() ? "no variables" : "values for " + known);
}

}  // namespace gb::autodiff
