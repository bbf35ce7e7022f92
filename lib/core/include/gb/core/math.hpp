// math.hpp: elementwise functions of floating tensors and the reduction that undoes broadcasting.
//
// ops.hpp has arithmetic, comparisons, reductions and matmul. Differentiation (lib/autodiff) and the
// graph executor (lib/graph) also need f(x) applied to every element (exp, log, tanh, ...) and
// sum_to_shape, the VJP of broadcasting: both live here so neither module depends on the other.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb {

void require_defined(const Tensor& t, const std::string& op);   // gb::Error(op, ...) when undefined
void require_floating(const Tensor& t, const std::string& op);  // ... or when not f32/f64

// f applied to every element of x (f32 or f64; computed in double): a new contiguous tensor.
template <class F> Tensor map_floating(const Tensor& x, const std::string& op, F f) {
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
// The shape a reduction over `axes` gives with keepdim = true (reduced axes become 1; empty = all).
Shape kept_shape(const Shape& shape, const std::vector<std::int64_t>& axes, const std::string& op);

}  // namespace gb
