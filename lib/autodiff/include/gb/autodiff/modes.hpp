// modes.hpp: one expression, four ways to differentiate it, one answer (lessons 02-04).
//
//   Gradient g = gradient("log(x1) + x1*x2 - sin(x2)", {{"x1", 2}, {"x2", 5}}, Mode::reverse);
//   g.value == 11.652071..., g.variables == {"x1", "x2"}, g.partials == {5.5, 1.716338...}
// numeric: central differences; symbolic: the derivative expression, evaluated; forward: one pass
// of dual numbers per variable; reverse: one pass on the tape for all variables.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gb/autodiff/expression.hpp"
#include "gb/autodiff/jvp.hpp"

namespace gb::autodiff {

enum class Mode { numeric, symbolic, forward, reverse };
const char* mode_name(Mode mode);                 // "numeric", "symbolic", "forward", "reverse"
Mode mode_from_name(const std::string& name);     // gb::Error naming the four for anything else

using Point = std::map<std::string, double>;

struct Gradient {
  double value = 0;
  std::vector<std::string> variables;  // in the order they first appear in the text
  std::vector<double> partials;        // d f / d variables[i]
};

// The point must give a finite value to every variable of f and to nothing else (gb::Error).
Gradient gradient(const ExprPtr& f, const Point& point, Mode mode = Mode::reverse);
Gradient gradient(const std::string& text, const Point& point, Mode mode = Mode::reverse);

// The Hessian by forward over reverse, rows and columns in the order of variables(f).
Matrix hessian(const ExprPtr& f, const Point& point);
Matrix hessian(const std::string& text, const Point& point);

// The point's values in the order of variables(f); gb::Error (naming op) when a variable has no
// finite value or the point names a variable that f does not use.
std::vector<double> point_coordinates(const ExprPtr& f, const Point& point, const std::string& op);

// The step of the numeric mode for coordinate value x: eps^(1/3) * max(1, |x|), near the bottom
// of the central difference's U curve.
double numeric_step(double x);

}  // namespace gb::autodiff
