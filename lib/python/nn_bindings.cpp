// nn_bindings.cpp: gb.nn, the layers and the functional ops of lib/nn for Python (like torch.nn).
//
//   model = gb.nn.Sequential([gb.nn.Conv2d(1, 16, 3, padding=1, seed=0), gb.nn.ReLU(), gb.nn.Flatten(),
//                             gb.nn.Linear(1024, 10, seed=1)])
//   loss = gb.nn.cross_entropy(model(images), labels)     # a gb.autograd.Variable
//   loss.backward(); model.named_parameters()[0][1].grad   # like torch
//   model.load_state_dict(model.state_dict())             # dicts of NumPy arrays, torch's key names
//
// Modules are held by std::shared_ptr (the holder of every class here), so a Sequential built from
// Python keeps its layers alive, and a layer keeps one identity whether reached from Python or from
// its Sequential. Variables are gb.autograd.Variable (py_variable.hpp); anything else given where a
// Variable is expected (a gb.Tensor, a NumPy array) is a constant. Layers with random initial values
// or a random mask take seed=... (their own gb::Rng), so runs repeat.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/layers.hpp"
#include "gb/nn/module.hpp"
#include "py_variable.hpp"

namespace gb::python {

namespace {

namespace nn = gb::nn;
namespace kn = gb::kernels;
using autodiff::Variable;

// A Variable argument: a gb.autograd.Variable as itself, None as undefined (no bias), anything else
// (gb.Tensor, NumPy array, list) as a constant.
Variable variable_of(py::handle h) {
  if (h.is_none()) return Variable();
  if (py::isinstance<PyVariable>(h)) return h.cast<const PyVariable&>().variable;
  if (py::isinstance<Tensor>(h)) return Variable(h.cast<Tensor>());
  return Variable(tensor_from_python(h, py::none()));
}
py::object wrap(const Variable& v) { return v.defined() ? py::cast(PyVariable(v)) : py::none(); }

// Class labels: any integer array becomes i64 (what the losses expect).
Tensor labels_of(py::handle h) {
  Tensor t = py::isinstance<Tensor>(h) ? h.cast<Tensor>() : tensor_from_python(h, py::none());
  return is_floating(t.dtype()) || t.dtype() == DType::i64 ? t : t.to(DType::i64);
}

// An int or a pair (h, w), like torch's kernel_size/stride/dilation arguments.
std::array<std::int64_t, 2> pair_of(py::handle value, const char* name) {
  if (py::isinstance<py::int_>(value)) return {value.cast<std::int64_t>(), value.cast<std::int64_t>()};
  const auto v = value.cast<std::vector<std::int64_t>>();
  if (v.size() != 2) throw Error(name, "an int or a pair (h, w)", std::to_string(v.size()) + " values");
  return {v[0], v[1]};
}
// Padding: an int, (ph, pw), or (top, left, bottom, right) (asymmetric, a glassbox extension).
std::array<std::int64_t, 4> padding_of(py::handle value) {
  if (!py::isinstance<py::int_>(value) && value.cast<std::vector<std::int64_t>>().size() == 4) {
    const auto v = value.cast<std::vector<std::int64_t>>();
    return {v[0], v[1], v[2], v[3]};
  }
  const auto [h, w] = pair_of(value, "padding");
  return {h, w, h, w};
}

kn::Conv2dParams conv_params(py::handle stride, py::handle padding, py::handle dilation, std::int64_t groups) {
  const auto s = pair_of(stride, "stride"), d = pair_of(dilation, "dilation");
  const auto p = padding_of(padding);
  return {s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1], groups};
}

kn::Pool2dParams pool_params(py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation,
                             bool ceil_mode, bool count_include_pad) {
  const auto k = pair_of(kernel_size, "kernel_size");
  const auto s = stride.is_none() ? std::array<std::int64_t, 2>{0, 0} : pair_of(stride, "stride");  // 0: the kernel
  const auto p = pair_of(padding, "padding"), d = pair_of(dilation, "dilation");
  kn::Pool2dParams params;
  params.kernel_h = k[0];
  params.kernel_w = k[1];
  params.stride_h = s[0];
  params.stride_w = s[1];
  params.pad_h = p[0];
  params.pad_w = p[1];
  params.dilation_h = d[0];
  params.dilation_w = d[1];
  params.ceil_mode = ceil_mode;
  params.count_include_pad = count_include_pad;
  return params;
}

// A buffer or parameter value for Python: a NumPy COPY (a state_dict outlives later training steps).
py::object numpy_copy(const Tensor& t) {
  return py::module_::import("numpy").attr("array")(tensor_to_numpy(py::cast(t)));
}

using ModuleClass = py::class_<nn::Module, std::shared_ptr<nn::Module>>;

void bind_module(ModuleClass& cls) {
  cls.def("forward", [](nn::Module& m, py::handle x) { return wrap(m.forward(variable_of(x))); }, py::arg("x"))
      .def("__call__", [](nn::Module& m, py::handle x) { return wrap(m(variable_of(x))); }, py::arg("x"))
      .def("named_parameters",
           [](const nn::Module& m) {
             py::list out;
             for (const auto& [name, p] : m.named_parameters()) out.append(py::make_tuple(name, wrap(p)));
             return out;
           },
           "[(name, Variable)] in torch's order; the Variables ARE the parameters (their .grad, their data)")
      .def("parameters",
           [](const nn::Module& m) {
             py::list out;
             for (const Variable& p : m.parameters()) out.append(wrap(p));
             return out;
           })
      .def("named_buffers",
           [](const nn::Module& m) {
             py::list out;
             for (const auto& [name, b] : m.named_buffers()) out.append(py::make_tuple(name, b));
             return out;
           },
           "[(name, gb.Tensor)]: the buffers themselves (running statistics), not copies")
      .def("named_children",
           [](const nn::Module& m) {
             py::list out;
             for (const auto& [name, child] : m.children()) out.append(py::make_tuple(name, child));
             return out;
           })
      .def("state_dict",
           [](const nn::Module& m) {
             py::dict out;
             for (const auto& [name, t] : m.state_dict()) out[py::str(name)] = numpy_copy(t);
             return out;
           },
           "{name: NumPy array} of every parameter and buffer (copies), keys like torch's state_dict")
      .def("load_state_dict",
           [](nn::Module& m, const py::dict& state) {
             std::map<std::string, Tensor> tensors;
             for (const auto& [key, value] : state) tensors[key.cast<std::string>()] = tensor_from_python(value, py::bool_(true));
             m.load_state_dict(tensors);
           },
           py::arg("state_dict"), "copies every entry in (same keys, shapes and dtypes, or glassbox.Error)")
      .def("train", [](nn::Module& m, bool mode) -> nn::Module& { m.train(mode); return m; }, py::arg("mode") = true,
           py::return_value_policy::reference_internal)
      .def("eval", [](nn::Module& m) -> nn::Module& { m.eval(); return m; }, py::return_value_policy::reference_internal)
      .def_property_readonly("training", &nn::Module::training)
      .def("zero_grad", &nn::Module::zero_grad)
      .def("parameter_count", &nn::Module::parameter_count)
      .def("describe", &nn::Module::describe)
      .def("__repr__", &nn::Module::str);
}

// The layers: constructors with torch's arguments (and seed), their parameters as attributes.
void bind_layers(py::module_& m) {
  py::class_<nn::Linear, nn::Module, std::shared_ptr<nn::Linear>>(m, "Linear", "y = x W^T + b (torch.nn.Linear)")
      .def(py::init([](std::int64_t in_features, std::int64_t out_features, bool bias, std::uint64_t seed) {
             Rng rng(seed);
             return std::make_shared<nn::Linear>(in_features, out_features, rng, bias);
           }),
           py::arg("in_features"), py::arg("out_features"), py::arg("bias") = true, py::arg("seed") = 0)
      .def_property_readonly("weight", [](const nn::Linear& l) { return wrap(l.weight); })
      .def_property_readonly("bias", [](const nn::Linear& l) { return wrap(l.bias); })
      .def_readonly("in_features", &nn::Linear::in_features)
      .def_readonly("out_features", &nn::Linear::out_features);

  py::class_<nn::Conv2d, nn::Module, std::shared_ptr<nn::Conv2d>>(m, "Conv2d", "2-D convolution (torch.nn.Conv2d), NCHW")
      .def(py::init([](std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, py::handle stride,
                       py::handle padding, py::handle dilation, std::int64_t groups, bool bias, std::uint64_t seed) {
             Rng rng(seed);
             return std::make_shared<nn::Conv2d>(in_channels, out_channels, kernel_size, rng,
                                                 conv_params(stride, padding, dilation, groups), bias);
           }),
           py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"), py::arg("stride") = 1,
           py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("bias") = true,
           py::arg("seed") = 0)
      .def_property_readonly("weight", [](const nn::Conv2d& c) { return wrap(c.weight); })
      .def_property_readonly("bias", [](const nn::Conv2d& c) { return wrap(c.bias); });

  // One class for both (the rank decides); glassbox/nn.py adds BatchNorm1d and BatchNorm2d.
  py::class_<nn::BatchNorm, nn::Module, std::shared_ptr<nn::BatchNorm>>(m, "BatchNorm",
                                                                        "batch normalisation over axis 1 (torch.nn.BatchNorm1d/2d)")
      .def(py::init<std::int64_t, bool, double, double>(), py::arg("num_features"), py::arg("spatial"),
           py::arg("eps") = 1e-5, py::arg("momentum") = 0.1)
      .def_property_readonly("weight", [](const nn::BatchNorm& b) { return wrap(b.weight); })
      .def_property_readonly("bias", [](const nn::BatchNorm& b) { return wrap(b.bias); })
      .def_readonly("num_features", &nn::BatchNorm::num_features)
      .def_readonly("spatial", &nn::BatchNorm::spatial);

  py::class_<nn::ReLU, nn::Module, std::shared_ptr<nn::ReLU>>(m, "ReLU").def(py::init<>());
  py::class_<nn::GELU, nn::Module, std::shared_ptr<nn::GELU>>(m, "GELU", "the tanh approximation").def(py::init<>());
  py::class_<nn::Sigmoid, nn::Module, std::shared_ptr<nn::Sigmoid>>(m, "Sigmoid").def(py::init<>());
  py::class_<nn::Tanh, nn::Module, std::shared_ptr<nn::Tanh>>(m, "Tanh").def(py::init<>());
  py::class_<nn::Flatten, nn::Module, std::shared_ptr<nn::Flatten>>(m, "Flatten", "[N, ...] -> [N, -1]").def(py::init<>());

  py::class_<nn::MaxPool2d, nn::Module, std::shared_ptr<nn::MaxPool2d>>(m, "MaxPool2d")
      .def(py::init([](py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation, bool ceil_mode) {
             return std::make_shared<nn::MaxPool2d>(pool_params(kernel_size, stride, padding, dilation, ceil_mode, true));
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("dilation") = 1,
           py::arg("ceil_mode") = false);
  py::class_<nn::AvgPool2d, nn::Module, std::shared_ptr<nn::AvgPool2d>>(m, "AvgPool2d")
      .def(py::init([](py::handle kernel_size, py::handle stride, py::handle padding, bool ceil_mode, bool count_include_pad) {
             return std::make_shared<nn::AvgPool2d>(
                 pool_params(kernel_size, stride, padding, py::int_(1), ceil_mode, count_include_pad));
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("ceil_mode") = false,
           py::arg("count_include_pad") = true);

  py::class_<nn::Dropout, nn::Module, std::shared_ptr<nn::Dropout>>(m, "Dropout", "inverted dropout with its own seeded Rng")
      .def(py::init<double, std::uint64_t>(), py::arg("p") = 0.5, py::arg("seed") = 0)
      .def_readonly("p", &nn::Dropout::p);

  py::class_<nn::Sequential, nn::Module, std::shared_ptr<nn::Sequential>>(m, "Sequential",
                                                                          "children named 0, 1, ... run in order")
      .def(py::init([](py::args layers) {
             // Sequential([a, b]) or Sequential(a, b), like torch.nn.Sequential(*layers).
             py::sequence items = layers.size() == 1 && !py::isinstance<nn::Module>(layers[0]) ? layers[0].cast<py::sequence>()
                                                                                              : py::sequence(layers);
             auto seq = std::make_shared<nn::Sequential>();
             for (py::handle item : items) seq->add(item.cast<std::shared_ptr<nn::Module>>());
             return seq;
           }))
      .def("append", [](nn::Sequential& s, std::shared_ptr<nn::Module> layer) -> nn::Sequential& { return s.add(std::move(layer)); },
           py::arg("module"), py::return_value_policy::reference_internal)
      .def("__len__", &nn::Sequential::size)
      .def("__getitem__", [](const nn::Sequential& s, std::int64_t i) {
        const auto n = static_cast<std::int64_t>(s.size());
        if (i < -n || i >= n) throw py::index_error("Sequential index " + std::to_string(i) + " out of range");
        return s.at(static_cast<std::size_t>(i < 0 ? i + n : i));
      });
}

// The functional ops, torch.nn.functional's names and arguments.
void bind_functional(py::module_& m) {
  m.def("linear", [](py::handle x, py::handle w, py::handle b) { return wrap(nn::linear(variable_of(x), variable_of(w), variable_of(b))); },
        py::arg("x"), py::arg("weight"), py::arg("bias") = py::none(), "y = x W^T + b");
  m.def("conv2d",
        [](py::handle x, py::handle w, py::handle b, py::handle stride, py::handle padding, py::handle dilation,
           std::int64_t groups) {
          return wrap(nn::conv2d(variable_of(x), variable_of(w), variable_of(b), conv_params(stride, padding, dilation, groups)));
        },
        py::arg("x"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0,
        py::arg("dilation") = 1, py::arg("groups") = 1,
        "padding: int, (ph, pw) or (top, left, bottom, right)");
  m.def("max_pool2d",
        [](py::handle x, py::handle kernel_size, py::handle stride, py::handle padding, py::handle dilation, bool ceil_mode) {
          return wrap(nn::max_pool2d(variable_of(x), pool_params(kernel_size, stride, padding, dilation, ceil_mode, true)));
        },
        py::arg("x"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
        py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  m.def("avg_pool2d",
        [](py::handle x, py::handle kernel_size, py::handle stride, py::handle padding, bool ceil_mode, bool count_include_pad) {
          return wrap(nn::avg_pool2d(variable_of(x),
                                     pool_params(kernel_size, stride, padding, py::int_(1), ceil_mode, count_include_pad)));
        },
        py::arg("x"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true);
  m.def("batch_norm",
        [](py::handle x, py::handle running_mean, py::handle running_var, py::handle weight, py::handle bias, bool training,
           double momentum, double eps) {
          // The running statistics are updated in place: NumPy arrays are wrapped without a copy.
          Tensor mean = running_mean.is_none() ? Tensor() : tensor_from_python(running_mean, py::bool_(false));
          Tensor var = running_var.is_none() ? Tensor() : tensor_from_python(running_var, py::bool_(false));
          return wrap(nn::batch_norm(variable_of(x), mean, var, variable_of(weight), variable_of(bias), training, momentum, eps));
        },
        py::arg("x"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
        "like torch.nn.functional.batch_norm; running_mean/var (NumPy arrays or None) updated in place in training");
  m.def("dropout",
        [](py::handle x, double p, bool training, std::uint64_t seed) {
          Rng rng(seed);
          return wrap(nn::dropout(variable_of(x), p, training, rng));
        },
        py::arg("x"), py::arg("p") = 0.5, py::arg("training") = true, py::arg("seed") = 0);
  m.def("flatten", [](py::handle x) { return wrap(nn::flatten(variable_of(x))); }, py::arg("x"));
  m.def("mse_loss", [](py::handle p, py::handle t) { return wrap(nn::mse_loss(variable_of(p), variable_of(t))); },
        py::arg("prediction"), py::arg("target"));
  m.def("cross_entropy", [](py::handle z, py::handle y) { return wrap(nn::cross_entropy(variable_of(z), labels_of(y))); },
        py::arg("logits"), py::arg("labels"), "mean of -log_softmax(logits)[n, labels[n]]");
  m.def("kl_div", [](py::handle log_q, py::handle p) { return wrap(nn::kl_div(variable_of(log_q), variable_of(p))); },
        py::arg("log_q"), py::arg("p"), "torch's kl_div(log_q, p, reduction='batchmean')");
  m.def("accuracy", [](py::handle z, py::handle y) { return nn::accuracy(variable_of(z).value(), labels_of(y)); },
        py::arg("logits"), py::arg("labels"));
}

}  // namespace

void bind_nn(py::module_& m) {
  ModuleClass module(m, "Module", R"doc(
A layer with named parameters, buffers and children (torch.nn.Module). Call it on a batch:
model(x) -> gb.autograd.Variable. Parameter names are torch's state_dict keys ("0.weight").)doc");
  bind_module(module);
  bind_layers(m);
  bind_functional(m);
}

}  // namespace gb::python
