// views.cpp: reshape, permute, transpose, slice, select, broadcast_to, squeeze, unsqueeze.
//
// A view never copies: it is the same storage seen through a new (shape, strides, offset).
//   transpose   swaps two entries of shape and strides;
//   slice       moves the offset to the first kept element and multiplies the stride by the step;
//   select      moves the offset and drops the axis;
//   broadcast   gives a stretched axis stride 0, so every index along it reads the same element;
//   reshape     finds strides that walk the same elements in the same order, when they exist.
#include <algorithm>
#include <optional>

#include "gb/core/tensor.hpp"
#include "validate.hpp"

namespace gb {

namespace {

// Resolves one -1 entry and checks that the element count is unchanged.
Shape infer_reshape(const Shape& from, const Shape& requested) {
  const std::int64_t numel = shape_numel(from);
  Shape shape = requested;
  Shape known_sizes = requested;  // the sizes other than the -1, whose product must divide numel
  std::size_t inferred = shape.size();
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == -1 && inferred == shape.size()) {
      inferred = k;
      known_sizes[k] = 1;
    } else if (shape[k] < 0) {
      throw Error("reshape", "sizes >= 0 and at most one -1", shape_str(requested));
    }
  }
  const std::int64_t known = shape_numel(known_sizes);
  if (inferred < shape.size()) {
    if (known == 0 || numel % known != 0) {
      throw Error("reshape", "a shape with " + std::to_string(numel) + " elements (from " +
                                 shape_str(from) + ")", shape_str(requested));
    }
    shape[inferred] = numel / known;
  }
  if (shape_numel(shape) != numel) {
    throw Error("reshape", "a shape with " + std::to_string(numel) + " elements (from " +
                               shape_str(from) + ")", shape_str(requested));
  }
  return shape;
}

