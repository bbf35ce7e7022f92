// nn_train_bindings.cpp: the training half of glassbox._glassbox.nn (lesson 01), NumPy in and out.
//
//   SGD, Adam, AdamW        optimizers over a Module (or model.parameters(), or arrays of initial values
//                           for experiments): step(grads=None), zero_grad(), lr, params, state_dict()
//   StepLR, CosineAnnealingLR  schedules: step(), last_epoch, get_last_lr()
//   load_digits, digits_split  the UCI digits as arrays; the stratified train/test split
//   digits_mlp, digits_cnn  the lesson's two models (Modules, registered by nn_bindings.cpp)
//   train, evaluate         the whole training run (History as a dict of lists), evaluation
//   save_checkpoint, load_checkpoint   the GBCKPT files of lib/nn/include/gb/nn/checkpoint.hpp
#include <pybind11/iostream.h>
#include <pybind11/stl.h>

#include <iostream>
#include <memory>

#include "bindings.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/nn/checkpoint.hpp"
#include "gb/nn/models.hpp"
#include "gb/nn/optim.hpp"
#include "gb/nn/train.hpp"
#include "py_variable.hpp"

namespace gb::python {

namespace {

namespace nn = gb::nn;
using autodiff::Variable;

py::object to_numpy(const Tensor& t) { return tensor_to_numpy(py::cast(t)); }

bool is_module(py::handle h) {
  return py::detail::get_type_info(typeid(nn::Module)) != nullptr && py::isinstance<nn::Module>(h);
}

// What an optimizer trains, in place: a Module's parameters, or a list of glassbox.autograd.Variables
// (model.parameters(), as in torch). Plain arrays become new leaf Variables holding copies of them
// (for experiments and the PyTorch oracle; read them back through Optimizer.params).
std::vector<Variable> parameters_from(py::handle params) {
  if (is_module(params)) return params.cast<nn::Module&>().parameters();
  std::vector<Variable> out;
  for (py::handle item : params) {
    if (py::isinstance<PyVariable>(item)) {
      out.push_back(item.cast<const PyVariable&>().variable);
    } else {
      out.emplace_back(tensor_from_python(item, py::bool_(true)), true, "param" + std::to_string(out.size()));
    }
  }
  return out;
}

// Sets each parameter's gradient to the given array (zero_grad, then backward of sum(p * g) = g exactly).
void set_gradients(nn::Optimizer& optimizer, const py::sequence& grads) {
  const auto& params = optimizer.parameters();
  if (grads.size() != params.size())
    throw Error(optimizer.name() + ".step", std::to_string(params.size()) + " gradients (one per parameter)",
                std::to_string(grads.size()));
  for (std::size_t i = 0; i < params.size(); ++i) {
    Variable p = params[i];
    p.zero_grad();
    if (grads[i].is_none()) continue;  // no gradient: step() skips the parameter
    Tensor g = tensor_from_python(grads[i], py::bool_(true)).to(p.dtype());
    if (g.shape() != p.shape())
      throw Error(optimizer.name() + ".step", "gradient " + std::to_string(i) + " shaped like its parameter",
                  "another shape");
    autodiff::sum(autodiff::mul(p, autodiff::constant(g))).backward();
  }
}

nn::TensorMap tensors_from(const py::dict& d) {
  nn::TensorMap out;
  for (const auto& [key, value] : d) out[py::cast<std::string>(key)] = tensor_from_python(value, py::bool_(true));
  return out;
}

py::dict arrays_of(const nn::TensorMap& m) {
  py::dict d;
  for (const auto& [key, t] : m) d[py::str(key)] = to_numpy(t);
  return d;
}

py::dict history_dict(const nn::History& h) {
  py::dict d;
  d["train_loss"] = h.train_loss;
  d["train_accuracy"] = h.train_accuracy;
  d["test_loss"] = h.test_loss;
  d["test_accuracy"] = h.test_accuracy;
  d["lr"] = h.lr;
  d["seconds"] = h.seconds;
  d["step_loss"] = h.step_loss;
  return d;
}

nn::History history_from(const py::object& o) {
  nn::History h;
  if (o.is_none()) return h;
  const py::dict d = o.cast<py::dict>();
  auto get = [&](const char* key) {
    return d.contains(key) ? d[key].cast<std::vector<double>>() : std::vector<double>{};
  };
  h.train_loss = get("train_loss");
  h.train_accuracy = get("train_accuracy");
  h.test_loss = get("test_loss");
  h.test_accuracy = get("test_accuracy");
  h.lr = get("lr");
  h.seconds = get("seconds");
  h.step_loss = get("step_loss");
  return h;
}

nn::Dataset dataset_from(py::handle images, py::handle labels) {
  nn::Dataset d;
  d.images = tensor_from_python(images, py::bool_(true)).to(DType::f32);
  d.labels = tensor_from_python(labels, py::bool_(true)).to(DType::i64);
  if (d.images.ndim() < 2 || d.labels.ndim() != 1 || d.images.size(0) != d.labels.size(0))
    throw Error("evaluate", "images [N, ...] and labels [N]",
                "shapes " + shape_str(d.images.shape()) + " and " + shape_str(d.labels.shape()));
  return d;
}

void bind_optimizers(py::module_& nn_module) {
  py::class_<nn::Optimizer, std::shared_ptr<nn::Optimizer>>(nn_module, "Optimizer",
                                                            "An optimizer (SGD, Adam, AdamW): its parameters and state.")
      .def(
          "step",
          [](nn::Optimizer& o, py::object grads) {
            if (!grads.is_none()) set_gradients(o, grads.cast<py::sequence>());
            o.step();
          },
          py::arg("grads") = py::none(),
          "One update of every parameter with a gradient. grads: arrays to use as the gradients (one per "
          "parameter, None to skip one) instead of those backward() left.")
      .def("zero_grad", &nn::Optimizer::zero_grad)
      .def_property("lr", &nn::Optimizer::lr, &nn::Optimizer::set_lr)
      .def_property_readonly("params",
                             [](const nn::Optimizer& o) {
                               py::list out;
                               for (const Variable& p : o.parameters()) out.append(to_numpy(p.value()));
                               return out;
                             },
                             "The parameters' values (NumPy views: they change with each step).")
      .def("state_dict", [](const nn::Optimizer& o) { return arrays_of(o.state_dict()); })
      .def("load_state_dict", [](nn::Optimizer& o, const py::dict& d) { o.load_state_dict(tensors_from(d)); })
      .def("__repr__", &nn::Optimizer::describe);

  py::class_<nn::SGD, nn::Optimizer, std::shared_ptr<nn::SGD>>(nn_module, "SGD", "torch.optim.SGD's update rule.")
      .def(py::init([](py::handle params, double lr, double momentum, double dampening, bool nesterov, double weight_decay) {
             return std::make_shared<nn::SGD>(parameters_from(params),
                                              nn::SGDOptions{lr, momentum, dampening, nesterov, weight_decay});
           }),
           py::arg("params"), py::arg("lr") = 0.01, py::arg("momentum") = 0.0, py::arg("dampening") = 0.0,
           py::arg("nesterov") = false, py::arg("weight_decay") = 0.0);
  auto adam_options = [](double lr, std::pair<double, double> betas, double eps, double weight_decay) {
    return nn::AdamOptions{lr, betas.first, betas.second, eps, weight_decay};
  };
  py::class_<nn::Adam, nn::Optimizer, std::shared_ptr<nn::Adam>>(nn_module, "Adam", "torch.optim.Adam's update rule.")
      .def(py::init([adam_options](py::handle params, double lr, std::pair<double, double> betas, double eps,
                                   double weight_decay) {
             return std::make_shared<nn::Adam>(parameters_from(params), adam_options(lr, betas, eps, weight_decay));
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::pair<double, double>(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0);
  py::class_<nn::AdamW, nn::Adam, std::shared_ptr<nn::AdamW>>(nn_module, "AdamW",
                                                              "torch.optim.AdamW: Adam with decoupled weight decay.")
      .def(py::init([adam_options](py::handle params, double lr, std::pair<double, double> betas, double eps,
                                   double weight_decay) {
             return std::make_shared<nn::AdamW>(parameters_from(params), adam_options(lr, betas, eps, weight_decay));
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::pair<double, double>(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 1e-2);

  // A schedule keeps a pointer to its optimizer: keep_alive<1, 2> keeps the optimizer alive with it.
  py::class_<nn::LRScheduler>(nn_module, "LRScheduler", "A learning-rate schedule, stepped once per epoch.")
      .def("step", &nn::LRScheduler::step)
      .def_property_readonly("last_epoch", &nn::LRScheduler::last_epoch)
      .def_property_readonly("base_lr", &nn::LRScheduler::base_lr)
      .def("get_last_lr", [](const nn::LRScheduler& s) { return std::vector<double>{s.optimizer().lr()}; })
      .def("__repr__", &nn::LRScheduler::describe);
  py::class_<nn::StepLR, nn::LRScheduler>(nn_module, "StepLR", "lr *= gamma every step_size epochs.")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"), py::arg("step_size"),
           py::arg("gamma") = 0.1, py::keep_alive<1, 2>());
  py::class_<nn::CosineAnnealingLR, nn::LRScheduler>(nn_module, "CosineAnnealingLR",
                                                     "Half a cosine from the initial rate to eta_min over T_max epochs.")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"), py::arg("T_max"),
           py::arg("eta_min") = 0.0, py::keep_alive<1, 2>());
}

void bind_data_and_training(py::module_& nn_module) {
  nn_module.def(
      "load_digits",
      [](const std::string& path) {
        const nn::Dataset d = nn::load_digits(path.empty() ? nn::default_digits_path() : path);
        return py::make_tuple(to_numpy(d.images), to_numpy(d.labels));
      },
      py::arg("path") = "", "The UCI digits: (images float32 [1797, 1, 8, 8] in [0, 1], labels int64 [1797]).");
  nn_module.def(
      "digits_split",
      [](std::uint64_t seed, double test_fraction) {
        const nn::Split s = nn::train_test_split(nn::load_digits(), test_fraction, seed);
        py::dict d;
        d["train_images"] = to_numpy(s.train.images);
        d["train_labels"] = to_numpy(s.train.labels);
        d["test_images"] = to_numpy(s.test.images);
        d["test_labels"] = to_numpy(s.test.labels);
        return d;
      },
      py::arg("seed") = 0, py::arg("test_fraction") = 0.2, "The stratified train/test split that train() uses.");
  nn_module.def(
      "digits_mlp", [](std::uint64_t seed) -> std::shared_ptr<nn::Module> { return nn::digits_mlp(seed); },
      py::arg("seed") = 0, "Flatten, Linear(64, 128), ReLU, Linear(128, 64), ReLU, Linear(64, 10).");
  nn_module.def(
      "digits_cnn", [](std::uint64_t seed) -> std::shared_ptr<nn::Module> { return nn::digits_cnn(seed); },
      py::arg("seed") = 0, "Two Conv2d-BatchNorm-ReLU-MaxPool blocks, Flatten, Dropout(0.25), Linear(128, 10).");
  nn_module.def(
      "evaluate",
      [](nn::Module& model, py::handle images, py::handle labels, std::int64_t batch_size) {
        const nn::Evaluation e = nn::evaluate(model, dataset_from(images, labels), batch_size);
        py::dict d;
        d["loss"] = e.loss;
        d["accuracy"] = e.accuracy;
        return d;
      },
      py::arg("model"), py::arg("images"), py::arg("labels"), py::arg("batch_size") = 256,
      "Mean cross-entropy and accuracy, in eval mode and without a tape.");
  nn_module.def(
      "train",
      [](const std::string& model, std::int64_t epochs, std::uint64_t seed, std::int64_t batch_size, double lr,
         const std::string& optimizer, const std::string& schedule, double weight_decay, const std::string& checkpoint,
         const std::string& resume, std::int64_t stop_after, std::int64_t max_batches, bool verbose) {
        nn::TrainConfig c;
        c.model = model;
        c.epochs = epochs;
        c.seed = seed;
        c.batch_size = batch_size;
        c.lr = lr;
        c.optimizer = optimizer;
        c.schedule = schedule;
        c.weight_decay = weight_decay;
        c.checkpoint = checkpoint;
        c.resume = resume;
        c.stop_after = stop_after;
        c.max_batches = max_batches;
        py::scoped_ostream_redirect to_python_stdout(std::cout, py::module_::import("sys").attr("stdout"));
        const nn::TrainResult r = nn::train_digits(c, verbose ? &std::cout : nullptr, false);
        return history_dict(r.history);
      },
      py::arg("model") = "cnn", py::arg("epochs") = 0, py::arg("seed") = 0, py::arg("batch_size") = 32,
      py::arg("lr") = 0.0, py::arg("optimizer") = "adam", py::arg("schedule") = "cosine",
      py::arg("weight_decay") = 0.0, py::arg("checkpoint") = "", py::arg("resume") = "", py::arg("stop_after") = 0,
      py::arg("max_batches") = 0, py::arg("verbose") = false,
      "Trains 'mlp' or 'cnn' on the digits (glassbox train digits); returns the History as a dict of lists "
      "(train_loss, train_accuracy, test_loss, test_accuracy, lr, seconds per epoch; step_loss per step).");
  nn_module.def(
      "save_checkpoint",
      [](const std::string& path, nn::Module& model, const nn::Optimizer& optimizer, const nn::LRScheduler* scheduler,
         std::int64_t epoch, std::int64_t step, std::uint64_t seed, std::int64_t batch_size, py::object history) {
        nn::TrainingState state;
        state.epoch = epoch;
        state.step = step;
        state.seed = seed;
        state.batch_size = batch_size;
        state.history = history_from(history);
        nn::save_checkpoint(path, model, optimizer, scheduler, nn::model_rngs(model), state);
      },
      py::arg("path"), py::arg("model"), py::arg("optimizer"), py::arg("scheduler") = nullptr, py::arg("epoch") = 0,
      py::arg("step") = 0, py::arg("seed") = 0, py::arg("batch_size") = 1, py::arg("history") = py::none(),
      "Writes a checkpoint atomically (model, optimizer, schedule, the model's generators, counters, history).");
  nn_module.def(
      "load_checkpoint",
      [](const std::string& path, nn::Module& model, nn::Optimizer& optimizer, nn::LRScheduler* scheduler) {
        const nn::TrainingState s = nn::load_checkpoint(path, model, optimizer, scheduler, nn::model_rngs(model));
        py::dict d;
        d["epoch"] = s.epoch;
        d["step"] = s.step;
        d["seed"] = s.seed;
        d["batch_size"] = s.batch_size;
        d["history"] = history_dict(s.history);
        return d;
      },
      py::arg("path"), py::arg("model"), py::arg("optimizer"), py::arg("scheduler") = nullptr,
      "Checks the whole file, then restores everything into model, optimizer and scheduler; returns the counters.");
}

}  // namespace

void bind_nn_training(py::module_& nn) {
  bind_optimizers(nn);
  bind_data_and_training(nn);
}

}  // namespace gb::python
