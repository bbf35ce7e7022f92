// transformer_equivalence_test.cpp: the transformer-style MLP stack (transformer.hpp) trained by a
// pipeline (GPipe and 1F1B, 2 and 4 stages) and by data parallelism (4 replicas, ring-averaged
// gradients) follows the same path as one device on the whole batch: the same losses and the same
// parameters after 5 SGD steps, up to the f32 rounding of a different summation order (1e-5 here;
// measured differences are printed).
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
constexpr std::uint64_t kSeed = 7;
constexpr double kTolerance = 1e-5;

struct Batch {
  Tensor inputs, targets;
};
Batch batch() {
  gb::Rng rng(11);
  return {rng.normal({kRows, kHidden}), rng.normal({kRows, kHidden})};
}

Trained one_device() {
  const Batch b = batch();
  return gb_stack_test::one_device(kBlocks, kHidden, kSeed, b.inputs, b.targets, kSteps);
}

void expect_same_path(const Trained& reference, const Trained& run, const std::string& what) {
  ASSERT_EQ(run.losses.size(), reference.losses.size());
  const double loss_gap = largest_loss_gap(reference.losses, run.losses);
  const double weight_gap = largest_difference(reference.parameters, run.parameters);
  std::cout << what << ": losses within " << loss_gap << ", parameters within " << weight_gap << "\n";
  EXPECT_LT(loss_gap, kTolerance) << what;
  EXPECT_LT(weight_gap, kTolerance) << what;
  EXPECT_LT(reference.losses.back(), reference.losses.front());  // it does train
}

TEST(TransformerStack, IsResidualBlocksOfGelu) {
  auto model = transformer_mlp_stack(3, 8, 0, 1);
  ASSERT_EQ(model->size(), 3u);
  EXPECT_EQ(model->parameter_count(), 3 * (8 * 32 + 32 + 32 * 8 + 8));
  // Zeroing fc2 makes every block the identity: the residual path alone.
  std::map<std::string, Tensor> state;
  for (const auto& [name, t] : model->state_dict()) state[name] = name.find("fc2") != std::string::npos ? Tensor::full(t.shape(), 0.0) : t.clone();
  model->load_state_dict(state);
  const Tensor x = gb::Rng(3).normal({5, 8});
  EXPECT_EQ((*model)(Variable(x)).value().to_vector(), x.to_vector());
  EXPECT_THROW(transformer_mlp_stack(0, 8, 0, 1), gb::Error);
  EXPECT_THROW(transformer_mlp_stack(2, 0, 0, 1), gb::Error);
}

TEST(TransformerEquivalence, PipelineStepsEqualOneDevice) {
  const Trained reference = one_device();
  for (Schedule schedule : {Schedule::gpipe, Schedule::one_f_one_b}) {
    for (int stages : {2, 4}) {
      auto model = transformer_mlp_stack(kBlocks, kHidden, 0, kSeed);
      gb::nn::SGD optimizer(model->parameters(), sgd());
      const auto pieces = split_into_pieces(*model, stages);
      PipelineSpec spec;
      spec.schedule = schedule;
      spec.stages = stages;
      spec.microbatches = 4;
      const Batch b = batch();
      Trained run;
      for (int step = 0; step < kSteps; ++step) run.losses.push_back(pipeline_train_step(pieces, optimizer, b.inputs, b.targets, spec).loss);
      run.parameters = model->state_dict();
      expect_same_path(reference, run, std::string(schedule_name(schedule)) + ", " + std::to_string(stages) + " stages");
    }
  }
}

TEST(TransformerEquivalence, DataParallelStepsEqualOneDevice) {
  const Trained reference = one_device();
  const int n = 4;
  std::vector<std::shared_ptr<gb::nn::Sequential>> replicas;
  std::vector<std::unique_ptr<gb::nn::SGD>> optimizers;
  std::vector<gb::nn::Optimizer*> steps;
  for (int r = 0; r < n; ++r) {
    replicas.push_back(transformer_mlp_stack(kBlocks, kHidden, 0, kSeed));  // same seed: DDP's broadcast
    optimizers.push_back(std::make_unique<gb::nn::SGD>(replicas.back()->parameters(), sgd()));
    steps.push_back(optimizers.back().get());
  }
  const Batch b = batch();
  Trained run;
  for (int step = 0; step < kSteps; ++step) run.losses.push_back(data_parallel_train_step(replicas, steps, b.inputs, b.targets));
  run.parameters = replicas[0]->state_dict();
  expect_same_path(reference, run, "data parallel, 4 replicas");
  for (int r = 1; r < n; ++r) EXPECT_EQ(largest_difference(replicas[0]->state_dict(), replicas[static_cast<std::size_t>(r)]->state_dict()), 0.0);
  EXPECT_THROW(data_parallel_train_step(replicas, steps, b.inputs.slice(0, 0, 30).contiguous(), b.targets.slice(0, 0, 30).contiguous()), gb::Error);
  EXPECT_THROW(data_parallel_train_step(replicas, {}, b.inputs, b.targets), gb::Error);
}

}  // namespace
