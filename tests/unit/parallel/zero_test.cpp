// zero_test.cpp: ZeRO's memory and communication, MEASURED from simulated steps (the peaks of the
// Memory accounting and the bytes of the issued collectives) and compared with the ZeRO paper
// (Rajbhandari et al. 2020): the model-state formulas, its 7.5e9-parameter table, and the volumes
// 2 Psi (plain DP, stages 1 and 2) and 3 Psi (stage 3) per device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/zero.hpp"

namespace {

using namespace gb::parallel;

ZeroConfig config(std::int64_t psi, int nd, int stage, bool communicate = true) {
  ZeroConfig c;
  c.num_params = psi;
  c.devices = nd;
  c.stage = stage;
  c.communicate = communicate;
  c.cluster.memory_bytes = 0;  // unlimited: we measure, we do not stop
  return c;
}

// The paper's formulas, in bytes (K = 12).
double paper_bytes(double psi, double nd, int stage) {
  const double k = 12;
  const double formulas[] = {(2 + 2 + k) * psi, 2 * psi + 2 * psi + k * psi / nd, 2 * psi + (2 + k) * psi / nd,
                             (2 + 2 + k) * psi / nd};
  return formulas[stage];
}

}  // namespace

TEST(ZeroStep, MeasuredModelStatesEqualThePapersFormulas) {
  const std::int64_t psi = 1 << 20;  // divisible by every Nd below: the formulas hold exactly
  for (int nd : {2, 4, 8})
    for (int stage = 0; stage <= 3; ++stage) {
      const ZeroStep step = simulate_zero_step(config(psi, nd, stage));
      EXPECT_EQ(static_cast<double>(step.model_states.total()), paper_bytes(psi, nd, stage)) << nd << " devices, stage " << stage;
      // Every device keeps the same: device 0 is not special.
      for (const gb::parallel::Memory& m : step.execution.memory)
        EXPECT_EQ(m.peak(MemoryKind::optimizer_states), step.model_states.optimizer_states);
    }
}

