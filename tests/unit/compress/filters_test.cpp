// filters_test.cpp: structured filter pruning of the digits CNN: the smaller model computes what the
// original computes with the removed filters' outgoing connections cut, and costs what a hand count says.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "gb/autodiff/tensor/variable.hpp"
#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/models.hpp"

namespace {

namespace cp = gb::compress;
namespace nn = gb::nn;
using gb::Tensor;

using gb_test::error_of;

// The digits CNN with BatchNorm statistics and affine parameters that are not the identity, so that
// eval mode does something channel by channel.
std::shared_ptr<nn::Sequential> trained_looking_cnn(std::uint64_t seed) {
  auto model = nn::digits_cnn(seed);
  gb::Rng rng(seed + 100);
  auto state = model->state_dict();
  for (const std::string bn : {"1", "5"}) {
    const std::int64_t c = state.at(bn + ".running_mean").numel();
    state[bn + ".running_mean"] = rng.normal({c}, 0.0, 0.3);
    state[bn + ".running_var"] = rng.uniform({c}, 0.5, 2.0);
    state[bn + ".weight"] = rng.uniform({c}, 0.5, 1.5);
    state[bn + ".bias"] = rng.normal({c}, 0.0, 0.2);
  }
  model->load_state_dict(state);
  model->eval();
  return model;
}

Tensor forward(nn::Module& model, const Tensor& x) {
  gb::autodiff::NoGradGuard no_tape;
  model.eval();
  return model(nn::Variable(x)).value();
}

TEST(PruneFilters, TheSmallerModelEqualsTheOriginalWithTheRemovedFiltersCutOff) {
  for (double fraction : {0.0, 0.25, 0.5, 0.9}) {
    auto original = trained_looking_cnn(1);
    const cp::FilterPruning pruned = cp::prune_filters(*original, fraction);
    ASSERT_EQ(pruned.removed.size(), 2u);
    const auto& gone0 = pruned.removed.at("0");
    const auto& gone4 = pruned.removed.at("4");
    EXPECT_EQ(static_cast<std::int64_t>(gone0.size()), std::min<std::int64_t>(std::llround(fraction * 16), 15));
    EXPECT_EQ(static_cast<std::int64_t>(gone4.size()), std::min<std::int64_t>(std::llround(fraction * 32), 31));
    // The reference: the original model, in which every connection leaving a removed filter is 0.
    // Conv 0's filter f feeds conv 4's input channel f; conv 4's filter f feeds, after Flatten of
    // [32, 2, 2], the Linear's columns 4 f .. 4 f + 3.
    auto state = original->state_dict();
    Tensor w4 = state.at("4.weight"), w10 = state.at("10.weight");
    for (std::int64_t f : gone0)
      for (std::int64_t oc = 0; oc < 32; ++oc)
        for (std::int64_t i = 0; i < 9; ++i) w4.set({oc, f, i / 3, i % 3}, 0.0);
    for (std::int64_t f : gone4)
      for (std::int64_t o = 0; o < 10; ++o)
        for (std::int64_t j = 0; j < 4; ++j) w10.set({o, 4 * f + j}, 0.0);
    const Tensor x = gb::Rng(5).uniform({9, 1, 8, 8});
    const auto expected = forward(*original, x).to_vector();
    const auto got = forward(*pruned.model, x).to_vector();
    ASSERT_EQ(got.size(), expected.size());
    // Equal up to the order of the sums (the smaller convolution has fewer terms, the others add 0).
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5 * (1 + std::fabs(expected[i]))) << i;
    EXPECT_FALSE(pruned.model->training());
  }
}

TEST(PruneFilters, TheRemovedFiltersAreTheSmallestL1Norms) {
  auto original = trained_looking_cnn(2);
  const cp::FilterPruning pruned = cp::prune_filters(*original, 0.5);
  const Tensor w = original->state_dict().at("0.weight");
  std::vector<double> norms(16, 0.0);
  for (std::int64_t f = 0; f < 16; ++f)
    for (std::int64_t i = 0; i < 9; ++i) norms[static_cast<std::size_t>(f)] += std::fabs(w.at({f, 0, i / 3, i % 3}));
  const auto& gone = pruned.removed.at("0");
  for (std::int64_t f = 0; f < 16; ++f) {
    const bool removed = std::binary_search(gone.begin(), gone.end(), f);
    if (removed) continue;
    for (std::int64_t g : gone) {
      EXPECT_LE(norms[static_cast<std::size_t>(g)], norms[static_cast<std::size_t>(f)]);
    }
  }
  // The input model is left as it was.
  EXPECT_EQ(original->state_dict().at("0.weight").numel(), 16 * 9);
}

