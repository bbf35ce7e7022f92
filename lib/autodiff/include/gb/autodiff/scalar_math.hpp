// scalar_math.hpp: the elementary functions on plain doubles, under the same names as their Dual
// and Var overloads, so that one template (the expression evaluator, a user's f) runs on all three.
//
// Inside namespace gb::autodiff an unqualified call `sin(x)` finds these for double and the
// templates of dual.hpp / tape.hpp for Dual<T> and Var<T>.
#pragma once

#include <cmath>

namespace gb::autodiff {

inline double exp(double x) { return std::exp(x); }
inline double log(double x) { return std::log(x); }
inline double sin(double x) { return std::sin(x); }
inline double cos(double x) { return std::cos(x); }
inline double tan(double x) { return std::tan(x); }
inline double tanh(double x) { return std::tanh(x); }
inline double sqrt(double x) { return std::sqrt(x); }
inline double abs(double x) { return std::fabs(x); }
inline double pow(double x, double y) { return std::pow(x, y); }
// sigmoid(x) = 1 / (1 + e^-x), written so that neither branch overflows.
inline double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}
inline double relu(double x) { return x > 0 ? x : 0.0; }
// The derivatives of relu and abs (PyTorch's convention at 0: relu'(0) = 0, abs'(0) = sign(0) = 0).
inline double step(double x) { return x > 0 ? 1.0 : 0.0; }
inline double sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

// The number inside any number type: itself for double (Dual and Var add their overloads).
inline double primal(double x) { return x; }
// True when x is exactly zero together with every derivative it carries.
inline bool is_zero(double x) { return x == 0.0; }

}  // namespace gb::autodiff
