// compress_distill_bindings.cpp: gb.compress's distillation half (lesson 27) and the compress report
// (lessons 26-27). NumPy in, NumPy out:
//
//   p = gb.compress.softmax_with_temperature(logits, 4.0)                    # softmax(logits / T), rows
//   value, grad = gb.compress.soft_target_loss(student, teacher, 4.0)       # T^2 KL(p_t || p_s), d/d student
//   grad = gb.compress.soft_target_grad(student, teacher, 4.0)               # T (p_s - p_t) / N
//   value, grad = gb.compress.distillation_loss(student, teacher, labels, 4.0, 0.5)
//   r = gb.compress.compress_report(seed=0, seeds=3)   # {"pruning": [{...}, ...], "distillation": [...], "text": ...}
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "gb/compress/report.hpp"
#include "gb/core/error.hpp"

namespace gb::python {

namespace {

namespace c = gb::compress;
using autodiff::Variable;

py::object to_numpy(const Tensor& t) { return tensor_to_numpy(py::cast(t)); }

// Logits as float32 (any NumPy array or gb.Tensor; float64 is rounded, as torch's .float() does).
Tensor logits_of(py::handle h) {
  const Tensor t = py::isinstance<Tensor>(h) ? h.cast<Tensor>() : tensor_from_python(h, py::bool_(true));
  return t.dtype() == DType::f32 ? t : t.to(DType::f32);
}

Tensor labels_of(py::handle h) {
  const Tensor t = py::isinstance<Tensor>(h) ? h.cast<Tensor>() : tensor_from_python(h, py::bool_(true));
  if (t.dtype() == DType::f32 || t.dtype() == DType::f64)
    throw Error("gb.compress.distillation_loss", "integer class labels", std::string(dtype_name(t.dtype())));
  return t.to(DType::i64);
}

// A loss and its gradient with respect to the student's logits, by the library's own backward.
py::tuple value_and_grad(const Tensor& student, const std::function<Variable(const Variable&)>& loss) {
  Variable s(student.clone(), /*requires_grad=*/true);
  const Variable value = loss(s);
  value.backward();
  return py::make_tuple(value.value().item(), to_numpy(s.grad().value()));
}

py::dict prune_row(const c::PruneRow& p, const c::CompressReport& r) {
  const double unpruned = p.model == "cnn" ? r.cnn_accuracy : r.mlp_accuracy;
  py::dict d;
  d["model"] = p.model;
  d["method"] = p.method;
  d["target"] = p.target;
  d["sparsity"] = p.sparsity;
  d["parameters"] = p.cost.parameters;
  d["nonzero_parameters"] = p.cost.nonzero_parameters;
  d["macs"] = p.cost.macs;
  d["accuracy_pruned"] = p.accuracy_pruned;
  d["accuracy"] = p.accuracy;
  d["vs_unpruned"] = (p.accuracy - unpruned) * 100.0;
  return d;
}

}  // namespace

void bind_compress_distill(py::module_& m) {
  m.def(
      "softmax_with_temperature",
      [](py::handle logits, double temperature) { return to_numpy(c::softmax_with_temperature(logits_of(logits), temperature)); },
      py::arg("logits"), py::arg("temperature"),
      "softmax(logits / T) along the last axis of [N, C] logits (float32), like torch.softmax(z / T, -1).");
  m.def(
      "soft_target_loss",
      [](py::handle student, py::handle teacher, double temperature) {
        const Tensor t = logits_of(teacher);
        return value_and_grad(logits_of(student),
                              [&](const Variable& s) { return c::soft_target_loss(s, t, temperature); });
      },
      py::arg("student"), py::arg("teacher"), py::arg("temperature"),
      R"doc((value, grad): T^2 KL(softmax(teacher / T) || softmax(student / T)), averaged over the N rows
(torch: F.kl_div(F.log_softmax(s / T), F.softmax(t / T), reduction="batchmean") * T * T), and its
gradient with respect to the student's logits, T (p_s - p_t) / N, from the op's backward.)doc");
  m.def(
      "soft_target_grad",
      [](py::handle student, py::handle teacher, double temperature) {
        return to_numpy(c::soft_target_grad(logits_of(student), logits_of(teacher), temperature));
      },
      py::arg("student"), py::arg("teacher"), py::arg("temperature"),
      "T (softmax(student / T) - softmax(teacher / T)) / N: the soft-target loss's gradient on the student's logits.");
  m.def(
      "distillation_loss",
      [](py::handle student, py::handle teacher, py::handle labels, double temperature, double lam) {
        const Tensor t = logits_of(teacher), y = labels_of(labels);
        return value_and_grad(logits_of(student), [&](const Variable& s) {
          return c::distillation_loss(s, t, y, temperature, lam);
        });
      },
      py::arg("student"), py::arg("teacher"), py::arg("labels"), py::arg("temperature"), py::arg("lam"),
      "(value, grad) of soft_target_loss + lam * cross_entropy(student, labels).");
  m.def(
      "compress_report",
      [](std::uint64_t seed, std::int64_t seeds, std::int64_t fine_tune_epochs, std::int64_t distill_epochs,
         double temperature, double lam, std::int64_t max_batches, std::int64_t train_epochs) {
        c::CompressOptions o;
        o.seed = seed;
        o.seeds = seeds;
        o.fine_tune.epochs = fine_tune_epochs;
        o.distill.epochs = distill_epochs;
        o.distill.temperature = temperature;
        o.distill.lambda = lam;
        o.fine_tune.max_batches = o.distill.max_batches = o.train_max_batches = max_batches;
        o.train_epochs = train_epochs;
        c::CompressReport r;
        {
          py::gil_scoped_release release;  // seconds of training
          r = c::compress_report(o);
        }
        py::dict d;
        d["seed"] = r.seed;
        d["test_examples"] = r.test_examples;
        d["cnn_accuracy"] = r.cnn_accuracy;
        d["mlp_accuracy"] = r.mlp_accuracy;
        d["cnn_cost"] = model_cost_dict(r.cnn_cost);
        d["mlp_cost"] = model_cost_dict(r.mlp_cost);
        py::list pruning, distillation;
        for (const c::PruneRow& p : r.pruning) pruning.append(prune_row(p, r));
        for (const c::DistillRow& row : r.distillation) {
          py::dict x;
          x["seed"] = row.seed;
          x["teacher"] = row.teacher;
          x["baseline"] = row.baseline;
          x["distilled"] = row.distilled;
          distillation.append(x);
        }
        d["pruning"] = pruning;
        d["distillation"] = distillation;
        d["baseline_mean"] = r.baseline_mean;
        d["baseline_std"] = r.baseline_std;
        d["distilled_mean"] = r.distilled_mean;
        d["distilled_std"] = r.distilled_std;
        d["text"] = c::format_compress_report(r);
        return d;
      },
      py::arg("seed") = 0, py::arg("seeds") = 3, py::arg("fine_tune_epochs") = c::FineTuneOptions{}.epochs,
      py::arg("distill_epochs") = c::DistillOptions{}.epochs, py::arg("temperature") = c::DistillOptions{}.temperature,
      py::arg("lam") = c::DistillOptions{}.lambda, py::arg("max_batches") = 0, py::arg("train_epochs") = 0,
      R"doc(What `glassbox compress-report` measures, as a dict: the unpruned accuracies and costs, "pruning"
(one dict per row: model, method, target, sparsity, parameters, nonzero_parameters, macs,
accuracy_pruned, accuracy, vs_unpruned in points), "distillation" (one dict per seed: seed, teacher,
baseline, distilled), the means and sample standard deviations, and "text", the printed tables.
max_batches > 0 caps every epoch of every training (quick runs); train_epochs > 0 shortens the fp32 training.)doc");
}

}  // namespace gb::python
