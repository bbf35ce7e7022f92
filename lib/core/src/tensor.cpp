// tensor.cpp: Storage, creating tensors, and reading/writing single elements.
//
// A Tensor is a handle (storage, dtype, shape, strides, offset); copying it shares the storage.
// Single-element access at()/set() goes through strided_offset(), the formula of lesson 00-tour;
// the bulk paths (to_vector, copies, ops) walk the elements with detail::strided_loop instead.
#include "gb/core/tensor.hpp"

#include <cstdint>
#include <cstring>
#include <new>

#include "convert.hpp"
#include "strided_loop.hpp"
#include "validate.hpp"

namespace gb {

// --- storage ------------------------------------------------------------------------------------

std::shared_ptr<Storage> Storage::allocate(std::size_t nbytes) {
  constexpr std::size_t alignment = 64;  // a cache line, and enough for any SIMD load
  const std::size_t padded = (nbytes / alignment + 1) * alignment;  // never 0 bytes
  void* memory = ::operator new(padded, std::align_val_t{alignment});
  std::memset(memory, 0, padded);
  auto storage = std::make_shared<Storage>();
  storage->data = static_cast<std::byte*>(memory);
  storage->nbytes = nbytes;
  storage->owner = std::shared_ptr<void>(
      memory, [](void* p) { ::operator delete(p, std::align_val_t{alignment}); });
  return storage;
}

namespace {

void require_valid_shape(const Shape& shape, const std::string& op) {
  for (std::int64_t size : shape) {
    if (size < 0) throw Error(op, "sizes >= 0", "shape " + shape_str(shape));
  }
  shape_numel(shape);  // throws when the element count overflows
}

// Writes the doubles of `values` (row-major) into the contiguous tensor t, converting each.
void fill_from_doubles(Tensor& t, const double* values) {
  dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* out = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) out[i] = detail::convert_value<T>(values[i]);
  });
}

}  // namespace

// --- creation -----------------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  require_valid_shape(shape, "empty");
  const auto numel = static_cast<std::size_t>(shape_numel(shape));
  if (numel > SIZE_MAX / 64) throw Error("empty", "a shape that fits in memory", shape_str(shape));
  return from_storage(Storage::allocate(numel * dtype_size(dtype)), dtype, shape,
                      contiguous_strides(shape), 0);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) { return empty(shape, dtype); }

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T converted = detail::convert_value<T>(value);
    T* out = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) out[i] = converted;
  });
  return t;
}

Tensor Tensor::arange(std::int64_t n, DType dtype) {
  if (n < 0) throw Error("arange", "n >= 0", std::to_string(n));
  Tensor t = empty({n}, dtype);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) out[i] = detail::convert_value<T>(static_cast<double>(i));
  });
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from_values(const std::vector<double>& values, const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  if (static_cast<std::int64_t>(values.size()) != t.numel()) {
    throw Error("from_values", std::to_string(t.numel()) + " values for shape " + shape_str(shape),
                std::to_string(values.size()) + " values");
  }
  fill_from_doubles(t, values.data());
  return t;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, DType dtype, const Shape& shape,
                            const Strides& strides, std::int64_t offset) {
  const std::string op = "from_storage";
  if (!storage || !storage->data) throw Error(op, "a storage with memory", "a null storage");
  require_valid_shape(shape, op);
  if (strides.size() != shape.size()) {
    throw Error(op, "one stride per axis of shape " + shape_str(shape), "strides " + shape_str(strides));
  }
  if (offset < 0) throw Error(op, "offset >= 0", std::to_string(offset));
  // Every reachable element must lie inside the storage: offset + sum_k (size_k - 1) * stride_k.
  const auto size = static_cast<std::int64_t>(dtype_size(dtype));
  const auto capacity = static_cast<std::int64_t>(storage->nbytes) / size;
  for (std::int64_t stride : strides) {
    if (stride < 0) throw Error(op, "strides >= 0 (no negative strides)", "strides " + shape_str(strides));
  }
  const std::string layout = "shape " + shape_str(shape) + ", strides " + shape_str(strides) +
                             ", offset " + std::to_string(offset);
  if (shape_numel(shape) > 0) {
    std::int64_t last = offset;
    for (std::size_t k = 0; k < shape.size(); ++k) {
      std::int64_t reach = 0;
      if (__builtin_mul_overflow(shape[k] - 1, strides[k], &reach) ||
          __builtin_add_overflow(last, reach, &last)) {
        throw Error(op, "a layout whose offsets fit in 64 bits", layout);
      }
    }
    if (last >= capacity) {
      throw Error(op, "a layout inside the storage's " + std::to_string(capacity) + " elements", layout);
    }
  } else if (offset > capacity) {
    throw Error(op, "an offset inside the storage's " + std::to_string(capacity) + " elements", layout);
  }
  // Typed loads through a misaligned pointer are undefined behaviour, so foreign memory must be aligned.
  const auto address = reinterpret_cast<std::uintptr_t>(storage->data) + static_cast<std::uintptr_t>(offset * size);
  if (address % static_cast<std::uintptr_t>(size) != 0) {
    throw Error(op, "memory aligned to " + std::to_string(size) + " bytes", "a misaligned pointer");
  }
  Tensor t;
  t.storage_ = std::move(storage);
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.strides_ = strides;
  t.offset_ = offset;
  return t;
}

