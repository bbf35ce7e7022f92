// hybrid_training_test.cpp: data parallelism over pipelines (dp x pp, the real math) trains the
// transformer-style stack along the same path as one device on the whole batch: the same losses and
// parameters after 5 SGD steps within 1e-5 (the measured gaps are printed), for 1F1B, GPipe and interleaved
// 1F1B pipelines; each stage's gradients
// travel once per step in its DP group's ring, 2(dp-1)/dp of their bytes per device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"
#include "gb/parallel/hybrid_training.hpp"
#include "gb/parallel/pipeline_training.hpp"
#include "gb/parallel/transformer.hpp"
#include "stack_reference.hpp"

namespace {

using namespace gb::parallel;
using gb::Tensor;
using gb::autodiff::Variable;
using gb_stack_test::largest_difference;
using gb_stack_test::largest_loss_gap;
using gb_stack_test::sgd;
using gb_stack_test::Trained;

constexpr int kBlocks = 4, kSteps = 5;
constexpr std::int64_t kHidden = 16, kRows = 32;
constexpr std::uint64_t kSeed = 5;

TEST(DpPipeline, StepsEqualOneDeviceForEveryMeshAndSchedule) {
  gb::Rng rng(3);
  const Tensor x = rng.normal({kRows, kHidden}), y = rng.normal({kRows, kHidden});
  const Trained reference = gb_stack_test::one_device(kBlocks, kHidden, kSeed, x, y, kSteps);
  ASSERT_LT(reference.losses.back(), reference.losses.front());  // it does train
  for (auto [dp, stages, schedule] : {std::tuple{2, 2, Schedule::one_f_one_b}, {2, 4, Schedule::gpipe}, {4, 2, Schedule::one_f_one_b},
                                             {2, 2, Schedule::interleaved}}) {
    const int chunks = schedule == Schedule::interleaved ? 2 : 1;  // two model chunks per stage
    std::vector<std::shared_ptr<gb::nn::Sequential>> models;
    std::vector<std::vector<std::shared_ptr<gb::nn::Sequential>>> replicas;
    std::vector<std::unique_ptr<gb::nn::SGD>> owned;
    std::vector<gb::nn::Optimizer*> optimizers;
    for (int r = 0; r < dp; ++r) {
      models.push_back(transformer_mlp_stack(kBlocks, kHidden, 0, kSeed));  // same seed: the broadcast at the start
      replicas.push_back(split_into_pieces(*models.back(), stages * chunks));
      owned.push_back(std::make_unique<gb::nn::SGD>(models.back()->parameters(), sgd()));
      optimizers.push_back(owned.back().get());
    }
    PipelineSpec spec;
    spec.schedule = schedule;
    spec.stages = stages;
    spec.chunks = chunks;
    spec.microbatches = 4;
    Trained run;
    std::int64_t bytes = 0;
    for (int step = 0; step < kSteps; ++step) {
      const DpPipelineStep s = dp_pipeline_train_step(replicas, optimizers, x, y, spec);
      run.losses.push_back(s.loss);
      ASSERT_EQ(static_cast<int>(s.pipelines.size()), dp);
      bytes = s.bytes_sent_per_device;
    }
    run.parameters = models[0]->state_dict();
    const double loss_gap = largest_loss_gap(reference.losses, run.losses);
    const double weight_gap = largest_difference(reference.parameters, run.parameters);
    const std::string what = "dp " + std::to_string(dp) + " x pp " + std::to_string(stages) + " " + schedule_name(schedule);
    std::cout << what << ": losses within " << loss_gap << ", parameters within " << weight_gap << "\n";
    EXPECT_LT(loss_gap, 1e-5) << what;
    EXPECT_LT(weight_gap, 1e-5) << what;
    for (int r = 1; r < dp; ++r) EXPECT_EQ(largest_difference(models[0]->state_dict(), models[static_cast<std::size_t>(r)]->state_dict()), 0.0);
    // Device 0 holds stage 0 (pieces 0, p, 2p, ... when interleaved): their f32 gradients, each all-reduced by
    // the ring of the dp devices. Every numel here divides by dp, so the ring sends exactly 2(dp-1)/dp of the
    // bytes (lesson 10).
    std::int64_t stage0 = 0;
    for (int k = 0; k < stages * chunks; k += stages) {
      for (const Variable& p : replicas[0][static_cast<std::size_t>(k)]->parameters()) {
        ASSERT_EQ(p.value().numel() % dp, 0);
        stage0 += p.value().numel() * 4;
      }
    }
    EXPECT_EQ(bytes * dp, 2 * (dp - 1) * stage0) << what;
  }
}

TEST(DpPipeline, BadInputIsAnError) {
  auto model = transformer_mlp_stack(2, 8, 0, 1);
  gb::nn::SGD optimizer(model->parameters(), sgd());
  const std::vector<std::vector<std::shared_ptr<gb::nn::Sequential>>> replicas = {split_into_pieces(*model, 2)};
  PipelineSpec spec;
  spec.stages = 2;
  spec.microbatches = 2;
  const Tensor x = gb::Rng(1).normal({4, 8});
  EXPECT_THROW(dp_pipeline_train_step(replicas, {}, x, x, spec), gb::Error);             // no optimizer
  EXPECT_THROW(dp_pipeline_train_step({}, {}, x, x, spec), gb::Error);                   // no replica
  spec.stages = 3;
  EXPECT_THROW(dp_pipeline_train_step(replicas, {&optimizer}, x, x, spec), gb::Error);   // 2 pieces, 3 stages
  spec.stages = 2;
  const Tensor odd = gb::Rng(1).normal({4, 8}).slice(0, 0, 3).contiguous();
  EXPECT_THROW(dp_pipeline_train_step(replicas, {&optimizer}, odd, x, spec), gb::Error);  // rows differ
}

}  // namespace
