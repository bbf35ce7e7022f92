// bench_quant.cpp: the integer kernels of lesson 23-24 (lib/quant) beside our best fp32 kernels and
// beside PyTorch's quantized operators (bench/peers/quant_torch.py: torch.ops.quantized linear and conv2d,
// one thread, under each engine this torch has: qnnpack, fbgemm, onednn, x86), single-threaded.
// Rows, in the order they run:
//   fp32/gemm/1024             gb::kernels::gemm, Variant::best, 1024^3 (the bar: the int8 rows report
//                              their speed-up over it as the counter x_fp32)
//   qgemm/<variant>/1024       qgemm_s32 on each variant this CPU runs (reference at 256 only: int64 loops)
//   gb/qlinear_1024            qlinear, best variant: the GEMM + requantization to uint8 (what torch's
//   peer:torch_<engine>/...    quantized linear does), paired with each torch engine by ratio_main
//   peer:gb_fp32/qlinear_1024  the fp32 GEMM again, so ratio_main prints int8 / fp32 beside the torch ratios
//   fp32/conv/56x56x64         gb::kernels::conv2d, ConvAlgo::best (Winograd F(4x4) here), 3x3, pad 1, 64 -> 64
//   qconv/<algo>/56x56x64      qconv2d by each algorithm (x_fp32: speed-up over the fp32 conv)
//   gb/qconv_56x56x64          qconv2d best, paired with torch and with peer:gb_fp32/qconv_56x56x64
// GOP/s counts 2 operations per multiply-add. Recording is off (no Recorder attached).
#include <benchmark/benchmark.h>

#include "peer.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/quant/qgemm.hpp"

namespace {

namespace kn = gb::kernels;
namespace quant = gb::quant;

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// --- operands (fixed seeds, made once) ------------------------------------------------------------------

struct GemmOperands {
  std::int64_t n = 0;
  std::vector<float> a, b, c;
  std::vector<std::uint8_t> qa;
  std::vector<std::int8_t> qb;
  std::vector<std::int32_t> qc;
};
GemmOperands& gemm_operands(std::int64_t n) {
  static std::map<std::int64_t, GemmOperands> cache;
  GemmOperands& o = cache[n];
  if (o.n == 0) {
    gb::Rng rng(1);
    const auto count = static_cast<std::size_t>(n * n);
    o.n = n;
    o.a.resize(count);
    o.b.resize(count);
    o.c.resize(count);
    o.qa.resize(count);
    o.qb.resize(count);
    o.qc.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      o.a[i] = static_cast<float>(rng.uniform(-1, 1));
      o.b[i] = static_cast<float>(rng.uniform(-1, 1));
      o.qa[i] = static_cast<std::uint8_t>(rng.randint(0, 256));
      o.qb[i] = static_cast<std::int8_t>(rng.randint(-128, 128));
    }
  }
  return o;
}

double gemm_ops(std::int64_t n) { return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n); }

// The fp32 time of each case, measured by the fp32 row that runs first (0 until then).
std::map<std::string, double>& fp32_seconds() {
  static std::map<std::string, double> s;
  return s;
}
void report_vs_fp32(benchmark::State& state, const std::string& key, double seconds_per_call) {
  const auto it = fp32_seconds().find(key);
  if (it != fp32_seconds().end() && seconds_per_call > 0) state.counters["x_fp32"] = it->second / seconds_per_call;
}
double seconds_per_call(const benchmark::State& state, double total) { return total / static_cast<double>(state.iterations()); }

// --- GEMM -----------------------------------------------------------------------------------------------

void fp32_gemm(benchmark::State& state, std::int64_t n, bool remember) {
  GemmOperands& o = gemm_operands(n);
  kn::GemmArgs g;
  g.m = g.n = g.k = n;
  g.a = o.a.data();
  g.lda = n;
  g.b = o.b.data();
  g.ldb = n;
  g.c = o.c.data();
  g.ldc = n;
  double total = 0;
  for (auto _ : state) {
    const auto start = now();
    kn::gemm(kn::Variant::best, g);
    total += now() - start;
    benchmark::DoNotOptimize(o.c.data());
  }
  if (remember) fp32_seconds()["gemm_" + std::to_string(n)] = seconds_per_call(state, total);
  state.counters["GOP/s"] = benchmark::Counter(gemm_ops(n), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kn::variant_name(kn::best_variant()));
}

