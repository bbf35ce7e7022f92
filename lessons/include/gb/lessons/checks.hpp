// checks.hpp: small helpers the lesson scenarios share to check and print their own numbers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::lessons {

// "1.2e-06": an error or a tolerance in a caption.
inline std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", v);
  return buf;
}

// max |a - b| over every element (shapes must have the same number of elements).
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

// Three iterations of the logistic map l <- 4 l (1 - l) in closed form (LESSONS.md, lesson 02):
// l_3 = 64x(1-x)(1-2x)^2(1-8x+8x^2)^2, and its derivative by the product rule.
struct LogisticClosedForm {
  double value, slope;
};
inline LogisticClosedForm logistic3_closed_form(double x) {
  const double u = x * (1 - x), v = (1 - 2 * x) * (1 - 2 * x), p = 1 - 8 * x + 8 * x * x, w = p * p;
  const double du = 1 - 2 * x, dv = -4 * (1 - 2 * x), dw = 2 * p * (16 * x - 8);
  return {64 * u * v * w, 64 * (du * v * w + u * dv * w + u * v * dw)};
}

}  // namespace gb::lessons
