// evaluate.hpp: an expression tree evaluated on any number type T.
//
// The same walk gives every mode of lesson 02-04: T = double is plain evaluation, T = Dual<double>
// is forward mode (the tangent rides along), T = Var<double> records a tape for reverse mode, and
// T = Var<Dual<double>> does both (forward over reverse, for Hessians). Only the elementary
// functions differ, and each number type brings its own overloads (scalar_math.hpp, dual.hpp, tape.hpp).
//
// Domain errors are raised here, before the operation, naming it and its value:
//   log: expected a positive argument (at 1:1), given -2
#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "gb/autodiff/expression.hpp"
#include "gb/autodiff/scalar_math.hpp"

namespace gb::autodiff {

template <class T> using Environment = std::map<std::string, T>;

// Throws the gb::Error of a domain check: "<op>: expected <expected> (at L:C), given <value>".
[[noreturn]] void domain_error(const Expr& e, const std::string& expected, double value);
// Throws the gb::Error for a variable missing from the environment, naming the known ones.
[[noreturn]] void unknown_variable(const Expr& e, const std::string& known);

// Evaluates e; numbers in the tree become T through make_constant (Var needs its tape for that).
template <class T, class MakeConstant>
T evaluate(const Expr& e, const Environment<T>& env, const MakeConstant& make_constant) {
  auto operand = [&](std::size_t k) { return evaluate(*e.operands[k], env, make_constant); };
  T result = [&]() -> T {
    switch (e.kind) {
      case ExprKind::number: return make_constant(e.number);
      case ExprKind::variable: {
        auto it = env.find(e.name);
        if (it == env.end()) {
          std::string known;
          for (const auto& [name, value] : env) known += (known.empty() ? "" : ", ") + name;
          unknown_variable(e, known);
        }
        return it->second;
      }
      case ExprKind::negate: return -operand(0);
      case ExprKind::power: {
        T base = operand(0);
        const Expr& exponent = *e.operands[1];
        if (exponent.kind == ExprKind::number) {  // x^c: any real base when c is an integer
          const double c = exponent.number;
          if (primal(base) < 0 && c != std::floor(c)) domain_error(e, "a base >= 0 for a fractional exponent", primal(base));
          if (primal(base) == 0 && c < 0) domain_error(e, "a nonzero base for a negative exponent", primal(base));
          return pow(base, c);
        }
        // x^y with a variable exponent is exp(y log x): it needs x > 0.
        if (!(primal(base) > 0)) domain_error(e, "a positive base when the exponent is not a number", primal(base));
        return pow(base, operand(1));
      }
      case ExprKind::call: {
        T a = operand(0);
        switch (e.function) {
          case Function::sin: return sin(a);
          case Function::cos: return cos(a);
          case Function::tan: return tan(a);
          case Function::exp: return exp(a);
          case Function::log:
            if (!(primal(a) > 0)) domain_error(e, "a positive argument", primal(a));
            return log(a);
          case Function::sqrt:
            if (primal(a) < 0) domain_error(e, "an argument >= 0", primal(a));
            return sqrt(a);
          case Function::tanh: return tanh(a);
          case Function::sigmoid: return sigmoid(a);
          case Function::relu: return relu(a);
          case Function::abs: return abs(a);
          case Function::step: return step(a);
          case Function::sign: return sign(a);
        }
        domain_error(e, "a known function", 0);
      }
      default: break;
    }
    // Left operand first, then right (the order of `a + b` in C++ is unspecified): the tape, and
    // so the trace's numbering, follows the text left to right on every compiler.
    T a = operand(0);
    T b = operand(1);
    switch (e.kind) {
      case ExprKind::add: return a + b;
      case ExprKind::subtract: return a - b;
      case ExprKind::multiply: return a * b;
      case ExprKind::divide:
        if (primal(b) == 0) domain_error(e, "a nonzero divisor", primal(b));
        return a / b;
      default: break;
    }
    domain_error(e, "a known kind of node", 0);
  }();
  if (!std::isfinite(primal(result))) domain_error(e, "a finite result", primal(result));
  return result;
}

// Evaluates e on a number type that converts from double (double, Dual<T>).
template <class T> T evaluate(const Expr& e, const Environment<T>& env) {
  return evaluate(e, env, [](double c) { return T(c); });
}

}  // namespace gb::autodiff
