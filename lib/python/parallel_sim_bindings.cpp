// parallel_sim_bindings.cpp: gb.parallel's hybrid DP x TP x PP runs and gb.parallel.simulate (lesson 15).
//
//   r = gb.parallel.simulate(dp=2, tp=4, pp=2, zero=1, model="gpt-1.3b", microbatches=8)
//   r["step_seconds"], r["bubble"], r["fits"], r["devices"][d]["memory"]["optimizer states"]
//   r["events"]: (device, name, category, start, end) per task; perfetto=True adds r["perfetto"], the trace JSON.
//   gb.parallel.gpt_presets()  # {"gpt-small": {"layers": 12, ..., "parameters": 123532032}, ...}
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/parallel/hybrid.hpp"
#include "gb/parallel/perfetto.hpp"

namespace gb::python {

namespace {

namespace par = gb::parallel;

py::dict model_dict(const par::GptModel& g) {
  py::dict d;
  d["name"] = g.name;
  d["layers"] = g.layers;
  d["hidden"] = g.hidden;
  d["heads"] = g.heads;
  d["sequence"] = g.sequence;
  d["vocab"] = g.vocab;
  d["parameters"] = g.parameters();
  return d;
}

py::dict device_dict(const par::DeviceStep& s) {
  py::dict memory;
  for (int k = 0; k < par::kMemoryKinds; ++k) {
    memory[par::memory_kind_name(static_cast<par::MemoryKind>(k))] = s.peak_by_kind[static_cast<std::size_t>(k)];
  }
  py::dict d;
  d["device"] = s.device;
  d["dp"] = s.coord.dp;
  d["tp"] = s.coord.tp;
  d["pp"] = s.coord.pp;
  d["parameters"] = s.parameters;
  d["memory"] = memory;
  d["peak"] = s.peak;
  d["compute"] = s.compute;
  d["tp_comm"] = s.tp_comm;
  d["pp_comm"] = s.pp_comm;
  d["dp_comm"] = s.dp_comm;
  d["idle"] = s.idle;
  d["tp_bytes"] = s.tp_bytes;
  d["pp_bytes"] = s.pp_bytes;
  d["dp_bytes"] = s.dp_bytes;
  return d;
}

}  // namespace

void bind_parallel_sim(py::module_& parallel) {
  parallel.def(
      "gpt_presets",
      [] {
        py::dict d;
        for (const std::string& name : par::gpt_preset_names()) d[py::str(name)] = model_dict(par::gpt_preset(name));
        return d;
      },
      "The GPT shapes simulate() knows, with their parameter counts 12 L h^2 + V h.");

  parallel.def(
      "simulate",
      [](int dp, int tp, int pp, int zero, const std::string& model, int microbatches, std::int64_t microbatch_size,
         int devices_per_node, double memory_gb, double flops_per_second, bool events, bool perfetto) {
        par::HybridConfig c;
        c.model = par::gpt_preset(model);
        c.dp = dp;
        c.tp = tp;
        c.pp = pp;
        c.zero = zero;
        c.microbatches = microbatches;
        c.microbatch_size = microbatch_size;
        if (!(memory_gb >= 0) || !(flops_per_second > 0)) {
          throw Error("simulate", "memory_gb >= 0 and flops_per_second > 0", std::to_string(memory_gb) + " and " + std::to_string(flops_per_second));
        }
        const std::int64_t devices = static_cast<std::int64_t>(dp) * tp * pp;
        if (devices > par::kMaxDevices || dp < 1 || tp < 1 || pp < 1) {
          throw Error("simulate", "dp, tp, pp >= 1 and dp x tp x pp <= " + std::to_string(par::kMaxDevices),
                      "dp " + std::to_string(dp) + ", tp " + std::to_string(tp) + ", pp " + std::to_string(pp));
        }
        c.cluster.devices = static_cast<int>(devices);
        c.cluster.devices_per_node = devices_per_node;
        c.cluster.memory_bytes = static_cast<std::int64_t>(memory_gb * (1LL << 30));
        c.cluster.flops_per_second = flops_per_second;
        par::HybridStep step;
        {
          py::gil_scoped_release release;
          step = par::simulate_hybrid_step(c);
        }
        const par::Mesh mesh(dp, tp, pp);
        py::dict r;
        r["model"] = model_dict(c.model);
        py::dict m;
        m["dp"] = dp;
        m["tp"] = tp;
        m["pp"] = pp;
        m["devices_per_node"] = devices_per_node;
        m["tp_within_nodes"] = mesh.tp_within_nodes(devices_per_node);
        m["tp_groups"] = mesh.tp_groups();
        m["pp_groups"] = mesh.pp_groups();
        m["dp_groups"] = mesh.dp_groups();
        r["mesh"] = m;
        r["zero"] = zero;
        r["microbatches"] = microbatches;
        r["step_seconds"] = step.step_seconds;
        r["bubble"] = step.bubble;
        r["fits"] = step.fits;
        r["over_capacity"] = step.over_capacity;
        r["capacity"] = c.cluster.memory_bytes;
        py::list device_list;
        for (const par::DeviceStep& d : step.devices) device_list.append(device_dict(d));
        r["devices"] = device_list;
        r["tasks"] = step.tasks.size();
        if (events) {
          py::list list;
          for (const par::ExecutedTask& e : step.execution.tasks) {
            list.append(py::make_tuple(e.device, step.tasks[static_cast<std::size_t>(e.id)].name,
                                       par::traffic_name(step.traffic[static_cast<std::size_t>(e.id)]), e.start, e.end));
          }
          r["events"] = list;
        }
        if (perfetto) {
          std::vector<std::string> categories;
          for (par::Traffic t : step.traffic) categories.push_back(par::traffic_name(t));
          r["perfetto"] = par::perfetto_json(step.execution, step.tasks, {devices_per_node, categories});
        }
        return r;
      },
      py::arg("dp") = 1, py::arg("tp") = 1, py::arg("pp") = 1, py::arg("zero") = 0, py::arg("model") = "gpt-small",
      py::arg("microbatches") = 8, py::arg("microbatch_size") = 1, py::arg("devices_per_node") = 8, py::arg("memory_gb") = 80.0,
      py::arg("flops_per_second") = 100e12, py::arg("events") = true, py::arg("perfetto") = false,
      "One training step of a GPT preset on a simulated dp x tp x pp mesh (1F1B, Megatron TP, ring all-reduces, "
      "ZeRO 0 or 1). Returns model, mesh (groups, tp_within_nodes), step_seconds, bubble, fits, over_capacity, capacity, "
      "devices (per device: memory peaks by kind, peak, compute / tp_comm / pp_comm / dp_comm / idle seconds, bytes sent "
      "per kind of traffic), tasks, events (device, name, category, start, end) and, with perfetto=True, the "
      "Perfetto trace JSON text. memory_gb: each device's capacity in GiB (0: unlimited).");
}

}  // namespace gb::python
