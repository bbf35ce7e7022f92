// stack_reference.hpp: what the equivalence tests on the transformer-style stack share: the optimizer,
// one device's run on the whole batch (the reference) and the largest difference between two sets of weights.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/transformer.hpp"

namespace gb_stack_test {

inline gb::nn::SGDOptions sgd() {  // with momentum, so the optimizer state must follow the same path too
  gb::nn::SGDOptions o;
  o.lr = 0.05;
  o.momentum = 0.9;
  return o;
}

struct Trained {
  std::vector<double> losses;                    // before each step
  std::map<std::string, gb::Tensor> parameters;  // after the last
};

// `steps` SGD steps of transformer_mlp_stack(blocks, hidden, 4 hidden, seed) on (x, y) with the MSE loss.
inline Trained one_device(int blocks, std::int64_t hidden, std::uint64_t seed, const gb::Tensor& x, const gb::Tensor& y, int steps) {
  auto model = gb::parallel::transformer_mlp_stack(blocks, hidden, 0, seed);
  gb::nn::SGD optimizer(model->parameters(), sgd());
  Trained out;
  for (int step = 0; step < steps; ++step) {
    model->zero_grad();
    const gb::autodiff::Variable loss = gb::nn::mse_loss((*model)(gb::autodiff::Variable(x)), gb::autodiff::Variable(y));
    loss.backward();
    optimizer.step();
    out.losses.push_back(loss.value().item());
  }
  out.parameters = model->state_dict();
  return out;
}

inline double largest_difference(const std::map<std::string, gb::Tensor>& a, const std::map<std::string, gb::Tensor>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (const auto& [name, t] : a) {
    const std::vector<double> x = t.to_vector(), y = b.at(name).to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  }
  return worst;
}

inline double largest_loss_gap(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

}  // namespace gb_stack_test
