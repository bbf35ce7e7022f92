// tensor.hpp: gb::Tensor, an n-dimensional strided view onto shared storage.
//
// A Tensor is (storage, dtype, shape, strides, offset). Copying a Tensor copies the handle, not the
// data (like torch.Tensor); views share storage; clone() and contiguous() make new storage.
// Element access goes through strided_offset() (shape.hpp), the rule every view rests on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/dtype.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb {

// A block of bytes shared by every view of a tensor. `owner` keeps foreign memory alive
// (e.g. a NumPy array wrapped without a copy).
struct Storage {
  std::byte* data = nullptr;
  std::size_t nbytes = 0;
  std::shared_ptr<void> owner;
  static std::shared_ptr<Storage> allocate(std::size_t nbytes);  // zero-filled, 64-byte aligned
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: defined() == false, every op on it throws gb::Error

  // --- creation -------------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);  // zero-filled
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  static Tensor arange(std::int64_t n, DType dtype = DType::f32);  // 0, 1, ..., n-1
  static Tensor scalar(double value, DType dtype = DType::f32);     // shape []
  // Values given as doubles, converted to dtype; values.size() must equal numel(shape).
  static Tensor from_values(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f32);
  template <class T> static Tensor from_vector(const std::vector<T>& values, const Shape& shape);
  // Wraps existing memory without copying; `owner` keeps it alive. Strides in elements.
  static Tensor from_storage(std::shared_ptr<Storage> storage, DType dtype, const Shape& shape,
                             const Strides& strides, std::int64_t offset = 0);

  // --- what it is -----------------------------------------------------------------------------
  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  std::int64_t offset() const { return offset_; }
  std::size_t ndim() const { return shape_.size(); }
  std::int64_t size(std::int64_t axis) const;  // negative axis counts from the end
  std::int64_t numel() const { return shape_numel(shape_); }
  bool is_contiguous() const;                  // row-major with no gaps
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool shares_storage_with(const Tensor& other) const { return storage_ && storage_ == other.storage_; }

  // Typed pointer to element [0, 0, ...] (storage + offset). Throws if T does not match dtype().
  template <class T> T* data();
  template <class T> const T* data() const;
  void* raw_data() const;  // untyped pointer to element [0, 0, ...]

  // --- elements (slow, for tests, printing and lessons) ----------------------------------------
  double at(const std::vector<std::int64_t>& index) const;
  void set(const std::vector<std::int64_t>& index, double value);
  double item() const;  // the single element of a tensor with numel() == 1
  std::vector<double> to_vector() const;  // all elements in row-major order, as doubles

  // --- views: no copy, share storage ----------------------------------------------------------
  Tensor reshape(const Shape& shape) const;  // one entry may be -1; needs a viewable layout, else throws
  Tensor view(const Shape& shape) const { return reshape(shape); }
  Tensor permute(const std::vector<std::int64_t>& axes) const;
  Tensor transpose(std::int64_t axis0 = -2, std::int64_t axis1 = -1) const;
  // Python's t[start:stop:step] along axis; negative start/stop count from the end and are clamped.
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t stop, std::int64_t step = 1) const;
  Tensor select(std::int64_t axis, std::int64_t index) const;  // t[..., index, ...], drops the axis
  Tensor broadcast_to(const Shape& shape) const;               // stride 0 along broadcast axes
  Tensor squeeze() const;                                     // drops every axis of size 1
  Tensor squeeze(std::int64_t axis) const;                    // drops one axis; it must have size 1
  Tensor unsqueeze(std::int64_t axis) const;                  // inserts an axis of size 1

  // --- copies ---------------------------------------------------------------------------------
  Tensor contiguous() const;  // *this when already contiguous, else a row-major copy
  Tensor clone() const;       // always a new row-major copy
  Tensor to(DType dtype) const;  // converted copy (float -> int truncates toward zero, like C++)
  void copy_from(const Tensor& src);  // elementwise copy into this view; src broadcasts to shape()

  std::string str() const;  // readable printing, see print.hpp

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::f32;
  Shape shape_;
  Strides strides_;
  std::int64_t offset_ = 0;
};

template <class T> Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape) {
  return from_values(std::vector<double>(values.begin(), values.end()), shape, dtype_of<T>());
}

}  // namespace gb
