// prune_mask_test.cpp: magnitude masks per layer and global, masks on models, sparsity counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/models.hpp"

namespace {

namespace cp = gb::compress;
using gb::DType;
using gb::Tensor;

// The message of the gb::Error that f throws; a kit's NotImplemented goes through untouched.
using gb_test::error_of;

std::int64_t zeros_in(const Tensor& t) {
  const auto v = t.to_vector();
  return std::count(v.begin(), v.end(), 0.0);
}

TEST(PruneCount, RoundsHalfToEvenLikePython) {
  // Python: round(0.5 * 5) = round(2.5) = 2, round(0.5 * 7) = round(3.5) = 4, round(0.3 * 5) = round(1.5) = 2.
  EXPECT_EQ(cp::prune_count(5, 0.5), 2);
  EXPECT_EQ(cp::prune_count(7, 0.5), 4);
  EXPECT_EQ(cp::prune_count(9, 0.5), 4);
  EXPECT_EQ(cp::prune_count(10, 0.25), 2);  // 2.5 -> 2
  EXPECT_EQ(cp::prune_count(10, 0.35), 4);  // 0.35 * 10 = 3.5000000000000004 in doubles -> 4
  EXPECT_EQ(cp::prune_count(100, 0.0), 0);
  EXPECT_EQ(cp::prune_count(100, 1.0), 100);
  EXPECT_EQ(cp::prune_count(0, 0.5), 0);
  EXPECT_NE(error_of([] { cp::prune_count(10, 1.5); }).find("prune_count"), std::string::npos);
  EXPECT_THROW(cp::prune_count(10, -0.1), gb::Error);
  EXPECT_THROW(cp::prune_count(10, std::nan("")), gb::Error);
}

TEST(MagnitudeMask, PrunesTheSmallestMagnitudesWhateverTheirSign) {
  const Tensor w = Tensor::from_values({0.5, -0.1, 2.0, -3.0, 0.2, -0.05}, {2, 3});
  const Tensor m = cp::magnitude_mask(w, 0.5);  // 3 go: |-0.05|, |-0.1|, |0.2|
  EXPECT_EQ(m.shape(), w.shape());
  EXPECT_EQ(m.dtype(), DType::f32);
  EXPECT_EQ(m.to_vector(), (std::vector<double>{1, 0, 1, 1, 0, 0}));
  EXPECT_EQ(cp::magnitude_mask(w, 0.0).to_vector(), std::vector<double>(6, 1.0));
  EXPECT_EQ(cp::magnitude_mask(w, 1.0).to_vector(), std::vector<double>(6, 0.0));
}

TEST(MagnitudeMask, CountsFollowTheRoundingOnManyShapes) {
  gb::Rng rng(3);
  for (const gb::Shape& shape : {gb::Shape{7}, gb::Shape{3, 5}, gb::Shape{4, 3, 3, 3}, gb::Shape{64, 128}}) {
    const Tensor w = rng.normal(shape);
    for (double s : {0.0, 0.1, 0.5, 0.7, 0.9, 0.99, 1.0}) {
      const Tensor m = cp::magnitude_mask(w, s);
      EXPECT_EQ(zeros_in(m), static_cast<std::int64_t>(std::nearbyint(s * static_cast<double>(w.numel()))));
      // Every pruned weight is at most as large as every kept one.
      double largest_pruned = 0, smallest_kept = std::numeric_limits<double>::infinity();
      const auto wv = w.to_vector(), mv = m.to_vector();
      for (std::size_t i = 0; i < wv.size(); ++i) {
        if (mv[i] == 0) largest_pruned = std::max(largest_pruned, std::fabs(wv[i]));
        else smallest_kept = std::min(smallest_kept, std::fabs(wv[i]));
      }
      EXPECT_LE(largest_pruned, smallest_kept);
    }
  }
}

TEST(MagnitudeMask, TiesGoToTheLowerIndexFirst) {
  const Tensor w = Tensor::from_values({1, -1, 1, 2, -1}, {5});
  EXPECT_EQ(cp::magnitude_mask(w, 0.4).to_vector(), (std::vector<double>{0, 0, 1, 1, 1}));
  EXPECT_EQ(cp::magnitude_mask(w, 0.6).to_vector(), (std::vector<double>{0, 0, 0, 1, 1}));
}

TEST(MagnitudeMask, BadInputsAreErrors) {
  EXPECT_NE(error_of([] { cp::magnitude_mask(Tensor(), 0.5); }).find("magnitude_mask"), std::string::npos);
  EXPECT_NE(error_of([] { cp::magnitude_mask(Tensor::ones({3}, DType::f64), 0.5); }).find("f64"), std::string::npos);
  EXPECT_NE(error_of([] { cp::magnitude_mask(Tensor::ones({0, 3}), 0.5); }).find("non-empty"), std::string::npos);
  EXPECT_NE(error_of([] { cp::magnitude_mask(Tensor::from_values({1, std::nan("")}, {2}), 0.5); }).find("finite"),
            std::string::npos);
  EXPECT_NE(error_of([] { cp::magnitude_mask(Tensor::from_values({1, INFINITY}, {2}), 0.5); }).find("flat index 1"),
            std::string::npos);
  EXPECT_NE(error_of([] { cp::magnitude_mask(Tensor::ones({3}), 2.0); }).find("sparsity"), std::string::npos);
}

TEST(GlobalMagnitudeMasks, OneThresholdOverEveryTensor) {
  const Tensor a = Tensor::from_values({0.1, 5.0, 0.2, 4.0}, {2, 2});
  const Tensor b = Tensor::from_values({3.0, 0.3, 0.05}, {3});
  const auto masks = cp::global_magnitude_masks({a, b}, 3.0 / 7.0);  // round(3) = 3 go: 0.05, 0.1, 0.2
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_EQ(masks[0].shape(), a.shape());
  EXPECT_EQ(masks[0].to_vector(), (std::vector<double>{0, 1, 0, 1}));
  EXPECT_EQ(masks[1].to_vector(), (std::vector<double>{1, 1, 0}));
  // Ties: the earlier tensor first.
  const auto tied = cp::global_magnitude_masks({Tensor::from_values({1, 2}, {2}), Tensor::from_values({1, 2}, {2})}, 0.25);
  EXPECT_EQ(tied[0].to_vector(), (std::vector<double>{0, 1}));
  EXPECT_EQ(tied[1].to_vector(), (std::vector<double>{1, 1}));
  EXPECT_THROW(cp::global_magnitude_masks({}, 0.5), gb::Error);
  EXPECT_THROW(cp::global_magnitude_masks({a, Tensor()}, 0.5), gb::Error);
}

TEST(ModelMasks, PrunableParametersAreTheLinearAndConvWeights) {
  EXPECT_EQ(cp::prunable_parameters(*gb::nn::digits_cnn(0)), (std::vector<std::string>{"0.weight", "4.weight", "10.weight"}));
  EXPECT_EQ(cp::prunable_parameters(*gb::nn::digits_mlp(0)), (std::vector<std::string>{"1.weight", "3.weight", "5.weight"}));
  EXPECT_EQ(cp::scope_from_name("layer"), cp::Scope::layer);
  EXPECT_EQ(std::string(cp::scope_name(cp::scope_from_name("global"))), "global");
  EXPECT_NE(error_of([] { cp::scope_from_name("local"); }).find("'local'"), std::string::npos);
}

TEST(ModelMasks, LayerScopePrunesEachWeightGlobalScopePrunesTheTotal) {
  auto model = gb::nn::digits_mlp(1);
  const auto layer = cp::magnitude_masks(*model, 0.7, cp::Scope::layer);
  ASSERT_EQ(layer.size(), 3u);
  std::int64_t total = 0, zeros = 0;
  for (const auto& [name, mask] : layer) {
    EXPECT_EQ(zeros_in(mask), cp::prune_count(mask.numel(), 0.7)) << name;
    total += mask.numel();
  }
  const auto global = cp::magnitude_masks(*model, 0.7, cp::Scope::global);
  for (const auto& [name, mask] : global) zeros += zeros_in(mask);
  EXPECT_EQ(zeros, cp::prune_count(total, 0.7));
  // Kaiming init: the 64 -> 10 layer's bound 1/sqrt(64) is the largest, so globally it loses the least.
  EXPECT_LT(static_cast<double>(zeros_in(global.at("5.weight"))) / 640.0, 0.7);
}

TEST(ModelMasks, ApplyMasksZeroesInPlaceAndCountSparsityCountsTheZeros) {
  auto model = gb::nn::digits_cnn(2);
  const auto before = cp::count_sparsity(*model);
  EXPECT_EQ(before.zeros, 0);
  EXPECT_EQ(before.total, 16 * 9 + 32 * 16 * 9 + 10 * 128);
  const gb::nn::Variable w = model->named_parameters()[0].second;  // 0.weight: the Variable itself
  const auto masks = cp::magnitude_masks(*model, 0.5, cp::Scope::global);
  cp::apply_masks(*model, masks);
  const auto after = cp::count_sparsity(*model);
  EXPECT_EQ(after.zeros, cp::prune_count(before.total, 0.5));
  EXPECT_DOUBLE_EQ(after.fraction(), static_cast<double>(after.zeros) / static_cast<double>(after.total));
  EXPECT_EQ(zeros_in(w.value()), zeros_in(masks.at("0.weight")));  // the same storage was written
}

TEST(ModelMasks, BadMasksAreErrorsAndChangeNothing) {
  auto model = gb::nn::digits_mlp(0);
  const auto state = model->state_dict().at("1.weight").clone();
  cp::Masks bad = {{"1.weight", Tensor::zeros({128, 64})}, {"9.weight", Tensor::zeros({2})}};
  EXPECT_NE(error_of([&] { cp::apply_masks(*model, bad); }).find("'9.weight'"), std::string::npos);
  EXPECT_EQ(model->state_dict().at("1.weight").to_vector(), state.to_vector());
  bad = {{"1.weight", Tensor::zeros({64, 128})}};
  EXPECT_NE(error_of([&] { cp::apply_masks(*model, bad); }).find("[128, 64]"), std::string::npos);
  EXPECT_THROW(cp::magnitude_masks(*model, 1.1, cp::Scope::layer), gb::Error);
  gb::nn::Sequential empty;
  EXPECT_THROW(cp::magnitude_masks(empty, 0.5, cp::Scope::layer), gb::Error);
}

}  // namespace
