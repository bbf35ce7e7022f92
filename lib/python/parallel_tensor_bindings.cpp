// parallel_tensor_bindings.cpp: gb.parallel's tensor parallelism (lesson 13): Megatron's MLP block on a
// simulated TP group, with the real math on every rank.
//
//   r = gb.parallel.tp_mlp(x, a, a_bias, b, b_bias, tp=4, grad_output=g)
//   r["output"], r["grad_input"], r["grad_a"], ..., r["bytes_sent"], r["compute_seconds"]
//   t = gb.parallel.tp_mlp_time(tokens=1024, hidden=1024, ffn=4096, tp=8, across_nodes=False)
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>

#include "bindings.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/tensor_parallel_model.hpp"

namespace gb::python {

namespace {

namespace gp = gb::parallel;

Tensor f32_array(const py::handle& a) { return tensor_from_python(a, py::bool_(true)).to(DType::f32).contiguous(); }

py::dict measured(const gp::TpBlockRun& run) {
  py::dict d;
  d["compute_seconds"] = run.compute_seconds;
  d["communication_seconds"] = run.communication_seconds;
  d["bytes_sent"] = run.bytes_sent;
  d["parameter_bytes"] = run.parameter_bytes;
  d["makespan"] = run.execution.makespan;
  d["all_reduces"] = run.collectives.size();
  return d;
}

py::dict tp_mlp(const py::handle& x, const py::handle& a, const py::handle& a_bias, const py::handle& b, const py::handle& b_bias, int tp,
                const py::object& grad_output) {
  const Tensor input = f32_array(x);
  const Tensor dz = grad_output.is_none() ? Tensor::ones(input.shape()) : f32_array(grad_output);
  gp::TpMlp block({f32_array(a), f32_array(a_bias), f32_array(b), f32_array(b_bias)}, tp);
  gp::ClusterSpec cluster;
  cluster.devices = std::max(tp, 1);
  cluster.devices_per_node = cluster.devices;
  const gp::TpBlockRun run = gp::run_tp_block(block, input, dz, cluster);
  const gp::MlpWeights g = block.gradients();
  py::dict d = measured(run);
  auto out = [](const Tensor& t) { return tensor_to_numpy(py::cast(t)); };
  d["output"] = out(run.output);
  d["grad_input"] = out(run.grad_input);
  d["grad_a"] = out(g.a);
  d["grad_a_bias"] = out(g.a_bias);
  d["grad_b"] = out(g.b);
  d["grad_b_bias"] = out(g.b_bias);
  return d;
}

py::dict tp_mlp_time(std::int64_t tokens, std::int64_t hidden, std::int64_t ffn, int tp, bool across_nodes) {
  gp::TpMlp block(hidden, ffn, tp);
  gp::ClusterSpec cluster;
  cluster.devices = std::max(tp, 1);
  cluster.devices_per_node = across_nodes ? 1 : cluster.devices;
  return measured(gp::time_tp_block(block, tokens, hidden, cluster));
}

}  // namespace

void bind_parallel_tensor(py::module_& parallel) {
  parallel.def("tp_mlp", &tp_mlp, py::arg("x"), py::arg("a"), py::arg("a_bias"), py::arg("b"), py::arg("b_bias"), py::arg("tp"),
               py::arg("grad_output") = py::none(),
               "Megatron's MLP Z = GeLU(x a + a_bias) b + b_bias on tp simulated ranks (a split by columns, b by rows):\n"
               "a dict with output, grad_input, grad_a, grad_a_bias, grad_b, grad_b_bias (NumPy, f32), compute_seconds,\n"
               "communication_seconds, bytes_sent and parameter_bytes per rank, makespan and all_reduces.");
  parallel.def("tp_mlp_time", &tp_mlp_time, py::arg("tokens"), py::arg("hidden"), py::arg("ffn"), py::arg("tp"), py::arg("across_nodes") = false,
               "The same MLP block timed without values (NVLink-like links, or every rank in its own node).");
}

}  // namespace gb::python
