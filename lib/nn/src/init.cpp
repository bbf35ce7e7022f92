// init.cpp: kaiming_uniform, xavier_uniform and the default bias (init.hpp), as torch.nn.init computes them.
#include "gb/nn/init.hpp"

#include <cmath>

#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb::nn {

std::pair<std::int64_t, std::int64_t> fans(const Shape& weight_shape) {
  if (weight_shape.size() < 2 || shape_numel(weight_shape) == 0) {
    throw Error("fans", "a non-empty weight with at least 2 axes [out, in, k...]", shape_str(weight_shape));
  }
  std::int64_t receptive_field = 1;  // KH * KW for a convolution, 1 for a linear layer
  for (std::size_t i = 2; i < weight_shape.size(); ++i) receptive_field *= weight_shape[i];
  return {weight_shape[1] * receptive_field, weight_shape[0] * receptive_field};
}

Tensor kaiming_uniform(const Shape& shape, Rng& rng, double a) {
  const auto [fan_in, fan_out] = fans(shape);
  const double gain = std::sqrt(2.0 / (1.0 + a * a));  // torch.nn.init.calculate_gain("leaky_relu", a)
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in));
  return rng.uniform(shape, -bound, bound);
}

Tensor xavier_uniform(const Shape& shape, Rng& rng, double gain) {
  const auto [fan_in, fan_out] = fans(shape);
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return rng.uniform(shape, -bound, bound);
}

Tensor bias_uniform(std::int64_t size, std::int64_t fan_in, Rng& rng) {
  if (size < 1 || fan_in < 1) {
    throw Error("bias_uniform", "size >= 1 and fan_in >= 1",
                "size " + std::to_string(size) + ", fan_in " + std::to_string(fan_in));
  }
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return rng.uniform({size}, -bound, bound);
}

}  // namespace gb::nn
