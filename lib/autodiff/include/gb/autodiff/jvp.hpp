// jvp.hpp: Jacobian-vector products and Jacobians by forward mode (lesson 03-forward-mode).
//
// For f: R^n -> R^m, one forward pass on duals seeded with the tangent v gives f(x) and J v.
// Seeding v = e_j gives column j of J, so jacfwd needs n passes: cheap when n is small.
// f takes and returns std::vector<Dual<double>> (write it as a template to reuse it elsewhere).
#pragma once

#include <string>
#include <vector>

#include "gb/autodiff/dual.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

using Matrix = std::vector<std::vector<double>>;  // row-major: m rows of n

struct JvpResult {
  std::vector<double> value;    // f(x)
  std::vector<double> tangent;  // J(x) v
};

template <class F> JvpResult jvp(const F& f, const std::vector<double>& x, const std::vector<double>& v) {
  if (x.size() != v.size()) {
    throw Error("jvp", "a tangent with one entry per input (" + std::to_string(x.size()) + ")",
                std::to_string(v.size()) + " entries");
  }
  std::vector<Dual<double>> inputs;
  for (std::size_t i = 0; i < x.size(); ++i) inputs.emplace_back(x[i], v[i]);  // x + v eps
  const std::vector<Dual<double>> outputs = f(inputs);
  JvpResult result;
  for (const Dual<double>& y : outputs) {
    result.value.push_back(y.value);
    result.tangent.push_back(y.tangent);
  }
  return result;
}

// J(x), m x n, one forward pass per input: column j = J e_j.
template <class F> Matrix jacfwd(const F& f, const std::vector<double>& x) {
  if (x.empty()) throw Error("jacfwd", "at least one input", "none");
  Matrix jacobian;
  for (std::size_t j = 0; j < x.size(); ++j) {
    std::vector<double> seed(x.size(), 0.0);
    seed[j] = 1.0;
    const JvpResult column = jvp(f, x, seed);
    if (j == 0) jacobian.assign(column.tangent.size(), std::vector<double>(x.size(), 0.0));
    if (column.tangent.size() != jacobian.size()) {
      throw Error("jacfwd", "the same number of outputs in every pass", std::to_string(column.tangent.size()));
    }
    for (std::size_t i = 0; i < jacobian.size(); ++i) jacobian[i][j] = column.tangent[i];
  }
  return jacobian;
}

}  // namespace gb::autodiff
