// tensor_interop.cpp: NumPy arrays in and out of gb::Tensor, without copying (interop.hpp).
//
// NumPy -> Tensor: a Tensor is (storage, dtype, shape, strides, offset), and a NumPy array is almost
// the same thing, so we wrap the array's buffer in a gb::Storage whose `owner` holds a reference to the
// array: the memory lives as long as either side uses it. Two differences need care:
//   - NumPy strides are in bytes, glassbox strides in elements: we divide by the item size, and copy
//     when a stride is not a multiple of it (or is negative: glassbox has no negative strides), when
//     the data is misaligned, in the other byte order, or read-only (glassbox views are writable).
//   - An axis of size 1 may carry any stride in NumPy; we give it the row-major one.
// Tensor -> NumPy: a NumPy array over the tensor's memory, strides in bytes (0 on broadcast axes),
// whose `base` is the Python Tensor, so the storage outlives the array.
#include "interop.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/core.hpp"

namespace gb::python {

const char* const kSupported = "float32, float64, int8, uint8, int32 or int64";

py::module_ numpy() { return py::module_::import("numpy"); }

// --- dtypes ---------------------------------------------------------------------------------------

py::dtype numpy_dtype(DType dtype) {
  switch (dtype) {
    case DType::f32: return py::dtype::of<float>();
    case DType::f64: return py::dtype::of<double>();
    case DType::i8: return py::dtype::of<std::int8_t>();
    case DType::u8: return py::dtype::of<std::uint8_t>();
    case DType::i32: return py::dtype::of<std::int32_t>();
    case DType::i64: return py::dtype::of<std::int64_t>();
  }
  return py::dtype::of<float>();
}

std::optional<DType> dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'f' && size == 4) return DType::f32;
  if (kind == 'f' && size == 8) return DType::f64;
  if (kind == 'i' && size == 1) return DType::i8;
  if (kind == 'u' && size == 1) return DType::u8;
  if (kind == 'i' && size == 4) return DType::i32;
  if (kind == 'i' && size == 8) return DType::i64;
  return std::nullopt;
}

DType require_dtype(const py::dtype& dt, const std::string& op) {
  if (auto d = dtype_from_numpy(dt)) return *d;
  throw Error(op, "a NumPy array of " + std::string(kSupported) + " (glassbox dtypes f32 f64 i8 u8 i32 i64)",
              "dtype " + dt.attr("name").cast<std::string>());
}

// A dtype argument: a glassbox name ("f32"), a NumPy dtype, or a NumPy type (np.float32).
DType dtype_arg(py::handle h) {
  if (py::isinstance<py::str>(h)) {
    const std::string name = h.cast<std::string>();
    for (DType d : {DType::f32, DType::f64, DType::i8, DType::u8, DType::i32, DType::i64}) {
      if (name == dtype_name(d)) return d;
    }
  }
  py::object dt;
  try {
    dt = numpy().attr("dtype")(h);
  } catch (const py::error_already_set&) {
    throw Error("dtype", "one of f32, f64, i8, u8, i32, i64 or a NumPy dtype of " + std::string(kSupported),
                py::repr(h).cast<std::string>());
  }
  return require_dtype(dt.cast<py::dtype>(), "dtype");
}

// --- NumPy -> Tensor --------------------------------------------------------------------------------

void release_python_object(void* p) {
  auto* object = static_cast<py::object*>(p);
  if (!Py_IsInitialized()) return;  // the interpreter is gone: nothing left to release
  py::gil_scoped_acquire gil;      // a Tensor may die on any thread, e.g. one without the GIL
  delete object;
}

// Why an array cannot be wrapped as it is, or empty when it can.
std::string why_copy(const py::array& arr) {
  const auto itemsize = arr.itemsize();
  if (!arr.dtype().attr("isnative").cast<bool>()) return "the array is not in native byte order";
  if (!arr.writeable()) return "the array is read-only";
  if (reinterpret_cast<std::uintptr_t>(arr.data()) % static_cast<std::uintptr_t>(itemsize) != 0) {
    return "the array's data is not aligned to its item size";
  }
  for (py::ssize_t k = 0; k < arr.ndim(); ++k) {
    if (arr.shape(k) == 1) continue;  // the stride of a size-1 axis is never used
    if (arr.strides(k) < 0) return "the array has a negative stride (glassbox strides are >= 0)";
    if (arr.strides(k) % itemsize != 0) return "a stride is not a multiple of the item size";
  }
  return "";
}

