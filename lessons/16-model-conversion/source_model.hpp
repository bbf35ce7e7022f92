// source_model.hpp: lesson 16's source model and the formulas of both frameworks, written out: a
// Keras-like Dense layer stores its kernel [in, units] and computes x @ kernel + bias; PyTorch's Linear
// stores its weight [out, in] and computes x @ weight^T + bias. Converting one into the other is the
// layout fix `transpose`; reading the same bytes in the other layout without it is the classic bug.
// Both forward passes run in double, the same sums in the same order, so they agree exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::lessons::source_model {

// keras.layers.Dense(units, activation): y = activation(x @ kernel + bias), the kernel stored [in, units].
struct Dense {
  std::string name;
  Tensor kernel, bias;
  bool relu = false;
};

// y[b, j] = bias[j] + sum_i x[b, i] w(i, j), in double; w reads the weight in the source's layout.
template <class W>
inline std::vector<double> affine(const std::vector<double>& x, std::int64_t batch, std::int64_t in, const Tensor& bias, bool relu, W w) {
  const std::vector<double> b = bias.to_vector();
  const auto units = static_cast<std::int64_t>(b.size());
  std::vector<double> y(static_cast<std::size_t>(batch * units));
  for (std::int64_t r = 0; r < batch; ++r) {
    for (std::int64_t j = 0; j < units; ++j) {
      double s = b[static_cast<std::size_t>(j)];
      for (std::int64_t i = 0; i < in; ++i) s += x[static_cast<std::size_t>(r * in + i)] * w(i, j);
      y[static_cast<std::size_t>(r * units + j)] = relu ? std::max(s, 0.0) : s;
    }
  }
  return y;
}

// Keras's Dense: the kernel is [in, units], element (i, j) at i * units + j.
inline std::vector<double> keras_dense(const std::vector<double>& x, std::int64_t batch, const Dense& d) {
  const std::vector<double> k = d.kernel.to_vector();
  const std::int64_t in = d.kernel.shape()[0], units = d.kernel.shape()[1];
  return affine(x, batch, in, d.bias, d.relu, [&](std::int64_t i, std::int64_t j) { return k[static_cast<std::size_t>(i * units + j)]; });
}

// PyTorch's Linear: y = x @ weight^T + bias, the weight is [out, in], element (j, i) at j * in + i.
inline std::vector<double> torch_linear(const std::vector<double>& x, std::int64_t batch, const Tensor& weight, const Tensor& bias,
                                        bool relu) {
  const std::vector<double> w = weight.to_vector();
  const std::int64_t in = weight.shape()[1];
  return affine(x, batch, in, bias, relu, [&](std::int64_t i, std::int64_t j) { return w[static_cast<std::size_t>(j * in + i)]; });
}

// The layout fix of both converters: [in, units] -> [units, in], element (i, j) moves to (j, i).
inline Tensor transpose(const Tensor& kernel) {
  const std::int64_t in = kernel.shape()[0], units = kernel.shape()[1];
  const std::vector<double> k = kernel.to_vector();
  std::vector<double> t(k.size());
  for (std::int64_t i = 0; i < in; ++i)
    for (std::int64_t j = 0; j < units; ++j) t[static_cast<std::size_t>(j * in + i)] = k[static_cast<std::size_t>(i * units + j)];
  return Tensor::from_values(t, {units, in});
}

}  // namespace gb::lessons::source_model
