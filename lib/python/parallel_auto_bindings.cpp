// parallel_auto_bindings.cpp: gb.parallel's layouts, redistribution and strategy search (lesson 15).
#include "bindings.hpp"

namespace gb::python {

void bind_parallel_auto(py::module_& /*parallel*/) {}

}  // namespace gb::python