// --- what it is ---------------------------------------------------------------------------------

std::int64_t Tensor::size(std::int64_t axis) const {
  detail::require_defined(*this, "size");
  return shape_[static_cast<std::size_t>(normalize_axis(axis, ndim(), "size"))];
}

// Row-major with no gaps. Axes of size 1 may have any stride (they are never stepped along), and a
// tensor with no elements is trivially contiguous (the same rule as PyTorch).
bool Tensor::is_contiguous() const {
  detail::require_defined(*this, "is_contiguous");
  if (numel() == 0) return true;
  const Strides expected = contiguous_strides(shape_);
  for (std::size_t k = 0; k < shape_.size(); ++k) {
    if (shape_[k] != 1 && strides_[k] != expected[k]) return false;
  }
  return true;
}

template <class T> T* Tensor::data() {
  return const_cast<T*>(static_cast<const Tensor*>(this)->data<T>());
}

template <class T> const T* Tensor::data() const {
  detail::require_defined(*this, "data");
  if (dtype_of<T>() != dtype_) {
    throw Error("data", std::string("the tensor's dtype ") + dtype_name(dtype_),
                std::string("data<") + dtype_name(dtype_of<T>()) + ">()");
  }
  return reinterpret_cast<const T*>(raw_data());
}

// Every dtype gets its data<T>() compiled here, once.
#define GB_INSTANTIATE_DATA(T)              \
  template T* Tensor::data<T>();            \
  template const T* Tensor::data<T>() const;
GB_INSTANTIATE_DATA(float)
GB_INSTANTIATE_DATA(double)
GB_INSTANTIATE_DATA(std::int8_t)
GB_INSTANTIATE_DATA(std::uint8_t)
GB_INSTANTIATE_DATA(std::int32_t)
GB_INSTANTIATE_DATA(std::int64_t)
#undef GB_INSTANTIATE_DATA

void* Tensor::raw_data() const {
  detail::require_defined(*this, "raw_data");
  return storage_->data + static_cast<std::size_t>(offset_) * dtype_size(dtype_);
}

// --- elements -----------------------------------------------------------------------------------

double Tensor::at(const std::vector<std::int64_t>& index) const {
  detail::require_defined(*this, "at");
  const std::int64_t position = strided_offset(offset_, shape_, strides_, index);
  return dispatch_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(reinterpret_cast<const T*>(storage_->data)[position]);
  });
}

void Tensor::set(const std::vector<std::int64_t>& index, double value) {
  detail::require_defined(*this, "set");
  const std::int64_t position = strided_offset(offset_, shape_, strides_, index);
  dispatch_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    reinterpret_cast<T*>(storage_->data)[position] = detail::convert_value<T>(value);
  });
}

double Tensor::item() const {
  detail::require_defined(*this, "item");
  if (numel() != 1) throw Error("item", "a tensor with exactly one element", "shape " + shape_str(shape_));
  // With one element every index is all zeros, so the element sits at the offset itself.
  return dispatch_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(*data<T>());
  });
}

std::vector<double> Tensor::to_vector() const {
  detail::require_defined(*this, "to_vector");
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(numel()));
  dispatch_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    const T* in = data<T>();
    detail::strided_loop<1>(shape_, {strides_},
                            [&](const auto& at) { values.push_back(static_cast<double>(in[at[0]])); });
  });
  return values;
}

}  // namespace gb
