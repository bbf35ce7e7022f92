// parallel_data_bindings.cpp: gb.parallel's data-parallel half (lessons 11-12): the distributed
// sampler, DDP's buckets, ZeRO's memory per device and one simulated ZeRO step.
//
//   gb.parallel.distributed_sampler(10, world=3, rank=1, seed=0, epoch=0, shuffle=True)  # indices
//   gb.parallel.ddp_buckets([4 * p.numel() for p in model.parameters()])   # [[5, 4], [3, 2, 1, 0]]
//   gb.parallel.zero_memory(7.5e9, 64, stage=3)                            # 1.875e9 bytes per device
//   gb.parallel.zero_step(1 << 20, 4, stage=3)                             # {"model_states": ..., ...}
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/ddp.hpp"
#include "gb/parallel/sampler.hpp"
#include "gb/parallel/zero.hpp"

namespace gb::python {

namespace {

namespace gp = gb::parallel;

// Python's 7.5e9 is a float: accept a whole number given either way.
std::int64_t whole(double v, const std::string& what) {
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.2e18)
    throw Error("gb.parallel", "a whole number for " + what, std::to_string(v));
  return static_cast<std::int64_t>(v);
}

gp::ZeroStep zero_step(double num_params, int devices, int stage, int k, bool communicate, int layers) {
  gp::ZeroConfig c;
  c.num_params = whole(num_params, "num_params");
  c.devices = devices;
  c.stage = stage;
  c.k = k;
  c.communicate = communicate;
  c.layers = static_cast<int>(std::min<std::int64_t>(layers, std::max<std::int64_t>(c.num_params, 1)));
  c.cluster.memory_bytes = 0;  // measure, never stop
  return gp::simulate_zero_step(c);
}

py::dict states_dict(const gp::ModelStates& s) {
  py::dict d;
  d["parameters"] = s.parameters;
  d["gradients"] = s.gradients;
  d["optimizer_states"] = s.optimizer_states;
  d["total"] = s.total();
  return d;
}

}  // namespace

void bind_parallel_data(py::module_& parallel) {
  parallel.def(
      "distributed_sampler",
      [](std::int64_t n, int world, int rank, std::uint64_t seed, std::int64_t epoch, bool shuffle, bool drop_last,
         std::optional<std::vector<std::int64_t>> order) {
        if (order) {
          if (static_cast<std::int64_t>(order->size()) != n)
            throw Error("distributed_sampler", "an order of n = " + std::to_string(n) + " indices",
                        std::to_string(order->size()));
          return gp::rank_indices(*order, world, rank, drop_last);
        }
        gp::SamplerOptions o;
        o.world = world;
        o.rank = rank;
        o.seed = seed;
        o.shuffle = shuffle;
        o.drop_last = drop_last;
        return gp::distributed_sampler(n, o, epoch);
      },
      py::arg("n"), py::arg("world"), py::arg("rank"), py::arg("seed") = 0, py::arg("epoch") = 0,
      py::arg("shuffle") = true, py::arg("drop_last") = false, py::arg("order") = py::none(),
      "The indices rank `rank` of `world` reads in an epoch (torch's DistributedSampler rules): a permutation\n"
      "drawn from seed + epoch (or 0..n-1 without shuffle, or the given `order`), padded by repeating it to a\n"
      "multiple of world, then indices[rank::world].");
  parallel.def(
      "ddp_buckets",
      [](const std::vector<std::int64_t>& sizes, std::int64_t first_cap, std::int64_t cap) {
        gp::BucketOptions o;
        o.first_bucket_bytes = first_cap;
        o.bucket_cap_bytes = cap;
        return gp::assign_buckets(sizes, o);
      },
      py::arg("sizes"), py::arg("first_cap") = 1LL << 20, py::arg("cap") = 25LL << 20,
      "DDP's buckets for parameters of these sizes in bytes (registration order): lists of parameter\n"
      "indices in the order backward makes them ready, a bucket closed once it reaches its cap.");
  parallel.def(
      "zero_memory",
      [](double num_params, int dp, int stage, int k) {
        return zero_step(num_params, dp, stage, k, false, 4).model_states.total();
      },
      py::arg("num_params"), py::arg("dp"), py::arg("stage"), py::arg("k") = 12,
      "Bytes of model states per device at ZeRO stage 0..3 over dp ranks, MEASURED as the peaks of a\n"
      "simulated step's memory accounting (2 bytes fp16 weights and gradients, k of optimizer state).");
  parallel.def(
      "zero_model_states",
      [](double num_params, int dp, int stage, int k) {
        return states_dict(gp::zero_model_states(whole(num_params, "num_params"), dp, stage, k));
      },
      py::arg("num_params"), py::arg("dp"), py::arg("stage"), py::arg("k") = 12,
      "The plan: bytes of each kind of model state one device keeps (no simulation).");
  parallel.def(
      "zero_step",
      [](double num_params, int devices, int stage, int k, bool communicate, int layers) {
        const gp::ZeroStep s = zero_step(num_params, devices, stage, k, communicate, layers);
        py::dict d;
        d["model_states"] = states_dict(s.model_states);
        d["peak_bytes"] = s.peak_bytes;
        d["buffer_peak_bytes"] = s.buffer_peak_bytes;
        d["bytes_sent_per_rank"] = s.bytes_sent_per_rank;
        d["step_seconds"] = s.step_seconds;
        d["collectives"] = s.collectives;
        return d;
      },
      py::arg("num_params"), py::arg("devices"), py::arg("stage"), py::arg("k") = 12, py::arg("communicate") = true,
      py::arg("layers") = 4,
      "One simulated mixed-precision step at ZeRO stage 0..3: measured memory peaks (device 0), the bytes\n"
      "each rank sent, the step time and the collectives issued.");
  parallel.def("fsdp_stage", [](const std::string& strategy) { return gp::zero_stage_of(gp::fsdp_strategy_from_name(strategy)); },
               py::arg("strategy"), "The ZeRO stage of an FSDP sharding strategy: NO_SHARD 0, SHARD_GRAD_OP 2, FULL_SHARD 3.");
}

}  // namespace gb::python
