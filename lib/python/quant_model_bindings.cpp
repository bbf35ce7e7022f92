// quant_model_bindings.cpp: gb.quant's model half (lesson 25): FakeQuant on autograd Variables, LSQ,
// BatchNorm folding, and the PTQ/QAT accuracy report.
//
//   x = gb.Tensor(values, requires_grad=True)
//   y = gb.quant.fake_quant(x, 0.1, 10, dtype="uint8")        # a gb.autograd.Variable (gb.quant.fake_quantize:
//                                                              # the same values as a NumPy array, no tape)
//   y.backward(np.ones_like(values)); x.grad                  # the straight-through mask
//   w, b = gb.quant.fold_batch_norm(conv_w, conv_b, gamma, beta, mean, var, eps=1e-5)
//   rows = gb.quant.quant_report(model="cnn", seed=0)          # [{"method": "fp32", "accuracy": 0.98, ...}, ...]
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/core/error.hpp"
#include "gb/quant/fake_quant.hpp"
#include "gb/quant/fold.hpp"
#include "gb/quant/qat.hpp"
#include "py_variable.hpp"

namespace gb::python {

namespace {

namespace q = gb::quant;
using autodiff::Variable;

// A gb.autograd.Variable as itself; a gb.Tensor or anything NumPy accepts as a constant.
Variable variable_of(py::handle h) {
  if (py::isinstance<PyVariable>(h)) return h.cast<const PyVariable&>().variable;
  if (py::isinstance<Tensor>(h)) return Variable(h.cast<Tensor>());
  return Variable(tensor_from_python(h, py::none()));
}
// A Variable goes back to Python as a gb.autograd.Variable (a gb.Tensor with a place on the tape).
py::object wrap(const Variable& v) { return py::cast(PyVariable(v)); }

Tensor tensor_of(py::handle h) {
  if (py::isinstance<Tensor>(h)) return h.cast<Tensor>();
  return tensor_from_python(h, py::none());
}
Tensor optional_tensor(py::handle h) { return h.is_none() ? Tensor() : tensor_of(h); }

DType quant_dtype(const std::string& name) {
  if (name == "uint8" || name == "u8") return DType::u8;
  if (name == "int8" || name == "i8") return DType::i8;
  throw Error("gb.quant", "dtype 'uint8' or 'int8'", "'" + name + "'");
}

// scale and zero_point: a number each (per tensor, axis None) or sequences (per channel along axis).
q::QParams qparams_of(py::handle scale, py::handle zero_point, const std::string& dtype, py::handle axis,
                      bool restricted) {
  q::QParams p;
  p.dtype = quant_dtype(dtype);
  p.restricted = restricted;
  if (py::isinstance<py::float_>(scale) || py::isinstance<py::int_>(scale)) {
    p.scale = {scale.cast<double>()};
  } else {
    p.scale = tensor_of(scale).to_vector();
  }
  if (py::isinstance<py::int_>(zero_point)) {
    p.zero_point = {zero_point.cast<std::int32_t>()};
  } else {
    p.zero_point.clear();
    for (double z : tensor_of(zero_point).to_vector()) p.zero_point.push_back(static_cast<std::int32_t>(z));
  }
  p.axis = axis.is_none() ? -1 : axis.cast<std::int64_t>();
  if (!axis.is_none() && p.axis < 0) throw Error("gb.quant", "a channel axis >= 0 (or None: per tensor)", std::to_string(p.axis));
  return p;
}

py::dict row_dict(const q::ReportRow& r, double fp32) {
  py::dict d;
  d["method"] = r.method;
  d["how"] = r.how;
  d["accuracy"] = r.accuracy;
  d["vs_fp32"] = (r.accuracy - fp32) * 100.0;
  d["agreement"] = r.agreement;
  d["logit_rms"] = r.logit_rms;
  d["seconds"] = r.seconds;
  return d;
}

}  // namespace

void bind_quant_models(py::module_& m) {
  m.def(
      "fake_quant",
      [](py::handle x, py::handle scale, py::handle zero_point, const std::string& dtype, py::handle axis,
         bool restricted) {
        return wrap(q::fake_quant(variable_of(x), qparams_of(scale, zero_point, dtype, axis, restricted)));
      },
      py::arg("x"), py::arg("scale"), py::arg("zero_point"), py::arg("dtype") = "uint8", py::arg("axis") = py::none(),
      py::arg("restricted") = false,
      R"doc(FakeQuant: S * (clamp(round(x / S) + Z, qmin, qmax) - Z), float32, differentiable with the
straight-through estimator (the gradient passes where the code lies in [qmin, qmax]). Per tensor (scale
and zero_point numbers, axis None) or per channel (sequences, one per index of `axis`). dtype 'uint8'
(0..255) or 'int8' (-128..127; restricted: -127..127). Like torch.fake_quantize_per_tensor_affine /
fake_quantize_per_channel_affine. Returns a gb.autograd.Variable.)doc");
  m.def(
      "ste_mask",
      [](py::handle x, py::handle scale, py::handle zero_point, const std::string& dtype, py::handle axis,
         bool restricted) { return q::ste_mask(tensor_of(x), qparams_of(scale, zero_point, dtype, axis, restricted)); },
      py::arg("x"), py::arg("scale"), py::arg("zero_point"), py::arg("dtype") = "uint8", py::arg("axis") = py::none(),
      py::arg("restricted") = false, "The straight-through mask of fake_quantize at x: 1 inside the grid, 0 outside.");
  m.def(
      "fake_quantize_learned",
      [](py::handle x, py::handle scale, std::int32_t zero_point, std::int32_t quant_min, std::int32_t quant_max,
         double grad_factor) {
        return wrap(q::fake_quant_learned(variable_of(x), variable_of(scale), zero_point, {quant_min, quant_max},
                                          grad_factor));
      },
      py::arg("x"), py::arg("scale"), py::arg("zero_point"), py::arg("quant_min"), py::arg("quant_max"),
      py::arg("grad_factor") = 1.0,
      R"doc(FakeQuant with a learned scale (LSQ, as torch._fake_quantize_learnable_per_tensor_affine): scale
is a gb.autograd.Variable of one element; its gradient is (q - Z) - x / S inside the grid and
qmin - Z or qmax - Z outside, times grad_factor, summed.)doc");
  m.def(
      "fold_batch_norm",
      [](py::handle weight, py::handle bias, py::handle gamma, py::handle beta, py::handle mean, py::handle var,
         double eps) {
        const q::FoldedConv f = q::fold_batch_norm(tensor_of(weight), optional_tensor(bias), tensor_of(gamma),
                                                   tensor_of(beta), tensor_of(mean), tensor_of(var), eps);
        return py::make_tuple(f.weight, f.bias);
      },
      py::arg("weight"), py::arg("bias"), py::arg("gamma"), py::arg("beta"), py::arg("running_mean"),
      py::arg("running_var"), py::arg("eps") = 1e-5,
      R"doc(BatchNorm (eval) folded into the convolution before it (Jacob et al. 2018): returns (W', b') with
W'_c = W_c gamma_c / sqrt(var_c + eps) and b'_c = gamma_c (b_c - mean_c) / sqrt(var_c + eps) + beta_c.
bias may be None.)doc");
  m.def(
      "quant_report",
      [](const std::string& model, std::uint64_t seed, std::int64_t calibration_batches, std::int64_t epochs,
         std::int64_t qat_epochs, double qat_lr, std::int64_t skip_sensitive, const std::string& sensitivity_calibrator) {
        q::ReportOptions o;
        o.model = model;
        o.seed = seed;
        o.calibration_batches = calibration_batches;
        o.epochs = epochs;
        o.qat.epochs = qat_epochs;
        o.qat.lr = qat_lr;
        o.skip_sensitive = skip_sensitive;
        o.sensitivity_calibrator = q::calibrator_from_name(sensitivity_calibrator);
        q::QuantReport r;
        {
          py::gil_scoped_release release;  // seconds of training and evaluation
          r = q::quant_report(o);
        }
        py::list rows;
        for (const q::ReportRow& row : r.rows) rows.append(row_dict(row, r.fp32_accuracy()));
        return rows;
      },
      py::arg("model") = "cnn", py::arg("seed") = 0, py::arg("calibration_batches") = 16, py::arg("epochs") = 0,
      py::arg("qat_epochs") = 0, py::arg("qat_lr") = 1e-4, py::arg("skip_sensitive") = 1,
      py::arg("sensitivity_calibrator") = "minmax",
      R"doc(Trains the digits model (cnn or mlp) once and measures the test accuracy of fp32, PTQ dynamic,
PTQ static with each calibrator, the static model with its most sensitive layers in float, QAT
and QAT exported to int8: a list of dicts (method, how, accuracy, vs_fp32 in points, agreement with fp32's predictions,
logit_rms, seconds), as
`glassbox quant-report` prints them.)doc");
}

}  // namespace gb::python
