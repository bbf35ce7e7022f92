// compress_prune_bindings.cpp: gb.compress's pruning half (lesson 26): magnitude masks, the gradual
// schedule, filter ranking and removal, model costs, and CSR storage with the sparse x dense product.
//
//   mask = gb.compress.magnitude_mask(w, 0.9)                   # float32 0/1, w's shape
//   s = gb.compress.gradual_sparsity(step, final=0.9, pruning_steps=10)
//   small, removed = gb.compress.prune_filters(gb.nn.digits_cnn(0), 0.5)
//   a = gb.compress.to_csr(w * mask); a.row_ptr, a.col_index, a.values; gb.compress.spmm(a, b)
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/compress/prune.hpp"
#include "gb/compress/sparse.hpp"
#include "gb/core/error.hpp"

namespace gb::python {

namespace {

namespace cp = gb::compress;

// Anything NumPy accepts; floating arrays become float32 (the dtype of weights, and torch's default).
Tensor f32_of(py::handle h) {
  Tensor t = py::isinstance<Tensor>(h) ? h.cast<Tensor>() : tensor_from_python(h, py::none());
  return t.dtype() == DType::f64 ? t.to(DType::f32) : t;
}
py::object numpy_of(const Tensor& t) { return tensor_to_numpy(py::cast(t)); }

template <class T> py::array_t<T> array_of(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

cp::GradualSchedule schedule_of(double initial, double final, std::int64_t begin, std::int64_t frequency,
                                std::int64_t pruning_steps) {
  return {initial, final, begin, frequency, pruning_steps};
}

py::dict masks_dict(const cp::Masks& masks) {
  py::dict d;
  for (const auto& [name, mask] : masks) d[py::str(name)] = numpy_of(mask);
  return d;
}

cp::Masks masks_of(const py::dict& d) {
  cp::Masks masks;
  for (const auto& [name, mask] : d) masks[name.cast<std::string>()] = f32_of(mask);
  return masks;
}

}  // namespace

py::dict model_cost_dict(const cp::ModelCost& c) {
  py::dict d;
  d["parameters"] = c.parameters;
  d["nonzero_parameters"] = c.nonzero_parameters;
  d["macs"] = c.macs;
  return d;
}

void bind_compress_prune(py::module_& m) {
  // --- unstructured masks -------------------------------------------------------------------------------
  m.def("prune_count", &cp::prune_count, py::arg("numel"), py::arg("sparsity"),
        "round(sparsity * numel), half to even (Python's round, as torch.nn.utils.prune computes it).");
  m.def(
      "magnitude_mask", [](py::handle w, double sparsity) { return numpy_of(cp::magnitude_mask(f32_of(w), sparsity)); },
      py::arg("weight"), py::arg("sparsity"),
      R"doc(The float32 0/1 mask of w's shape that prunes the round(sparsity * numel) weights of smallest |w|
(ties: lower flat index first). Equals torch.nn.utils.prune.l1_unstructured(amount=sparsity)'s mask.)doc");
  m.def(
      "global_magnitude_masks",
      [](const std::vector<py::object>& weights, double sparsity) {
        std::vector<Tensor> ws;
        for (const auto& w : weights) ws.push_back(f32_of(w));
        py::list out;
        for (const Tensor& mask : cp::global_magnitude_masks(ws, sparsity)) out.append(numpy_of(mask));
        return out;
      },
      py::arg("weights"), py::arg("sparsity"),
      "One threshold over all the weights (torch.nn.utils.prune.global_unstructured): one mask per weight.");

  // --- the gradual schedule -----------------------------------------------------------------------------
  m.def(
      "gradual_sparsity",
      [](std::int64_t step, double initial, double final, std::int64_t begin, std::int64_t frequency,
         std::int64_t pruning_steps) { return schedule_of(initial, final, begin, frequency, pruning_steps).sparsity_at(step); },
      py::arg("step"), py::arg("initial") = 0.0, py::arg("final") = 0.9, py::arg("begin") = 0, py::arg("frequency") = 1,
      py::arg("pruning_steps") = 10,
      R"doc(Zhu and Gupta's schedule: s_f + (s_i - s_f) (1 - (t' - t0) / (n dt))^3 at the last pruning event
t' <= step; initial before begin, final from begin + pruning_steps * frequency on.)doc");
  m.def(
      "is_pruning_step",
      [](std::int64_t step, double initial, double final, std::int64_t begin, std::int64_t frequency,
         std::int64_t pruning_steps) {
        return schedule_of(initial, final, begin, frequency, pruning_steps).is_pruning_step(step);
      },
      py::arg("step"), py::arg("initial") = 0.0, py::arg("final") = 0.9, py::arg("begin") = 0, py::arg("frequency") = 1,
      py::arg("pruning_steps") = 10, "Is step one of begin, begin + frequency, ..., begin + pruning_steps * frequency?");

  // --- filters ------------------------------------------------------------------------------------------
  m.def(
      "filter_l1_norms", [](py::handle w) { return numpy_of(cp::filter_l1_norms(f32_of(w))); }, py::arg("weight"),
      "The L1 norm of each filter of a [OC, IC, KH, KW] convolution weight: [OC] float32.");
  m.def(
      "filters_to_prune", [](py::handle w, std::int64_t count) { return cp::filters_to_prune(f32_of(w), count); },
      py::arg("weight"), py::arg("count"),
      "The `count` filters of smallest L1 norm (ties: lower index first), in increasing index order.");

  // --- models (gb.nn Modules) ---------------------------------------------------------------------------
  m.def("prunable_parameters", &cp::prunable_parameters, py::arg("model"),
        "The names of the Linear and Conv2d weights, in named_parameters() order.");
  m.def(
      "magnitude_masks",
      [](const nn::Module& model, double sparsity, const std::string& scope) {
        return masks_dict(cp::magnitude_masks(model, sparsity, cp::scope_from_name(scope)));
      },
      py::arg("model"), py::arg("sparsity"), py::arg("scope") = "layer",
      "Masks by parameter name for every prunable weight; scope 'layer' (each weight) or 'global' (one threshold).");
  m.def(
      "apply_masks", [](nn::Module& model, const py::dict& masks) { cp::apply_masks(model, masks_of(masks)); },
      py::arg("model"), py::arg("masks"), "weight *= mask for every entry, in place.");
  m.def(
      "count_sparsity",
      [](const nn::Module& model) {
        const cp::SparsityCount c = cp::count_sparsity(model);
        py::dict d;
        d["zeros"] = c.zeros;
        d["total"] = c.total;
        d["fraction"] = c.fraction();
        return d;
      },
      py::arg("model"), "Zeros among the prunable weights: {'zeros', 'total', 'fraction'}.");
  m.def(
      "prune_filters",
      [](const nn::Module& model, double fraction) {
        const auto* seq = dynamic_cast<const nn::Sequential*>(&model);
        if (seq == nullptr) throw Error("prune_filters", "a gb.nn.Sequential", model.describe());
        cp::FilterPruning p = cp::prune_filters(*seq, fraction);
        return py::make_tuple(std::static_pointer_cast<nn::Module>(p.model), p.removed);
      },
      py::arg("model"), py::arg("fraction"),
      R"doc((smaller model, {conv name: removed filters}): round(fraction * OC) filters of smallest L1 norm leave
every Conv2d, with their BatchNorm channel and the next layer's inputs. The input model is unchanged.)doc");
  m.def(
      "model_cost",
      [](const nn::Module& model, const std::vector<std::int64_t>& image_shape) {
        const auto* seq = dynamic_cast<const nn::Sequential*>(&model);
        if (seq == nullptr) throw Error("model_cost", "a gb.nn.Sequential", model.describe());
        return model_cost_dict(cp::model_cost(*seq, image_shape));
      },
      py::arg("model"), py::arg("image_shape") = std::vector<std::int64_t>{1, 8, 8},
      "{'parameters', 'nonzero_parameters', 'macs'} for one image of the given shape.");

  // --- CSR --------------------------------------------------------------------------------------------
  py::class_<cp::CsrMatrix>(m, "CsrMatrix", "A matrix in compressed sparse row form (row_ptr, col_index, values).")
      .def(py::init([](py::handle row_ptr, py::handle col_index, py::handle values, std::pair<std::int64_t, std::int64_t> shape) {
             cp::CsrMatrix a;
             a.rows = shape.first;
             a.cols = shape.second;
             a.row_ptr = py::cast<std::vector<std::int64_t>>(py::module_::import("numpy").attr("asarray")(row_ptr).attr("tolist")());
             a.col_index = py::cast<std::vector<std::int32_t>>(py::module_::import("numpy").attr("asarray")(col_index).attr("tolist")());
             a.values = py::cast<std::vector<float>>(py::module_::import("numpy").attr("asarray")(values).attr("tolist")());
             cp::check_csr(a);
             return a;
           }),
           py::arg("row_ptr"), py::arg("col_index"), py::arg("values"), py::arg("shape"),
           "From the three arrays (e.g. torch's crow_indices, col_indices, values); checked.")
      .def_property_readonly("row_ptr", [](const cp::CsrMatrix& a) { return array_of(a.row_ptr); })
      .def_property_readonly("col_index", [](const cp::CsrMatrix& a) { return array_of(a.col_index); })
      .def_property_readonly("values", [](const cp::CsrMatrix& a) { return array_of(a.values); })
      .def_property_readonly("shape", [](const cp::CsrMatrix& a) { return py::make_tuple(a.rows, a.cols); })
      .def_property_readonly("nnz", &cp::CsrMatrix::nnz)
      .def_property_readonly("bytes", &cp::CsrMatrix::bytes)
      .def_property_readonly("density", &cp::CsrMatrix::density)
      .def("to_dense", [](const cp::CsrMatrix& a) { return numpy_of(cp::to_dense(a)); })
      .def("__repr__", [](const cp::CsrMatrix& a) {
        return "CsrMatrix(shape=(" + std::to_string(a.rows) + ", " + std::to_string(a.cols) + "), nnz=" + std::to_string(a.nnz()) + ")";
      });
  m.def(
      "to_csr", [](py::handle a) { return cp::to_csr(f32_of(a)); }, py::arg("a"),
      "The CSR form of a 2-D float32 array (exact zeros left out).");
  m.def(
      "to_dense", [](const cp::CsrMatrix& a) { return numpy_of(cp::to_dense(a)); }, py::arg("csr"));
  m.def(
      "spmm", [](const cp::CsrMatrix& a, py::handle b) { return numpy_of(cp::spmm(a, f32_of(b))); }, py::arg("csr"),
      py::arg("b"), "[rows, cols] (CSR) x [cols, n] (dense float32) -> [rows, n].");
  m.def(
      "sparse_linear",
      [](py::handle x, const cp::CsrMatrix& w, py::handle bias) {
        return numpy_of(cp::sparse_linear(f32_of(x), w, bias.is_none() ? Tensor() : f32_of(bias)));
      },
      py::arg("x"), py::arg("weight"), py::arg("bias") = py::none(), "x [N, in] -> x W^T + bias [N, out], W in CSR.");
}

}  // namespace gb::python
