// bench_compress.cpp: what pruning buys in time (lesson 26), single-threaded, recording off.
// Rows, in the order they run:
//   (1) A pruned weight times a dense matrix, W [m, k] x B [k, n], at sparsity 0, 50, 70, 90, 95, 99 %:
//   peer:gemm/spmm_<m>x<k>x<n>_s<pct>       our best dense GEMM (kernels::gemm, Variant::best) on the
//                                           pruned W: the zeros are multiplied like any other number
//   peer:openblas/spmm_<m>x<k>x<n>_s<pct>   OpenBLAS cblas_sgemm on one thread (when found)
//   gb/spmm_<m>x<k>x<n>_s<pct>              compress::spmm on the CSR form (x_gemm: speed-up over our GEMM)
//   crossover/spmm_<m>x<k>x<n>              no work: its label names the lowest sparsity at which CSR beat
//                                           our dense GEMM, and its counter crossover_pct that sparsity
//   Shapes: the digits MLP's first weight [128, 64] on a batch of 256 (W x^T), and 1024 x 1024 x 64.
//   (2) The digits CNN with 25 % and 50 % of the filters of each convolution removed (prune_filters),
//   forward on a batch of 256 in eval mode under a NoGradGuard:
//   peer:unpruned/cnn_filters<pct>          the whole CNN
//   gb/cnn_filters<pct>                     the filter-pruned CNN (counters: parameters, MACs per image)
// ratio_main.cpp prints every gb/ row beside its peers with the time ratio (gb / peer: below 1 is faster).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/compress/prune.hpp"
#include "gb/compress/sparse.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/nn/models.hpp"
#ifdef GB_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

namespace kn = gb::kernels;
namespace cp = gb::compress;

const int kSparsities[] = {0, 50, 70, 90, 95, 99};

struct SpmmShape {
  std::int64_t m, k, n;
  std::string name() const { return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n); }
};
const SpmmShape kShapes[] = {{128, 64, 256}, {1024, 1024, 64}};

// The operands of one case: W pruned by magnitude to the sparsity, its CSR form, B and C.
struct Operands {
  gb::Tensor w, b, c;
  cp::CsrMatrix csr;
  Operands(const SpmmShape& s, int percent) {
    gb::Rng rng(1);
    const gb::Tensor dense = rng.normal({s.m, s.k});
    w = gb::mul(dense, cp::magnitude_mask(dense, percent / 100.0));
    csr = cp::to_csr(w);
    b = rng.normal({s.k, s.n});
    c = gb::Tensor::zeros({s.m, s.n});
  }
};

// Seconds per call of our dense GEMM, and of CSR, by case name (for x_gemm and the crossover).
std::map<std::string, double>& gemm_seconds() {
  static std::map<std::string, double> s;
  return s;
}
std::map<std::string, double>& spmm_seconds() {
  static std::map<std::string, double> s;
  return s;
}

template <class F> double timed_loop(benchmark::State& state, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) f();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return state.iterations() > 0 ? seconds / static_cast<double>(state.iterations()) : 0.0;
}

std::string case_of(const SpmmShape& s, int percent) { return "spmm_" + s.name() + "_s" + std::to_string(percent); }

void dense_gemm(benchmark::State& state, SpmmShape s, int percent) {
  Operands o(s, percent);
  kn::GemmArgs g;
  g.m = s.m;
  g.n = s.n;
  g.k = s.k;
  g.a = o.w.data<float>();
  g.lda = s.k;
  g.b = o.b.data<float>();
  g.ldb = s.n;
  g.c = o.c.data<float>();
  g.ldc = s.n;
  gemm_seconds()[case_of(s, percent)] = timed_loop(state, [&] {
    kn::gemm(kn::Variant::best, g);
    benchmark::DoNotOptimize(o.c.data<float>());
  });
  state.SetLabel(kn::variant_name(kn::best_variant()));
}

