// pipeline_run.cpp: a pipeline schedule as Tasks on the simulator, run, and measured (lesson 14).
//
// Each stage is a device; its operations go, in the schedule's order, onto its compute stream. After an
// F the activation travels to the next piece's device, after a B the gradient to the previous one: a
// message on the sender's communication stream and the directed link. Activation memory follows the
// micro-batch: allocated when its forward starts, freed when its backward ends.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/pipeline.hpp"

namespace gb::parallel {

namespace {

void check_spec(const PipelineSpec& s) {
  const std::string op = "run_pipeline";
  if (s.stages < 1) throw Error(op, "at least 1 stage", std::to_string(s.stages));
  if (s.microbatches < 1) throw Error(op, "at least 1 micro-batch", std::to_string(s.microbatches));
  if (s.chunks < 1) throw Error(op, "at least 1 model chunk per stage", std::to_string(s.chunks));
  auto check_seconds = [&](const std::string& what, double seconds) {
    if (!(seconds >= 0) || !std::isfinite(seconds)) throw Error(op, what + " >= 0 and finite", std::to_string(seconds));
  };
  check_seconds("forward_seconds", s.forward_seconds);
  check_seconds("backward_seconds", s.backward_seconds);
  for (const auto* list : {&s.stage_forward_seconds, &s.stage_backward_seconds}) {
    if (!list->empty() && static_cast<int>(list->size()) != s.stages) {
      throw Error(op, "per-stage durations for all " + std::to_string(s.stages) + " stages (or none)",
                  std::to_string(list->size()) + " values");
    }
    for (double d : *list) check_seconds("a stage's duration", d);
  }
  if (s.activation_bytes < 0 || s.boundary_bytes < 0) {
    throw Error(op, "activation_bytes >= 0 and boundary_bytes >= 0",
                std::to_string(s.activation_bytes) + " and " + std::to_string(s.boundary_bytes));
  }
  if (s.boundary_bytes > s.activation_bytes / s.chunks) {
    throw Error(op, "boundary_bytes (the stage input) within one chunk's activations (" +
                        std::to_string(s.activation_bytes / s.chunks) + " bytes)",
                std::to_string(s.boundary_bytes));
  }
}

double stage_seconds(const std::vector<double>& per_stage, double uniform, int stage) {
  return per_stage.empty() ? uniform : per_stage[static_cast<std::size_t>(stage)];
}

// What each task of the simulator stands for, by task id.
struct TaskInfo {
  int stage = 0;
  Operation op;
  int to_stage = -1;  // messages only: the receiving device (-1: a compute task)
};

// Most operations a stage has forwarded and not yet backwarded, over time (ends before starts at a tie:
// the simulator frees memory before it starts the next task).
int peak_in_flight(const std::vector<PipelineEvent>& events, int stage) {
  std::vector<std::pair<double, int>> changes;
  for (const PipelineEvent& e : events) {
    if (e.stage != stage) continue;
    if (e.op.phase == Phase::forward) changes.emplace_back(e.start, +1);
    else changes.emplace_back(e.end, -1);
  }
  std::sort(changes.begin(), changes.end());
  int now = 0, peak = 0;
  for (const auto& change : changes) peak = std::max(peak, now += change.second);
  return peak;
}

}  // namespace

PipelineRun run_pipeline(const PipelineSpec& spec, const PipelineWork& work) {
  check_spec(spec);
  const int p = spec.stages, m = spec.microbatches, v = spec.chunks, pieces = p * v;
  ClusterSpec cluster;  // one device per stage; every neighbour pair joined by spec.link
  cluster.devices = cluster.devices_per_node = p;
  cluster.memory_bytes = 0;
  cluster.intra_node = cluster.inter_node = spec.link;
  Simulator sim{Cluster(cluster)};  // validates the link cost
  const auto orders = schedule_orders(spec.schedule, p, m, v);

  // A chunk does 1/v of its stage's work and keeps 1/v of its activations.
  const std::int64_t chunk_activation = spec.activation_bytes / v, kept_input = spec.boundary_bytes;
  const auto grid = [&] { return std::vector<std::vector<int>>(static_cast<std::size_t>(pieces), std::vector<int>(static_cast<std::size_t>(m), -1)); };
  auto f_task = grid(), b_task = grid(), f_message = grid(), b_message = grid();  // task ids, -1: not added
  std::vector<TaskInfo> info;

  // Adds the tasks in an order every dependency respects (earlier ids): round after round, each stage
  // adds its next operations while their inputs exist. A round without progress is a deadlock.
  std::vector<std::size_t> next(static_cast<std::size_t>(p), 0);
  std::size_t remaining = 0;
  for (const auto& order : orders) remaining += order.size();
  while (remaining > 0) {
    bool progress = false;
    for (int s = 0; s < p; ++s) {
      const auto& order = orders[static_cast<std::size_t>(s)];
      for (std::size_t& n = next[static_cast<std::size_t>(s)]; n < order.size(); ++n, --remaining, progress = true) {
        const Operation& op = order[n];
        const bool is_forward = op.phase == Phase::forward;
        if (op.microbatch < 0 || op.microbatch >= m || op.chunk < 0 || op.chunk >= v) {
          throw Error("run_pipeline", "operations on micro-batches 0.." + std::to_string(m - 1) + " and chunks 0.." + std::to_string(v - 1),
                      operation_name(op, v) + " on stage " + std::to_string(s));
        }
        const int k = op.chunk * p + s, i = op.microbatch;
        auto& slot = (is_forward ? f_task : b_task)[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)];
        if (slot >= 0) throw Error("run_pipeline", "each operation once per stage", operation_name(op, v) + " twice on stage " + std::to_string(s));
        std::vector<int> after;
        if (is_forward && k > 0) after.push_back(f_message[static_cast<std::size_t>(k - 1)][static_cast<std::size_t>(i)]);
        if (!is_forward) {
          after.push_back(f_task[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)]);  // its own forward
          if (k < pieces - 1) after.push_back(b_message[static_cast<std::size_t>(k + 1)][static_cast<std::size_t>(i)]);
        }
        if (std::find(after.begin(), after.end(), -1) != after.end()) break;  // an input is not there yet

        const double f = stage_seconds(spec.stage_forward_seconds, spec.forward_seconds, s) / v;
        const double b = stage_seconds(spec.stage_backward_seconds, spec.backward_seconds, s) / v;
        Task t;
        t.name = operation_name(op, v);
        t.kind = is_forward ? TaskKind::forward : TaskKind::backward;
        t.device = s;
        t.resources = {sim.compute(s)};
        t.after = after;
        t.tags = {{"stage", s}, {"microbatch", i}, {"chunk", op.chunk}, {"piece", k}};
        // Recomputation: the forward keeps only its input; the backward first re-runs the forward,
        // re-creating the other activations for as long as it runs.
        if (is_forward) {
          t.duration = f;
          t.at_start = {{s, MemoryKind::activations, spec.recompute ? kept_input : chunk_activation}};
        } else {
          t.duration = b + (spec.recompute ? f : 0);
          if (spec.recompute) t.at_start = {{s, MemoryKind::activations, chunk_activation - kept_input}};
          t.at_end = {{s, MemoryKind::activations, -chunk_activation}};
        }
        if (work.compute) t.action = [compute = work.compute, k, phase = op.phase, i] { compute(k, phase, i); };
        slot = sim.add(std::move(t));
        info.push_back({s, op, -1});

        // The message to the neighbouring piece (none after the first piece's B or the last piece's F).
        const int to = is_forward ? k + 1 : k - 1;
        if (to < 0 || to >= pieces) continue;
        const int to_stage = to % p;
        Task message;
        message.name = t.name + (is_forward ? " activation " : " gradient ") + std::to_string(s) + "->" + std::to_string(to_stage);
        message.kind = TaskKind::communication;
        message.device = s;
        if (to_stage != s) {  // p = 1 with chunks: the hand-off stays on the device and costs nothing
          message.resources = {sim.comm(s), sim.link(s, to_stage)};
          message.duration = spec.link.seconds(spec.boundary_bytes);
        }
        message.after = {slot};
        message.tags = {{"microbatch", i}, {"bytes", static_cast<double>(spec.boundary_bytes)}};
        if (work.send) message.action = [send = work.send, k, to, phase = op.phase, i] { send(k, to, phase, i); };
        (is_forward ? f_message : b_message)[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] = sim.add(std::move(message));
        info.push_back({s, op, to_stage});
      }
    }
    if (!progress && remaining > 0) {
      std::string stuck;
      for (int s = 0; s < p; ++s) {
        const auto& order = orders[static_cast<std::size_t>(s)];
        const std::size_t n = next[static_cast<std::size_t>(s)];
        if (n < order.size()) stuck += (stuck.empty() ? "" : ", ") + ("stage " + std::to_string(s) + " at " + operation_name(order[n], v));
      }
      throw Error("run_pipeline", "a schedule in which every operation's inputs can arrive (no deadlock)", stuck);
    }
  }
  for (int k = 0; k < pieces; ++k) {
    for (int i = 0; i < m; ++i) {
      if (f_task[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] < 0 || b_task[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)] < 0) {
        throw Error("run_pipeline", "every micro-batch forwarded and backwarded on every chunk",
                    "micro-batch " + std::to_string(i) + " missing on chunk " + std::to_string(k / p) + " of stage " + std::to_string(k % p));
      }
    }
  }

  // ---- run and measure -------------------------------------------------------------------------------
  const Execution ex = sim.run();
  PipelineRun run;
  run.spec = spec;
  run.makespan = ex.makespan;
  for (const ExecutedTask& e : ex.tasks) {
    const TaskInfo& t = info[static_cast<std::size_t>(e.id)];
    if (t.to_stage < 0) run.events.push_back({t.stage, t.op, e.start, e.end});
    else if (t.to_stage != t.stage) run.messages.push_back({t.stage, t.to_stage, t.op, e.start, e.end});
  }
  const auto by_start = [](const auto& a, const auto& b) { return a.start < b.start; };
  std::stable_sort(run.events.begin(), run.events.end(), by_start);  // ties stay in task order
  std::stable_sort(run.messages.begin(), run.messages.end(), by_start);
  double idle_total = 0;
  for (int s = 0; s < p; ++s) {
    const double busy = ex.busy(s, TaskKind::forward) + ex.busy(s, TaskKind::backward);
    run.busy.push_back(busy);
    run.idle.push_back(ex.makespan - busy);
    idle_total += ex.makespan - busy;
    run.peak_activation_bytes.push_back(ex.memory[static_cast<std::size_t>(s)].peak(MemoryKind::activations));
    run.peak_in_flight.push_back(peak_in_flight(run.events, s));
  }
  run.bubble = ex.makespan > 0 ? idle_total / (p * ex.makespan) : 0;
  run.memory = ex.memory_timeline;
  return run;
}

}  // namespace gb::parallel
