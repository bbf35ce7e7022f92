// bench_gemm.cpp: the GEMM ladder of lesson 19, rung by rung, beside OpenBLAS cblas_sgemm.
//
// Rows (C = A B, square n x n x n, f32, row-major, 2 n^3 flops):
//   peer:openblas/gemm_<n>            OpenBLAS on one thread (openblas_set_num_threads(1))
//   gb/gemm_<n>                       Variant::best (the fastest micro-kernel of this CPU), one thread
//   peer:openblas/gemm_<n>_2threads   OpenBLAS on two threads
//   gb/gemm_<n>_2threads              Variant::threaded with 2 threads
//   rung:<variant>/gemm_<n>           every rung of the ladder on one thread (naive only at 256: it
//                                     needs seconds at 1024); counter x_openblas = its GFLOP/s over
//                                     the OpenBLAS row of the same size measured just before
//   gb/gemm_<n>_recorder_attached     best with a trace::Recorder attached, vs
//   peer:no-recorder/gemm_<n>_recorder_attached   the same call with none: recording off must cost nothing
// ratio_main.cpp prints every gb/ row beside its peer with the time ratio (gb / peer: below 1 is faster).
#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "gb/core/rng.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/trace/recorder.hpp"
#ifdef GB_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

namespace kn = gb::kernels;

const std::int64_t kSizes[] = {256, 512, 1024};

// Seconds per call of the OpenBLAS rows, by (n, threads), for the x_openblas counters.
std::map<std::pair<std::int64_t, int>, double>& peer_seconds() {
  static std::map<std::pair<std::int64_t, int>, double> seconds;
  return seconds;
}

struct Problem {
  gb::Tensor a, b, c;
  explicit Problem(std::int64_t n) {
    gb::Rng rng(1);
    a = rng.uniform({n, n}, -1, 1);
    b = rng.uniform({n, n}, -1, 1);
    c = gb::Tensor::zeros({n, n});
  }
  kn::GemmArgs args(int threads) {
    const std::int64_t n = a.shape()[0];
    kn::GemmArgs g;
    g.m = g.n = g.k = n;
    g.a = a.data<float>();
    g.b = b.data<float>();
    g.c = c.data<float>();
    g.lda = g.ldb = g.ldc = n;
    g.threads = threads;
    return g;
  }
};

void set_flops(benchmark::State& state, std::int64_t n) {
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                                 benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// Times the loop with a steady clock too, so later rows can compare against this one.
template <class F> double timed_loop(benchmark::State& state, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) f();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return state.iterations() > 0 ? seconds / static_cast<double>(state.iterations()) : 0.0;
}

void ladder(benchmark::State& state, kn::Variant v, int threads) {
  const std::int64_t n = state.range(0);
  Problem p(n);
  const kn::GemmArgs g = p.args(threads);
  const double seconds = timed_loop(state, [&] {
    kn::gemm(v, g);
    benchmark::DoNotOptimize(p.c.data<float>());
  });
  set_flops(state, n);
  const auto peer = peer_seconds().find({n, threads});
  if (peer != peer_seconds().end() && seconds > 0) state.counters["x_openblas"] = peer->second / seconds;
}

void with_recorder(benchmark::State& state, bool attached) {
  const std::int64_t n = state.range(0);
  Problem p(n);
  const kn::GemmArgs g = p.args(1);
  gb::trace::Recorder rec("19-gemm", "benchmark");
  std::optional<gb::trace::ScopedRecorder> attach;
  if (attached) attach.emplace(rec);
  for (auto _ : state) {
    kn::gemm(kn::Variant::best, g);
    benchmark::DoNotOptimize(p.c.data<float>());
  }
  set_flops(state, n);
}

#ifdef GB_HAVE_OPENBLAS
void openblas(benchmark::State& state, int threads) {
  const std::int64_t n = state.range(0);
  Problem p(n);
  openblas_set_num_threads(threads);
  const int ni = static_cast<int>(n);
  const double seconds = timed_loop(state, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, p.a.data<float>(), ni, p.b.data<float>(),
                ni, 0.0f, p.c.data<float>(), ni);
    benchmark::DoNotOptimize(p.c.data<float>());
  });
  peer_seconds()[{n, threads}] = seconds;
  set_flops(state, n);
}
#endif

void register_all() {
  for (std::int64_t n : kSizes) {
    const std::string size = std::to_string(n);
#ifdef GB_HAVE_OPENBLAS
    benchmark::RegisterBenchmark(("peer:openblas/gemm_" + size).c_str(), openblas, 1)->Arg(n)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif
    benchmark::RegisterBenchmark(("gb/gemm_" + size).c_str(), ladder, kn::Variant::best, 1)->Arg(n)->UseRealTime()->Unit(benchmark::kMillisecond);
#ifdef GB_HAVE_OPENBLAS
    benchmark::RegisterBenchmark(("peer:openblas/gemm_" + size + "_2threads").c_str(), openblas, 2)->Arg(n)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif
    benchmark::RegisterBenchmark(("gb/gemm_" + size + "_2threads").c_str(), ladder, kn::Variant::threaded, 2)->Arg(n)->UseRealTime()->Unit(benchmark::kMillisecond);
    for (kn::Variant v : kn::available_variants()) {
      if (v == kn::Variant::best || v == kn::Variant::threaded) continue;  // the gb/ rows above
      if (v == kn::Variant::naive && n > 256) continue;
      benchmark::RegisterBenchmark(("rung:" + std::string(kn::variant_name(v)) + "/gemm_" + size).c_str(), ladder, v, 1)
          ->Arg(n)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
  }
  for (std::int64_t n : {64, 512}) {
    const std::string name = "gemm_" + std::to_string(n) + "_recorder_attached";
    benchmark::RegisterBenchmark(("peer:no-recorder/" + name).c_str(), with_recorder, false)->Arg(n)->UseRealTime()->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("gb/" + name).c_str(), with_recorder, true)->Arg(n)->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
}

const bool registered = (register_all(), true);

}  // namespace