TEST(ModelCost, DigitsCnnByHandBeforeAndAfterFilterPruning) {
  // conv 1->16 3x3 on 8x8: weights 16*9 + bias 16, MACs 16 * 8*8 * 9; BatchNorm(16): 2*16.
  // conv 16->32 3x3 on 4x4: weights 32*16*9 + bias 32, MACs 32 * 4*4 * 16*9; BatchNorm(32): 2*32.
  // Linear 128->10: 128*10 + 10, MACs 128*10.
  auto cnn = nn::digits_cnn(0);
  const cp::ModelCost full = cp::model_cost(*cnn, {1, 8, 8});
  EXPECT_EQ(full.parameters, (16 * 9 + 16) + 2 * 16 + (32 * 16 * 9 + 32) + 2 * 32 + (128 * 10 + 10));
  EXPECT_EQ(full.parameters, cnn->parameter_count());
  EXPECT_EQ(full.nonzero_parameters, (16 * 9 + 16) + 16 + (32 * 16 * 9 + 32) + 32 + (128 * 10 + 10));  // BN bias = 0
  EXPECT_EQ(full.macs, 16 * 64 * 9 + 32 * 16 * 16 * 9 + 128 * 10);
  // Half the filters: 8 and 16 of them; the Linear sees 16 channels * 2*2.
  const cp::ModelCost half = cp::model_cost(*cp::prune_filters(*cnn, 0.5).model, {1, 8, 8});
  EXPECT_EQ(half.parameters, (8 * 9 + 8) + 2 * 8 + (16 * 8 * 9 + 16) + 2 * 16 + (64 * 10 + 10));
  EXPECT_EQ(half.macs, 8 * 64 * 9 + 16 * 16 * 8 * 9 + 64 * 10);
  // A quarter: round(4) = 4 and round(8) = 8 go.
  const cp::ModelCost quarter = cp::model_cost(*cp::prune_filters(*cnn, 0.25).model, {1, 8, 8});
  EXPECT_EQ(quarter.parameters, (12 * 9 + 12) + 2 * 12 + (24 * 12 * 9 + 24) + 2 * 24 + (96 * 10 + 10));
  EXPECT_EQ(quarter.macs, 12 * 64 * 9 + 24 * 16 * 12 * 9 + 96 * 10);
  // The MLP: 64*128 + 128*64 + 64*10 MACs.
  EXPECT_EQ(cp::model_cost(*nn::digits_mlp(0), {1, 8, 8}).macs, 64 * 128 + 128 * 64 + 64 * 10);
  EXPECT_THROW(cp::model_cost(*cnn, {8, 8}), gb::Error);  // no channel axis
  EXPECT_THROW(cp::model_cost(*cnn, {1, 0, 8}), gb::Error);
  EXPECT_THROW(cp::model_cost(*nn::digits_mlp(0), {1, 8, 9}), gb::Error);
}

TEST(PruneFilters, BadInputsAreErrorsNamingTheLayer) {
  auto cnn = nn::digits_cnn(0);
  EXPECT_NE(error_of([&] { cp::prune_filters(*cnn, 1.0); }).find("[0, 1)"), std::string::npos);
  EXPECT_THROW(cp::prune_filters(*cnn, -0.5), gb::Error);
  gb::Rng rng(0);
  nn::Sequential with_gelu;
  with_gelu.add(std::make_shared<nn::Conv2d>(1, 4, 3, rng)).add(std::make_shared<nn::GELU>());
  EXPECT_NE(error_of([&] { cp::prune_filters(with_gelu, 0.5); }).find("layer 1 (GELU"), std::string::npos);
  nn::Sequential grouped;
  grouped.add(std::make_shared<nn::Conv2d>(4, 4, 3, rng, gb::kernels::Conv2dParams::square(1, 1, 1, 2)));
  EXPECT_NE(error_of([&] { cp::prune_filters(grouped, 0.5); }).find("groups"), std::string::npos);
  nn::Sequential no_flatten;
  no_flatten.add(std::make_shared<nn::Conv2d>(1, 4, 3, rng)).add(std::make_shared<nn::Linear>(6, 2, rng));
  EXPECT_THROW(cp::prune_filters(no_flatten, 0.5), gb::Error);
}

}  // namespace
