// parallel_collectives_bindings.cpp: gb.parallel's collectives (lesson 10), measured by the simulator.
//
//   seconds, sent = gb.parallel.allreduce_cost("ring", n=8, bytes=1 << 20, alpha=5e-6, beta=1e-10)
//   arrays, seconds = gb.parallel.all_reduce([a0, a1, a2], algorithm="tree", op="mean")
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"

namespace gb::python {

namespace {

namespace gp = gb::parallel;

gp::ReduceOp op_from_name(const std::string& name) {
  if (name == "sum") return gp::ReduceOp::sum;
  if (name == "mean") return gp::ReduceOp::mean;
  if (name == "max") return gp::ReduceOp::max;
  throw Error("gb.parallel.all_reduce", "op sum, mean or max", name);
}

// One message cost for every pair: a flat cluster of n devices, like all_reduce_cost.
gp::Simulator flat_simulator(int n, double alpha, double beta) {
  gp::ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = n;
  spec.intra_node = spec.inter_node = gp::LinkCost{alpha, beta};
  spec.memory_bytes = 0;
  return gp::Simulator(gp::Cluster(spec));
}

std::pair<py::list, double> all_reduce_arrays(const py::list& arrays, const std::string& algorithm, const std::string& op,
                                              double alpha, double beta) {
  if (arrays.empty()) throw Error("gb.parallel.all_reduce", "one array per rank", "an empty list");
  std::vector<Tensor> data;
  for (py::handle a : arrays) {
    // A copy per rank (copy=True): the caller's arrays stay as they were.
    Tensor t = tensor_from_python(a, py::bool_(true));
    if (t.dtype() != DType::f32 && t.dtype() != DType::f64) t = t.to(DType::f64);
    data.push_back(t.contiguous());
  }
  const int n = static_cast<int>(data.size());
  gp::Simulator sim = flat_simulator(n, alpha, beta);
  std::vector<int> group;
  for (int r = 0; r < n; ++r) group.push_back(r);
  gp::all_reduce(sim, group, data, gp::algorithm_from_name(algorithm), op_from_name(op));
  const gp::Execution ex = sim.run();
  py::list out;
  for (const Tensor& t : data) out.append(tensor_to_numpy(py::cast(t)));
  return {out, ex.makespan};
}

}  // namespace

void bind_parallel_collectives(py::module_& parallel) {
  parallel.def(
      "allreduce_cost",
      [](const std::string& algorithm, int n, std::int64_t bytes, double alpha, double beta) {
        const gp::CollectiveCost c = gp::all_reduce_cost(gp::algorithm_from_name(algorithm), n, bytes, gp::LinkCost{alpha, beta});
        return std::make_pair(c.seconds, c.bytes_sent_per_rank);
      },
      py::arg("algorithm"), py::arg("n"), py::arg("bytes"), py::arg("alpha") = 5e-6, py::arg("beta") = 1.0 / 10e9,
      "(seconds, bytes sent per rank) of one all-reduce of `bytes` over n ranks on links costing alpha + beta x bytes,\n"
      "measured by running it on the simulator. algorithm: ring, tree or recursive_doubling.");
  parallel.def("all_reduce", &all_reduce_arrays, py::arg("arrays"), py::arg("algorithm") = "ring", py::arg("op") = "sum",
               py::arg("alpha") = 5e-6, py::arg("beta") = 1.0 / 10e9,
               "All-reduce one array per rank on a simulated flat cluster: (list of result arrays, simulated seconds).\n"
               "The values are computed by the messages themselves; op: sum, mean or max.");
}

}  // namespace gb::python
