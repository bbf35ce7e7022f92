// hybrid_step.cpp: one DP x TP x PP training step as Tasks on the simulator, run and measured
// (lesson 15; the model and its costs in hybrid.hpp).
//
// Every device of stage s runs the same 1F1B order. A micro-batch's forward on one DP replica is, for
// each layer, the attention block's compute on each of the t TP ranks, the ring all-reduce of its
// output, the MLP's compute and its all-reduce; the backward walks the layers in reverse with twice the
// compute and the two all-reduces of the input gradients. Activations are sent to the next stage after
// a forward and gradients to the previous one after a backward. The data-parallel gradient sync comes
// last, when the stage's last backward is done (no overlap with the backward: lesson 11 shows it).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/hybrid.hpp"
#include "gb/parallel/pipeline.hpp"
#include "gb/parallel/zero.hpp"

namespace gb::parallel {

const char* traffic_name(Traffic traffic) {
  switch (traffic) {
    case Traffic::compute: return "compute";
    case Traffic::tensor_parallel: return "TP";
    case Traffic::pipeline_parallel: return "PP";
    case Traffic::data_parallel: return "DP";
    case Traffic::setup: return "setup";
  }
  return "?";
}

namespace {

const std::string kOp = "simulate_hybrid_step";

void check_config(const HybridConfig& c, const Mesh& mesh) {
  const GptModel& g = c.model;
  if (g.layers < 1 || g.hidden < 1 || g.heads < 1 || g.sequence < 1 || g.vocab < 0) {
    throw Error(kOp, "a model with layers, hidden, heads, sequence >= 1 and vocab >= 0",
                "L " + std::to_string(g.layers) + ", h " + std::to_string(g.hidden) + ", a " + std::to_string(g.heads) +
                    ", s " + std::to_string(g.sequence) + ", V " + std::to_string(g.vocab));
  }
  if (mesh.size() != c.cluster.devices) {
    throw Error(kOp, "dp x tp x pp = the cluster's " + std::to_string(c.cluster.devices) + " devices", mesh.describe());
  }
  if (g.heads % c.tp != 0 || g.hidden % c.tp != 0) {
    throw Error(kOp, "tp dividing the heads (" + std::to_string(g.heads) + ") and the hidden size (" + std::to_string(g.hidden) +
                         "): Megatron splits attention by heads and the MLP by columns",
                "tp " + std::to_string(c.tp));
  }
  if (g.layers % c.pp != 0) {
    throw Error(kOp, "pp dividing the " + std::to_string(g.layers) + " layers (equal stages)", "pp " + std::to_string(c.pp));
  }
  if (c.zero < 0 || c.zero > 1) {
    throw Error(kOp,
                c.pp > 1 ? "ZeRO stage 0 or 1 with pipeline parallelism (stages 2 and 3 would reduce-scatter the gradients, "
                           "and stage 3 all-gather the weights, once per micro-batch: m times the traffic)"
                         : "ZeRO stage 0 or 1 (stages 2 and 3 of plain data parallelism: simulate_zero_step in zero.hpp)",
                "zero " + std::to_string(c.zero));
  }
  if (c.microbatches < 1 || c.microbatch_size < 1 || c.bytes_per_value < 1 || c.optimizer_bytes < 0) {
    throw Error(kOp, "microbatches, microbatch_size, bytes_per_value >= 1 and optimizer_bytes >= 0",
                std::to_string(c.microbatches) + ", " + std::to_string(c.microbatch_size) + ", " +
                    std::to_string(c.bytes_per_value) + ", " + std::to_string(c.optimizer_bytes));
  }
  // The simulator holds every task: a ring all-reduce over t ranks is 2 (t - 1) t messages and t markers.
  const double t = c.tp, ring = c.tp > 1 ? 2 * (t - 1) * t + t : 0;
  const double n = c.dp, dp_ring = 2 * (n - 1) * n + 2 * n;  // the gradient sync of one DP group
  const double tasks = n * c.pp * c.microbatches * (g.layers / c.pp) * 4 * (t + ring) + t * c.pp * dp_ring;
  if (tasks > 4e6) {
    throw Error(kOp, "a step of at most 4 million tasks (fewer micro-batches or a smaller mesh)",
                "about " + std::to_string(static_cast<std::int64_t>(tasks)) + " tasks");
  }
}

// The parameters one device of `stage` holds: its L / pp layers and, on the first and the last stage,
// the tied embedding, all split over the t TP ranks.
std::int64_t device_parameters(const HybridConfig& c, int stage) {
  const GptModel& g = c.model;
  std::int64_t n = static_cast<std::int64_t>(g.layers / c.pp) * 12 * g.hidden * g.hidden;
  if (stage == 0 || stage == c.pp - 1) n += g.vocab * g.hidden;
  return n / c.tp;
}

// Builds the step's tasks; `traffic` says what each one is.
class StepBuilder {
 public:
  StepBuilder(const HybridConfig& c, const Mesh& mesh, Simulator& sim) : c_(c), mesh_(mesh), sim_(sim) {}

