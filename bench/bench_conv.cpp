// bench_conv.cpp: every convolution algorithm of lessons 20-22 on ResNet-like 3x3 layers (batch 1:
// 56x56x64->64, 28x28x128->128, 14x14x256->256) and a depthwise 3x3 layer (56x56x64, groups 64),
// on one thread and on two, beside PyTorch's torch.nn.functional.conv2d (bench/peers/conv_torch.py, run
// once through popen, torch.set_num_threads(1) then (2), reported with manual time). Rows, for t in 1, 2:
//   conv/<layer>/<algo>/threads:t   each algorithm; counters: workspace bytes, GFLOP/s (2*OC*ICg*KH*KW*OH*OW / time)
//   gb/<layer>/threads:t            ConvAlgo::best (the chooser), paired with peer:pytorch/<layer>/threads:t
//   recording_off/<layer>           best with a Recorder attached (one thread): the kernels never record, so it
//                                   matches gb/<layer>/threads:1
// Recording is off otherwise (no Recorder attached).
#include <benchmark/benchmark.h>

#include "peer.hpp"

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "gb/core/rng.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/trace/recorder.hpp"

namespace {

namespace kn = gb::kernels;

struct Layer {
  const char* name;
  std::int64_t c, h, w, oc, k, stride, pad, groups;
};
const Layer kLayers[] = {
    {"resnet_56x56x64", 64, 56, 56, 64, 3, 1, 1, 1},
    {"resnet_28x28x128", 128, 28, 28, 128, 3, 1, 1, 1},
    {"resnet_14x14x256", 256, 14, 14, 256, 3, 1, 1, 1},
    {"depthwise_56x56x64", 64, 56, 56, 64, 3, 1, 1, 64},
};

struct Inputs {
  gb::Tensor x, w, b;
  kn::Conv2dParams p;
  kn::ConvShape s;
};
Inputs inputs(const Layer& l) {
  gb::Rng rng(0);
  Inputs in;
  in.x = rng.normal({1, l.c, l.h, l.w});
  in.w = rng.normal({l.oc, l.c / l.groups, l.k, l.k}, 0, 0.1);
  in.b = rng.normal(gb::Shape{l.oc});
  in.p = kn::Conv2dParams::square(l.stride, l.pad, 1, l.groups);
  in.s = kn::conv_shape(in.x.shape(), in.w.shape(), in.p);
  return in;
}

double flops(const kn::ConvShape& s) {
  return 2.0 * static_cast<double>(s.out_channels * s.group_in() * s.kernel_h * s.kernel_w * s.out_h * s.out_w * s.batch);
}

void run(benchmark::State& state, const Layer& l, kn::ConvAlgo algo, bool with_recorder, int threads) {
  const Inputs in = inputs(l);
  gb::trace::Recorder rec("bench", "bench");
  std::unique_ptr<gb::trace::ScopedRecorder> attach;
  if (with_recorder) attach = std::make_unique<gb::trace::ScopedRecorder>(rec);
  for (auto _ : state) benchmark::DoNotOptimize(kn::conv2d(in.x, in.w, in.b, in.p, algo, threads));
  const kn::ConvAlgo chosen = algo == kn::ConvAlgo::best ? kn::choose_algorithm(in.s) : algo;
  state.counters["workspace_bytes"] = static_cast<double>(kn::workspace_bytes(in.s, chosen));
  state.counters["GFLOP/s"] = benchmark::Counter(flops(in.s) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kn::conv_algo_name(chosen));
}

// PyTorch's seconds per call for each layer, measured once by the peer script in a child process.
const std::map<std::string, double>& torch_seconds() {
  static const std::map<std::string, double> seconds = gb::bench::run_peer("conv_torch.py", "20");
  return seconds;
}

void torch_conv(benchmark::State& state, const Layer& l, int threads) {
  const auto it = torch_seconds().find(std::string(l.name) + "/threads:" + std::to_string(threads));
  if (it == torch_seconds().end()) {
    state.SkipWithError("PyTorch peer unavailable (python3-torch missing?)");
    return;
  }
  for (auto _ : state) state.SetIterationTime(it->second);
}

const int registered = [] {
  for (int threads : {1, 2}) {
    const std::string t = "/threads:" + std::to_string(threads);
    for (const Layer& l : kLayers) {
      const kn::ConvShape s = inputs(l).s;
      for (kn::ConvAlgo a : kn::all_conv_algos()) {
        if (!kn::conv_algo_supports(a, s)) continue;
        benchmark::RegisterBenchmark((std::string("conv/") + l.name + "/" + kn::conv_algo_name(a) + t).c_str(),
                                     [l, a, threads](benchmark::State& st) { run(st, l, a, false, threads); })
            ->Unit(benchmark::kMillisecond)
            ->MinTime(0.5);
      }
      benchmark::RegisterBenchmark((std::string("gb/") + l.name + t).c_str(),
                                   [l, threads](benchmark::State& st) { run(st, l, kn::ConvAlgo::best, false, threads); })
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
      if (threads == 1) {
        benchmark::RegisterBenchmark((std::string("recording_off/") + l.name).c_str(),
                                     [l](benchmark::State& st) { run(st, l, kn::ConvAlgo::best, true, 1); })
            ->Unit(benchmark::kMillisecond)
            ->MinTime(0.5);
      }
      benchmark::RegisterBenchmark((std::string("peer:pytorch/") + l.name + t).c_str(),
                                   [l, threads](benchmark::State& st) { torch_conv(st, l, threads); })
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond)
          ->Iterations(10);
    }
  }
  return 0;
}();

}  // namespace
