// strided_loop.hpp: visits every index of a shape once, in row-major order, for several operands.
//
// This is the fast path behind copies, elementwise ops and reductions. Instead of computing
// offset + sum_k index[k] * strides[k] for every element (what strided_offset() does, one multiply
// per axis), it keeps one running offset per operand and updates it like an odometer: step along the
// last axis by adding that axis's stride; when an axis wraps around, take back size * stride and
// carry into the axis before it. Operands may have different strides (a transposed view, a
// broadcast view with stride 0, a reduction accumulator), so one walk serves them all.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gb/core/shape.hpp"

namespace gb::detail {

// Calls body(offsets) once per index of `shape`, where offsets[k] is the element offset of that
// index in operand k. Every strides[k] must have one entry per axis of `shape`.
template <std::size_t N, class Body>
void strided_loop(const Shape& shape, const std::array<Strides, N>& strides, Body&& body) {
  for (std::int64_t size : shape) {
    if (size == 0) return;  // an empty tensor has no element to visit
  }
  std::array<std::int64_t, N> offsets{};
  const std::size_t ndim = shape.size();
  if (ndim == 0) {  // a scalar: one element, at offset 0 in every operand
    body(offsets);
    return;
  }
  const std::size_t last = ndim - 1;
  std::vector<std::int64_t> index(ndim, 0);
  while (true) {
    // The innermost axis: one addition per operand per element.
    std::array<std::int64_t, N> position = offsets;
    for (std::int64_t i = 0; i < shape[last]; ++i) {
      body(position);
      for (std::size_t k = 0; k < N; ++k) position[k] += strides[k][last];
    }
    // The odometer: advance the outer axes, carrying when one wraps around.
    std::size_t axis = last;
    while (true) {
      if (axis == 0) return;  // the first axis wrapped: every index has been visited
      --axis;
      ++index[axis];
      for (std::size_t k = 0; k < N; ++k) offsets[k] += strides[k][axis];
      if (index[axis] < shape[axis]) break;
      for (std::size_t k = 0; k < N; ++k) offsets[k] -= strides[k][axis] * shape[axis];
      index[axis] = 0;
    }
  }
}

}  // namespace gb::detail
