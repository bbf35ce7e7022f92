// numerical.cpp: forward, backward and central differences, and the error-versus-h sweep.
#include "gb/autodiff/numerical.hpp"

#include <cmath>

#include "gb/core/error.hpp"

namespace gb::autodiff {

const char* difference_name(Difference kind) {
  switch (kind) {
    case Difference::forward: return "forward";
    case Difference::backward: return "backward";
    case Difference::central: return "central";
  }
  return "?";
}

double difference(const ScalarFunction& f, double x, double h, Difference kind) {
  if (!f) throw Error("difference", "a function", "an empty std::function");
  if (!std::isfinite(x)) throw Error("difference", "a finite point x", std::to_string(x));
  if (!(h > 0) || !std::isfinite(h)) throw Error("difference", "a finite step h > 0", std::to_string(h));
  switch (kind) {
    case Difference::forward: return (f(x + h) - f(x)) / h;
    case Difference::backward: return (f(x) - f(x - h)) / h;
    case Difference::central: return (f(x + h) - f(x - h)) / (2 * h);
  }
  throw Error("difference", "forward, backward or central", "an unknown kind");
}

std::vector<double> central_gradient(const MultivariateFunction& f, const std::vector<double>& x, double h) {
  if (!f) throw Error("central_gradient", "a function", "an empty std::function");
  std::vector<double> gradient(x.size()), probe = x;
  for (std::size_t i = 0; i < x.size(); ++i) {
    // Each partial is a 1-D central difference along coordinate i, the others held fixed.
    gradient[i] = difference([&](double xi) { probe[i] = xi; return f(probe); }, x[i], h, Difference::central);
    probe[i] = x[i];
  }
  return gradient;
}

std::vector<ErrorAtH> error_versus_h(const ScalarFunction& f, double exact_derivative, double x,
                                     double log10_h_min, double log10_h_max, int points) {
  if (points < 2) throw Error("error_versus_h", "points >= 2", std::to_string(points));
  if (!(log10_h_min < log10_h_max) || log10_h_min < -300 || log10_h_max > 300) {
    throw Error("error_versus_h", "-300 <= log10_h_min < log10_h_max <= 300",
                std::to_string(log10_h_min) + " and " + std::to_string(log10_h_max));
  }
  std::vector<ErrorAtH> curve;
  for (int i = 0; i < points; ++i) {
    const double exponent = log10_h_max - (log10_h_max - log10_h_min) * i / (points - 1);
    const double h = std::pow(10.0, exponent);
    curve.push_back({h, std::fabs(difference(f, x, h, Difference::forward) - exact_derivative),
                     std::fabs(difference(f, x, h, Difference::backward) - exact_derivative),
                     std::fabs(difference(f, x, h, Difference::central) - exact_derivative)});
  }
  return curve;
}

}  // namespace gb::autodiff