// Strides that let `new_shape` walk the elements of (old_shape, old_strides) in row-major order,
// or nothing when no such strides exist (the same algorithm as PyTorch's computeStride).
// Idea: split the old axes into chunks that are contiguous among themselves (stride[k-1] ==
// size[k] * stride[k]); each chunk behaves like one flat axis, and the new axes must tile the chunks
// exactly, taking their strides from the chunk's innermost stride.
std::optional<Strides> reshape_strides(const Shape& old_shape, const Strides& old_strides,
                                       const Shape& new_shape) {
  Strides new_strides(new_shape.size(), 1);
  if (old_shape.empty()) return contiguous_strides(new_shape);  // a scalar: sizes are all 1
  std::int64_t view_d = static_cast<std::int64_t>(new_shape.size()) - 1;
  std::int64_t chunk_base_stride = old_strides.back();
  std::int64_t tensor_numel = 1;
  std::int64_t view_numel = 1;
  for (std::int64_t tensor_d = static_cast<std::int64_t>(old_shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    const auto d = static_cast<std::size_t>(tensor_d);
    tensor_numel *= old_shape[d];
    const bool chunk_ends = tensor_d == 0 || (old_shape[d - 1] != 1 &&
                                              old_strides[d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || new_shape[static_cast<std::size_t>(view_d)] == 1)) {
      new_strides[static_cast<std::size_t>(view_d)] = view_numel * chunk_base_stride;
      view_numel *= new_shape[static_cast<std::size_t>(view_d)];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;
    if (tensor_d > 0) {
      chunk_base_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace

Tensor Tensor::reshape(const Shape& requested) const {
  detail::require_defined(*this, "reshape");
  const Shape shape = infer_reshape(shape_, requested);
  if (numel() == 0 || is_contiguous()) {
    return from_storage(storage_, dtype_, shape, contiguous_strides(shape), offset_);
  }
  const std::optional<Strides> strides = reshape_strides(shape_, strides_, shape);
  if (!strides) {
    throw Error("reshape", "a layout that can be viewed as " + shape_str(shape) +
                               " (call contiguous() first to copy it)",
                "shape " + shape_str(shape_) + " with strides " + shape_str(strides_));
  }
  return from_storage(storage_, dtype_, shape, *strides, offset_);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& axes) const {
  detail::require_defined(*this, "permute");
  if (axes.size() != ndim()) {
    throw Error("permute", "one axis per dimension of " + shape_str(shape_), "axes " + shape_str(axes));
  }
  Shape shape(ndim());
  Strides strides(ndim());
  std::vector<bool> seen(ndim(), false);
  for (std::size_t k = 0; k < axes.size(); ++k) {
    const auto axis = static_cast<std::size_t>(normalize_axis(axes[k], ndim(), "permute"));
    if (seen[axis]) throw Error("permute", "each axis exactly once", "axes " + shape_str(axes));
    seen[axis] = true;
    shape[k] = shape_[axis];
    strides[k] = strides_[axis];
  }
  return from_storage(storage_, dtype_, shape, strides, offset_);
}

Tensor Tensor::transpose(std::int64_t axis0, std::int64_t axis1) const {
  detail::require_defined(*this, "transpose");
  std::vector<std::int64_t> axes(ndim());
  for (std::size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<std::int64_t>(k);
  std::swap(axes[static_cast<std::size_t>(normalize_axis(axis0, ndim(), "transpose"))],
            axes[static_cast<std::size_t>(normalize_axis(axis1, ndim(), "transpose"))]);
  return permute(axes);
}

Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step) const {
  detail::require_defined(*this, "slice");
  const auto k = static_cast<std::size_t>(normalize_axis(axis, ndim(), "slice"));
  if (step <= 0) throw Error("slice", "a step >= 1 (negative strides are not supported)", std::to_string(step));
  // Python's rules: negative positions count from the end, then both are clamped into [0, size].
  const std::int64_t size = shape_[k];
  auto clamp_position = [size](std::int64_t position) {
    if (position < 0) position = position < -size ? 0 : position + size;
    return std::min(position, size);
  };
  const std::int64_t first = clamp_position(start);
  const std::int64_t end = clamp_position(stop);
  const std::int64_t length = end > first ? (end - first + step - 1) / step : 0;
  Shape shape = shape_;
  Strides strides = strides_;
  shape[k] = length;
  strides[k] = strides_[k] * step;
  const std::int64_t offset = length > 0 ? offset_ + first * strides_[k] : offset_;
  return from_storage(storage_, dtype_, shape, strides, offset);
}

Tensor Tensor::select(std::int64_t axis, std::int64_t index) const {
  detail::require_defined(*this, "select");
  const auto k = static_cast<std::size_t>(normalize_axis(axis, ndim(), "select"));
  const std::int64_t size = shape_[k];
  if (index < -size || index >= size) {
    throw Error("select", "an index in [" + std::to_string(-size) + ", " + std::to_string(size) +
                              ") along axis " + std::to_string(k),
                std::to_string(index) + " for shape " + shape_str(shape_));
  }
  if (index < 0) index += size;
  Shape shape = shape_;
  Strides strides = strides_;
  shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(k));
  strides.erase(strides.begin() + static_cast<std::ptrdiff_t>(k));
  return from_storage(storage_, dtype_, shape, strides, offset_ + index * strides_[k]);
}

// One-directional broadcasting: this tensor's shape must stretch to `shape` (the target is fixed).
Tensor Tensor::broadcast_to(const Shape& shape) const {
  detail::require_defined(*this, "broadcast_to");
  const auto fail = [&]() {
    return Error("broadcast_to", "a shape that " + shape_str(shape_) + " broadcasts to", shape_str(shape));
  };
  if (shape.size() < ndim()) throw fail();
  for (std::int64_t size : shape) {
    if (size < 0) throw fail();
  }
  const std::size_t added = shape.size() - ndim();  // new leading axes
  Strides strides(shape.size(), 0);                  // stride 0: every index reads the same element
  for (std::size_t k = 0; k < ndim(); ++k) {
    if (shape_[k] == shape[added + k]) {
      strides[added + k] = strides_[k];
    } else if (shape_[k] != 1) {
      throw fail();
    }
  }
  return from_storage(storage_, dtype_, shape, strides, offset_);
}

Tensor Tensor::squeeze() const {
  detail::require_defined(*this, "squeeze");
  Shape shape;
  Strides strides;
  for (std::size_t k = 0; k < ndim(); ++k) {
    if (shape_[k] != 1) {
      shape.push_back(shape_[k]);
      strides.push_back(strides_[k]);
    }
  }
  return from_storage(storage_, dtype_, shape, strides, offset_);
}

Tensor Tensor::squeeze(std::int64_t axis) const {
  detail::require_defined(*this, "squeeze");
  const auto k = static_cast<std::size_t>(normalize_axis(axis, ndim(), "squeeze"));
  if (shape_[k] != 1) {
    throw Error("squeeze", "axis " + std::to_string(axis) + " of size 1", "shape " + shape_str(shape_));
  }
  return select(static_cast<std::int64_t>(k), 0);
}

Tensor Tensor::unsqueeze(std::int64_t axis) const {
  detail::require_defined(*this, "unsqueeze");
  const auto k = static_cast<std::size_t>(normalize_axis(axis, ndim() + 1, "unsqueeze"));
  Shape shape = shape_;
  Strides strides = strides_;
  // The new axis has size 1, so its stride is never used; pick the row-major one for neatness.
  const std::int64_t stride = k < ndim() ? shape_[k] * strides_[k] : 1;
  shape.insert(shape.begin() + static_cast<std::ptrdiff_t>(k), 1);
  strides.insert(strides.begin() + static_cast<std::ptrdiff_t>(k), stride);
  return from_storage(storage_, dtype_, shape, strides, offset_);
}

}  // namespace gb