  std::vector<Traffic> traffic;
  std::vector<int> last;  // per device: the task its next compute waits for

  // Model states, allocated once at the start on every device.
  void allocate_model_states() {
    for (int d = 0; d < mesh_.size(); ++d) {
      const std::int64_t n = device_parameters(c_, mesh_.coord(d).pp);
      const std::int64_t kept = c_.zero == 1 ? shard_size(n, c_.dp) : n;  // ZeRO-1: 1/dp of the optimizer states
      Task t;
      t.name = "model states";
      t.kind = TaskKind::other;
      t.device = d;
      t.resources = {sim_.compute(d)};
      t.at_start = {{d, MemoryKind::parameters, n * c_.bytes_per_value},
                    {d, MemoryKind::gradients, n * c_.bytes_per_value},
                    {d, MemoryKind::optimizer_states, kept * c_.optimizer_bytes}};
      last.push_back(sim_.add(std::move(t)));
      tag(Traffic::setup);
    }
  }

  // Operation `op` of stage s on DP replica `replica`: its layers on the t TP ranks, then the message
  // to the neighbouring stage. `message_in` holds, per TP rank, the message it waits for (or -1).
  std::vector<int> run_operation(int s, int replica, const Operation& op, const std::vector<int>& message_in) {
    const int t = c_.tp, layers = c_.model.layers / c_.pp;
    const bool forward = op.phase == Phase::forward;
    const std::string name = operation_name(op);
    std::vector<int> group;
    for (int r = 0; r < t; ++r) group.push_back(mesh_.device({replica, r, s}));
    std::vector<int> chain;
    for (int r = 0; r < t; ++r) chain.push_back(last[static_cast<std::size_t>(group[static_cast<std::size_t>(r)])]);

    const std::int64_t activations = layers * layer_activation_bytes(c_.model, c_.microbatch_size, t, c_.bytes_per_value);
    const std::int64_t boundary = c_.microbatch_size * c_.model.sequence * c_.model.hidden * c_.bytes_per_value;  // b s h values
    const double layer = layer_forward_flops(c_.model, c_.microbatch_size, t);
    const double b = static_cast<double>(c_.microbatch_size), sq = static_cast<double>(c_.model.sequence),
                 h = static_cast<double>(c_.model.hidden);
    const double attention = layer - 16 * b * sq * h * h / t, mlp = layer - attention;
    const double logits = 2 * b * sq * h * static_cast<double>(c_.model.vocab) / t;
    const double factor = forward ? 1 : 2;  // the backward computes the gradients of inputs and weights

    // The pieces of the operation, in execution order: (what, flops, all-reduce after it).
    struct Piece { std::string what; double flops; bool all_reduce; };
    std::vector<Piece> pieces;
    const bool has_logits = s == c_.pp - 1 && c_.model.vocab > 0;
    if (!forward && has_logits) pieces.push_back({"logits", logits * factor, false});
    for (int k = 0; k < layers; ++k) {
      const int l = forward ? k : layers - 1 - k;
      const std::string layer_name = " layer " + std::to_string(s * layers + l);
      const Piece a{layer_name + " attention", attention * factor, true}, m{layer_name + " mlp", mlp * factor, true};
      if (forward) pieces.insert(pieces.end(), {a, m});
      else pieces.insert(pieces.end(), {m, a});
    }
    if (forward && has_logits) pieces.push_back({"logits", logits * factor, false});

    for (std::size_t p = 0; p < pieces.size(); ++p) {
      for (int r = 0; r < t; ++r) {
        const int d = group[static_cast<std::size_t>(r)];
        Task task;
        task.name = name + pieces[p].what;
        task.kind = forward ? TaskKind::forward : TaskKind::backward;
        task.device = d;
        task.resources = {sim_.compute(d)};
        task.duration = sim_.cluster().compute_seconds(pieces[p].flops);
        task.after = {chain[static_cast<std::size_t>(r)]};
        if (p == 0 && message_in[static_cast<std::size_t>(r)] >= 0) task.after.push_back(message_in[static_cast<std::size_t>(r)]);
        // A micro-batch's activations live from its forward's start to its backward's end.
        if (forward && p == 0) task.at_start = {{d, MemoryKind::activations, activations}};
        if (!forward && p + 1 == pieces.size()) task.at_end = {{d, MemoryKind::activations, -activations}};
        task.tags = {{"microbatch", op.microbatch}, {"stage", s}};
        chain[static_cast<std::size_t>(r)] = sim_.add(std::move(task));
        tag(Traffic::compute);
      }
      if (pieces[p].all_reduce && t > 1) {  // Megatron's g (forward) or f (backward): b s h values
        const Issued issued = timed_all_reduce(sim_, group, boundary, AllReduceAlgorithm::ring, chain);
        tag(Traffic::tensor_parallel);
        chain = issued.done;
      }
    }
    for (int r = 0; r < t; ++r) last[static_cast<std::size_t>(group[static_cast<std::size_t>(r)])] = chain[static_cast<std::size_t>(r)];

    // The activation to the next stage, or the gradient to the previous one: one per TP rank.
    std::vector<int> sent(static_cast<std::size_t>(t), -1);
    const int to = forward ? s + 1 : s - 1;
    if (to < 0 || to >= c_.pp) return sent;
    for (int r = 0; r < t; ++r) {
      sent[static_cast<std::size_t>(r)] = timed_send(sim_, group[static_cast<std::size_t>(r)], mesh_.device({replica, r, to}),
                                                     boundary, {chain[static_cast<std::size_t>(r)]});
      tag(Traffic::pipeline_parallel);
    }
    return sent;
  }

