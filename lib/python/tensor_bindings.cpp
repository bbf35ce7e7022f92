// tensor_bindings.cpp: gb::Tensor for Python: the class, its ops and reductions. The NumPy side
// (arrays in and out without copying, dtypes) is tensor_interop.cpp.
//
// Binary ops take Tensors, NumPy arrays (wrapped by tensor_interop.cpp) or Python scalars. A scalar
// takes the dtype of the tensor it meets (like NumPy's "weak" scalars) and must be exactly representable in it:
// glassbox never promotes silently (ops.hpp), so `int_tensor + 0.5` raises instead of truncating.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "interop.hpp"
#include "gb/core.hpp"

namespace gb::python {

namespace {

// --- scalars and operands -------------------------------------------------------------------------

bool is_scalar(py::handle h) {
  if (py::isinstance<py::bool_>(h) || py::isinstance<py::int_>(h) || py::isinstance<py::float_>(h)) return true;
  return py::isinstance(h, numpy().attr("generic"));
}

template <class T> std::string number_text(T v) { return std::to_string(v); }

// A shape-[] tensor of `dtype` holding the Python number exactly, or gb::Error naming `op`.
Tensor scalar_like(py::handle h, DType dtype, const std::string& op) {
  const py::object np = numpy();
  const bool integral = py::isinstance<py::int_>(h) || py::isinstance<py::bool_>(h) ||
                        py::isinstance(h, np.attr("integer")) || py::isinstance(h, np.attr("bool_"));
  const bool real = integral || py::isinstance<py::float_>(h) || py::isinstance(h, np.attr("floating"));
  if (!real) {
    throw Error(op, "a Tensor, a NumPy array or a real Python number", py::repr(h).cast<std::string>());
  }
  Tensor out = Tensor::empty({}, dtype);
  const std::string given = py::repr(h).cast<std::string>();
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* slot = out.data<T>();
    if constexpr (std::is_floating_point_v<T>) {
      *slot = static_cast<T>(py::float_(py::reinterpret_borrow<py::object>(h)).cast<double>());
    } else {
      const std::string expected = "a scalar that " + std::string(dtype_name(dtype)) +
                                   " holds exactly (no silent promotion: convert with .to())";
      if (integral) {
        long long v = 0;
        try {
          v = py::int_(py::reinterpret_borrow<py::object>(h)).cast<long long>();
        } catch (const py::cast_error&) {
          throw Error(op, expected, given);
        }
        if (v < static_cast<long long>(std::numeric_limits<T>::min()) ||
            v > static_cast<long long>(std::numeric_limits<T>::max())) {
          throw Error(op, expected, given);
        }
        *slot = static_cast<T>(v);
      } else {
        const double v = py::float_(py::reinterpret_borrow<py::object>(h)).cast<double>();
        if (!std::isfinite(v) || std::floor(v) != v || v < static_cast<double>(std::numeric_limits<T>::min()) ||
            v > static_cast<double>(std::numeric_limits<T>::max())) {
          throw Error(op, expected, given);
        }
        *slot = static_cast<T>(v);
      }
    }
  });
  return out;
}

Tensor as_tensor(py::handle h) {
  if (py::isinstance<Tensor>(h)) return h.cast<Tensor>();
  return tensor_from_python(h, py::none());
}

// The two operands of a binary op; a Python scalar takes the dtype of the other operand.
std::pair<Tensor, Tensor> operands(py::handle a, py::handle b, const std::string& op) {
  const bool sa = is_scalar(a), sb = is_scalar(b);
  if (sa && sb) return {as_tensor(a), as_tensor(b)};
  Tensor ta = sa ? Tensor() : as_tensor(a);
  Tensor tb = sb ? Tensor() : as_tensor(b);
  if (sa) ta = scalar_like(a, tb.dtype(), op);
  if (sb) tb = scalar_like(b, ta.dtype(), op);
  return {ta, tb};
}

using BinaryOp = Tensor (*)(const Tensor&, const Tensor&);

template <BinaryOp F> Tensor binary(py::handle a, py::handle b, const char* op) {
  auto [ta, tb] = operands(a, b, op);
  return F(ta, tb);
}

// --- argument helpers -------------------------------------------------------------------------------

std::vector<std::int64_t> int_list(py::handle h) {
  if (py::isinstance<py::int_>(h) || py::isinstance(h, numpy().attr("integer"))) {
    return {py::int_(py::reinterpret_borrow<py::object>(h)).cast<std::int64_t>()};
  }
  return h.cast<std::vector<std::int64_t>>();
}

