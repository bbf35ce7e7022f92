// ops.hpp: elementwise arithmetic and comparisons with NumPy broadcasting, reductions, matmul.
//
// Dtype rules (docs/core.md): both operands of a binary op must have the same dtype (no silent
// promotion; convert with Tensor::to). Integer arithmetic wraps around like NumPy; integer division
// floors like NumPy's //, and dividing an integer by zero throws gb::Error. Comparisons give u8 (0/1).
// Sum of an integer tensor accumulates and returns i64; mean returns f64 for integers; max keeps the
// dtype; argmax returns i64. Reducing an empty axis with max/argmax throws.
#pragma once

#include <cstdint>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb {

// --- elementwise, broadcasting ----------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }

// --- reductions over axes ----------------------------------------------------------------------
// `axes` empty = reduce over every axis. Negative axes count from the end; repeated axes throw.
Tensor sum(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Tensor max(const Tensor& t, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
// Index of the first maximum along one axis (NumPy argmax); axis = nullopt-like -1 is the last axis.
Tensor argmax(const Tensor& t, std::int64_t axis, bool keepdim = false);

// --- the reference matmul ------------------------------------------------------------------------
// NumPy matmul semantics: 2-D x 2-D; 1-D operands are promoted (and the added axis removed);
// leading batch axes broadcast. Plain triple loop in double precision accumulation for floats:
// the reference every faster GEMM in lib/kernels is checked against.
Tensor matmul(const Tensor& a, const Tensor& b);

// True when shapes are equal and every |a - b| <= atol + rtol * |b| (NaN never close).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8);

}  // namespace gb
