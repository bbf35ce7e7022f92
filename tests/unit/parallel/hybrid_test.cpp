// hybrid_test.cpp: the DP x TP x PP step (hybrid.hpp) against published numbers and formulas: the
// preset sizes (GPT-2, GPT-3), the step time of one device (Narayanan et al. 2021's flops), the 1F1B
// bubble (p-1)/(m+p-1), Megatron's TP traffic, the ring's DP traffic, Korthikanti et al.'s activations,
// and memory falling as 1/(tp pp). Every value on the left is measured from a simulated Execution.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/hybrid.hpp"
#include "gb/parallel/zero.hpp"

namespace {

using namespace gb::parallel;

// Small enough to simulate in milliseconds; no embedding, so every stage holds the same.
GptModel tiny() { return {"tiny", 8, 64, 8, 32, 0}; }

HybridConfig config(GptModel model, int dp, int tp, int pp, int m = 4) {
  HybridConfig c;
  c.model = model;
  c.dp = dp;
  c.tp = tp;
  c.pp = pp;
  c.microbatches = m;
  c.cluster.devices = dp * tp * pp;
  return c;
}

std::int64_t param_bytes(const DeviceStep& d) { return d.peak_by_kind[static_cast<int>(MemoryKind::parameters)]; }

TEST(HybridModel, PresetsMatchThePublishedSizes) {
  // GPT-2 small 124 M (Radford et al. 2019), GPT-3 1.3 B, 6.7 B, 13 B (Brown et al. 2020, table 2.1):
  // 12 L h^2 + V h leaves out biases, layer norms and position embeddings, within 2%.
  const std::pair<const char*, double> published[] = {{"gpt-small", 124e6}, {"gpt-1.3b", 1.3e9}, {"gpt-6.7b", 6.7e9}, {"gpt-13b", 13.0e9}};
  for (const auto& [name, size] : published) {
    const double ours = static_cast<double>(gpt_preset(name).parameters());
    EXPECT_NEAR(ours / size, 1.0, 0.02) << name;
  }
  EXPECT_EQ(gpt_preset("gpt-small").parameters(), 12LL * 12 * 768 * 768 + 50257LL * 768);
  EXPECT_THROW(gpt_preset("gpt-5"), gb::Error);
}

TEST(HybridModel, ActivationsPerLayerAreKorthikantisFormula) {
  // s b h (34 + 5 a s / h) bytes without tensor parallelism, s b h (10 + 24/t + 5 a s / (h t)) with.
  const GptModel g = gpt_preset("gpt-1.3b");
  const double sbh = 2048.0 * 2 * 2048;
  EXPECT_EQ(layer_activation_bytes(g, 2, 1), static_cast<std::int64_t>(sbh * (34 + 5.0 * 16 * 2048 / 2048)));
  EXPECT_EQ(layer_activation_bytes(g, 2, 8), static_cast<std::int64_t>(sbh * (10 + 24.0 / 8 + 5.0 * 16 * 2048 / (2048 * 8))));
}

TEST(HybridStep, OneDeviceTakesThePlainSumOfItsCompute) {
  HybridConfig c = config(gpt_preset("gpt-small"), 1, 1, 1, 3);
  const HybridStep step = simulate_hybrid_step(c);
  // Narayanan et al.: 24 b s h^2 (1 + s / (6h)) per layer forward, 2 b s h V for the logits, the
  // backward twice the forward; m micro-batches one after another.
  const double b = 1, s = 1024, h = 768, V = 50257, L = 12;
  const double flops = 3 * (L * 24 * b * s * h * h * (1 + s / (6 * h)) + 2 * b * s * h * V) * 3;
  EXPECT_NEAR(step.step_seconds / (flops / c.cluster.flops_per_second), 1.0, 1e-12);
  EXPECT_NEAR(step.devices[0].compute, step.step_seconds, 1e-12 * step.step_seconds);
  EXPECT_NEAR(step.bubble, 0.0, 1e-12);
  EXPECT_EQ(step.devices[0].tp_bytes + step.devices[0].pp_bytes + step.devices[0].dp_bytes, 0);
}

TEST(HybridStep, PipelineOnlyBubbleIsTheOneFOneBFormula) {
  for (int m : {4, 8, 16}) {
    HybridConfig c = config(tiny(), 1, 1, 4, m);
    c.cluster.intra_node = c.cluster.inter_node = {0, 0};  // free messages: the formula's assumption
    const HybridStep step = simulate_hybrid_step(c);
    EXPECT_NEAR(step.bubble, 3.0 / (m + 3), 1e-12) << "m = " << m;
    for (const DeviceStep& d : step.devices) EXPECT_NEAR(d.compute + d.idle, step.step_seconds, 1e-12 * step.step_seconds);
  }
}

TEST(HybridStep, OneFOneBHoldsMinOfStagesLeftAndMicrobatches) {
  const int p = 4;
  for (int m : {2, 8}) {
    const HybridStep step = simulate_hybrid_step(config(tiny(), 1, 1, p, m));
    const std::int64_t per_microbatch = (tiny().layers / p) * layer_activation_bytes(tiny(), 1, 1);
    for (int r = 0; r < p; ++r) {
      EXPECT_EQ(step.devices[static_cast<std::size_t>(r)].peak_by_kind[static_cast<int>(MemoryKind::activations)],
                std::min(p - r, m) * per_microbatch)
          << "stage " << r << ", m = " << m;
    }
  }
}

TEST(HybridStep, TensorParallelTrafficIsFourAllReducesPerLayer) {
  const int t = 4, m = 3;
  const GptModel g = tiny();
  const HybridStep step = simulate_hybrid_step(config(g, 1, t, 1, m));
  // Megatron: 2 all-reduces forward, 2 backward per layer, each b s h values; a ring sends 2 (t-1)/t of it.
  const std::int64_t bsh_bytes = 1 * g.sequence * g.hidden * 2;
  for (const DeviceStep& d : step.devices) {
    EXPECT_EQ(d.tp_bytes, static_cast<std::int64_t>(m) * g.layers * 4 * 2 * (t - 1) * bsh_bytes / t);
    EXPECT_GT(d.tp_comm, 0);
  }
  EXPECT_TRUE(Mesh(1, t, 1).tp_within_nodes(8));
}

TEST(HybridStep, PipelineSendsOneActivationPerMicrobatch) {
  const int m = 5;
  const GptModel g = tiny();
  const HybridStep step = simulate_hybrid_step(config(g, 1, 2, 2, m));
  const std::int64_t bsh_bytes = g.sequence * g.hidden * 2;
  for (const DeviceStep& d : step.devices) EXPECT_EQ(d.pp_bytes, m * bsh_bytes);  // forward out of stage 0, backward out of 1
}

TEST(HybridStep, ParametersPerDeviceFallAsOneOverTpTimesPp) {
  const GptModel g = tiny();
  const std::int64_t total_bytes = 2 * g.parameters();
  for (auto [tp, pp] : {std::pair{1, 1}, {2, 1}, {1, 2}, {2, 2}, {4, 2}, {2, 4}}) {
    const HybridStep step = simulate_hybrid_step(config(g, 1, tp, pp, 2));
    for (const DeviceStep& d : step.devices) {
      EXPECT_EQ(param_bytes(d) * tp * pp, total_bytes) << "tp " << tp << " pp " << pp;
      EXPECT_EQ(d.peak_by_kind[static_cast<int>(MemoryKind::gradients)] * tp * pp, total_bytes);
      EXPECT_EQ(d.peak_by_kind[static_cast<int>(MemoryKind::optimizer_states)] * tp * pp, 6 * total_bytes);  // K = 12
    }
  }
}

TEST(HybridStep, EmbeddingSitsOnTheFirstAndLastStage) {
  const GptModel g = gpt_preset("gpt-small");
  const HybridStep step = simulate_hybrid_step(config(g, 1, 2, 2, 2));
  std::int64_t held = 0;
  for (const DeviceStep& d : step.devices) held += param_bytes(d) / 2;
  EXPECT_EQ(held, g.parameters() + g.vocab * g.hidden);  // Megatron's copy on the last stage
}

TEST(HybridStep, DataParallelSendsTheRingsVolumeAndZeroOneTheSame) {
  const int n = 4;
  const GptModel g = tiny();
  for (int zero : {0, 1}) {
    HybridConfig c = config(g, n, 2, 2, 2);
    c.zero = zero;
    const HybridStep step = simulate_hybrid_step(c);
    for (const DeviceStep& d : step.devices) {
      const std::int64_t shard = 2 * d.parameters;  // fp16 gradients of this device's shard
      EXPECT_EQ(d.dp_bytes, 2 * (n - 1) * shard / n) << "zero " << zero;
      const std::int64_t optimizer = d.peak_by_kind[static_cast<int>(MemoryKind::optimizer_states)];
      EXPECT_EQ(optimizer, 12 * (zero == 1 ? shard_size(d.parameters, n) : d.parameters));
    }
  }
}

TEST(HybridStep, AModelThatDoesNotFitIsReported) {
  HybridConfig c = config(gpt_preset("gpt-1.3b"), 1, 1, 1, 1);
  c.cluster.memory_bytes = 16LL << 30;  // 16 GiB: the 1.3 B model states alone are 16 x 1.31e9 bytes
  const HybridStep step = simulate_hybrid_step(c);
  EXPECT_FALSE(step.fits);
  ASSERT_EQ(step.over_capacity.size(), 1u);
  EXPECT_GT(step.devices[0].peak, c.cluster.memory_bytes);
  c.cluster.memory_bytes = 80LL << 30;
  EXPECT_TRUE(simulate_hybrid_step(c).fits);
}

TEST(HybridStep, BadMeshesAreErrors) {
  const GptModel g = gpt_preset("gpt-small");
  HybridConfig c = config(g, 2, 2, 2);
  c.cluster.devices = 16;
  EXPECT_THROW(simulate_hybrid_step(c), gb::Error);                 // 8 != 16
  EXPECT_THROW(simulate_hybrid_step(config(g, 1, 5, 1)), gb::Error);  // 5 does not divide 12 heads
  EXPECT_THROW(simulate_hybrid_step(config(g, 1, 1, 5)), gb::Error);  // nor 12 layers
  EXPECT_THROW(simulate_hybrid_step(config(g, 0, 1, 1)), gb::Error);
  EXPECT_THROW(simulate_hybrid_step(config(g, 1, 1, 1, 0)), gb::Error);
  HybridConfig zero2 = config(g, 2, 1, 2);
  zero2.zero = 2;
  try {
    simulate_hybrid_step(zero2);
    FAIL() << "ZeRO-2 with a pipeline was accepted";
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("micro-batch"), std::string::npos) << e.what();
  }
}

}  // namespace
