// autograd_bindings.cpp: reverse-mode tensors for Python (gb.Tensor(..., requires_grad=True)).
//
// The least invasive design: gb.Tensor stays exactly what it was, and glassbox.autograd.Variable is a
// SUBCLASS of it: a Tensor (its value, so np.asarray, printing and every view work unchanged) that
// also holds a gb::autodiff::Variable (its place on the tape). Its arithmetic operators, matmul,
// reductions, reshape/transpose/permute are overridden to record; Python tries a subclass's
// reflected operator first, so `plain_tensor * variable` records too. Ops it does not override
// (indexing, slice, select, ...) give plain Tensors: they are not differentiated (detached).
// glassbox/autograd.py makes gb.Tensor(data, requires_grad=True) construct a Variable.
// This is how PyTorch looked before 0.4 (torch.autograd.Variable wrapped a Tensor).
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include "bindings.hpp"
#include "gb/autodiff/tensor/all.hpp"
#include "gb/core.hpp"
#include "py_variable.hpp"  // PyVariable: a gb.Tensor that also has a place on the tape

namespace gb::python {

namespace {

namespace ad = gb::autodiff;

// An operand: a Variable as itself; a Tensor, NumPy array or Python number as a constant
// (a number takes the dtype of `like`, like gb.Tensor's operators).
ad::Variable operand(py::handle h, const ad::Variable& like) {
  if (py::isinstance<PyVariable>(h)) return h.cast<const PyVariable&>().variable;
  if (py::isinstance<Tensor>(h)) return ad::constant(h.cast<Tensor>());
  if (py::isinstance<py::float_>(h) || py::isinstance<py::int_>(h)) {
    return ad::constant(Tensor::scalar(h.cast<double>(), like.dtype()));
  }
  return ad::constant(tensor_from_python(h, py::none()));
}

std::vector<std::int64_t> axes_of(py::handle axis) {
  if (axis.is_none()) return {};
  if (py::isinstance<py::int_>(axis)) return {axis.cast<std::int64_t>()};
  return axis.cast<std::vector<std::int64_t>>();
}

std::vector<std::int64_t> sizes(const py::args& args) {
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) return args[0].cast<std::vector<std::int64_t>>();
  std::vector<std::int64_t> out;
  for (py::handle a : args) out.push_back(a.cast<std::int64_t>());
  return out;
}

PyVariable wrap(ad::Variable v) { return PyVariable(std::move(v)); }
const ad::Variable& var(const PyVariable& p) { return p.variable; }

using Binary = ad::Variable (*)(const ad::Variable&, const ad::Variable&);
template <Binary F> PyVariable left(const PyVariable& a, py::handle b) { return wrap(F(a.variable, operand(b, a.variable))); }
template <Binary F> PyVariable right(const PyVariable& a, py::handle b) { return wrap(F(operand(b, a.variable), a.variable)); }

// A Python function of a Variable, as a TensorFunction (for jacrev, jacfwd, hessian).
ad::TensorFunction tensor_function(const py::function& f) {
  return [f](const ad::Variable& x) {
    py::object out = f(PyVariable(x));
    if (!py::isinstance<PyVariable>(out)) {
      if (py::isinstance<Tensor>(out)) return ad::constant(out.cast<Tensor>());
      throw Error("jacobian", "f to return a glassbox Tensor", py::repr(out).cast<std::string>());
    }
    return out.cast<const PyVariable&>().variable;
  };
}

// `with gb.autograd.no_grad():` -- a NoGradGuard that lives between __enter__ and __exit__.
struct NoGradContext {
  std::unique_ptr<ad::NoGradGuard> guard;
};

}  // namespace

