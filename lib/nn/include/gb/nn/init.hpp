// init.hpp: the initial values of weights and biases, the distributions torch.nn.init draws from.
//
// Why initialisation matters: each layer multiplies its input by a weight matrix; if the weights are
// too large the activations (and gradients) grow layer after layer, if too small they shrink to 0.
// Scaling the weights by 1/sqrt(fan_in) keeps the variance of a layer's output near its input's.
//   fan_in  = weight.shape[1] * KH * KW: in_features (Linear), IC/groups * KH * KW (Conv2d)
//   fan_out = weight.shape[0] * KH * KW: out_features (Linear), OC * KH * KW (Conv2d; PyTorch's rule)
// The values come from a gb::Rng, so they repeat for a seed; they are not torch's values, only its
// distributions (state_dicts carry the values across).
#pragma once

#include <cstdint>
#include <utility>

#include "gb/core/rng.hpp"
#include "gb/core/tensor.hpp"

namespace gb::nn {

// (fan_in, fan_out) of a weight shaped [out, in, k...] like torch.nn.init._calculate_fan_in_and_fan_out:
// fan_in = in * prod(k), fan_out = out * prod(k). Needs at least 2 axes.
std::pair<std::int64_t, std::int64_t> fans(const Shape& weight_shape);

// U(-bound, bound) with bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)) (He et al. 2015).
// a = sqrt(5), torch.nn.Linear's and Conv2d's default, gives bound = 1 / sqrt(fan_in).
Tensor kaiming_uniform(const Shape& shape, Rng& rng, double a = 0.0);

// U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).
Tensor xavier_uniform(const Shape& shape, Rng& rng, double gain = 1.0);

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the default bias of Linear and Conv2d (fan_in of their weight).
Tensor bias_uniform(std::int64_t size, std::int64_t fan_in, Rng& rng);

}  // namespace gb::nn
