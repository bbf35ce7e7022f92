// parallel_sim_bindings.cpp: gb.parallel's hybrid DP x TP x PP runs and gb.parallel.simulate (lesson 15).
#include "bindings.hpp"

namespace gb::python {

void bind_parallel_sim(py::module_& /*parallel*/) {}

}  // namespace gb::python