void int8_gemm(benchmark::State& state, std::int64_t n, quant::QGemmVariant v) {
  GemmOperands& o = gemm_operands(n);
  quant::QGemmArgs g;
  g.m = g.n = g.k = n;
  g.a = o.qa.data();
  g.lda = n;
  g.a_zero_point = 128;
  g.b = o.qb.data();
  g.ldb = n;
  g.c = o.qc.data();
  g.ldc = n;
  double total = 0;
  for (auto _ : state) {
    const auto start = now();
    quant::qgemm_s32(v, g);
    total += now() - start;
    benchmark::DoNotOptimize(o.qc.data());
  }
  report_vs_fp32(state, "gemm_" + std::to_string(n), seconds_per_call(state, total));
  state.counters["GOP/s"] = benchmark::Counter(gemm_ops(n), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(quant::qgemm_variant_name(quant::resolve_qgemm_variant(v)));
}

quant::QParams u8(double scale, std::int32_t zero) { return {gb::DType::u8, {scale}, {zero}, -1, false}; }

void int8_linear(benchmark::State& state, std::int64_t n) {
  const GemmOperands& o = gemm_operands(n);
  quant::QTensor x{gb::Tensor::empty({n, n}, gb::DType::u8), u8(2.0 / 255, 128)};
  quant::QTensor w{gb::Tensor::empty({n, n}, gb::DType::i8), {gb::DType::i8, {0.002}, {0}, -1, false}};
  std::copy(o.qa.begin(), o.qa.end(), x.values.data<std::uint8_t>());
  std::copy(o.qb.begin(), o.qb.end(), w.values.data<std::int8_t>());
  gb::Rng rng(2);
  const gb::Tensor bias = rng.normal(gb::Shape{n});
  for (auto _ : state) benchmark::DoNotOptimize(quant::qlinear(x, w, bias, u8(0.1, 128)).values.raw_data());
  state.counters["GOP/s"] = benchmark::Counter(gemm_ops(n), benchmark::Counter::kIsIterationInvariantRate);
}

// --- convolution: 56x56x64 -> 64, 3x3, padding 1, batch 1 ------------------------------------------------

constexpr std::int64_t kC = 64, kH = 56, kW = 56, kOC = 64;
double conv_ops() { return 2.0 * kOC * kC * 9 * kH * kW; }

struct ConvOperands {
  gb::Tensor x, w, b;
  quant::QTensor qx, qw;
  kn::Conv2dParams p = kn::Conv2dParams::square(1, 1);
};
const ConvOperands& conv_operands() {
  static const ConvOperands o = [] {
    ConvOperands c;
    gb::Rng rng(0);
    c.x = rng.normal({1, kC, kH, kW});
    c.w = rng.normal({kOC, kC, 3, 3}, 0, 0.1);
    c.b = rng.normal(gb::Shape{kOC});
    c.qx = {gb::Tensor::empty({1, kC, kH, kW}, gb::DType::u8), u8(2.0 / 255, 128)};
    c.qw = {gb::Tensor::empty({kOC, kC, 3, 3}, gb::DType::i8), {gb::DType::i8, {0.002}, {0}, -1, false}};
    for (std::int64_t i = 0; i < c.qx.values.numel(); ++i) c.qx.values.data<std::uint8_t>()[i] = static_cast<std::uint8_t>(rng.randint(0, 256));
    for (std::int64_t i = 0; i < c.qw.values.numel(); ++i) c.qw.values.data<std::int8_t>()[i] = static_cast<std::int8_t>(rng.randint(-128, 128));
    return c;
  }();
  return o;
}

void fp32_conv(benchmark::State& state, bool remember) {
  const ConvOperands& o = conv_operands();
  double total = 0;
  for (auto _ : state) {
    const auto start = now();
    benchmark::DoNotOptimize(kn::conv2d(o.x, o.w, o.b, o.p, kn::ConvAlgo::best).raw_data());
    total += now() - start;
  }
  if (remember) fp32_seconds()["conv"] = seconds_per_call(state, total);
  state.counters["GOP/s"] = benchmark::Counter(conv_ops(), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kn::conv_algo_name(kn::choose_algorithm(kn::conv_shape(o.x.shape(), o.w.shape(), o.p))));
}

void int8_conv(benchmark::State& state, quant::QConvAlgo algo) {
  const ConvOperands& o = conv_operands();
  double total = 0;
  for (auto _ : state) {
    const auto start = now();
    benchmark::DoNotOptimize(quant::qconv2d(o.qx, o.qw, o.b, o.p, u8(0.1, 128), false, algo).values.raw_data());
    total += now() - start;
  }
  report_vs_fp32(state, "conv", seconds_per_call(state, total));
  state.counters["GOP/s"] = benchmark::Counter(conv_ops(), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(quant::qconv_algo_name(algo == quant::QConvAlgo::best
                                            ? quant::choose_qconv_algo(kn::conv_shape(o.qx.values.shape(), o.qw.values.shape(), o.p))
                                            : algo));
}

// --- the PyTorch peer --------------------------------------------------------------------------------------

const std::map<std::string, double>& torch_seconds() {
  static const std::map<std::string, double> seconds = gb::bench::run_peer("quant_torch.py", "10");
  return seconds;
}

void torch_row(benchmark::State& state, const std::string& row) {
  const auto it = torch_seconds().find(row);
  if (it == torch_seconds().end()) {
    state.SkipWithError("PyTorch peer unavailable (python3-torch missing, or this engine absent)");
    return;
  }
  for (auto _ : state) state.SetIterationTime(it->second);
}

const int registered = [] {
  const auto ms = benchmark::kMillisecond;
  benchmark::RegisterBenchmark("fp32/gemm/256", [](benchmark::State& s) { fp32_gemm(s, 256, true); })->Unit(ms)->MinTime(0.5);
  benchmark::RegisterBenchmark("qgemm/reference/256", [](benchmark::State& s) { int8_gemm(s, 256, quant::QGemmVariant::reference); })
      ->Unit(ms)
      ->MinTime(0.5);
  benchmark::RegisterBenchmark("fp32/gemm/1024", [](benchmark::State& s) { fp32_gemm(s, 1024, true); })->Unit(ms)->MinTime(1.0);
  for (quant::QGemmVariant v : quant::available_qgemm_variants()) {
    if (v == quant::QGemmVariant::reference || v == quant::QGemmVariant::vnni) continue;
    benchmark::RegisterBenchmark((std::string("qgemm/") + quant::qgemm_variant_name(v) + "/1024").c_str(),
                                 [v](benchmark::State& s) { int8_gemm(s, 1024, v); })
        ->Unit(ms)
        ->MinTime(1.0);
  }
  benchmark::RegisterBenchmark("gb/qlinear_1024", [](benchmark::State& s) { int8_linear(s, 1024); })->Unit(ms)->MinTime(1.0);
  benchmark::RegisterBenchmark("peer:gb_fp32/qlinear_1024", [](benchmark::State& s) { fp32_gemm(s, 1024, false); })
      ->Unit(ms)
      ->MinTime(1.0);

  benchmark::RegisterBenchmark("fp32/conv/56x56x64", [](benchmark::State& s) { fp32_conv(s, true); })->Unit(ms)->MinTime(0.5);
  for (quant::QConvAlgo a : quant::all_qconv_algos()) {
    benchmark::RegisterBenchmark((std::string("qconv/") + quant::qconv_algo_name(a) + "/56x56x64").c_str(),
                                 [a](benchmark::State& s) { int8_conv(s, a); })
        ->Unit(ms)
        ->MinTime(0.5);
  }
  benchmark::RegisterBenchmark("gb/qconv_56x56x64", [](benchmark::State& s) { int8_conv(s, quant::QConvAlgo::best); })
      ->Unit(ms)
      ->MinTime(0.5);
  benchmark::RegisterBenchmark("peer:gb_fp32/qconv_56x56x64", [](benchmark::State& s) { fp32_conv(s, false); })->Unit(ms)->MinTime(0.5);

  for (const char* engine : {"qnnpack", "fbgemm", "onednn", "x86"}) {
    for (const char* row : {"qlinear_1024", "qconv_56x56x64"}) {
      const std::string name = std::string("torch_") + engine + "/" + row;
      if (torch_seconds().count(name) == 0) continue;
      benchmark::RegisterBenchmark(("peer:" + name).c_str(), [name](benchmark::State& s) { torch_row(s, name); })
          ->UseManualTime()
          ->Unit(ms)
          ->Iterations(10);
    }
  }
  return 0;
}();

}  // namespace
