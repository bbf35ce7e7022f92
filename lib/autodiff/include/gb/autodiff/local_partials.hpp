// local_partials.hpp: the local derivatives of every scalar op of the tape (lesson 04-reverse-mode).
//
// Reverse mode needs, for each recorded op out = op(a, b), the partials d out / d a and d out / d b;
// the backward pass multiplies them by the adjoint of out and adds the products into the adjoints of
// a and b. The rules are written once, generic in the number type U:
//   U = T        the forward pass saves them as numbers on the tape (the usual case);
//   U = Var<T>   the backward pass with create_graph recomputes them as recorded operations, so the
//                gradient is itself a function on the tape and can be differentiated again.
#pragma once

#include <cstdint>
#include <utility>

#include "gb/autodiff/scalar_math.hpp"

namespace gb::autodiff {

enum class TapeOp : std::uint8_t {
  input, constant,                                     // leaves: no inputs
  add, subtract, multiply, divide, pow,                // two inputs
  negate, pow_constant, sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu, abs, step, sign,
};
const char* tape_op_name(TapeOp op);  // "input", "+", "*", "sin", ... (tape.cpp)
// 0 for leaves, 2 for the binary ops, 1 for the rest (inline: the tape asks once per node).
constexpr int tape_op_arity(TapeOp op) {
  return op <= TapeOp::constant ? 0 : (op <= TapeOp::pow ? 2 : 1);
}

// d out / d a and d out / d b for out = op(a, b) (b unused by unary ops; c is pow_constant's exponent).
template <class U>
std::pair<U, U> local_partials(TapeOp op, const U& a, const U& b, const U& out, double c, const U& zero,
                               const U& one) {
  switch (op) {
    case TapeOp::input: case TapeOp::constant: return {zero, zero};
    case TapeOp::add: return {one, one};
    case TapeOp::subtract: return {one, -one};
    case TapeOp::multiply: return {b, a};                       // d(ab) = b da + a db
    case TapeOp::divide: return {one / b, -out / b};            // d(a/b) = da / b - (a/b) db / b
    case TapeOp::pow:                                           // a^b = exp(b log a)
      return {b * pow(a, b - 1.0), primal(a) > 0 ? log(a) * out : zero};
    case TapeOp::negate: return {-one, zero};
    case TapeOp::pow_constant: return {c == 0 ? zero : c * pow(a, c - 1), zero};
    case TapeOp::sin: return {cos(a), zero};
    case TapeOp::cos: return {-sin(a), zero};
    case TapeOp::tan: return {one + out * out, zero};           // tan' = 1 + tan^2
    case TapeOp::exp: return {out, zero};                        // exp' = exp
    case TapeOp::log: return {one / a, zero};
    case TapeOp::sqrt: return {0.5 / out, zero};
    case TapeOp::tanh: return {one - out * out, zero};
    case TapeOp::sigmoid: return {out * (one - out), zero};
    case TapeOp::relu: return {step(a), zero};                  // relu'(0) = 0, as in PyTorch
    case TapeOp::abs: return {sign(a), zero};
    case TapeOp::step: case TapeOp::sign: return {zero, zero};
  }
  return {zero, zero};
}

// The value of out = op(a, b) on plain numbers of type T (the forward pass).
template <class T> T apply_op(TapeOp op, const T& a, const T& b, double c) {
  switch (op) {
    case TapeOp::add: return a + b;
    case TapeOp::subtract: return a - b;
    case TapeOp::multiply: return a * b;
    case TapeOp::divide: return a / b;
    case TapeOp::pow: return pow(a, b);
    case TapeOp::negate: return -a;
    case TapeOp::pow_constant: return pow(a, c);
    case TapeOp::sin: return sin(a);
    case TapeOp::cos: return cos(a);
    case TapeOp::tan: return tan(a);
    case TapeOp::exp: return exp(a);
    case TapeOp::log: return log(a);
    case TapeOp::sqrt: return sqrt(a);
    case TapeOp::tanh: return tanh(a);
    case TapeOp::sigmoid: return sigmoid(a);
    case TapeOp::relu: return relu(a);
    case TapeOp::abs: return abs(a);
    case TapeOp::step: return step(a);
    case TapeOp::sign: return sign(a);
    case TapeOp::input: case TapeOp::constant: return a;
  }
  return a;
}

}  // namespace gb::autodiff
