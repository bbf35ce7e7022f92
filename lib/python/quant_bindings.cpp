// quant_bindings.cpp: glassbox._glassbox.quant, the numeric half of lib/quant for Python: the affine
// map (choose_qparams, quantize, dequantize), fixed-point requantization (quantize_multiplier and the
// gemmlowp primitives) and calibration (histograms, the KL sweep, the Observer). glassbox/quant.py
// wraps it (NumPy in and out, dtype names, per-channel axes); quant_kernel_bindings.cpp and
// quant_model_bindings.cpp add the integer kernels and the model half to the same submodule.
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/quant/calibrate.hpp"
#include "gb/quant/fixed_point.hpp"
#include "gb/quant/qparams.hpp"

namespace gb::python {

namespace {

namespace quant = gb::quant;

// "int8"/"i8"/"qint8" -> i8, "uint8"/"u8"/"quint8" -> u8; anything else names what is allowed.
DType qdtype_of(const std::string& name) {
  if (name == "int8" || name == "i8" || name == "qint8") return DType::i8;
  if (name == "uint8" || name == "u8" || name == "quint8") return DType::u8;
  throw Error("quant", "dtype \"int8\" or \"uint8\"", "\"" + name + "\"");
}

// The QParams glassbox/quant.py hands over: lists of scales and zero points, axis -1 for per-tensor.
quant::QParams params_of(const std::string& dtype, const std::vector<double>& scale,
                         const std::vector<std::int32_t>& zero_point, std::int64_t axis, bool restricted) {
  quant::QParams p;
  p.dtype = qdtype_of(dtype);
  p.scale = scale;
  p.zero_point = zero_point;
  p.axis = axis;
  p.restricted = restricted;
  return p;
}

py::tuple histogram_tuple(const quant::Histogram& h) {
  std::vector<double> edges(h.counts.size() + 1);
  for (std::size_t b = 0; b < edges.size(); ++b) edges[b] = static_cast<double>(b) * h.bin_width();
  edges.back() = h.max;  // as numpy.linspace: the last edge is the max itself
  return py::make_tuple(h.counts, edges);
}

// An int32 tensor from Python integers of any width, each checked to fit.
Tensor int32_tensor(py::handle x, const char* op) {
  Tensor t = tensor_from_python(x, py::none());
  if (t.dtype() == DType::i32) return t;
  if (is_floating(t.dtype())) throw Error(op, "integers (an int32 array)", dtype_name(t.dtype()));
  const Tensor wide = t.to(DType::i64).contiguous();
  const std::int64_t* v = wide.data<std::int64_t>();
  for (std::int64_t i = 0; i < wide.numel(); ++i)
    if (v[i] < std::numeric_limits<std::int32_t>::min() || v[i] > std::numeric_limits<std::int32_t>::max())
      throw Error(op, "values that fit in int32", std::to_string(v[i]) + " at flat index " + std::to_string(i));
  return t.to(DType::i32);
}

template <class F> Tensor map_int32(const Tensor& x, F f) {
  const Tensor c = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), DType::i32);
  const std::int32_t* src = c.data<std::int32_t>();
  std::int32_t* dst = out.data<std::int32_t>();
  for (std::int64_t i = 0; i < c.numel(); ++i) dst[i] = f(src[i]);
  return out;
}

py::dict sweep_dict(const quant::KlSweep& s) {
  py::dict d;
  const py::tuple h = histogram_tuple(s.histogram);
  d["counts"] = h[0];
  d["edges"] = h[1];
  d["levels"] = s.levels;
  d["candidates"] = s.candidates;
  d["divergence"] = s.divergence;
  d["best"] = s.best;
  d["threshold"] = s.threshold;
  return d;
}

}  // namespace

