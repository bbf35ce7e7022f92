// bench_graph.cpp: the executors of lesson 07 on a wide graph: 64 independent chains of
// matmul + tanh on 128 x 128 (f32), run by the FIFO executor (one thread: the peer) and by the
// parallel executor with 2 workers. The ratio shows what a ready queue shared by workers buys when
// the graph has enough independent work (at most 2x on 2 cores).
#include <benchmark/benchmark.h>

#include "gb/core.hpp"
#include "gb/graph/executor.hpp"

namespace {

struct WideGraph {
  gb::graph::Graph graph;
  gb::graph::Feeds feeds;
};

WideGraph wide_graph(int chains, std::int64_t n) {
  WideGraph w;
  gb::Rng rng(1);
  const gb::graph::ValueId x = w.graph.placeholder("x", {gb::DType::f32, {n, n}});
  std::vector<gb::graph::ValueId> outputs;
  for (int c = 0; c < chains; ++c) {
    const gb::graph::ValueId weight = w.graph.constant(rng.uniform({n, n}, -0.1, 0.1), "w" + std::to_string(c));
    outputs.push_back(w.graph.add("tanh", {w.graph.add("matmul", {x, weight})}));
  }
  w.graph.set_outputs(outputs);
  w.feeds["x"] = rng.uniform({n, n}, -1, 1);
  return w;
}

void peer_fifo_wide(benchmark::State& state) {
  const WideGraph w = wide_graph(64, 128);
  for (auto _ : state) benchmark::DoNotOptimize(gb::graph::run_fifo(w.graph, w.feeds));
}
BENCHMARK(peer_fifo_wide)->Name("peer:fifo/wide")->Unit(benchmark::kMillisecond)->UseRealTime();

void gb_parallel_wide(benchmark::State& state) {
  const WideGraph w = wide_graph(64, 128);
  gb::ThreadPool pool(2);
  for (auto _ : state) benchmark::DoNotOptimize(gb::graph::run_parallel(w.graph, w.feeds, pool));
}
BENCHMARK(gb_parallel_wide)->Name("gb/wide")->Unit(benchmark::kMillisecond)->UseRealTime();

// The same executor with one worker: separates the gain from parallelism from any difference in
// per-node overhead between the two executors.
void peer_parallel_one_worker(benchmark::State& state) {
  const WideGraph w = wide_graph(64, 128);
  gb::ThreadPool pool(1);
  for (auto _ : state) benchmark::DoNotOptimize(gb::graph::run_parallel(w.graph, w.feeds, pool));
}
BENCHMARK(peer_parallel_one_worker)->Name("peer:parallel-1-worker/wide")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
