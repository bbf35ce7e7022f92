// hessian.hpp: second derivatives by forward over reverse (lessons 04 and 05).
//
// Run the reverse pass on dual numbers: inputs x_i + (e_j)_i eps. Every value on the tape carries its
// tangent along e_j, so every adjoint does too, and the adjoint of x_i comes out as
//   df/dx_i + (d/dx_j df/dx_i) eps
// i.e. the gradient plus column j of the Hessian. n reverse passes give the whole Hessian.
// f is a callable taking std::vector<Var<Dual<double>>> and returning one Var<Dual<double>>
// (a generic lambda works, and also a template written once for every number type).
#pragma once

#include <vector>

#include "gb/autodiff/jvp.hpp"
#include "gb/autodiff/tape.hpp"

namespace gb::autodiff {

struct ValueAndGradient {
  double value = 0;
  std::vector<double> gradient;
};

// f(x) and its gradient by one reverse pass on Tape<double>; f takes std::vector<Var<double>>.
template <class F> ValueAndGradient value_and_grad(const F& f, const std::vector<double>& x) {
  Tape<double> tape;
  std::vector<Var<double>> inputs;
  for (double xi : x) inputs.push_back(tape.variable(xi));
  const Var<double> y = f(inputs);
  return {y.value(), tape.gradient(y, inputs)};
}

template <class F> Matrix hessian(const F& f, const std::vector<double>& x) {
  if (x.empty()) throw Error("hessian", "at least one input", "none");
  Matrix h(x.size(), std::vector<double>(x.size(), 0.0));
  for (std::size_t j = 0; j < x.size(); ++j) {
    Tape<Dual<double>> tape;
    std::vector<Var<Dual<double>>> inputs;
    for (std::size_t i = 0; i < x.size(); ++i) inputs.push_back(tape.variable(Dual<double>(x[i], i == j ? 1.0 : 0.0)));
    const Var<Dual<double>> y = f(inputs);
    const std::vector<Dual<double>> g = tape.gradient(y, inputs);
    for (std::size_t i = 0; i < x.size(); ++i) h[i][j] = g[i].tangent;
  }
  return h;
}

}  // namespace gb::autodiff
