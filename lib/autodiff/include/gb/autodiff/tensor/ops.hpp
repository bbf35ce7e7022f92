// ops.hpp: the differentiable ops on Variables, each with one VJP rule.
//
// Values are computed with gb_core (broadcasting like NumPy); every op checks its input and throws
// gb::Error(op, expected, given). Files, one per family of VJP rules:
//   vjp_elementwise.cpp  add sub mul div neg pow           (broadcast adjoints summed back: sum_to_shape)
//   vjp_activation.cpp   relu sigmoid tanh exp log gelu
//   vjp_reduce.cpp       sum mean max
//   vjp_shape.cpp        reshape transpose permute broadcast_to sum_to_shape
//   vjp_matmul.cpp       matmul
//   vjp_softmax.cpp      softmax log_softmax
#pragma once

#include <cstdint>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"

namespace gb::autodiff {

// A Variable that never requires grad (a constant in a formula).
Variable constant(const Tensor& value);
// A constant scalar of x's dtype (shape []).
Variable scalar_like(const Variable& x, double value);

// --- elementwise, broadcasting (vjp_elementwise.cpp) --------------------------------------------
Variable add(const Variable& a, const Variable& b);
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable div(const Variable& a, const Variable& b);
Variable neg(const Variable& a);
Variable pow(const Variable& a, const Variable& b);  // a^b elementwise; d/db needs a > 0
Variable pow(const Variable& a, double exponent);

inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator-(const Variable& a) { return neg(a); }

// --- activations and elementwise functions (vjp_activation.cpp) ------------------------------------
Variable relu(const Variable& x);     // max(x, 0); the derivative at 0 is taken as 0 (PyTorch's choice)
Variable sigmoid(const Variable& x);  // 1 / (1 + exp(-x)), computed without overflow
Variable tanh(const Variable& x);
Variable exp(const Variable& x);
Variable log(const Variable& x);      // IEEE: log(0) = -inf, log(x < 0) = nan (like PyTorch)
// GELU, tanh approximation (Hendrycks & Gimpel 2016, eq. in section 2; PyTorch approximate="tanh"):
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
Variable gelu(const Variable& x);

// --- reductions over axes (vjp_reduce.cpp) ------------------------------------------------------------
// axes empty = every axis; negative axes count from the end; keepdim keeps reduced axes as size 1.
Variable sum(const Variable& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Variable mean(const Variable& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
// The adjoint is shared equally among tied maxima (like torch.amax).
Variable max(const Variable& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);

// --- shapes (vjp_shape.cpp) -----------------------------------------------------------------------
Variable reshape(const Variable& x, const Shape& shape);  // copies when no view exists (torch.reshape)
Variable transpose(const Variable& x, std::int64_t axis0 = -2, std::int64_t axis1 = -1);
Variable permute(const Variable& x, const std::vector<std::int64_t>& axes);
Variable broadcast_to(const Variable& x, const Shape& shape);
// Sums x over the axes that broadcasting added or stretched, back to `shape`: the VJP of broadcasting.
Variable sum_to_shape(const Variable& x, const Shape& shape);

// --- matmul (vjp_matmul.cpp) ------------------------------------------------------------------------
// NumPy semantics: 1-D operands promoted (and the added axis removed), batch axes broadcast.
Variable matmul(const Variable& a, const Variable& b);

// --- softmax (vjp_softmax.cpp) ------------------------------------------------------------------
Variable softmax(const Variable& x, std::int64_t axis = -1);      // exp(x - max) / sum(exp(x - max))
Variable log_softmax(const Variable& x, std::int64_t axis = -1);  // x - max - log(sum(exp(x - max)))

}  // namespace gb::autodiff
