// shape.cpp: shapes, row-major strides, axes, and the strided offset of an index.
//
// The one formula every view rests on (lesson 00-tour):
//   element (i0, ..., ik) lives at  offset + i0*s0 + ... + ik*sk  elements from the storage start.
#include "gb/core/shape.hpp"

#include "gb/core/error.hpp"

namespace gb {

std::string shape_str(const Shape& shape) {
  std::string text = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k > 0) text += ", ";
    text += std::to_string(shape[k]);
  }
  return text + "]";
}

std::int64_t shape_numel(const Shape& shape) {
  std::int64_t numel = 1;
  for (std::int64_t size : shape) {
    if (size < 0) throw Error("shape_numel", "sizes >= 0", shape_str(shape));
    if (__builtin_mul_overflow(numel, size, &numel)) {
      throw Error("shape_numel", "a shape with fewer than 2^63 elements", shape_str(shape));
    }
  }
  return numel;
}

// Row-major (C order): the last axis is adjacent in memory, each earlier axis jumps over a whole
// block of the later ones, e.g. shape [2, 3, 4] -> strides [12, 4, 1].
Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  std::int64_t block = 1;
  for (std::size_t k = shape.size(); k-- > 0;) {
    strides[k] = block;
    block *= shape[k] > 0 ? shape[k] : 1;  // a size-0 axis: any stride works, keep them positive
  }
  return strides;
}

std::int64_t strided_offset(std::int64_t offset, const Shape& shape, const Strides& strides,
                            const std::vector<std::int64_t>& index) {
  // BEGIN EXERCISE(core.tensor.strided_offset)
  if (index.size() != shape.size() || strides.size() != shape.size()) {
    throw Error("strided_offset", "an index with one entry per axis of shape " + shape_str(shape),
                "index " + shape_str(index));
  }
  std::int64_t position = offset;
  for (std::size_t k = 0; k < index.size(); ++k) {
    if (index[k] < 0 || index[k] >= shape[k]) {
      throw Error("strided_offset",
                  "index[" + std::to_string(k) + "] in [0, " + std::to_string(shape[k]) + ")",
                  "index " + shape_str(index) + " for shape " + shape_str(shape));
    }
    position += index[k] * strides[k];
  }
  return position;
  // END EXERCISE
}

int normalize_axis(std::int64_t axis, std::size_t ndim, const std::string& op) {
  const auto rank = static_cast<std::int64_t>(ndim);
  if (axis < -rank || axis >= rank) {
    throw Error(op, "an axis in [" + std::to_string(-rank) + ", " + std::to_string(rank) + ")",
                "axis " + std::to_string(axis) + " for a tensor with " + std::to_string(ndim) +
                    " dimensions");
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace gb
