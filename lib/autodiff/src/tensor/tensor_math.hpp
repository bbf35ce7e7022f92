// tensor_math.hpp: the plain-Tensor helpers the differentiable ops compute their values with.
//
// gb_core has arithmetic, reductions and matmul; autodiff also needs elementwise functions (exp, log,
// tanh, ...), the reduction that undoes broadcasting (sum_to_shape), and a matmul fast enough to train
// a small MLP. Nothing here records a graph: these are the values, the ops in ops.hpp add the VJPs.
#pragma once

#include <cmath>
#include <string>

#include "gb/core.hpp"

namespace gb::autodiff::detail {

void require_defined(const Tensor& t, const std::string& op);
void require_floating(const Tensor& t, const std::string& op);

// f applied to every element of x (f32 or f64; computed in double): a new contiguous tensor.
template <class F> Tensor map(const Tensor& x, const std::string& op, F f) {
  require_floating(x, op);
  Tensor in = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const std::int64_t n = x.numel();
  if (x.dtype() == DType::f32) {
    const float* src = in.data<float>();
    float* dst = out.data<float>();
    for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(f(static_cast<double>(src[i])));
  } else {
    const double* src = in.data<double>();
    double* dst = out.data<double>();
    for (std::int64_t i = 0; i < n; ++i) dst[i] = f(src[i]);
  }
  return out;
}

// Sums t over the axes broadcasting added (leading) or stretched (size 1 in `shape`), giving `shape`.
Tensor sum_to_shape(const Tensor& t, const Shape& shape, const std::string& op = "sum_to_shape");
// The shape a reduction over `axes` gives with keepdim = true (reduced axes become 1).
Shape kept_shape(const Shape& shape, const std::vector<std::int64_t>& axes, const std::string& op);
// 1 where a > 0, else 0 (a's dtype): the derivative of relu.
Tensor positive_mask(const Tensor& a);
// matmul of two operands with at least 2 axes. For two plain f32 matrices a cache-friendly loop
// (i, k, j order over contiguous rows, float accumulation); otherwise gb::matmul, the reference.
Tensor matmul_values(const Tensor& a, const Tensor& b);

}  // namespace gb::autodiff::detail
