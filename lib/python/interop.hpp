// interop.hpp: the NumPy side of the Tensor bindings (tensor_interop.cpp), shared by tensor_bindings.cpp.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "gb/core/tensor.hpp"

namespace gb::python {

namespace py = pybind11;

py::module_ numpy();                                                  // the numpy module
py::dtype numpy_dtype(DType dtype);                                   // f32 -> float32, ...
std::optional<DType> dtype_from_numpy(const py::dtype& dt);          // empty for dtypes glassbox lacks
DType require_dtype(const py::dtype& dt, const std::string& op);      // gb::Error naming `op` if unsupported
DType dtype_arg(py::handle h);            // a glassbox name ("f32"), a NumPy dtype or a NumPy type
std::string why_copy(const py::array& arr);  // why an array cannot be wrapped as it is; empty when it can
Tensor wrap_array(const py::array& arr, DType dtype);  // a Tensor over the array's memory (no copy)
py::array numpy_view(py::handle self);    // a NumPy array over a Python Tensor's memory

}  // namespace gb::python
