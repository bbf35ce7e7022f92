// zero_step.cpp: one simulated mixed-precision training step at ZeRO stage 0..3 (see zero.hpp).
//
// Memory is accounted per kind on each device: the model states a device keeps (parameters, gradients,
// optimizer states) and the transient buffers a sharded stage needs for a moment (a layer's gathered
// weights in stage 3, a layer's full gradient before its reduce-scatter in stages 2 and 3). The peaks
// the Execution records are the measurement; zero_model_states is the plan they are checked against.
#include <algorithm>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/zero.hpp"

namespace gb::parallel {

namespace {

// The step under construction: the simulator, the configuration and helpers that add tasks.
class ZeroStepBuilder {
 public:
  ZeroStepBuilder(Simulator& sim, const ZeroConfig& c, ZeroStep& out) : sim_(sim), c_(c), out_(out) {
    for (int d = 0; d < c.devices; ++d) group_.push_back(d);
  }

  // A bookkeeping task of no duration on a device's stream: it only changes memory.
  int memory_task(const std::string& name, int device, ResourceId stream, const std::vector<int>& after,
                  MemoryKind kind, std::int64_t bytes) {
    Task t;
    t.name = name;
    t.device = device;
    t.resources = {stream};
    t.after = after;
    t.at_start = {{device, kind, bytes}};
    return sim_.add(std::move(t));
  }

  int compute_task(const std::string& name, TaskKind kind, int device, double flops, const std::vector<int>& after,
                   std::vector<MemoryChange> at_start = {}, std::vector<MemoryChange> at_end = {}) {
    Task t;
    t.name = name;
    t.kind = kind;
    t.device = device;
    t.resources = {sim_.compute(device)};
    t.duration = sim_.cluster().compute_seconds(flops);
    t.after = after;
    t.at_start = std::move(at_start);
    t.at_end = std::move(at_end);
    return sim_.add(std::move(t));
  }

  // An fp16 payload of `values` numbers travels as values / 2 f32 numbers (the same bytes on the
  // wire), padded to a multiple of the ranks so that reduce-scatter can cut it evenly.
  Tensor payload(std::int64_t values) const {
    const std::int64_t f32_values = (values + 1) / 2;
    return Tensor::zeros({shard_size(f32_values, c_.devices) * c_.devices});
  }

  // One collective over every device after the tasks `after`; returns per rank the task to wait for.
  // Without communication nothing is issued and each rank waits for its own `after` task.
  enum class Kind { all_reduce, reduce_scatter, all_gather };
  std::vector<int> collective(Kind kind, std::int64_t values, const std::string& what, const std::vector<int>& after) {
    if (!c_.communicate) return after;
    const char* names[] = {"all_reduce ", "reduce_scatter ", "all_gather "};
    out_.collectives.push_back(names[static_cast<int>(kind)] + what);
    const Tensor full = payload(values);
    const std::int64_t shard = full.numel() / c_.devices;
    std::vector<Tensor> in, out;
    for (int d = 0; d < c_.devices; ++d) {
      const bool gathers = kind == Kind::all_gather;
      in.push_back(gathers ? Tensor::zeros({shard}) : Tensor::zeros(full.shape()));
      out.push_back(gathers ? Tensor::zeros(full.shape()) : Tensor::zeros({shard}));
    }
    Issued issued;
    if (kind == Kind::all_reduce) issued = all_reduce(sim_, group_, in, AllReduceAlgorithm::ring, ReduceOp::sum, after);
    else if (kind == Kind::reduce_scatter) issued = reduce_scatter(sim_, group_, in, out, ReduceOp::sum, after);
    else issued = all_gather(sim_, group_, in, out, after);
    kept_.push_back(in);
    kept_.push_back(out);
    out_.bytes_sent_per_rank += issued.bytes_sent.at(0);
    return issued.done;
  }