#ifdef GB_HAVE_OPENBLAS
void openblas(benchmark::State& state, SpmmShape s, int percent) {
  Operands o(s, percent);
  openblas_set_num_threads(1);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.m), static_cast<int>(s.n),
                static_cast<int>(s.k), 1.0f, o.w.data<float>(), static_cast<int>(s.k), o.b.data<float>(),
                static_cast<int>(s.n), 0.0f, o.c.data<float>(), static_cast<int>(s.n));
    benchmark::DoNotOptimize(o.c.data<float>());
  }
}
#endif

void sparse(benchmark::State& state, SpmmShape s, int percent) {
  Operands o(s, percent);
  const double seconds = timed_loop(state, [&] { benchmark::DoNotOptimize(cp::spmm(o.csr, o.b).raw_data()); });
  const std::string key = case_of(s, percent);
  spmm_seconds()[key] = seconds;
  if (gemm_seconds().count(key) != 0 && seconds > 0) state.counters["x_gemm"] = gemm_seconds()[key] / seconds;
  state.counters["nnz"] = static_cast<double>(o.csr.nnz());
  state.counters["csr_bytes/dense"] = static_cast<double>(o.csr.bytes()) / static_cast<double>(4 * s.m * s.k);
}

void crossover(benchmark::State& state, SpmmShape s) {
  for (auto _ : state) benchmark::DoNotOptimize(s.m);
  int first = -1;
  for (int percent : kSparsities) {
    const std::string key = case_of(s, percent);
    if (gemm_seconds().count(key) != 0 && spmm_seconds().count(key) != 0 && spmm_seconds()[key] < gemm_seconds()[key]) {
      first = percent;
      break;
    }
  }
  state.counters["crossover_pct"] = first;
  state.SetLabel(first < 0 ? "CSR never beat the dense GEMM" : "CSR beats the dense GEMM from " + std::to_string(first) + "% zeros");
}

// --- the filter-pruned digits CNN ---------------------------------------------------------------------------

void cnn_forward(benchmark::State& state, double fraction) {
  const auto full = gb::nn::digits_cnn(0);
  const std::shared_ptr<gb::nn::Sequential> model = fraction > 0 ? cp::prune_filters(*full, fraction).model : full;
  model->eval();
  const gb::Tensor x = gb::Rng(2).uniform({256, 1, 8, 8});
  gb::autodiff::NoGradGuard no_tape;
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(gb::nn::Variable(x)).value().raw_data());
  const cp::ModelCost cost = cp::model_cost(*model, {1, 8, 8});
  state.counters["parameters"] = static_cast<double>(cost.parameters);
  state.counters["MACs"] = static_cast<double>(cost.macs);
}

void register_all() {
  for (const SpmmShape& s : kShapes) {
    for (int percent : kSparsities) {
      const std::string c = case_of(s, percent);
      benchmark::RegisterBenchmark(("peer:gemm/" + c).c_str(), dense_gemm, s, percent)->UseRealTime()->MinTime(0.2)->Unit(benchmark::kMicrosecond);
#ifdef GB_HAVE_OPENBLAS
      benchmark::RegisterBenchmark(("peer:openblas/" + c).c_str(), openblas, s, percent)->UseRealTime()->MinTime(0.2)->Unit(benchmark::kMicrosecond);
#endif
      benchmark::RegisterBenchmark(("gb/" + c).c_str(), sparse, s, percent)->UseRealTime()->MinTime(0.2)->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(("crossover/spmm_" + s.name()).c_str(), crossover, s)->Iterations(1);
  }
  // Not compared with anything: the first CNN rows of a run were up to 4x slower than the same rows later
  // (the allocator settling on the sizes of the activations, first-touch of its pages), so one second of
  // forward passes goes first.
  benchmark::RegisterBenchmark("warmup/cnn", cnn_forward, 0.0)->UseRealTime()->MinTime(1.0)->Unit(benchmark::kMillisecond);
  for (int percent : {25, 50}) {
    const std::string c = "cnn_filters" + std::to_string(percent);
    benchmark::RegisterBenchmark(("peer:unpruned/" + c).c_str(), cnn_forward, 0.0)->UseRealTime()->MinTime(0.3)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("gb/" + c).c_str(), cnn_forward, percent / 100.0)->UseRealTime()->MinTime(0.3)->Unit(benchmark::kMillisecond);
  }
}

const bool registered = (register_all(), true);

}  // namespace
