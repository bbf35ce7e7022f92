// tensor_math.hpp: the plain-Tensor helpers the differentiable ops compute their values with.
//
// gb_core has arithmetic, reductions, matmul and elementwise maps (gb/core/math.hpp); autodiff adds
// the relu mask and a matmul fast enough to train a small MLP. Nothing here records a graph: these
// are the values, the ops in ops.hpp add the VJPs.
#pragma once

#include <cmath>
#include <string>

#include "gb/core.hpp"

namespace gb::autodiff::detail {

// The elementwise helpers live in gb_core (gb/core/math.hpp); these names keep the VJP files short.
using gb::kept_shape;
using gb::require_defined;
using gb::require_floating;
using gb::sum_to_shape;
template <class F> Tensor map(const Tensor& x, const std::string& op, F f) { return map_floating(x, op, f); }

// 1 where a > 0, else 0 (a's dtype): the derivative of relu.
Tensor positive_mask(const Tensor& a);
// matmul of two operands with at least 2 axes. For two plain f32 matrices a cache-friendly loop
// (i, k, j order over contiguous rows, float accumulation); otherwise gb::matmul, the reference.
Tensor matmul_values(const Tensor& a, const Tensor& b);

}  // namespace gb::autodiff::detail