void bind_autograd(py::module_& m) {
  py::module_ a = m.def_submodule("autograd", "Reverse-mode tensors: Variable (a gb.Tensor on the tape), grad, jacrev, jacfwd, hessian, no_grad");
  py::class_<PyVariable, Tensor> cls(a, "Variable", R"doc(
A gb.Tensor on the reverse-mode tape: gb.Tensor(data, requires_grad=True) makes one.
Arithmetic, @, sum/mean/max, reshape/transpose/permute and gb.autograd.relu/... record; .backward()
accumulates d output / d leaf into leaf.grad. Other Tensor methods (indexing, slice) detach.)doc");
  cls.attr("__module__") = "glassbox.autograd";
  cls.def(py::init([](py::object data, bool requires_grad) {
            Tensor t = py::isinstance<Tensor>(data) ? data.cast<Tensor>() : tensor_from_python(data, py::none());
            return PyVariable(ad::Variable(t, requires_grad));
          }),
          py::arg("data"), py::arg("requires_grad") = true);
  cls.def_property(
         "requires_grad", [](const PyVariable& p) { return p.variable.requires_grad(); },
         [](PyVariable& p, bool value) { p.variable.set_requires_grad(value); })
      .def_property(
          "grad",
          [](const PyVariable& p) -> py::object {
            ad::Variable g = p.variable.grad();
            return g.defined() ? py::cast(wrap(g)) : py::none();
          },
          [](PyVariable& p, py::handle value) {
            if (!value.is_none()) throw Error("Variable.grad", "None (to forget the gradient)", py::repr(value).cast<std::string>());
            p.variable.zero_grad();
          })
      .def_property_readonly("is_leaf", [](const PyVariable& p) { return p.variable.is_leaf(); })
      .def_property_readonly("grad_fn", [](const PyVariable& p) -> py::object {
        return p.variable.grad_fn() ? py::cast(p.variable.grad_fn()->op) : py::none();
      }, "the name of the op that made it (None for a leaf)")
      .def("backward",
           [](const PyVariable& p, py::object gradient, bool retain_graph, bool create_graph) {
             Tensor seed = gradient.is_none() ? Tensor() : operand(gradient, p.variable).value();
             ad::backward(p.variable, seed, {retain_graph, create_graph});
           },
           py::arg("gradient") = py::none(), py::arg("retain_graph") = false, py::arg("create_graph") = false)
      .def("zero_grad", [](PyVariable& p) { p.variable.zero_grad(); })
      .def("detach", [](const PyVariable& p) { return p.variable.value(); }, "the value as a plain gb.Tensor")
      .def("__repr__", [](const PyVariable& p) {
        return p.variable.value().str() + (p.variable.requires_grad() ? " (requires_grad)" : "");
      });

  cls.def("__add__", &left<ad::add>).def("__radd__", &right<ad::add>)
      .def("__sub__", &left<ad::sub>).def("__rsub__", &right<ad::sub>)
      .def("__mul__", &left<ad::mul>).def("__rmul__", &right<ad::mul>)
      .def("__truediv__", &left<ad::div>).def("__rtruediv__", &right<ad::div>)
      .def("__matmul__", &left<ad::matmul>).def("__rmatmul__", &right<ad::matmul>)
      .def("__pow__", [](const PyVariable& p, py::handle e) {
        return wrap(ad::pow(p.variable, operand(e, p.variable)));
      })
      .def("__neg__", [](const PyVariable& p) { return wrap(ad::neg(p.variable)); })
      .def("sum", [](const PyVariable& p, py::handle axis, bool keepdim) { return wrap(ad::sum(var(p), axes_of(axis), keepdim)); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("mean", [](const PyVariable& p, py::handle axis, bool keepdim) { return wrap(ad::mean(var(p), axes_of(axis), keepdim)); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("max", [](const PyVariable& p, py::handle axis, bool keepdim) { return wrap(ad::max(var(p), axes_of(axis), keepdim)); },
           py::arg("axis") = py::none(), py::arg("keepdim") = false)
      .def("reshape", [](const PyVariable& p, py::args shape) { return wrap(ad::reshape(var(p), sizes(shape))); })
      .def("permute", [](const PyVariable& p, py::args axes) { return wrap(ad::permute(var(p), sizes(axes))); })
      .def("transpose", [](const PyVariable& p, std::int64_t a0, std::int64_t a1) { return wrap(ad::transpose(var(p), a0, a1)); },
           py::arg("axis0") = -2, py::arg("axis1") = -1)
      .def("broadcast_to", [](const PyVariable& p, py::args shape) { return wrap(ad::broadcast_to(var(p), sizes(shape))); });

  // Functions: gb.autograd.relu(x), ... (x must be a Variable; use gb.Tensor(..., requires_grad=...)).
  using Unary = ad::Variable (*)(const ad::Variable&);
  auto unary = [&](const char* name, Unary f) {
    a.def(name, [f](const PyVariable& x) { return wrap(f(x.variable)); }, py::arg("x"));
  };
  unary("relu", &ad::relu);
  unary("sigmoid", &ad::sigmoid);
  unary("tanh", &ad::tanh);
  unary("exp", &ad::exp);
  unary("log", &ad::log);
  unary("gelu", &ad::gelu);
  a.def("softmax", [](const PyVariable& x, std::int64_t axis) { return wrap(ad::softmax(x.variable, axis)); },
        py::arg("x"), py::arg("axis") = -1);
  a.def("log_softmax", [](const PyVariable& x, std::int64_t axis) { return wrap(ad::log_softmax(x.variable, axis)); },
        py::arg("x"), py::arg("axis") = -1);
  a.def("sum_to_shape", [](const PyVariable& x, const Shape& s) { return wrap(ad::sum_to_shape(x.variable, s)); });
  a.def("grad",
        [](const PyVariable& output, const std::vector<PyVariable>& inputs, py::object seed, bool retain_graph,
           bool create_graph) {
          std::vector<ad::Variable> vs;
          for (const PyVariable& p : inputs) vs.push_back(p.variable);
          Tensor s = seed.is_none() ? Tensor() : operand(seed, output.variable).value();
          std::vector<PyVariable> out;
          for (const ad::Variable& g : ad::grad(output.variable, vs, s, {retain_graph, create_graph})) out.push_back(wrap(g));
          return out;
        },
        py::arg("output"), py::arg("inputs"), py::arg("grad_output") = py::none(), py::arg("retain_graph") = false,
        py::arg("create_graph") = false, "like torch.autograd.grad: the adjoints of inputs, .grad untouched");
  a.def("jacrev", [](py::function f, const Tensor& x) { return ad::jacrev(tensor_function(f), x); }, py::arg("f"), py::arg("x"));
  a.def("jacfwd", [](py::function f, const Tensor& x) { return ad::jacfwd(tensor_function(f), x); }, py::arg("f"), py::arg("x"));
  a.def("hessian", [](py::function f, const Tensor& x) { return ad::hessian(tensor_function(f), x); },
        py::arg("f"), py::arg("x"), "the Hessian of f: Tensor -> one element, reverse over reverse");
  py::class_<NoGradContext>(a, "no_grad", "with gb.autograd.no_grad(): nothing is recorded inside")
      .def(py::init<>())
      .def("__enter__", [](NoGradContext& c) { c.guard = std::make_unique<ad::NoGradGuard>(); })
      .def("__exit__", [](NoGradContext& c, py::args) { c.guard.reset(); });
  a.def("grad_enabled", &ad::grad_enabled);
}

}  // namespace gb::python
