// py_variable.hpp: glassbox.autograd.Variable on the C++ side, shared by the binding files that take
// or return Variables (autograd_bindings.cpp registers the class; nn_bindings.cpp reuses it).
//
// A gb.Tensor that also has a place on the tape: the Tensor base is the Variable's value (so
// np.asarray, printing and every view work unchanged), `variable` is the autodiff handle.
#pragma once

#include <utility>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/tensor.hpp"

namespace gb::python {

struct PyVariable : Tensor {
  autodiff::Variable variable;
  explicit PyVariable(autodiff::Variable v) : Tensor(v.value()), variable(std::move(v)) {}
};

}  // namespace gb::python