Shape array_shape(const py::array& arr) {
  Shape shape;
  for (py::ssize_t k = 0; k < arr.ndim(); ++k) shape.push_back(static_cast<std::int64_t>(arr.shape(k)));
  return shape;
}

// Strides in elements; a size-1 axis gets its row-major stride.
Strides array_strides(const py::array& arr) {
  const Shape shape = array_shape(arr);
  Strides strides = contiguous_strides(shape);
  for (py::ssize_t k = 0; k < arr.ndim(); ++k) {
    if (arr.shape(k) != 1) strides[static_cast<std::size_t>(k)] = arr.strides(k) / arr.itemsize();
  }
  return strides;
}

// The Tensor that an array returned by tensor_to_numpy (or a NumPy view of one) looks at, if any.
std::optional<Tensor> tensor_behind(const py::array& arr) {
  py::object base = arr.attr("base");
  while (!base.is_none()) {
    if (py::isinstance<Tensor>(base)) return base.cast<Tensor>();
    if (!py::isinstance<py::array>(base)) return std::nullopt;
    base = base.attr("base");
  }
  return std::nullopt;
}

Tensor wrap_array(const py::array& arr, DType dtype) {
  const Shape shape = array_shape(arr);
  if (shape_numel(shape) == 0) return Tensor::empty(shape, dtype);  // nothing to share
  const Strides strides = array_strides(arr);
  auto* data = static_cast<std::byte*>(const_cast<void*>(arr.data()));

  // An array viewing a glassbox tensor: reuse that tensor's storage, so shares_storage_with() holds.
  if (auto behind = tensor_behind(arr); behind && behind->dtype() == dtype && behind->defined()) {
    const auto& storage = behind->storage();
    const auto itemsize = static_cast<std::ptrdiff_t>(dtype_size(dtype));
    const std::ptrdiff_t delta = data - storage->data;
    if (delta >= 0 && delta % itemsize == 0 && static_cast<std::size_t>(delta) < storage->nbytes) {
      return Tensor::from_storage(storage, dtype, shape, strides, delta / itemsize);
    }
  }
  std::int64_t last = 0;  // the farthest element reachable from data, in elements
  for (std::size_t k = 0; k < shape.size(); ++k) last += (shape[k] - 1) * strides[k];
  auto storage = std::make_shared<Storage>();
  storage->data = data;
  storage->nbytes = static_cast<std::size_t>(last + 1) * dtype_size(dtype);
  storage->owner = std::shared_ptr<void>(new py::object(arr), release_python_object);
  return Tensor::from_storage(std::move(storage), dtype, shape, strides, 0);
}

// --- Tensor -> NumPy ------------------------------------------------------------------------------

py::array numpy_view(py::handle self) {
  const Tensor& t = self.cast<const Tensor&>();
  const auto itemsize = static_cast<py::ssize_t>(dtype_size(t.dtype()));
  std::vector<py::ssize_t> shape, strides;
  for (std::size_t k = 0; k < t.ndim(); ++k) {
    shape.push_back(static_cast<py::ssize_t>(t.shape()[k]));
    strides.push_back(static_cast<py::ssize_t>(t.strides()[k]) * itemsize);
  }
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.raw_data(), self);
}

// --- the two conversions (declared in bindings.hpp) -------------------------------------------------

Tensor tensor_from_python(py::handle object, py::handle copy) {
  const py::object np = numpy();
  py::array arr = np.attr("asarray")(object);
  const DType dtype = require_dtype(arr.dtype(), "tensor");
  const bool always = !copy.is_none() && copy.cast<bool>();
  const bool never = !copy.is_none() && !copy.cast<bool>();
  const std::string reason = why_copy(arr);
  if (never && !reason.empty()) {
    throw Error("tensor(copy=False)", "an array glassbox can wrap without copying", reason);
  }
  if (always || !reason.empty()) {
    // A fresh, aligned, row-major, native-order, writable copy; wrapped below without a second copy.
    arr = np.attr("array")(arr, py::arg("dtype") = numpy_dtype(dtype), py::arg("order") = "C",
                           py::arg("copy") = true);
  }
  return wrap_array(arr, dtype);
}

py::object tensor_to_numpy(py::handle self) { return numpy_view(self); }

}  // namespace gb::python