void bind_quant(py::module_& m) {
  // --- the affine map -------------------------------------------------------------------------
  m.def(
      "choose_qparams",
      [](double min, double max, const std::string& dtype, bool symmetric, bool restricted) {
        return quant::choose_qparams(min, max, qdtype_of(dtype), symmetric, restricted);
      },
      py::arg("min"), py::arg("max"), py::arg("dtype") = "int8", py::arg("symmetric") = false,
      py::arg("restricted") = false, "(scale, zero_point) for [min, max] (exercise quant.qparams.from_min_max)");
  m.def(
      "tensor_qparams",
      [](py::handle x, const std::string& dtype, bool symmetric, std::int64_t axis, bool restricted) {
        const Tensor t = tensor_from_python(x, py::none());
        const quant::QParams p = axis < 0 ? quant::per_tensor_qparams(t, qdtype_of(dtype), symmetric, restricted)
                                          : quant::per_channel_qparams(t, axis, qdtype_of(dtype), symmetric, restricted);
        return py::make_tuple(p.scale, p.zero_point);
      },
      py::arg("x"), py::arg("dtype"), py::arg("symmetric"), py::arg("axis"), py::arg("restricted"),
      "([scale...], [zero_point...]) from x's own min and max, per tensor (axis -1) or per channel");
  m.def(
      "quantize",
      [](py::handle x, const std::vector<double>& scale, const std::vector<std::int32_t>& zero_point,
         const std::string& dtype, std::int64_t axis, bool restricted) {
        return quant::quantize(tensor_from_python(x, py::none()), params_of(dtype, scale, zero_point, axis, restricted));
      },
      py::arg("x"), py::arg("scale"), py::arg("zero_point"), py::arg("dtype"), py::arg("axis"), py::arg("restricted"),
      "float32 x -> int8/uint8 codes (a Tensor)");
  m.def(
      "dequantize",
      [](py::handle q, const std::vector<double>& scale, const std::vector<std::int32_t>& zero_point,
         const std::string& dtype, std::int64_t axis) {
        return quant::dequantize(tensor_from_python(q, py::none()), params_of(dtype, scale, zero_point, axis, false));
      },
      py::arg("q"), py::arg("scale"), py::arg("zero_point"), py::arg("dtype"), py::arg("axis"),
      "int8/uint8 codes -> float32 S * (q - Z) (a Tensor)");
  m.def(
      "fake_quantize",
      [](py::handle x, const std::vector<double>& scale, const std::vector<std::int32_t>& zero_point,
         const std::string& dtype, std::int64_t axis, bool restricted) {
        return quant::fake_quantize(tensor_from_python(x, py::none()),
                                    params_of(dtype, scale, zero_point, axis, restricted));
      },
      py::arg("x"), py::arg("scale"), py::arg("zero_point"), py::arg("dtype"), py::arg("axis"), py::arg("restricted"),
      "dequantize(quantize(x)) (a float32 Tensor)");
  m.def(
      "qrange",
      [](const std::string& dtype, bool restricted) {
        const quant::QRange r = quant::qrange(qdtype_of(dtype), restricted);
        return py::make_tuple(r.qmin, r.qmax);
      },
      py::arg("dtype") = "int8", py::arg("restricted") = false, "(qmin, qmax) of the grid");

  // --- fixed point ----------------------------------------------------------------------------
  m.def("saturating_rounding_doubling_high_mul", &quant::saturating_rounding_doubling_high_mul, py::arg("a"),
        py::arg("b"), "gemmlowp: a * b / 2^31 rounded to nearest (ties up), int32 saturated");
  m.def("rounding_divide_by_pot", &quant::rounding_divide_by_pot, py::arg("x"), py::arg("exponent"),
        "gemmlowp: x / 2^exponent rounded to nearest, ties away from zero");
  m.def(
      "quantize_multiplier",
      [](double real) {
        const quant::QuantizedMultiplier q = quant::quantize_multiplier(real);
        return py::make_tuple(q.multiplier, q.shift);
      },
      py::arg("m"), "TFLite QuantizeMultiplier: (multiplier, shift) with m = multiplier * 2^(shift - 31)");
  m.def(
      "multiply_by_quantized_multiplier",
      [](std::int32_t x, std::int32_t multiplier, int shift) {
        return quant::multiply_by_quantized_multiplier(x, multiplier, shift);
      },
      py::arg("x"), py::arg("multiplier"), py::arg("shift"), "TFLite MultiplyByQuantizedMultiplier for one int32");
  m.def(
      "multiply_by_quantized_multiplier_array",
      [](py::handle x, std::int32_t multiplier, int shift) {
        return map_int32(int32_tensor(x, "multiply_by_quantized_multiplier"),
                         [&](std::int32_t v) { return quant::multiply_by_quantized_multiplier(v, multiplier, shift); });
      },
      py::arg("x"), py::arg("multiplier"), py::arg("shift"), "the same, elementwise (an int32 Tensor)");
  m.def(
      "requantize_array",
      [](py::handle acc, std::int32_t multiplier, int shift, std::int32_t zero_point, std::int32_t qmin,
         std::int32_t qmax) {
        const quant::QuantizedMultiplier qm{multiplier, shift};
        return map_int32(int32_tensor(acc, "requantize"), [&](std::int32_t v) {
          return quant::requantize(v, qm, zero_point, quant::QRange{qmin, qmax});
        });
      },
      py::arg("acc"), py::arg("multiplier"), py::arg("shift"), py::arg("zero_point"), py::arg("qmin"), py::arg("qmax"),
      "saturate(Z + M * acc) elementwise (exercise quant.fixed_point.requantize; an int32 Tensor)");

  // --- calibration ----------------------------------------------------------------------------
  m.def(
      "calibrators",
      [] {
        std::vector<std::string> names;
        for (auto c : {quant::Calibrator::minmax, quant::Calibrator::moving_average, quant::Calibrator::percentile,
                       quant::Calibrator::kl, quant::Calibrator::mse})
          names.emplace_back(quant::calibrator_name(c));
        return names;
      },
      "the calibrator names, in the order lesson 24 draws them");
  m.def(
      "abs_histogram",
      [](py::handle x, std::int64_t bins) { return histogram_tuple(quant::abs_histogram(tensor_from_python(x, py::none()), bins)); },
      py::arg("x"), py::arg("bins") = 2048, "(counts, edges) of |x| on [0, max|x|], as numpy.histogram");
  m.def("kl_divergence", &quant::kl_divergence, py::arg("p"), py::arg("q"),
        "KL(P || Q) of two histograms, each normalised (exercise quant.calibrate.kl_divergence)");
  m.def(
      "kl_sweep",
      [](py::handle x, std::int64_t bins, std::int64_t levels) {
        return sweep_dict(quant::kl_sweep(quant::abs_histogram(tensor_from_python(x, py::none()), bins), levels));
      },
      py::arg("x"), py::arg("bins") = 2048, py::arg("levels") = 128, "TensorRT's KL sweep over |x|'s histogram (a dict)");
  m.def(
      "kl_sweep_histogram",
      [](const std::vector<double>& counts, double max, std::int64_t levels) {
        quant::Histogram h;
        h.counts = counts;
        h.max = max;
        return sweep_dict(quant::kl_sweep(h, levels));
      },
      py::arg("counts"), py::arg("max"), py::arg("levels") = 128, "the KL sweep of a given |x| histogram on [0, max]");
  m.def(
      "calibrate",
      [](py::handle x, const std::string& method, std::int64_t bins, double percentile) {
        return quant::calibrate(tensor_from_python(x, py::none()), quant::calibrator_from_name(method), bins, percentile);
      },
      py::arg("x"), py::arg("method") = "minmax", py::arg("bins") = 2048, py::arg("percentile") = 99.99,
      "the symmetric threshold T the calibrator picks for x (S = T / 127)");

  py::class_<quant::Observer>(m, "Observer", "Collects batches (min, max, the |x| histogram), then gives a threshold")
      .def(py::init([](const std::string& method, std::int64_t bins, double percentile, double averaging_constant) {
             return quant::Observer(quant::calibrator_from_name(method), bins, percentile, averaging_constant);
           }),
           py::arg("method") = "minmax", py::arg("bins") = 2048, py::arg("percentile") = 99.99,
           py::arg("averaging_constant") = 0.01)
      .def("observe", [](quant::Observer& o, py::handle x) { o.observe(tensor_from_python(x, py::none())); },
           py::arg("x"), "adds one batch (float32 values)")
      .def("threshold", &quant::Observer::threshold, "the symmetric threshold T of the method")
      .def("histogram", [](const quant::Observer& o) { return histogram_tuple(o.histogram()); },
           "(counts, edges) of the running |x| histogram")
      .def_property_readonly("method", [](const quant::Observer& o) { return std::string(quant::calibrator_name(o.method())); })
      .def_property_readonly("batches", &quant::Observer::batches)
      .def_property_readonly("min", &quant::Observer::min)
      .def_property_readonly("max", &quant::Observer::max);
}

}  // namespace gb::python