  Simulator& sim_;
  const ZeroConfig& c_;
  ZeroStep& out_;
  std::vector<int> group_;
  std::vector<std::vector<Tensor>> kept_;  // the collectives' tensors live until the simulator has run
};

void check_config(const ZeroConfig& c) {
  zero_model_states(c.num_params, c.devices, c.stage, c.k);  // validates Psi, Nd, stage, k
  if (c.layers < 1 || c.layers > c.num_params)
    throw Error("simulate_zero_step", "1 <= layers <= num_params", std::to_string(c.layers));
  if (!(c.flops_per_parameter >= 0))
    throw Error("simulate_zero_step", "flops_per_parameter >= 0", std::to_string(c.flops_per_parameter));
  if (c.communicate && c.num_params * static_cast<std::int64_t>(c.devices) > (1LL << 27))
    throw Error("simulate_zero_step with communicate",
                "num_params x devices <= 2^27 (the messages carry real tensors); set communicate = false",
                std::to_string(c.num_params) + " x " + std::to_string(c.devices));
}

}  // namespace

ZeroStep simulate_zero_step(const ZeroConfig& c) {
  check_config(c);
  ClusterSpec spec = c.cluster;
  spec.devices = c.devices;
  Simulator sim{Cluster(spec)};
  ZeroStep out;
  ZeroStepBuilder b(sim, c, out);
  const int n = c.devices, layers = c.layers, stage = c.stage;
  std::vector<std::int64_t> layer_params(static_cast<std::size_t>(layers), c.num_params / layers);
  layer_params.back() += c.num_params % layers;
  const ModelStates held = zero_model_states(c.num_params, n, stage, c.k);
  const auto all = [&](const std::vector<std::vector<int>>& per_device, int index) {
    std::vector<int> ids;
    for (const auto& tasks : per_device) ids.push_back(tasks[static_cast<std::size_t>(index)]);
    return ids;
  };

  // 1. The model states each device keeps: full copies or 1/Nd shards, as the stage says.
  std::vector<int> start(static_cast<std::size_t>(n));
  for (int d = 0; d < n; ++d) {
    Task t;
    t.name = "model states";
    t.device = d;
    t.resources = {sim.compute(d)};
    t.at_start = {{d, MemoryKind::parameters, held.parameters},
                  {d, MemoryKind::optimizer_states, held.optimizer_states},
                  {d, MemoryKind::gradients, stage >= 2 ? held.gradients : 0}};
    start[d] = sim.add(std::move(t));
  }

  // 2. Forward, layer by layer. Stage 3 keeps only a shard of the weights: each layer's fp16 weights
  //    are all-gathered into a buffer just before its forward and freed right after; the gather of
  //    layer l may start once layer l - 2 is done (one layer prefetched, like FSDP's forward_prefetch).
  std::vector<std::vector<int>> forward(static_cast<std::size_t>(n));
  for (int l = 0; l < layers; ++l) {
    const std::int64_t weights = 2 * layer_params[l];
    std::vector<int> ready = start;
    if (stage == 3) {
      std::vector<int> allocated;
      for (int d = 0; d < n; ++d)
        allocated.push_back(b.memory_task("gather buffer", d, sim.comm(d), l >= 2 ? std::vector<int>{forward[d][l - 2]} : std::vector<int>{start[d]},
                                          MemoryKind::buffers, weights));
      ready = b.collective(ZeroStepBuilder::Kind::all_gather, layer_params[l], "weights of layer " + std::to_string(l) + " (forward)", allocated);
    }
    for (int d = 0; d < n; ++d)
      forward[d].push_back(b.compute_task("F" + std::to_string(l), TaskKind::forward, d, c.flops_per_parameter * static_cast<double>(layer_params[l]),
                                          {ready[d]}, {}, stage == 3 ? std::vector<MemoryChange>{{d, MemoryKind::buffers, -weights}} : std::vector<MemoryChange>{}));
  }

  // 3. Backward, last layer first, twice the forward's flops. Stages 0 and 1 keep every fp16 gradient
  //    (all-reduced, or reduce-scattered to the optimizer state's owner, while backward goes on);
  //    stages 2 and 3 hold a layer's full gradient only until its reduce-scatter has sent it away.
  std::vector<std::vector<int>> backward(static_cast<std::size_t>(n));
  std::vector<std::vector<int>> reduced(static_cast<std::size_t>(n));
  for (int l = layers - 1, i = 0; l >= 0; --l, ++i) {
    const std::int64_t bytes = 2 * layer_params[l];
    std::vector<int> ready = all(forward, layers - 1);
    if (stage == 3) {
      std::vector<int> allocated;
      for (int d = 0; d < n; ++d)
        allocated.push_back(b.memory_task("gather buffer", d, sim.comm(d), i >= 2 ? std::vector<int>{backward[d][i - 2]} : std::vector<int>{forward[d].back()},
                                          MemoryKind::buffers, bytes));
      ready = b.collective(ZeroStepBuilder::Kind::all_gather, layer_params[l], "weights of layer " + std::to_string(l) + " (backward)", allocated);
    }
    const MemoryKind gradient_kind = stage >= 2 ? MemoryKind::buffers : MemoryKind::gradients;
    for (int d = 0; d < n; ++d) {
      std::vector<MemoryChange> at_end;
      if (stage == 3) at_end.push_back({d, MemoryKind::buffers, -bytes});
      backward[d].push_back(b.compute_task("B" + std::to_string(l), TaskKind::backward, d, 2 * c.flops_per_parameter * static_cast<double>(layer_params[l]),
                                           {ready[d]}, {{d, gradient_kind, bytes}}, at_end));
    }
    const std::string what = "gradients of layer " + std::to_string(l);
    const auto kind = stage == 0 ? ZeroStepBuilder::Kind::all_reduce : ZeroStepBuilder::Kind::reduce_scatter;
    std::vector<int> done = b.collective(kind, layer_params[l], what, all(backward, i));
    for (int d = 0; d < n; ++d) {
      if (stage >= 2) done[d] = b.memory_task("free gradient buffer", d, sim.comm(d), {done[d]}, MemoryKind::buffers, -bytes);
      reduced[d].push_back(done[d]);
    }
  }

  // 4. The optimizer: each device updates what it owns (everything at stage 0, its shard otherwise),
  //    about 10 flops per parameter for Adam. Stages 0 and 1 then drop the full gradients.
  const std::int64_t owned = stage >= 1 ? shard_size(c.num_params, n) : c.num_params;
  std::vector<int> updated;
  for (int d = 0; d < n; ++d) {
    std::vector<int> after = reduced[d];
    after.push_back(backward[d].back());
    std::vector<MemoryChange> at_end;
    if (stage <= 1) at_end.push_back({d, MemoryKind::gradients, -2 * c.num_params});
    updated.push_back(b.compute_task("optimizer", TaskKind::optimizer, d, 10.0 * static_cast<double>(owned), after, {}, at_end));
  }
  // 5. Stages 1 and 2: every device needs all the new fp16 weights for the next forward: all-gather them.
  if (stage == 1 || stage == 2)
    for (int l = 0; l < layers; ++l)
      b.collective(ZeroStepBuilder::Kind::all_gather, layer_params[l], "updated weights of layer " + std::to_string(l), updated);

  out.execution = sim.run();
  const Memory& m = out.execution.memory.at(0);
  out.model_states = {m.peak(MemoryKind::parameters), m.peak(MemoryKind::gradients), m.peak(MemoryKind::optimizer_states)};
  out.peak_bytes = m.peak();
  out.buffer_peak_bytes = m.peak(MemoryKind::buffers);
  out.step_seconds = out.execution.makespan;
  for (int id = 0; id < sim.task_count(); ++id) {
    out.tasks.push_back(sim.task(id));
    out.tasks.back().action = nullptr;  // its tensors die with the builder
  }
  return out;
}

}  // namespace gb::parallel
