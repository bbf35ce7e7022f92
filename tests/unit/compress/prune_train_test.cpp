// prune_train_test.cpp: retraining keeps the pruned weights at 0, iterative pruning rises, the gradual
// schedule prunes at its events. Small subsets of the digits and a few batches keep it fast.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/models.hpp"
#include "gb/nn/train.hpp"

namespace {

namespace cp = gb::compress;
namespace nn = gb::nn;
using gb::Tensor;

using gb_test::error_of;

// 320 training and 120 test digits from the real split.
const nn::Split& small_split() {
  static const nn::Split split = [] {
    const nn::Split full = nn::train_test_split(nn::load_digits(), 0.2, 0);
    std::vector<std::int64_t> train(320), test(120);
    std::iota(train.begin(), train.end(), 0);
    std::iota(test.begin(), test.end(), 0);
    return nn::Split{full.train.subset(train), full.test.subset(test)};
  }();
  return split;
}

cp::FineTuneOptions few_batches(std::int64_t epochs, std::int64_t batches) {
  cp::FineTuneOptions o;
  o.epochs = epochs;
  o.max_batches = batches;
  o.lr = 3e-3;
  return o;
}

// Every weight the mask pruned is exactly 0.
void expect_pruned_stay_zero(const nn::Module& model, const cp::Masks& masks) {
  const auto state = model.state_dict();
  for (const auto& [name, mask] : masks) {
    const auto w = state.at(name).to_vector(), m = mask.to_vector();
    for (std::size_t i = 0; i < w.size(); ++i)
      if (m[i] == 0) {
        ASSERT_EQ(w[i], 0.0) << name << " [" << i << "]";
      }
  }
}

TEST(FineTune, KeepsThePrunedWeightsAtZeroAndLowersTheLoss) {
  auto model = nn::digits_mlp(0);
  const cp::Masks masks = cp::magnitude_masks(*model, 0.8, cp::Scope::layer);
  const double before = nn::evaluate(*model, small_split().train).loss;
  const nn::History h = cp::fine_tune(*model, masks, small_split(), few_batches(2, 10));
  expect_pruned_stay_zero(*model, masks);
  EXPECT_EQ(h.epochs(), 2);
  EXPECT_EQ(h.step_loss.size(), 20u);
  EXPECT_EQ(h.test_accuracy.size(), 2u);
  EXPECT_LT(nn::evaluate(*model, small_split().train).loss, before);
  EXPECT_FALSE(model->training());
  EXPECT_NEAR(cp::count_sparsity(*model).fraction(), 0.8, 0.01);
}

TEST(FineTune, TheSameSeedGivesTheSameRun) {
  auto a = nn::digits_cnn(1), b = nn::digits_cnn(1);
  const auto ha = cp::fine_tune(*a, cp::magnitude_masks(*a, 0.5, cp::Scope::global), small_split(), few_batches(1, 3));
  const auto hb = cp::fine_tune(*b, cp::magnitude_masks(*b, 0.5, cp::Scope::global), small_split(), few_batches(1, 3));
  EXPECT_EQ(ha.step_loss, hb.step_loss);
  EXPECT_EQ(a->state_dict().at("10.weight").to_vector(), b->state_dict().at("10.weight").to_vector());
}

TEST(IterativePruning, SparsityRisesRoundByRoundAndMasksNest) {
  auto model = nn::digits_mlp(2);
  const std::vector<double> targets = {0.3, 0.6, 0.9};
  const auto rounds = cp::iterative_pruning(*model, small_split(), targets, cp::Scope::global, few_batches(1, 4));
  ASSERT_EQ(rounds.size(), 3u);
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    EXPECT_EQ(rounds[i].target, targets[i]);
    EXPECT_NEAR(rounds[i].sparsity, targets[i], 1e-3);
    if (i > 0) {
      EXPECT_GT(rounds[i].sparsity, rounds[i - 1].sparsity);
      for (const auto& [name, mask] : rounds[i].masks) {  // pruned once, pruned for good
        const auto now = mask.to_vector(), before = rounds[i - 1].masks.at(name).to_vector();
        for (std::size_t j = 0; j < now.size(); ++j)
          if (before[j] == 0) {
            ASSERT_EQ(now[j], 0) << name;
          }
      }
    }
  }
  expect_pruned_stay_zero(*model, rounds.back().masks);
  EXPECT_NE(error_of([&] { cp::iterative_pruning(*model, small_split(), {0.5, 0.4}, cp::Scope::layer, few_batches(1, 1)); })
                .find("rising"),
            std::string::npos);
  EXPECT_THROW(cp::iterative_pruning(*model, small_split(), {0.5, 1.2}, cp::Scope::layer, few_batches(1, 1)), gb::Error);
  EXPECT_THROW(cp::iterative_pruning(*model, small_split(), {}, cp::Scope::layer, few_batches(1, 1)), gb::Error);
}

TEST(GradualPruning, PrunesAtEveryEventToTheScheduledSparsity) {
  auto model = nn::digits_mlp(3);
  cp::GradualOptions o;
  o.schedule = {0.0, 0.8, 2, 3, 4};  // events at 2, 5, 8, 11, 14
  o.train = few_batches(2, 9);        // 18 steps
  o.watch = "3.weight";
  const cp::GradualResult r = cp::gradual_pruning(*model, small_split(), cp::Scope::layer, o);
  ASSERT_EQ(r.events.size(), 5u);
  for (std::size_t i = 0; i < r.events.size(); ++i) {
    const cp::GradualEvent& e = r.events[i];
    EXPECT_EQ(e.step, 2 + 3 * static_cast<std::int64_t>(i));
    EXPECT_DOUBLE_EQ(e.target, o.schedule.sparsity_at(e.step));
    EXPECT_NEAR(e.sparsity, e.target, 2e-3);
    ASSERT_TRUE(e.watched_mask.defined());
    const auto m = e.watched_mask.to_vector();
    EXPECT_EQ(static_cast<std::int64_t>(std::count(m.begin(), m.end(), 0.0)), cp::prune_count(128 * 64, e.target));
  }
  EXPECT_NEAR(cp::count_sparsity(*model).fraction(), 0.8, 2e-3);
  EXPECT_EQ(r.history.epochs(), 2);
  EXPECT_EQ(r.accuracy, r.history.test_accuracy.back());
  // Training must outlast the schedule; watch must name a prunable weight.
  o.train = few_batches(1, 14);
  EXPECT_NE(error_of([&] { cp::gradual_pruning(*model, small_split(), cp::Scope::layer, o); }).find("end_step"),
            std::string::npos);
  o.train = few_batches(2, 9);
  o.watch = "3.bias";
  EXPECT_NE(error_of([&] { cp::gradual_pruning(*model, small_split(), cp::Scope::layer, o); }).find("'3.bias'"),
            std::string::npos);
}

TEST(FineTune, BadOptionsAreErrors) {
  auto model = nn::digits_mlp(0);
  cp::FineTuneOptions o = few_batches(1, 1);
  o.lr = 0;
  EXPECT_NE(error_of([&] { cp::fine_tune(*model, {}, small_split(), o); }).find("learning rate"), std::string::npos);
  o = few_batches(0, 1);
  EXPECT_THROW(cp::fine_tune(*model, {}, small_split(), o), gb::Error);
  o = few_batches(1, -1);
  EXPECT_THROW(cp::fine_tune(*model, {}, small_split(), o), gb::Error);
  EXPECT_THROW(cp::fine_tune(*model, {{"1.weight", Tensor::ones({2})}}, small_split(), few_batches(1, 1)), gb::Error);
}

}  // namespace
