// dual.hpp: forward mode with dual numbers (lesson 03-forward-mode).
//
// A dual number a + a' eps with eps^2 = 0 carries a value and its tangent (the derivative along one
// chosen input direction). Expanding any operation to first order in eps gives its rule:
//   (a + a' eps)(b + b' eps) = ab + (a'b + ab') eps          product rule
//   f(a + a' eps)            = f(a) + f'(a) a' eps           chain rule
// so evaluating f on duals seeded with x' = e_j yields f(x) and df/dx_j in one pass.
// Dual<T> is nestable: in Dual<Dual<double>> the tangent of the tangent is a second derivative.
#pragma once

#include <cmath>
#include <ostream>
#include <type_traits>

#include "gb/autodiff/scalar_math.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

template <class T> struct Dual {
  T value{};
  T tangent{};
  Dual() = default;
  Dual(double v) : value(v), tangent(0.0) {}  // NOLINT: a constant is a dual with tangent 0
  Dual(T v, T t) requires(!std::is_same_v<T, double>) : value(std::move(v)), tangent(std::move(t)) {}
  Dual(double v, double t) : value(v), tangent(t) {}
};

template <class T> double primal(const Dual<T>& x) { return primal(x.value); }
template <class T> bool is_zero(const Dual<T>& x) { return is_zero(x.value) && is_zero(x.tangent); }
// A variable of forward mode: its tangent is the seed (1 for the input we differentiate by).
template <class T> Dual<T> make_dual(T value, T tangent) { Dual<T> d; d.value = value; d.tangent = tangent; return d; }

// --- sum rules: tangents add ---------------------------------------------------------------------
template <class T> Dual<T> operator+(const Dual<T>& a, const Dual<T>& b) {
  return make_dual<T>(a.value + b.value, a.tangent + b.tangent);
}
template <class T> Dual<T> operator-(const Dual<T>& a, const Dual<T>& b) {
  return make_dual<T>(a.value - b.value, a.tangent - b.tangent);  // d(a - b) = da - db
}
template <class T> Dual<T> operator-(const Dual<T>& a) { return make_dual<T>(-a.value, -a.tangent); }

// --- product and quotient rules --------------------------------------------------------------
template <class T> Dual<T> operator*(const Dual<T>& a, const Dual<T>& b) {
  // BEGIN EXERCISE(autodiff.forward.dual_rules)
  return make_dual<T>(a.value * b.value, a.tangent * b.value + a.value * b.tangent);
  // END EXERCISE
}
template <class T> Dual<T> operator/(const Dual<T>& a, const Dual<T>& b) {
  // BEGIN EXERCISE(autodiff.forward.dual_rules)
  // (a/b)' = (a' b - a b') / b^2 = (a' - (a/b) b') / b
  const T quotient = a.value / b.value;
  return make_dual<T>(quotient, (a.tangent - quotient * b.tangent) / b.value);
  // END EXERCISE
}

// Mixed with plain numbers (a constant has tangent 0).
template <class T> Dual<T> operator+(const Dual<T>& a, double c) { return make_dual<T>(a.value + c, a.tangent); }
template <class T> Dual<T> operator+(double c, const Dual<T>& a) { return a + c; }
template <class T> Dual<T> operator-(const Dual<T>& a, double c) { return make_dual<T>(a.value - c, a.tangent); }
template <class T> Dual<T> operator-(double c, const Dual<T>& a) { return make_dual<T>(c - a.value, -a.tangent); }
template <class T> Dual<T> operator*(const Dual<T>& a, double c) { return make_dual<T>(a.value * c, a.tangent * c); }
template <class T> Dual<T> operator*(double c, const Dual<T>& a) { return a * c; }
template <class T> Dual<T> operator/(const Dual<T>& a, double c) { return make_dual<T>(a.value / c, a.tangent / c); }
template <class T> Dual<T> operator/(double c, const Dual<T>& a) { return Dual<T>(c) / a; }
template <class T> Dual<T>& operator+=(Dual<T>& a, const Dual<T>& b) { return a = a + b; }

// --- chain rule: f(a + a' eps) = f(a) + f'(a) a' eps --------------------------------------------
template <class T> Dual<T> sin(const Dual<T>& a) {
  // BEGIN EXERCISE(autodiff.forward.dual_rules)
  return make_dual<T>(sin(a.value), cos(a.value) * a.tangent);
  // END EXERCISE
}
template <class T> Dual<T> log(const Dual<T>& a) {
  // BEGIN EXERCISE(autodiff.forward.dual_rules)
  return make_dual<T>(log(a.value), a.tangent / a.value);
  // END EXERCISE
}
template <class T> Dual<T> cos(const Dual<T>& a) { return make_dual<T>(cos(a.value), -sin(a.value) * a.tangent); }
template <class T> Dual<T> tan(const Dual<T>& a) {
  const T t = tan(a.value);
  return make_dual<T>(t, (1.0 + t * t) * a.tangent);  // tan' = 1 + tan^2
}
template <class T> Dual<T> exp(const Dual<T>& a) {
  const T e = exp(a.value);
  return make_dual<T>(e, e * a.tangent);
}
template <class T> Dual<T> sqrt(const Dual<T>& a) {
  const T r = sqrt(a.value);
  return make_dual<T>(r, a.tangent / (2.0 * r));
}
template <class T> Dual<T> tanh(const Dual<T>& a) {
  const T t = tanh(a.value);
  return make_dual<T>(t, (1.0 - t * t) * a.tangent);
}
template <class T> Dual<T> sigmoid(const Dual<T>& a) {
  const T s = sigmoid(a.value);
  return make_dual<T>(s, s * (1.0 - s) * a.tangent);
}
template <class T> Dual<T> relu(const Dual<T>& a) { return make_dual<T>(relu(a.value), step(a.value) * a.tangent); }
template <class T> Dual<T> abs(const Dual<T>& a) { return make_dual<T>(abs(a.value), sign(a.value) * a.tangent); }
// step and sign are flat almost everywhere: tangent 0.
template <class T> Dual<T> step(const Dual<T>& a) { return make_dual<T>(step(a.value), T(0.0)); }
template <class T> Dual<T> sign(const Dual<T>& a) { return make_dual<T>(sign(a.value), T(0.0)); }

// a^c for a constant c: c a^(c-1) a' (any real a when c is an integer).
template <class T> Dual<T> pow(const Dual<T>& a, double c) {
  if (c == 0) return Dual<T>(1.0);
  return make_dual<T>(pow(a.value, c), c * pow(a.value, c - 1) * a.tangent);
}
// a^b = exp(b log a): b a^(b-1) a' + log(a) a^b b'. The second term is skipped when b' is zero,
// so that a negative a with a constant integer b still works.
template <class T> Dual<T> pow(const Dual<T>& a, const Dual<T>& b) {
  const T value = pow(a.value, b.value);
  T tangent = b.value * pow(a.value, b.value - 1.0) * a.tangent;
  if (!is_zero(b.tangent)) tangent = tangent + log(a.value) * value * b.tangent;
  return make_dual<T>(value, tangent);
}

template <class T> std::ostream& operator<<(std::ostream& out, const Dual<T>& d) {
  return out << "(" << d.value << " + " << d.tangent << " eps)";
}

}  // namespace gb::autodiff
