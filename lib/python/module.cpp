// module.cpp: the extension module `glassbox._glassbox` and how C++ errors become Python exceptions.
//
// The Python package glassbox/ (next to this file) wraps it: `import glassbox as gb`. Submodules
// mirror lib/: _glassbox.core (Tensor, ops, Rng), _glassbox.trace (Recordings), _glassbox.lessons.
//
// Errors: every gb::Error becomes glassbox.Error (a RuntimeError) whose attributes op, expected and
// given are the three parts of the C++ error; gb::NotImplemented (an exercise still to be written,
// in the student kit) becomes glassbox.NotImplementedExercise, a subclass with the attribute task.
#include <pybind11/pybind11.h>

#include <exception>

#include "bindings.hpp"
#include "gb/core/error.hpp"

namespace py = pybind11;

namespace {

// Owned by the module for the life of the interpreter (exception types are never unloaded).
PyObject* error_type = nullptr;
PyObject* not_implemented_type = nullptr;

PyObject* make_exception_type(const char* name, const char* doc, PyObject* base) {
  PyObject* type = PyErr_NewExceptionWithDoc(name, doc, base, nullptr);
  if (type == nullptr) throw py::error_already_set();
  return type;
}

// Raises `type(message)` with the attributes of the C++ error set on the instance.
void raise(PyObject* type, const gb::Error& e, const gb::NotImplemented* todo) {
  py::object exc = py::reinterpret_borrow<py::object>(type)(e.what());
  exc.attr("op") = e.op();
  exc.attr("expected") = e.expected();
  exc.attr("given") = e.given();
  if (todo != nullptr) exc.attr("task") = todo->task();
  PyErr_SetObject(type, exc.ptr());
}

}  // namespace

PYBIND11_MODULE(_glassbox, m) {
  m.doc() = "glassbox: an AI system you can see through (C++ core, NumPy in and out)";

  error_type = make_exception_type(
      "glassbox.Error",
      "Raised when a glassbox operation gets bad input. The message names the operation, what it\n"
      "expected and what it was given; so do the attributes op, expected and given.",
      PyExc_RuntimeError);
  not_implemented_type = make_exception_type(
      "glassbox.NotImplementedExercise",
      "Raised by an exercise that is still to be written (student kit). The attribute task names it.",
      error_type);
  // Class-level defaults, so an Error raised from Python code still has the attributes.
  for (const char* attr : {"op", "expected", "given"}) {
    PyObject_SetAttrString(error_type, attr, Py_None);
  }
  PyObject_SetAttrString(not_implemented_type, "task", Py_None);
  m.add_object("Error", py::handle(error_type));
  m.add_object("NotImplementedExercise", py::handle(not_implemented_type));

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const gb::NotImplemented& e) {
      raise(not_implemented_type, e, &e);
    } catch (const gb::Error& e) {
      raise(error_type, e, nullptr);
    }
  });

  py::module_ core = m.def_submodule("core", "Tensor (dtypes, shapes, strides, views, broadcasting), ops, Rng");
  gb::python::bind_tensor(core);
  py::module_ trace = m.def_submodule("trace", "Recordings: JSON round trip, replay, exporters");
  gb::python::bind_trace(trace);
  py::module_ lessons = m.def_submodule("lessons", "The lesson catalogue: list and run lessons");
  gb::python::bind_lessons(lessons);
  py::module_ autodiff = m.def_submodule("autodiff", "Scalar expressions differentiated in four modes; Hessians");
  gb::python::bind_autodiff(autodiff);
  py::module_ kernels = m.def_submodule("kernels", "Inference kernels: the GEMM ladder, memory layouts");
  gb::python::bind_kernels(kernels);
  py::module_ graph = m.def_submodule("graph", "Computation graphs, executors, control flow, scripts, tracing");
  gb::python::bind_graph(graph);
  py::module_ nn = m.def_submodule("nn", "Layers, losses, optimizers, the digits data, training and checkpoints");
  gb::python::bind_nn(nn);
  gb::python::bind_nn_training(nn);
  py::module_ quant = m.def_submodule("quant", "Quantization: qparams, fixed-point requantization, calibration, int8 kernels");
  gb::python::bind_quant(quant);
  gb::python::bind_quant_kernels(quant);
  gb::python::bind_quant_models(quant);
  py::module_ compress = m.def_submodule("compress", "Compression: pruning (masks, schedules, filters, CSR) and distillation");
  gb::python::bind_compress_prune(compress);
  gb::python::bind_compress_distill(compress);
  py::module_ parallel = m.def_submodule("parallel", "Distributed training on a simulated cluster: collectives, DDP, ZeRO, pipelines");
  gb::python::bind_parallel_collectives(parallel);
  gb::python::bind_parallel_data(parallel);
  gb::python::bind_parallel_pipeline(parallel);
  gb::python::bind_parallel_tensor(parallel);
  gb::python::bind_parallel_auto(parallel);
  gb::python::bind_parallel_sim(parallel);
  py::module_ convert = m.def_submodule("convert", "Models from elsewhere: ONNX import/export, glassbox's FlatBuffers format");
  gb::python::bind_convert(convert);
  py::module_ passes = m.def_submodule("passes", "Graph optimisation passes, the pass log, memory planning");
  gb::python::bind_passes(passes);
  gb::python::bind_autograd(m);  // adds glassbox._glassbox.autograd.Variable and the tensor functions
}
