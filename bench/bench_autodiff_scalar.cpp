// bench_autodiff_scalar.cpp: the scalar tape against PyTorch eager on 0-d tensors.
// A graph of 1e6 scalar nodes, y <- tanh(y * w + x) (three nodes per iteration), built on the tape
// and differentiated with one backward pass; PyTorch does the same in a child process
// (bench/peers/torch_scalar_graph.py, single-threaded) and reports its time, shown with manual time.
// Target (issue 4): glassbox 50x faster or more. Recording is off, as in every benchmark.
#include <benchmark/benchmark.h>

#include "peer.hpp"

#include <cstdio>
#include <string>

#include "gb/autodiff/tape.hpp"

namespace {

namespace ad = gb::autodiff;
constexpr int kNodes = 1000000;

double forward_backward() {
  ad::Tape<double> tape;
  tape.reserve(kNodes + 2);
  const ad::Var<double> x = tape.variable(0.3), w = tape.variable(0.9);
  ad::Var<double> y = x;
  for (int i = 0; i < kNodes / 3; ++i) y = ad::tanh(y * w + x);
  return tape.gradient(y, {x, w})[0];
}

void gb_scalar_graph(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(forward_backward());
  state.counters["nodes"] = kNodes;
}
BENCHMARK(gb_scalar_graph)->Name("gb/scalar_graph_1e6")->Unit(benchmark::kMillisecond)->MinTime(1.0);

// PyTorch's time for the same graph, measured once by the peer script.
double torch_seconds_per_graph() {
  static const double seconds = gb::bench::peer_value(gb::bench::run_peer("torch_scalar_graph.py", "2"), "seconds_per_graph");
  return seconds;
}

void torch_scalar_graph(benchmark::State& state) {
  const double seconds = torch_seconds_per_graph();
  if (seconds <= 0) {
    state.SkipWithError("PyTorch peer unavailable (python3-torch missing?)");
    return;
  }
  for (auto _ : state) state.SetIterationTime(seconds);
}
BENCHMARK(torch_scalar_graph)->Name("peer:pytorch/scalar_graph_1e6")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
