// numerical.hpp: derivatives by finite differences (lesson 02-derivatives).
//
//   forward  (f(x + h) - f(x)) / h            truncation error O(h)
//   backward (f(x) - f(x - h)) / h            truncation error O(h)
//   central  (f(x + h) - f(x - h)) / (2h)     truncation error O(h^2)
// Each also has a rounding error of about eps * |f| / h, which grows as h shrinks: the total error
// against h is a U curve (error_versus_h), with its bottom near h = eps^(1/2) for the one-sided
// differences and eps^(1/3) for the central one.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace gb::autodiff {

enum class Difference { forward, backward, central };
const char* difference_name(Difference kind);  // "forward", "backward", "central"

using ScalarFunction = std::function<double(double)>;
using MultivariateFunction = std::function<double(const std::vector<double>&)>;

// f'(x) by one finite difference with step h > 0 (gb::Error for h <= 0 or a non-finite x or h).
double difference(const ScalarFunction& f, double x, double h, Difference kind);

// The gradient of f at x by central differences, one coordinate at a time (2n evaluations of f).
std::vector<double> central_gradient(const MultivariateFunction& f, const std::vector<double>& x, double h = 1e-6);

// One point of the U curve: the absolute error of each difference at step h.
struct ErrorAtH {
  double h = 0;
  double forward_error = 0, backward_error = 0, central_error = 0;
};
// The errors of the three differences against the exact derivative, for `points` steps h spaced
// evenly in log10 from 10^log10_h_max down to 10^log10_h_min.
std::vector<ErrorAtH> error_versus_h(const ScalarFunction& f, double exact_derivative, double x,
                                     double log10_h_min = -16, double log10_h_max = -1, int points = 31);

}  // namespace gb::autodiff
