// autodiff_bindings.cpp: glassbox._glassbox.autodiff, the scalar half of lib/autodiff for Python:
// the expression language differentiated in four modes, Hessians, symbolic derivatives, swell.
// glassbox/autodiff.py wraps it (dicts in, (value, dict) and NumPy arrays out).
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "gb/autodiff/modes.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/autodiff/swell.hpp"
#include "gb/autodiff/symbolic.hpp"

namespace gb::python {

void bind_autodiff(py::module_& m) {
  namespace ad = gb::autodiff;
  m.def(
      "grad",
      [](const std::string& expression, const ad::Point& point, const std::string& mode) {
        const ad::Gradient g = ad::gradient(expression, point, ad::mode_from_name(mode));
        return py::make_tuple(g.value, g.variables, g.partials);
      },
      py::arg("expression"), py::arg("point"), py::arg("mode") = "reverse",
      "(value, variables in order of first appearance, partials) of the expression at the point");
  m.def(
      "hessian",
      [](const std::string& expression, const ad::Point& point) {
        return py::make_tuple(ad::variables(ad::parse(expression)), ad::hessian(expression, point));
      },
      py::arg("expression"), py::arg("point"), "(variables, Hessian rows) by forward over reverse");
  m.def(
      "derivative",
      [](const std::string& expression, const std::string& var, bool simplify) {
        return ad::to_string(ad::differentiate(ad::parse(expression), var, simplify));
      },
      py::arg("expression"), py::arg("var"), py::arg("simplify") = true, "the symbolic derivative, as text");
  m.def(
      "variables", [](const std::string& expression) { return ad::variables(ad::parse(expression)); },
      py::arg("expression"), "the variables in the order they first appear");
  m.def(
      "swell",
      [](int max_n) {
        py::list rows;
        for (const ad::SwellRow& r : ad::expression_swell(max_n)) {
          py::dict row;
          row["n"] = r.n;
          row["expression_nodes"] = r.expression_nodes;
          row["derivative_nodes"] = r.derivative_nodes;
          row["simplified_derivative_nodes"] = r.simplified_derivative_nodes;
          row["graph_nodes"] = r.graph_nodes;
          rows.append(row);
        }
        return rows;
      },
      py::arg("max_n"), "node counts of the logistic map l_n and its derivative, n = 1..max_n");
}

}  // namespace gb::python
