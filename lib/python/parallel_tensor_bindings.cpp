// parallel_tensor_bindings.cpp: gb.parallel's tensor parallelism (lesson 13).
#include "bindings.hpp"

namespace gb::python {

void bind_parallel_tensor(py::module_& /*parallel*/) {}

}  // namespace gb::python