TEST(ZeroStep, ThePapersTableAtSevenAndAHalfBillionParameters) {
  // 7.5e9 parameters on 64 devices: memory only (the messages would need real tensors of that size).
  const double expected_gb[] = {120.0, 31.4, 16.6, 1.9};
  for (int stage = 0; stage <= 3; ++stage) {
    const ZeroStep step = simulate_zero_step(config(7'500'000'000LL, 64, stage, false));
    EXPECT_NEAR(static_cast<double>(step.model_states.total()) / 1e9, expected_gb[stage], 0.05) << "stage " << stage;
  }
}

TEST(ZeroStep, StageThreeHoldsAtMostTwoGatheredLayersBesideItsShards) {
  // The transient buffers: the layer being computed and the one prefetched, plus a layer's full gradient.
  const std::int64_t psi = 1 << 20;
  const ZeroStep s3 = simulate_zero_step(config(psi, 4, 3));
  const std::int64_t layer_bytes = 2 * (psi / 4);  // 4 layers of fp16 weights
  EXPECT_GT(s3.buffer_peak_bytes, 0);
  EXPECT_LE(s3.buffer_peak_bytes, 3 * layer_bytes);
  EXPECT_LT(s3.peak_bytes, simulate_zero_step(config(psi, 4, 2)).peak_bytes);
  EXPECT_EQ(simulate_zero_step(config(psi, 4, 0)).buffer_peak_bytes, 0);  // plain DP needs none
}

TEST(ZeroStep, MessagesChangeOnlyHowLongTheBuffersLive) {
  // The model states are the same with or without messages. A transient gradient buffer lives until its
  // reduce-scatter has sent it, so with messages in flight two of them can coexist (stage 2 here): the
  // peak can only grow, never shrink, and plain DP and stage 1 (no buffers) do not change at all.
  for (int stage = 0; stage <= 3; ++stage) {
    const ZeroStep with = simulate_zero_step(config(1 << 16, 4, stage, true));
    const ZeroStep without = simulate_zero_step(config(1 << 16, 4, stage, false));
    EXPECT_EQ(with.model_states.total(), without.model_states.total());
    EXPECT_GE(with.peak_bytes, without.peak_bytes) << "stage " << stage;
    if (stage <= 1) {
      EXPECT_EQ(with.peak_bytes, without.peak_bytes) << "stage " << stage;
    }
    EXPECT_EQ(without.bytes_sent_per_rank, 0);
  }
}

TEST(ZeroStep, CommunicationVolumeIsTwoPsiThenThreePsiForStageThree) {
  // Volume in fp16 values sent per device. A ring sends (n - 1)/n of each collective's buffer, so the
  // paper's 2 Psi and 3 Psi appear as 2 (n - 1)/n Psi and 3 (n - 1)/n Psi.
  const std::int64_t psi = 1 << 20;
  for (int nd : {2, 4, 8}) {
    const double ring = static_cast<double>(nd - 1) / nd;
    double volume[4];
    for (int stage = 0; stage <= 3; ++stage)
      volume[stage] = static_cast<double>(simulate_zero_step(config(psi, nd, stage)).bytes_sent_per_rank) / 2;
    EXPECT_DOUBLE_EQ(volume[0], 2 * ring * psi) << nd;
    EXPECT_DOUBLE_EQ(volume[1], 2 * ring * psi) << nd;
    EXPECT_DOUBLE_EQ(volume[2], 2 * ring * psi) << nd;
    EXPECT_DOUBLE_EQ(volume[3], 3 * ring * psi) << nd;
    EXPECT_DOUBLE_EQ(volume[3] / volume[0], 1.5);
  }
}

TEST(ZeroStep, TheCollectivesOfEachStage) {
  const auto names = [](int stage) { return simulate_zero_step(config(1 << 12, 2, stage)).collectives; };
  EXPECT_EQ(names(0).size(), 4u);                               // an all-reduce per layer
  EXPECT_EQ(names(1).size(), 8u);                               // reduce-scatter + all-gather per layer
  EXPECT_EQ(names(3).size(), 12u);                              // two all-gathers + a reduce-scatter per layer
  EXPECT_EQ(names(3).front(), "all_gather weights of layer 0 (forward)");
}

TEST(ZeroStep, OutOfMemoryIsAnErrorNamingTheDevice) {
  ZeroConfig c = config(7'500'000'000LL, 64, 0, false);
  c.cluster.memory_bytes = 80LL << 30;  // 120 GB of plain DP does not fit in 80 GiB
  try {
    simulate_zero_step(c);
    FAIL() << "expected out of memory";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory on device"), std::string::npos) << e.what();
  }
  c.stage = 3;
  EXPECT_NO_THROW(simulate_zero_step(c));  // 1.9 GB fits
}

TEST(Fsdp, StrategiesAreZeroStages) {
  EXPECT_EQ(zero_stage_of(FsdpStrategy::full_shard), 3);
  EXPECT_EQ(zero_stage_of(FsdpStrategy::shard_grad_op), 2);
  EXPECT_EQ(zero_stage_of(FsdpStrategy::no_shard), 0);
  EXPECT_EQ(fsdp_strategy_from_name("FULL_SHARD"), FsdpStrategy::full_shard);
  EXPECT_THROW(fsdp_strategy_from_name("HYBRID"), gb::Error);
}

TEST(ZeroStep, BadConfigurationsAreErrors) {
  EXPECT_THROW(simulate_zero_step(config(0, 4, 0)), gb::Error);
  EXPECT_THROW(simulate_zero_step(config(1000, 0, 0)), gb::Error);
  EXPECT_THROW(simulate_zero_step(config(1000, 4, 4)), gb::Error);
  EXPECT_THROW(simulate_zero_step(config(1LL << 30, 4, 0, true)), gb::Error);  // too big to send for real
}
