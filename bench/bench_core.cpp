// bench_core.cpp: the reference operations of gb_core beside their peers.
//  - matmul: gb::matmul (the plain reference loop every later GEMM is checked against) vs OpenBLAS
//    sgemm. The ratio is the distance the lesson-19 GEMM ladder has to climb.
//  - add: a contiguous broadcast add vs a plain C++ loop over raw arrays (the cost of the strided
//    iterator), and on a transposed view (the cost of a non-contiguous walk).
#include <benchmark/benchmark.h>

#include <vector>

#include "gb/core.hpp"
#ifdef GB_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

void gb_matmul(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  gb::Rng rng(1);
  gb::Tensor a = rng.uniform({n, n}), b = rng.uniform({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(gb::matmul(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(gb_matmul)->Name("gb/matmul")->Arg(64)->Arg(128)->Arg(256)->Unit(benchmark::kMicrosecond);

#ifdef GB_HAVE_OPENBLAS
void openblas_sgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  gb::Rng rng(1);
  gb::Tensor a = rng.uniform({n, n}), b = rng.uniform({n, n}), c = gb::Tensor::zeros({n, n});
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data<float>(), n, b.data<float>(), n,
                0.0f, c.data<float>(), n);
    benchmark::DoNotOptimize(c.data<float>());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(openblas_sgemm)->Name("peer:openblas/matmul")->Arg(64)->Arg(128)->Arg(256)->Unit(benchmark::kMicrosecond);
#endif

void gb_add_broadcast(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  gb::Tensor a = gb::Tensor::ones({n, n}), row = gb::Tensor::ones({n});
  for (auto _ : state) benchmark::DoNotOptimize(a + row);
  state.SetBytesProcessed(state.iterations() * n * n * 8);
}
BENCHMARK(gb_add_broadcast)->Name("gb/add_row")->Arg(256)->Arg(1024);

void gb_add_transposed(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  gb::Tensor a = gb::Tensor::ones({n, n}).transpose(), row = gb::Tensor::ones({n});
  for (auto _ : state) benchmark::DoNotOptimize(a + row);
  state.SetBytesProcessed(state.iterations() * n * n * 8);
}
BENCHMARK(gb_add_transposed)->Name("gb/add_row_transposed")->Arg(256)->Arg(1024);

void loop_add_broadcast(benchmark::State& state) {
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  std::vector<float> a(n * n, 1.0f), row(n, 1.0f);
  for (auto _ : state) {
    std::vector<float> out(n * n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) out[i * n + j] = a[i * n + j] + row[j];
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * n * 8));
}
BENCHMARK(loop_add_broadcast)->Name("peer:plain-loop/add_row")->Arg(256)->Arg(1024);
BENCHMARK(loop_add_broadcast)->Name("peer:plain-loop/add_row_transposed")->Arg(256)->Arg(1024);

}  // namespace
