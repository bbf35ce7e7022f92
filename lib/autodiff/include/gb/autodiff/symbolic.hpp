// symbolic.hpp: differentiation of expression trees by the rules of calculus (lesson 02-derivatives).
//
//   d(u + v) = du + dv     d(uv) = du v + u dv     d(u/v) = (du v - u dv) / v^2
//   d(u^c) = c u^(c-1) du  d f(u) = f'(u) du      (chain rule, one f' per function)
// The result is again an expression: exact, printable, and as large as the rules make it. Each rule
// copies its operands into the result, so nested products double in size at every level: that is
// expression swell (swell.hpp measures it). Simplification (x*1 -> x, 0+x -> x, folding numbers)
// shrinks the result but cannot undo the duplication.
#pragma once

#include <string>

#include "gb/autodiff/expression.hpp"

namespace gb::autodiff {

// d f / d var. With simplify, every node is built by the simplifying constructors below.
ExprPtr differentiate(const ExprPtr& f, const std::string& var, bool simplify = true);

// The expression rebuilt bottom-up with the simplifying constructors (the value never changes).
ExprPtr simplify(const ExprPtr& e);

// True when e contains the variable.
bool depends_on(const ExprPtr& e, const std::string& var);

}  // namespace gb::autodiff
