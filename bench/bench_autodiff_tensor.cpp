// bench_autodiff_tensor.cpp: one training step of an MLP 784-256-256-10 at batch 64 (forward,
// backward, SGD update), single-threaded, beside PyTorch CPU eager doing the same step
// (bench/peers/torch_mlp_step.py, run once through popen and reported with manual time).
// Recording is off (no Recorder attached). Our f32 matmul is the 4-row i-k-j loop of tensor_math.cpp,
// not a tuned GEMM. What mattered most when this was first measured: large temporaries (each fresh
// zero-filled allocation costs page faults), hence the SGD update in place. On the 2-core development
// machine gb/mlp_step ran at 0.6-0.7x PyTorch 1.13's time (PyTorch eager pays Python overhead per op).
#include <benchmark/benchmark.h>

#include "peer.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"

namespace {

namespace ad = gb::autodiff;

struct Mlp {
  std::vector<ad::Variable> params;  // W1 b1 W2 b2 W3 b3
  gb::Tensor x, onehot;
  Mlp() {
    gb::Rng rng(0);
    const std::vector<std::int64_t> sizes = {784, 256, 256, 10};
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      const double scale = 1.0 / std::sqrt(static_cast<double>(sizes[l]));
      params.emplace_back(rng.normal({sizes[l], sizes[l + 1]}, 0, scale), true);
      params.emplace_back(gb::Tensor::zeros({sizes[l + 1]}), true);
    }
    x = rng.normal({64, 784});
    onehot = gb::Tensor::zeros({64, 10});
    for (std::int64_t i = 0; i < 64; ++i) onehot.set({i, rng.randint(0, 10)}, 1.0);
  }
  double step(float lr) {
    ad::Variable h(x);
    for (std::size_t i = 0; i < params.size(); i += 2) {
      h = ad::add(ad::matmul(h, params[i]), params[i + 1]);
      if (i + 2 < params.size()) h = ad::relu(h);
    }
    ad::Variable loss = ad::neg(ad::mean(ad::sum(ad::mul(ad::log_softmax(h, 1), ad::constant(onehot)), {1})));
    loss.backward();
    ad::NoGradGuard no_grad;
    for (ad::Variable& p : params) {  // p -= lr * grad, in place (both contiguous f32)
      gb::Tensor value = p.value();    // a handle on the same storage
      const gb::Tensor grad = p.grad().value();
      float* w = value.data<float>();
      const float* g = grad.data<float>();
      for (std::int64_t i = 0; i < value.numel(); ++i) w[i] -= lr * g[i];
      p.zero_grad();
    }
    return loss.value().item();
  }
};

void gb_mlp_step(benchmark::State& state) {
  Mlp mlp;
  for (auto _ : state) benchmark::DoNotOptimize(mlp.step(0.01f));
}
BENCHMARK(gb_mlp_step)->Name("gb/mlp_step")->Unit(benchmark::kMillisecond)->MinTime(2.0);

// PyTorch's time per step, measured once by the peer script in a child process.
double torch_seconds_per_step() {
  static const double seconds = gb::bench::peer_value(gb::bench::run_peer("torch_mlp_step.py", "30"), "seconds_per_step");
  return seconds;
}

void torch_mlp_step(benchmark::State& state) {
  const double seconds = torch_seconds_per_step();
  if (seconds <= 0) {
    state.SkipWithError("PyTorch peer unavailable (python3-torch missing?)");
    return;
  }
  for (auto _ : state) state.SetIterationTime(seconds);
}
BENCHMARK(torch_mlp_step)->Name("peer:pytorch/mlp_step")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
