// task_12_1_zero_memory_test.cpp: exercise parallel.zero.memory_per_device (lesson 12-zero-and-fsdp).
// zero_model_states(Psi, Nd, stage, K) gives the bytes of model states one device keeps. The oracle is
// the ZeRO paper (Rajbhandari et al. 2020, figure 1 and table 1), written here:
//   stage 0: (2 + 2 + K) Psi      stage 1: 2 Psi + 2 Psi + K Psi / Nd
//   stage 2: 2 Psi + (2 + K) Psi / Nd      stage 3: (2 + 2 + K) Psi / Nd
// and its example: Psi = 7.5e9, Nd = 64, K = 12: 120 GB, 31.4 GB, 16.6 GB, 1.9 GB (GB = 1e9 bytes).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "gb/parallel/zero.hpp"

namespace {

using gb::parallel::zero_model_states;

double paper_formula(double psi, double nd, int stage, double k) {
  switch (stage) {
    case 0: return (2 + 2 + k) * psi;
    case 1: return 2 * psi + 2 * psi + k * psi / nd;
    case 2: return 2 * psi + (2 + k) * psi / nd;
    default: return (2 + 2 + k) * psi / nd;
  }
}

}  // namespace

TEST(Task_12_1_ZeroMemory, ThePapersTableForSevenAndAHalfBillionParametersOn64Devices) {
  const std::int64_t psi = 7'500'000'000LL;
  const double expected_gb[] = {120.0, 31.4, 16.6, 1.9};  // the paper rounds to 0.1 GB
  for (int stage = 0; stage <= 3; ++stage) {
    const double gb = static_cast<double>(zero_model_states(psi, 64, stage, 12).total()) / 1e9;
    EXPECT_NEAR(gb, expected_gb[stage], 0.05) << "stage " << stage;
  }
}

TEST(Task_12_1_ZeroMemory, TheFormulasForOtherSizes) {
  for (std::int64_t psi : {1'000'000LL, 1'048'576LL, 175'000'000'000LL})
    for (int nd : {1, 2, 8, 64, 1024})
      for (int k : {12, 4})
        for (int stage = 0; stage <= 3; ++stage) {
          const double got = static_cast<double>(zero_model_states(psi, nd, stage, k).total());
          const double want = paper_formula(static_cast<double>(psi), nd, stage, k);
          // Shards are rounded up to whole parameters: at most (2 + 2 + K) bytes more.
          EXPECT_GE(got, want - 0.5) << psi << " " << nd << " " << stage << " " << k;
          EXPECT_LE(got, want + (4 + k)) << psi << " " << nd << " " << stage << " " << k;
        }
}

TEST(Task_12_1_ZeroMemory, EachStageShardsOneMoreKind) {
  const std::int64_t psi = 1 << 20;
  const int nd = 8;
  const auto s0 = zero_model_states(psi, nd, 0, 12), s1 = zero_model_states(psi, nd, 1, 12);
  const auto s2 = zero_model_states(psi, nd, 2, 12), s3 = zero_model_states(psi, nd, 3, 12);
  EXPECT_EQ(s0.parameters, 2 * psi);
  EXPECT_EQ(s0.gradients, 2 * psi);
  EXPECT_EQ(s0.optimizer_states, 12 * psi);
  EXPECT_EQ(s1.optimizer_states, 12 * psi / nd);
  EXPECT_EQ(s1.gradients, 2 * psi);
  EXPECT_EQ(s2.gradients, 2 * psi / nd);
  EXPECT_EQ(s2.parameters, 2 * psi);
  EXPECT_EQ(s3.parameters, 2 * psi / nd);
  EXPECT_EQ(s3.total(), 16 * psi / nd);
}

TEST(Task_12_1_ZeroMemory, OneDeviceKeepsEverythingAtEveryStage) {
  for (int stage = 0; stage <= 3; ++stage) EXPECT_EQ(zero_model_states(1000, 1, stage, 12).total(), 16000);
}

TEST(Task_12_1_ZeroMemory, AShardIsRoundedUp) {
  // 10 parameters over 4 devices: shards of 3 (the flat buffer is padded to 12).
  EXPECT_EQ(zero_model_states(10, 4, 3, 12).total(), 16 * 3);
}
