// bench_nn.cpp: one training step of lesson 01's digits models at batch 64 (forward, cross-entropy,
// backward, Adam step), single-threaded, beside PyTorch CPU eager doing the same step on the same
// architecture (bench/peers/nn_torch.py, run once through popen, torch.set_num_threads(1), reported
// with manual time). Rows, each paired with peer:pytorch/<row> by ratio_main:
//   gb/cnn_step/64     digits_cnn in training mode: two Conv2d-BatchNorm-ReLU-MaxPool blocks, Dropout, Linear
//   gb/cnn_forward/64  digits_cnn in eval mode without a tape (what evaluate() costs per batch)
//   gb/mlp_step/64     digits_mlp: 64-128-64-10 with ReLUs
// The batch is the first 64 digits of the data set. Recording is off (no Recorder attached).
#include <benchmark/benchmark.h>

#include "peer.hpp"

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "gb/nn/data.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/models.hpp"
#include "gb/nn/optim.hpp"

namespace {

namespace nn = gb::nn;
using gb::autodiff::Variable;

const nn::Batch& first_batch() {
  static const nn::Batch batch = [] {
    const nn::Dataset all = nn::load_digits();
    std::vector<std::int64_t> first(64);
    for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<std::int64_t>(i);
    const nn::Dataset d = all.subset(first);
    return nn::Batch{d.images, d.labels};
  }();
  return batch;
}

// The step of gb::nn::fit, exactly.
void train_step(benchmark::State& state, std::shared_ptr<nn::Sequential> model) {
  const nn::Batch& b = first_batch();
  nn::Adam optimizer(model->parameters(), {.lr = 3e-3});
  model->train();
  for (auto _ : state) {
    const Variable loss = nn::cross_entropy((*model)(Variable(b.images)), b.labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    benchmark::DoNotOptimize(loss.value().raw_data());
  }
}

void cnn_forward(benchmark::State& state) {
  const nn::Batch& b = first_batch();
  auto model = nn::digits_cnn(0);
  model->eval();
  gb::autodiff::NoGradGuard no_tape;
  for (auto _ : state) benchmark::DoNotOptimize((*model)(Variable(b.images)).value().raw_data());
}

// PyTorch's seconds per call for each row, measured once by the peer script in a child process.
const std::map<std::string, double>& torch_seconds() {
  static const std::map<std::string, double> seconds = gb::bench::run_peer("nn_torch.py", "50");
  return seconds;
}

void torch_row(benchmark::State& state, const std::string& row) {
  const auto it = torch_seconds().find(row);
  if (it == torch_seconds().end()) {
    state.SkipWithError("PyTorch peer unavailable (python3-torch missing?)");
    return;
  }
  for (auto _ : state) state.SetIterationTime(it->second);
}

const int registered = [] {
  benchmark::RegisterBenchmark("gb/cnn_step/64", [](benchmark::State& s) { train_step(s, nn::digits_cnn(0)); })
      ->Unit(benchmark::kMillisecond)
      ->MinTime(1.0);
  benchmark::RegisterBenchmark("gb/cnn_forward/64", cnn_forward)->Unit(benchmark::kMillisecond)->MinTime(1.0);
  benchmark::RegisterBenchmark("gb/mlp_step/64", [](benchmark::State& s) { train_step(s, nn::digits_mlp(0)); })
      ->Unit(benchmark::kMillisecond)
      ->MinTime(1.0);
  for (const char* row : {"cnn_step/64", "cnn_forward/64", "mlp_step/64"}) {
    benchmark::RegisterBenchmark((std::string("peer:pytorch/") + row).c_str(),
                                 [row](benchmark::State& s) { torch_row(s, row); })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(10);
  }
  return 0;
}();

}  // namespace
