// nn_bindings.cpp: (being written)
#include "bindings.hpp"

namespace gb::python {

void bind_nn(py::module_& nn) { (void)nn; }

}  // namespace gb::python