  // The gradient sync of every DP group and the optimizer step.
  void synchronise_gradients() {
    for (const std::vector<int>& group : mesh_.dp_groups()) {
      const std::int64_t n = device_parameters(c_, mesh_.coord(group[0]).pp);
      std::vector<int> after;
      for (int d : group) after.push_back(last[static_cast<std::size_t>(d)]);
      std::vector<int> ready;
      if (c_.zero == 0) {
        ready = timed_all_reduce(sim_, group, n * c_.bytes_per_value, AllReduceAlgorithm::ring, after).done;
        tag(Traffic::data_parallel);
      } else {  // ZeRO-1: each rank receives the sum of its shard only, updates it, and the shards are gathered
        ready = timed_reduce_scatter(sim_, group, n * c_.bytes_per_value, after).done;
        tag(Traffic::data_parallel);
      }
      std::vector<int> updated;
      for (std::size_t k = 0; k < group.size(); ++k) {
        Task step;
        step.name = c_.zero == 0 ? "optimizer step" : "optimizer step (own shard)";
        step.kind = TaskKind::optimizer;  // memory-bound and short next to the step: not costed
        step.device = group[k];
        step.resources = {sim_.compute(group[k])};
        step.after = {ready[k]};
        updated.push_back(sim_.add(std::move(step)));
        tag(Traffic::compute);
      }
      if (c_.zero == 1) {
        timed_all_gather(sim_, group, shard_size(n, c_.dp) * c_.bytes_per_value, updated);
        tag(Traffic::data_parallel);
      }
    }
  }

 private:
  void tag(Traffic kind) { traffic.resize(static_cast<std::size_t>(sim_.task_count()), kind); }

