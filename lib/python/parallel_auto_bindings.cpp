// parallel_auto_bindings.cpp: gb.parallel's layouts, redistribution and strategy search (lesson 15).
// Layouts are given as MindSpore writes them: a tensor map (axes counted from the right, -1 = not
// split) over a device matrix, plus the axes holding partial sums.
//
//   gb.parallel.shard_of([8, 8], [1, 0], [2, 4], device=6)          # [(4, 8), (4, 6)]
//   shards = gb.parallel.to_shards(x, [1, 0], [2, 4]); x = gb.parallel.from_shards(shards, [8, 8], [1, 0], [2, 4])
//   steps, seconds = gb.parallel.redistribute_cost([4096, 4096], [0, -1], [-1, -1], [8])
//   shards, seconds = gb.parallel.redistribute(shards, [8, 8], [1, 0], [0, 1], [2, 4])
//   r = gb.parallel.search_strategy(batch=2048, widths=[4096, 16384, 4096], devices=8)
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/layout.hpp"
#include "gb/parallel/redistribute.hpp"
#include "gb/parallel/strategy.hpp"

namespace gb::python {

namespace {

namespace gp = gb::parallel;
using Ints = std::vector<std::int64_t>;

gp::Layout make_layout(const Ints& shape, const std::vector<int>& tensor_map, const Ints& device_matrix, const std::vector<int>& partial) {
  gp::Layout l{device_matrix, tensor_map, shape, partial};
  gp::check_layout(l, "gb.parallel layout");
  return l;
}

// One message cost for every pair of devices.
gp::ClusterSpec flat(double alpha, double beta) {
  gp::ClusterSpec spec;
  spec.devices_per_node = 1 << 20;
  spec.intra_node = spec.inter_node = gp::LinkCost{alpha, beta};
  return spec;
}

py::list numpy_list(const std::vector<Tensor>& tensors) {
  py::list out;
  for (const Tensor& t : tensors) out.append(tensor_to_numpy(py::cast(t)));
  return out;
}

std::vector<Tensor> tensors_from(const py::list& arrays) {
  std::vector<Tensor> out;
  for (py::handle a : arrays) {
    Tensor t = tensor_from_python(a, py::bool_(true));
    if (t.dtype() != DType::f32 && t.dtype() != DType::f64) t = t.to(DType::f64);
    out.push_back(t.contiguous());
  }
  return out;
}

py::list steps_list(const gp::RedistributionPlan& plan, const gp::RedistributionCost& cost) {
  py::list steps;
  for (std::size_t s = 0; s < plan.steps.size(); ++s) {
    const gp::RedistributionStep& step = plan.steps[s];
    py::dict d;
    d["kind"] = gp::redistribution_kind_name(step.kind);
    d["axis"] = step.axis;
    d["from_dim"] = step.from_dim;
    d["to_dim"] = step.to_dim;
    d["groups"] = step.groups;
    d["bytes"] = step.bytes;
    d["bytes_sent"] = cost.step_bytes_sent[s];
    d["seconds"] = cost.step_seconds[s];
    d["describe"] = step.describe();
    steps.append(d);
  }
  return steps;
}

}  // namespace

void bind_parallel_auto(py::module_& parallel) {
  parallel.def(
      "shard_of",
      [](const Ints& shape, const std::vector<int>& tensor_map, const Ints& device_matrix, int device, const std::vector<int>& partial) {
        std::vector<std::pair<std::int64_t, std::int64_t>> out;
        for (const gp::SliceRange& r : gp::shard_of(make_layout(shape, tensor_map, device_matrix, partial), device)) out.emplace_back(r.begin, r.end);
        return out;
      },
      py::arg("shape"), py::arg("tensor_map"), py::arg("device_matrix"), py::arg("device"), py::arg("partial") = std::vector<int>{},
      "The slice [(begin, end) per dim] that `device` holds. tensor_map: per dim, a device-matrix axis counted from the "
      "right (MindSpore's convention) or -1.");

  parallel.def(
      "to_shards",
      [](py::handle array, const std::vector<int>& tensor_map, const Ints& device_matrix, const std::vector<int>& partial) {
        const Tensor t = tensor_from_python(array, py::bool_(true));
        return numpy_list(gp::to_shards(t, make_layout(t.shape(), tensor_map, device_matrix, partial)));
      },
      py::arg("array"), py::arg("tensor_map"), py::arg("device_matrix"), py::arg("partial") = std::vector<int>{},
      "One array per device (row-major device numbering); partial axes keep the values on coordinate 0, zeros elsewhere.");

  parallel.def(
      "from_shards",
      [](const py::list& shards, const Ints& shape, const std::vector<int>& tensor_map, const Ints& device_matrix,
         const std::vector<int>& partial) {
        std::vector<Tensor> t;
        for (py::handle a : shards) t.push_back(tensor_from_python(a, py::bool_(true)).contiguous());
        return tensor_to_numpy(py::cast(gp::from_shards(t, make_layout(shape, tensor_map, device_matrix, partial))));
      },
      py::arg("shards"), py::arg("shape"), py::arg("tensor_map"), py::arg("device_matrix"), py::arg("partial") = std::vector<int>{},
      "The global array from one shard per device (partial axes are summed).");

  parallel.def(
      "redistribute_cost",
      [](const Ints& shape, const std::vector<int>& from_map, const std::vector<int>& to_map, const Ints& device_matrix,
         const std::vector<int>& from_partial, const std::vector<int>& to_partial, std::int64_t element_bytes, double alpha, double beta) {
        const gp::RedistributionPlan plan = gp::plan_redistribution(make_layout(shape, from_map, device_matrix, from_partial),
                                                                    make_layout(shape, to_map, device_matrix, to_partial), element_bytes);
        const gp::RedistributionCost cost = gp::time_redistribution(plan, flat(alpha, beta));
        return py::make_tuple(steps_list(plan, cost), cost.seconds);
      },
      py::arg("shape"), py::arg("from_map"), py::arg("to_map"), py::arg("device_matrix"), py::arg("from_partial") = std::vector<int>{},
      py::arg("to_partial") = std::vector<int>{}, py::arg("element_bytes") = 4, py::arg("alpha") = 2e-6, py::arg("beta") = 1.0 / 200e9,
      "(steps, seconds): the collectives inserted to go from one layout to the other (dicts: kind, axis, from_dim, to_dim, "
      "groups, bytes, bytes_sent, seconds, describe) and the simulated time, every link costing alpha + beta bytes.");

  parallel.def(
      "redistribute",
      [](const py::list& shards, const Ints& shape, const std::vector<int>& from_map, const std::vector<int>& to_map,
         const Ints& device_matrix, const std::vector<int>& from_partial, const std::vector<int>& to_partial, double alpha, double beta) {
        const std::vector<Tensor> in = tensors_from(shards);
        if (in.empty()) throw Error("gb.parallel.redistribute", "one array per device", "an empty list");
        const gp::RedistributionPlan plan =
            gp::plan_redistribution(make_layout(shape, from_map, device_matrix, from_partial), make_layout(shape, to_map, device_matrix, to_partial),
                                    static_cast<std::int64_t>(dtype_size(in[0].dtype())));
        gp::RedistributionCost cost;
        const std::vector<Tensor> out = gp::apply_redistribution(plan, in, flat(alpha, beta), &cost);
        return py::make_tuple(numpy_list(out), cost.seconds);
      },
      py::arg("shards"), py::arg("shape"), py::arg("from_map"), py::arg("to_map"), py::arg("device_matrix"),
      py::arg("from_partial") = std::vector<int>{}, py::arg("to_partial") = std::vector<int>{}, py::arg("alpha") = 2e-6,
      py::arg("beta") = 1.0 / 200e9, "(shards, seconds): the real values moved by the real collectives into the new layout.");

  parallel.def(
      "search_strategy",
      [](std::int64_t batch, const Ints& widths, int devices, std::int64_t memory_limit, const std::vector<std::string>& candidates,
         double flops_per_second, double alpha, double beta, bool brute_force) {
        gp::StrategyProblem p;
        p.batch = batch;
        p.layers = gp::mlp_chain(widths);
        p.devices = devices;
        p.cluster = flat(alpha, beta);
        p.cluster.flops_per_second = flops_per_second;
        p.memory_limit = memory_limit;
        if (!candidates.empty()) {
          p.candidates.clear();
          for (const std::string& name : candidates) p.candidates.push_back(gp::layer_strategy_from_name(name));
        }
        const gp::StrategyChoice c = brute_force ? gp::brute_force_strategy(p) : gp::search_strategy(p);
        py::list names;
        for (gp::LayerStrategy s : c.strategies) names.append(gp::layer_strategy_name(s));
        py::dict d;
        d["strategies"] = names;
        d["seconds"] = c.seconds;
        d["memory_bytes"] = c.memory_bytes;
        return d;
      },
      py::arg("batch"), py::arg("widths"), py::arg("devices") = 8, py::arg("memory_limit") = 0,
      py::arg("candidates") = std::vector<std::string>{}, py::arg("flops_per_second") = 100e12, py::arg("alpha") = 2e-6,
      py::arg("beta") = 1.0 / 200e9, py::arg("brute_force") = false,
      "The cheapest strategy per layer of the MLP chain widths[0] -> widths[1] -> ... under a per-device memory limit "
      "(0: none): {strategies, seconds, memory_bytes}. Strategies: data parallel, column, row, replicate.");
}

}  // namespace gb::python