// f(*sizes) or f(sizes): reshape(2, 3) and reshape((2, 3)) both work, like NumPy and PyTorch.
std::vector<std::int64_t> sizes_from_args(const py::args& args) {
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0]) && !py::isinstance(args[0], numpy().attr("integer"))) {
    return args[0].cast<std::vector<std::int64_t>>();
  }
  std::vector<std::int64_t> out;
  for (py::handle a : args) out.push_back(py::int_(py::reinterpret_borrow<py::object>(a)).cast<std::int64_t>());
  return out;
}

// axis=None (every axis), an int, or a non-empty sequence of ints.
std::vector<std::int64_t> axes_arg(py::handle axis, const std::string& op) {
  if (axis.is_none()) return {};
  std::vector<std::int64_t> axes = int_list(axis);
  if (axes.empty()) throw Error(op, "axis None, an int or a non-empty tuple of ints", "()");
  return axes;
}

py::tuple to_tuple(const std::vector<std::int64_t>& v) {
  py::tuple t(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) t[i] = py::int_(v[i]);
  return t;
}

// The single element as a Python int (integer dtypes, exact) or float.
py::object item(const Tensor& t) {
  if (t.numel() != 1) t.item();  // throws the library's own error
  return dispatch_dtype(t.dtype(), [&](auto tag) -> py::object {
    using T = decltype(tag);
    const T v = *static_cast<const T*>(t.raw_data());
    if constexpr (std::is_floating_point_v<T>) {
      return py::float_(static_cast<double>(v));
    } else {
      return py::int_(static_cast<long long>(v));
    }
  });
}

Tensor argmax_py(const Tensor& t, py::handle axis, bool keepdim) {
  if (axis.is_none()) {  // NumPy: the index into the flattened tensor
    Tensor flat = t.contiguous().reshape({-1});
    Tensor r = argmax(flat, 0, false);
    if (keepdim) r = r.reshape(Shape(t.ndim(), 1));
    return r;
  }
  return argmax(t, py::int_(py::reinterpret_borrow<py::object>(axis)).cast<std::int64_t>(), keepdim);
}

}  // namespace

// --- the bindings -------------------------------------------------------------------------------------

