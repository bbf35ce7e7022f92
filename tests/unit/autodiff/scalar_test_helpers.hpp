// scalar_test_helpers.hpp: what the scalar autodiff tests share: random smooth expressions and the
// list of differentiable functions with points where they are smooth.
#pragma once

#include <random>
#include <string>
#include <vector>

namespace gb_autodiff_test {

// A random expression in x1, x2, x3 whose every operation is defined (and smooth) for any real
// inputs: log and sqrt get 1 + u^2, division gets 2 + sin(u), exp gets tanh(u).
inline std::string random_expression(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<int> pick(0, 13);
  const char* names[] = {"x1", "x2", "x3"};
  if (depth == 0) {
    if (pick(rng) % 4 == 0) return std::to_string(1 + pick(rng) % 3) + ".5";
    return names[pick(rng) % 3];
  }
  const std::string a = random_expression(rng, depth - 1), b = random_expression(rng, depth - 1);
  switch (pick(rng)) {
    case 0: return "(" + a + " + " + b + ")";
    case 1: return "(" + a + " - " + b + ")";
    case 2: return a + " * " + b;
    case 3: return a + " / (2 + sin(" + b + "))";
    case 4: return "(" + a + ")^2";
    case 5: return "sin(" + a + ")";
    case 6: return "cos(" + a + ")";
    case 7: return "exp(tanh(" + a + "))";
    case 8: return "log(1 + (" + a + ")^2)";
    case 9: return "sqrt(1 + (" + a + ")^2)";
    case 10: return "sigmoid(" + a + ")";
    case 11: return "-tanh(" + a + " * " + b + ")";
    case 12: return "tan(0.5 * sin(" + a + "))";
    default: return "(1.5 + sin(" + a + "))^(" + b + ")";
  }
}

// Each function of the language with an interval where it is smooth and defined.
struct UnaryCase {
  const char* name;
  double lo, hi;
};
inline const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases = {
      {"sin", -3, 3}, {"cos", -3, 3}, {"tan", -1.2, 1.2}, {"exp", -3, 3}, {"log", 0.1, 5},
      {"sqrt", 0.1, 5}, {"tanh", -3, 3}, {"sigmoid", -5, 5}, {"relu", -3, 3}, {"abs", -3, 3}};
  return cases;
}

}  // namespace gb_autodiff_test