  const HybridConfig& c_;
  const Mesh& mesh_;
  Simulator& sim_;
};

// Seconds covered by the union of intervals.
double union_seconds(std::vector<std::pair<double, double>> intervals) {
  std::sort(intervals.begin(), intervals.end());
  double total = 0, end = -1e300;
  for (const auto& [a, b] : intervals) {
    if (b <= end) continue;
    total += b - std::max(a, end);
    end = b;
  }
  return total;
}

}  // namespace

HybridStep simulate_hybrid_step(const HybridConfig& config) {
  if (static_cast<std::int64_t>(config.dp) * config.tp * config.pp > kMaxDevices) {
    throw Error(kOp, "dp x tp x pp of at most " + std::to_string(kMaxDevices) + " devices",
                "dp " + std::to_string(config.dp) + ", tp " + std::to_string(config.tp) + ", pp " + std::to_string(config.pp));
  }
  const Mesh mesh(config.dp, config.tp, config.pp);  // throws for a size < 1
  check_config(config, mesh);
  ClusterSpec spec = config.cluster;
  spec.memory_bytes = 0;  // measure the peaks; compare them with the capacity afterwards
  Simulator sim{Cluster(spec)};
  StepBuilder builder(config, mesh, sim);
  builder.allocate_model_states();

  // Issue the schedule stage by stage, as far as each stage's inputs exist (pipeline_run's method):
  // tasks are added in an order every dependency and every in-order stream respects.
  const int p = config.pp, m = config.microbatches, dp = config.dp, t = config.tp;
  const auto orders = schedule_orders(Schedule::one_f_one_b, p, m);
  const auto at = [&](int s, int i) { return static_cast<std::size_t>(s * m + i); };
  std::vector<std::vector<std::vector<int>>> activation_sent(static_cast<std::size_t>(p * m)), gradient_sent(static_cast<std::size_t>(p * m));
  std::vector<std::size_t> next(static_cast<std::size_t>(p), 0);
  for (bool progress = true; progress;) {
    progress = false;
    for (int s = 0; s < p; ++s) {
      for (std::size_t& n = next[static_cast<std::size_t>(s)]; n < orders[static_cast<std::size_t>(s)].size(); ++n, progress = true) {
        const Operation& op = orders[static_cast<std::size_t>(s)][n];
        const bool forward = op.phase == Phase::forward;
        const int from = forward ? s - 1 : s + 1;
        const bool waits = from >= 0 && from < p;
        const auto& inbox = forward ? activation_sent : gradient_sent;
        if (waits && inbox[at(from, op.microbatch)].empty()) break;  // its input is not issued yet
        auto& outbox = (forward ? activation_sent : gradient_sent)[at(s, op.microbatch)];
        for (int replica = 0; replica < dp; ++replica) {
          const std::vector<int> none(static_cast<std::size_t>(t), -1);
          const auto& in = waits ? inbox[at(from, op.microbatch)][static_cast<std::size_t>(replica)] : none;
          outbox.push_back(builder.run_operation(s, replica, op, in));
        }
      }
    }
  }
  builder.synchronise_gradients();

  // ---- run and measure ---------------------------------------------------------------------------------
  HybridStep step;
  step.config = config;
  step.total_parameters = config.model.parameters();
  step.execution = sim.run();
  const Execution& ex = step.execution;
  step.traffic = builder.traffic;
  step.step_seconds = ex.makespan;
  for (int id = 0; id < sim.task_count(); ++id) {
    Task task = sim.task(id);
    task.action = nullptr;
    step.tasks.push_back(std::move(task));
  }
  const int devices = mesh.size();
  std::vector<std::vector<std::vector<std::pair<double, double>>>> busy(
      static_cast<std::size_t>(devices), std::vector<std::vector<std::pair<double, double>>>(5));
  step.devices.resize(static_cast<std::size_t>(devices));
  for (const ExecutedTask& e : ex.tasks) {
    const Traffic kind = step.traffic[static_cast<std::size_t>(e.id)];
    DeviceStep& d = step.devices[static_cast<std::size_t>(e.device)];
    busy[static_cast<std::size_t>(e.device)][static_cast<std::size_t>(kind)].emplace_back(e.start, e.end);
    const auto& tags = step.tasks[static_cast<std::size_t>(e.id)].tags;
    const auto bytes = tags.find("bytes");
    if (bytes == tags.end()) continue;  // not a message
    const auto sent = static_cast<std::int64_t>(bytes->second);
    if (kind == Traffic::tensor_parallel) d.tp_bytes += sent;
    if (kind == Traffic::pipeline_parallel) d.pp_bytes += sent;
    if (kind == Traffic::data_parallel) d.dp_bytes += sent;
  }
  double idle_total = 0;
  for (int i = 0; i < devices; ++i) {
    DeviceStep& d = step.devices[static_cast<std::size_t>(i)];
    d.device = i;
    d.coord = mesh.coord(i);
    d.parameters = device_parameters(config, d.coord.pp);
    const Memory& memory = ex.memory[static_cast<std::size_t>(i)];
    for (int k = 0; k < kMemoryKinds; ++k) d.peak_by_kind[static_cast<std::size_t>(k)] = memory.peak(static_cast<MemoryKind>(k));
    d.peak = memory.peak();
    d.compute = ex.busy(i, TaskKind::forward) + ex.busy(i, TaskKind::backward) + ex.busy(i, TaskKind::optimizer);
    const auto& mine = busy[static_cast<std::size_t>(i)];
    d.tp_comm = union_seconds(mine[static_cast<std::size_t>(Traffic::tensor_parallel)]);
    d.pp_comm = union_seconds(mine[static_cast<std::size_t>(Traffic::pipeline_parallel)]);
    d.dp_comm = union_seconds(mine[static_cast<std::size_t>(Traffic::data_parallel)]);
    d.idle = ex.makespan - d.compute;
    idle_total += d.idle;
    if (config.cluster.memory_bytes > 0 && d.peak > config.cluster.memory_bytes) {
      step.fits = false;
      step.over_capacity.push_back(i);
    }
  }
  step.bubble = ex.makespan > 0 ? idle_total / (devices * ex.makespan) : 0;
  return step;
}

}  // namespace gb::parallel
