// bench_parallel.cpp: the simulator of lessons 10-15, recording off.
// Rows, in the order they run:
//   (1) gb/simulator_64dev_1000steps        64 devices x 1,000 training steps, each step a forward and a
//                                           backward compute task per device and a ring all-reduce of a
//                                           256-float gradient (2 x 63 messages per device). The steps run
//                                           in 20 simulators of 50 steps (8 M tasks at once would take
//                                           gigabytes); counters: events (starts + ends), events_per_s
//                                           (events over the time of Simulator::run only), tasks.
//   (2) formula:<algorithm>/n16_<bytes>    no work to speak of: one all_reduce_cost on 16 ranks, with
//                                           counters simulated_s, formula_s (Thakur, Rabenseifner and Gropp
//                                           2005) and ratio = simulated / formula, which should read 1.00:
//                                           ring 2(n-1)(alpha + S/n beta), tree 2 ceil(log2 n)(alpha + S beta),
//                                           recursive doubling log2 n (alpha + S beta).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/parallel/collectives.hpp"
#include "gb/parallel/sim.hpp"

namespace {

namespace gp = gb::parallel;

constexpr int kDevices = 64, kSteps = 1000, kStepsPerSimulator = 50;

// Adds `steps` training steps to `sim`: forward, backward, then the ring all-reduce of the gradients,
// the next forward waiting for the all-reduce to be done on its device.
void add_steps(gp::Simulator& sim, std::vector<gb::Tensor>& grads, int steps) {
  std::vector<int> group(kDevices), done(kDevices, -1);
  for (int d = 0; d < kDevices; ++d) group[static_cast<std::size_t>(d)] = d;
  for (int s = 0; s < steps; ++s) {
    std::vector<int> backward;
    for (int d = 0; d < kDevices; ++d) {
      gp::Task f;
      f.name = "F";
      f.kind = gp::TaskKind::forward;
      f.device = d;
      f.resources = {sim.compute(d)};
      f.duration = 1e-3;
      if (done[static_cast<std::size_t>(d)] >= 0) f.after = {done[static_cast<std::size_t>(d)]};
      const int forward = sim.add(std::move(f));
      gp::Task b;
      b.name = "B";
      b.kind = gp::TaskKind::backward;
      b.device = d;
      b.resources = {sim.compute(d)};
      b.duration = 2e-3;
      b.after = {forward};
      backward.push_back(sim.add(std::move(b)));
    }
    done = gp::all_reduce(sim, group, grads, gp::AllReduceAlgorithm::ring, gp::ReduceOp::mean, backward).done;
  }
}

void BM_SimulatorEvents(benchmark::State& state) {
  gp::ClusterSpec spec;
  spec.devices = kDevices;
  spec.devices_per_node = 8;
  std::vector<gb::Tensor> grads;
  for (int d = 0; d < kDevices; ++d) grads.push_back(gb::Tensor::zeros({256}));
  std::int64_t events = 0, tasks = 0;
  double run_seconds = 0;
  for (auto _ : state) {
    for (int window = 0; window < kSteps / kStepsPerSimulator; ++window) {
      gp::Simulator sim{gp::Cluster(spec)};
      add_steps(sim, grads, kStepsPerSimulator);
      const auto start = std::chrono::steady_clock::now();
      const gp::Execution ex = sim.run();
      run_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      events += ex.events;
      tasks += sim.task_count();
      benchmark::DoNotOptimize(ex.makespan);
    }
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["events"] = static_cast<double>(events) / iterations;
  state.counters["tasks"] = static_cast<double>(tasks) / iterations;
  state.counters["events_per_s"] = static_cast<double>(events) / run_seconds;
}
BENCHMARK(BM_SimulatorEvents)->Name("gb/simulator_64dev_1000steps")->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_AllReduceFormula(benchmark::State& state, gp::AllReduceAlgorithm algorithm, std::int64_t bytes) {
  const int n = 16;
  const gp::LinkCost link{5e-6, 1.0 / 25e9};
  const double S = static_cast<double>(bytes), lg = std::ceil(std::log2(n));
  double formula = 0;
  switch (algorithm) {
    case gp::AllReduceAlgorithm::ring: formula = 2.0 * (n - 1) * (link.alpha + S / n * link.beta); break;
    case gp::AllReduceAlgorithm::tree: formula = 2.0 * lg * (link.alpha + S * link.beta); break;
    case gp::AllReduceAlgorithm::recursive_doubling: formula = lg * (link.alpha + S * link.beta); break;
  }
  gp::CollectiveCost cost;
  for (auto _ : state) {
    // (No DoNotOptimize(cost.seconds): GCC 12 at -O3 with its "+m,r" constraint on a double read
    // back garbage here. The call is into another library, so it cannot be optimised away anyway.)
    cost = gp::all_reduce_cost(algorithm, n, bytes, link);
  }
  state.counters["simulated_s"] = cost.seconds;
  state.counters["formula_s"] = formula;
  state.counters["ratio"] = cost.seconds / formula;
}

const bool registered = [] {
  for (auto algorithm : {gp::AllReduceAlgorithm::ring, gp::AllReduceAlgorithm::tree, gp::AllReduceAlgorithm::recursive_doubling}) {
    for (std::int64_t bytes : {std::int64_t{4} << 10, std::int64_t{1} << 20, std::int64_t{64} << 20}) {
      const std::string name = std::string("formula:") + gp::algorithm_name(algorithm) + "/n16_" + std::to_string(bytes);
      benchmark::RegisterBenchmark(name.c_str(), BM_AllReduceFormula, algorithm, bytes)->Unit(benchmark::kMicrosecond);
    }
  }
  return true;
}();

}  // namespace
