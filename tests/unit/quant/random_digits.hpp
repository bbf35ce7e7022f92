// random_digits.hpp: stand-in "digits" for the PTQ and QAT tests, so they run without the data file.
#pragma once

#include <cstdint>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/core/tensor.hpp"
#include "gb/nn/data.hpp"

namespace gb::quant_test {

// n images [n, 1, 8, 8] in [0, 1] (multiples of 1/16, like the real ones) and labels 0..9.
inline nn::Dataset random_digits(std::int64_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> pixels(static_cast<std::size_t>(n * 64)), labels(static_cast<std::size_t>(n));
  for (double& p : pixels) p = static_cast<double>(rng.randint(0, 17)) / 16.0;
  for (double& l : labels) l = static_cast<double>(rng.randint(0, 10));
  return {Tensor::from_values(pixels, {n, 1, 8, 8}), Tensor::from_values(labels, {n}, DType::i64)};
}

}  // namespace gb::quant_test
