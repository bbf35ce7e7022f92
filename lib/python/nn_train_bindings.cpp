// nn_train_bindings.cpp: (being written)
#include "bindings.hpp"

namespace gb::python {

void bind_nn_training(py::module_& nn) { (void)nn; }

}  // namespace gb::python