void bind_tensor(py::module_& m) {
  py::class_<Tensor> cls(m, "Tensor", R"doc(
An n-dimensional strided view onto shared storage: (storage, dtype, shape, strides, offset).

Tensor(array) / glassbox.tensor(array) wraps a NumPy array WITHOUT copying when its layout allows
(writes through either side are seen by the other); np.asarray(t) / t.numpy() is a view the other
way. Strides are in ELEMENTS (NumPy's are in bytes). Views (reshape, permute, transpose, slice,
select, broadcast_to, squeeze, unsqueeze) share storage; clone, contiguous and to(dtype) copy.)doc");

  cls.attr("__module__") = "glassbox";  // shown as glassbox.Tensor, where users find it

  cls.def(py::init([](py::object data) { return tensor_from_python(data, py::none()); }), py::arg("data"),
          "Wraps a NumPy array (or anything np.asarray accepts) without copying when possible.");

  // --- what it is
  cls.def_property_readonly("shape", [](const Tensor& t) { return to_tuple(t.shape()); })
      .def_property_readonly("strides", [](const Tensor& t) { return to_tuple(t.strides()); },
                             "strides in elements (not bytes); 0 along broadcast axes")
      .def_property_readonly("offset", &Tensor::offset, "index of element [0, 0, ...] in the storage")
      .def_property_readonly("dtype", [](const Tensor& t) { return std::string(dtype_name(t.dtype())); })
      .def_property_readonly("itemsize", [](const Tensor& t) { return dtype_size(t.dtype()); })
      .def_property_readonly("ndim", &Tensor::ndim)
      .def_property_readonly("numel", &Tensor::numel)
      .def("size", &Tensor::size, py::arg("axis"))
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("shares_storage_with", &Tensor::shares_storage_with, py::arg("other"))
      .def("__len__",
           [](const Tensor& t) {
             if (t.ndim() == 0) throw py::type_error("len() of a 0-d tensor");
             return t.shape()[0];
           })
      .def("__repr__", &Tensor::str)
      .def("__str__", &Tensor::str);

  // --- elements
  cls.def("item", &item, "the single element as a Python int or float")
      .def("at", [](const Tensor& t, const std::vector<std::int64_t>& index) { return t.at(index); },
           py::arg("index"))
      .def("set", [](Tensor& t, const std::vector<std::int64_t>& index, double v) { t.set(index, v); },
           py::arg("index"), py::arg("value"))
      .def("tolist", [](py::object self) { return numpy_view(self).attr("tolist")(); })
      .def("__bool__", [](const Tensor& t) {
        if (t.numel() != 1) {
          throw Error("bool(Tensor)", "a tensor with exactly one element (compare with glassbox.allclose)",
                      "shape " + shape_str(t.shape()));
        }
        return t.item() != 0;
      });

  // --- NumPy
  cls.def("numpy", [](py::object self) { return numpy_view(self); },
          "A NumPy array viewing this tensor's memory (no copy); it keeps the tensor alive.")
      .def("__array__",
           [](py::object self, py::object dtype) {
             py::object arr = numpy_view(self);
             if (dtype.is_none()) return arr;
             return arr.attr("astype")(dtype, py::arg("copy") = false);
           },
           py::arg("dtype") = py::none());
  // NumPy ufuncs on a Tensor defer to the Tensor's operators (ndarray + Tensor -> Tensor.__radd__).
  cls.attr("__array_ufunc__") = py::none();

  // --- views
  cls.def("reshape", [](const Tensor& t, py::args shape) { return t.reshape(sizes_from_args(shape)); },
          "reshape(2, 3) or reshape((2, 3)); one size may be -1. A view: raises when none exists.")
      .def("view", [](const Tensor& t, py::args shape) { return t.reshape(sizes_from_args(shape)); })
      .def("permute", [](const Tensor& t, py::args axes) { return t.permute(sizes_from_args(axes)); })
      .def("transpose", &Tensor::transpose, py::arg("axis0") = -2, py::arg("axis1") = -1)
      .def("slice", &Tensor::slice, py::arg("axis"), py::arg("start"), py::arg("stop"), py::arg("step") = 1,
           "t[start:stop:step] along axis (step > 0)")
      .def("select", &Tensor::select, py::arg("axis"), py::arg("index"))
      .def("broadcast_to", [](const Tensor& t, py::args shape) { return t.broadcast_to(sizes_from_args(shape)); })
      .def("squeeze",
           [](const Tensor& t, py::object axis) {
             if (axis.is_none()) return t.squeeze();
             return t.squeeze(axis.cast<std::int64_t>());
           },
           py::arg("axis") = py::none())
      .def("unsqueeze", &Tensor::unsqueeze, py::arg("axis"));

  // --- copies
  cls.def("contiguous", &Tensor::contiguous)
      .def("clone", &Tensor::clone)
      .def("to", [](const Tensor& t, py::handle dtype) { return t.to(dtype_arg(dtype)); }, py::arg("dtype"),
           "a converted copy; float -> int truncates toward zero");

  // --- reductions as methods
  cls.def("sum", [](const Tensor& t, py::handle axis, bool keepdim) { return sum(t, axes_arg(axis, "sum"), keepdim); },
          py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("mean",
           [](const Tensor& t, py::handle axis, bool keepdim) { return mean(t, axes_arg(axis, "mean"), keepdim); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("max", [](const Tensor& t, py::handle axis, bool keepdim) { return max(t, axes_arg(axis, "max"), keepdim); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("argmax", &argmax_py, py::arg("axis") = py::none(), py::arg("keepdim") = false);

  // --- operators: the other operand may be a Tensor, a NumPy array or a Python number
  cls.def("__add__", [](const Tensor& a, py::object b) { return binary<add>(py::cast(a), b, "add"); })
      .def("__radd__", [](const Tensor& a, py::object b) { return binary<add>(b, py::cast(a), "add"); })
      .def("__sub__", [](const Tensor& a, py::object b) { return binary<sub>(py::cast(a), b, "sub"); })
      .def("__rsub__", [](const Tensor& a, py::object b) { return binary<sub>(b, py::cast(a), "sub"); })
      .def("__mul__", [](const Tensor& a, py::object b) { return binary<mul>(py::cast(a), b, "mul"); })
      .def("__rmul__", [](const Tensor& a, py::object b) { return binary<mul>(b, py::cast(a), "mul"); })
      .def("__truediv__", [](const Tensor& a, py::object b) { return binary<div>(py::cast(a), b, "div"); })
      .def("__rtruediv__", [](const Tensor& a, py::object b) { return binary<div>(b, py::cast(a), "div"); })
      .def("__matmul__", [](const Tensor& a, py::object b) { return matmul(a, as_tensor(b)); })
      .def("__rmatmul__", [](const Tensor& a, py::object b) { return matmul(as_tensor(b), a); })
      .def("__neg__", [](const Tensor& a) { return neg(a); })
      .def("__lt__", [](const Tensor& a, py::object b) { return binary<lt>(py::cast(a), b, "lt"); })
      .def("__le__", [](const Tensor& a, py::object b) { return binary<le>(py::cast(a), b, "le"); })
      .def("__gt__", [](const Tensor& a, py::object b) { return binary<gt>(py::cast(a), b, "gt"); })
      .def("__ge__", [](const Tensor& a, py::object b) { return binary<ge>(py::cast(a), b, "ge"); })
      .def("__eq__",
           [](const Tensor& a, py::object b) -> py::object {
             if (b.is_none()) return py::bool_(false);
             return py::cast(binary<eq>(py::cast(a), b, "eq"));
           })
      .def("__ne__",
           [](const Tensor& a, py::object b) -> py::object {
             if (b.is_none()) return py::bool_(true);
             return py::cast(binary<ne>(py::cast(a), b, "ne"));
           })
      // == is elementwise (as in NumPy), so hashing falls back to identity.
      .def("__hash__", [](py::handle self) { return reinterpret_cast<std::intptr_t>(self.ptr()) >> 4; });

  // --- creation
  m.def("tensor",
        [](py::object data, py::object dtype, py::object copy) -> Tensor {
          if (py::isinstance<Tensor>(data)) {
            Tensor t = data.cast<Tensor>();
            if (!dtype.is_none() && dtype_arg(dtype) != t.dtype()) return t.to(dtype_arg(dtype));
            if (!copy.is_none() && copy.cast<bool>()) return t.clone();
            return t;
          }
          if (!dtype.is_none()) {
            data = numpy().attr("asarray")(data, py::arg("dtype") = numpy_dtype(dtype_arg(dtype)));
          }
          return tensor_from_python(data, copy);
        },
        py::arg("data"), py::arg("dtype") = py::none(), py::arg("copy") = py::none(),
        R"doc(A Tensor from a NumPy array, a list or a number.
dtype: optional ('f32', 'f64', 'i8', 'u8', 'i32', 'i64' or a NumPy dtype).
copy: None = share the array's memory when its layout allows (else copy), True = always copy,
False = share or raise glassbox.Error.)doc");
  m.def("zeros", [](const Shape& s, py::handle d) { return Tensor::zeros(s, dtype_arg(d)); }, py::arg("shape"),
        py::arg("dtype") = "f32");
  m.def("ones", [](const Shape& s, py::handle d) { return Tensor::ones(s, dtype_arg(d)); }, py::arg("shape"),
        py::arg("dtype") = "f32");
  m.def("full", [](const Shape& s, double v, py::handle d) { return Tensor::full(s, v, dtype_arg(d)); },
        py::arg("shape"), py::arg("value"), py::arg("dtype") = "f32");
  m.def("arange", [](std::int64_t n, py::handle d) { return Tensor::arange(n, dtype_arg(d)); }, py::arg("n"),
        py::arg("dtype") = "f32");
  m.def("scalar", [](double v, py::handle d) { return Tensor::scalar(v, dtype_arg(d)); }, py::arg("value"),
        py::arg("dtype") = "f32");

  // --- dtypes and shapes
  m.attr("DTYPES") = py::make_tuple("f32", "f64", "i8", "u8", "i32", "i64");
  m.def("dtype_size", [](py::handle d) { return dtype_size(dtype_arg(d)); }, py::arg("dtype"));
  m.def("is_floating", [](py::handle d) { return is_floating(dtype_arg(d)); }, py::arg("dtype"));
  m.def("numpy_dtype", [](py::handle d) { return numpy_dtype(dtype_arg(d)); }, py::arg("dtype"),
        "the NumPy dtype of a glassbox dtype name");
  m.def("broadcast_shapes",
        [](const Shape& a, const Shape& b) { return to_tuple(broadcast_shapes(a, b)); }, py::arg("a"),
        py::arg("b"));
  m.def("contiguous_strides", [](const Shape& s) { return to_tuple(contiguous_strides(s)); }, py::arg("shape"));
  m.def("strided_offset", &strided_offset, py::arg("offset"), py::arg("shape"), py::arg("strides"),
        py::arg("index"), "offset + sum_k index[k] * strides[k] (strides in elements)");

  // --- ops
  m.def("add", [](py::object a, py::object b) { return binary<add>(a, b, "add"); }, py::arg("a"), py::arg("b"));
  m.def("sub", [](py::object a, py::object b) { return binary<sub>(a, b, "sub"); }, py::arg("a"), py::arg("b"));
  m.def("mul", [](py::object a, py::object b) { return binary<mul>(a, b, "mul"); }, py::arg("a"), py::arg("b"));
  m.def("div", [](py::object a, py::object b) { return binary<div>(a, b, "div"); }, py::arg("a"), py::arg("b"),
        "a / b; for integers floor division like NumPy's //, and dividing by zero raises");
  m.def("maximum", [](py::object a, py::object b) { return binary<maximum>(a, b, "maximum"); }, py::arg("a"),
        py::arg("b"));
  m.def("minimum", [](py::object a, py::object b) { return binary<minimum>(a, b, "minimum"); }, py::arg("a"),
        py::arg("b"));
  m.def("neg", [](py::object a) { return neg(as_tensor(a)); }, py::arg("a"));
  m.def("eq", [](py::object a, py::object b) { return binary<eq>(a, b, "eq"); }, py::arg("a"), py::arg("b"));
  m.def("ne", [](py::object a, py::object b) { return binary<ne>(a, b, "ne"); }, py::arg("a"), py::arg("b"));
  m.def("lt", [](py::object a, py::object b) { return binary<lt>(a, b, "lt"); }, py::arg("a"), py::arg("b"));
  m.def("le", [](py::object a, py::object b) { return binary<le>(a, b, "le"); }, py::arg("a"), py::arg("b"));
  m.def("gt", [](py::object a, py::object b) { return binary<gt>(a, b, "gt"); }, py::arg("a"), py::arg("b"));
  m.def("ge", [](py::object a, py::object b) { return binary<ge>(a, b, "ge"); }, py::arg("a"), py::arg("b"));

  m.def("sum", [](py::object t, py::handle axis, bool keepdim) { return sum(as_tensor(t), axes_arg(axis, "sum"), keepdim); },
        py::arg("t"), py::arg("axis") = py::none(), py::arg("keepdim") = false,
        "sum over axis (None = all); integers accumulate in and return i64");
  m.def("mean",
        [](py::object t, py::handle axis, bool keepdim) { return mean(as_tensor(t), axes_arg(axis, "mean"), keepdim); },
        py::arg("t"), py::arg("axis") = py::none(), py::arg("keepdim") = false, "mean; f64 for integer tensors");
  m.def("max", [](py::object t, py::handle axis, bool keepdim) { return max(as_tensor(t), axes_arg(axis, "max"), keepdim); },
        py::arg("t"), py::arg("axis") = py::none(), py::arg("keepdim") = false, "max; keeps the dtype");
  m.def("argmax", [](py::object t, py::handle axis, bool keepdim) { return argmax_py(as_tensor(t), axis, keepdim); },
        py::arg("t"), py::arg("axis") = py::none(), py::arg("keepdim") = false,
        "index of the first maximum (i64); axis None = into the flattened tensor, like NumPy");
  m.def("matmul", [](py::object a, py::object b) { return matmul(as_tensor(a), as_tensor(b)); }, py::arg("a"),
        py::arg("b"), "NumPy matmul: 1-D operands promoted, batch axes broadcast");
  m.def("allclose",
        [](py::object a, py::object b, double rtol, double atol) {
          return allclose(as_tensor(a), as_tensor(b), rtol, atol);
        },
        py::arg("a"), py::arg("b"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8);

  // --- random numbers
  py::class_<Rng> rng(m, "Rng", "PCG32: the same numbers on every machine (seed, stream)");
  rng.attr("__module__") = "glassbox";
  rng
      .def(py::init<std::uint64_t, std::uint64_t>(), py::arg("seed") = 0, py::arg("stream") = 54)
      .def("next_u32", &Rng::next_u32)
      .def("uniform", py::overload_cast<double, double>(&Rng::uniform), py::arg("low") = 0.0, py::arg("high") = 1.0,
           "one number in [low, high)")
      .def("uniform",
           [](Rng& r, const Shape& shape, double low, double high, py::handle dtype) {
             return r.uniform(shape, low, high, dtype_arg(dtype));
           },
           py::arg("shape"), py::arg("low") = 0.0, py::arg("high") = 1.0, py::arg("dtype") = "f32",
           "a tensor of uniforms in [low, high)")
      .def("normal", py::overload_cast<double, double>(&Rng::normal), py::arg("mean") = 0.0, py::arg("stddev") = 1.0)
      .def("normal",
           [](Rng& r, const Shape& shape, double mean, double stddev, py::handle dtype) {
             return r.normal(shape, mean, stddev, dtype_arg(dtype));
           },
           py::arg("shape"), py::arg("mean") = 0.0, py::arg("stddev") = 1.0, py::arg("dtype") = "f32")
      .def("randint", &Rng::randint, py::arg("low"), py::arg("high"), "an integer in [low, high)");
}

}  // namespace gb::python
