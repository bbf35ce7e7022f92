// models.hpp: the two models lesson 01 trains on the 8 x 8 digits, built from layers.hpp.
//
// Both take images [N, 1, 8, 8] and return logits [N, 10] (one score per digit; cross_entropy turns
// them into a loss). Their weights are drawn from Rng(seed), so a seed gives the same model everywhere.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/nn/layers.hpp"

namespace gb::nn {

// A multi-layer perceptron on the 64 pixels: it sees an image as a list of numbers (no neighbours).
//   Flatten -> Linear(64, 128) -> ReLU -> Linear(128, 64) -> ReLU -> Linear(64, 10)
std::shared_ptr<Sequential> digits_mlp(std::uint64_t seed = 0);

// A small convolutional network: 3 x 3 filters see neighbourhoods and share weights across the image.
//   Conv2d(1, 16, 3, pad 1) -> BatchNorm2d(16) -> ReLU -> MaxPool2d(2)       [N, 16, 4, 4]
//   Conv2d(16, 32, 3, pad 1) -> BatchNorm2d(32) -> ReLU -> MaxPool2d(2)      [N, 32, 2, 2]
//   Flatten -> Dropout(0.25) -> Linear(128, 10)
// The Dropout layer draws its masks from Rng(seed + 1) (saved in checkpoints as "model.<index>").
std::shared_ptr<Sequential> digits_cnn(std::uint64_t seed = 0);

// "mlp" or "cnn"; throws gb::Error for another name.
std::shared_ptr<Sequential> digits_model(const std::string& name, std::uint64_t seed = 0);

// The random number generators inside a model (its Dropout layers), named by their state_dict path
// ("model.7"), in the order a depth-first walk meets them: what a checkpoint must save and restore.
std::vector<std::pair<std::string, Rng*>> model_rngs(Module& model, const std::string& prefix = "model");

}  // namespace gb::nn
