// quant_kernel_bindings.cpp: the integer kernels of lib/quant for Python (gb.quant.qgemm, qlinear,
// qconv2d and the names of the variants and algorithms). NumPy in, NumPy out: uint8 activations,
// int8 weights, scales and zero points as numbers (per tensor) or sequences (per output channel).
// glassbox/quant.py re-exports these functions as they are.
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/quant/qgemm.hpp"

namespace gb::python {
namespace {

namespace quant = gb::quant;

py::object numpy() { return py::module_::import("numpy"); }

// A NumPy array of exactly this dtype (no silent conversion: a float or int64 array is a mistake here).
Tensor integer_array(py::handle x, DType dtype, const char* op, const char* what) {
  const Tensor t = tensor_from_python(x, py::none());
  if (t.dtype() != dtype) {
    throw Error(op, std::string(what) + " of dtype " + (dtype == DType::u8 ? "uint8" : "int8"), dtype_name(t.dtype()));
  }
  return t;
}

// A number or a sequence of numbers -> a list (np.atleast_1d(...).ravel()).
std::vector<double> doubles(py::handle x) {
  return numpy().attr("atleast_1d")(numpy().attr("asarray")(x, py::arg("dtype") = "float64")).attr("ravel")().cast<std::vector<double>>();
}
std::vector<std::int32_t> ints(py::handle x, const char* op, const char* what) {
  const py::object a = numpy().attr("atleast_1d")(numpy().attr("asarray")(x)).attr("ravel")();
  const std::vector<double> v = a.attr("astype")("float64").cast<std::vector<double>>();
  std::vector<std::int32_t> out;
  for (double d : v) {
    if (d != static_cast<double>(static_cast<std::int64_t>(d)) || d < -2147483648.0 || d > 2147483647.0) {
      throw Error(op, std::string(what) + " as integers", std::to_string(d));
    }
    out.push_back(static_cast<std::int32_t>(d));
  }
  return out;
}

quant::QParams activation_params(double scale, std::int32_t zero_point) {
  return {DType::u8, {scale}, {zero_point}, -1, false};
}

// Per tensor when one scale and one zero point are given, per output channel (axis 0) otherwise (a
// single scale or zero point is then repeated for every channel); zero points default to 0.
quant::QParams weight_params(py::handle scale, py::handle zero_point, const char* op) {
  quant::QParams p;
  p.dtype = DType::i8;
  p.scale = doubles(scale);
  p.zero_point = zero_point.is_none() ? std::vector<std::int32_t>(p.scale.size(), 0) : ints(zero_point, op, "w_zero_point");
  if (p.zero_point.size() == 1 && p.scale.size() > 1) p.zero_point.assign(p.scale.size(), p.zero_point[0]);
  if (p.scale.size() == 1 && p.zero_point.size() > 1) p.scale.assign(p.zero_point.size(), p.scale[0]);
  p.axis = p.scale.size() > 1 ? 0 : -1;  // qlinear / qconv2d check that it has `channels` entries
  return p;
}

Tensor bias_of(py::handle bias) {
  if (bias.is_none()) return Tensor();
  return tensor_from_python(numpy().attr("asarray")(bias, py::arg("dtype") = "float32"), py::none());
}

// stride / dilation: int or (h, w); padding: int, (ph, pw) or (top, left, bottom, right).
kernels::Conv2dParams conv_params(py::handle stride, py::handle padding, py::handle dilation, std::int64_t groups) {
  const auto pair = [](py::handle v, const char* what) {
    const std::vector<std::int32_t> x = ints(v, "qconv2d", what);
    if (x.size() == 1) return std::vector<std::int64_t>{x[0], x[0]};
    if (x.size() == 2) return std::vector<std::int64_t>{x[0], x[1]};
    throw Error("qconv2d", std::string(what) + " as an int or a pair", std::to_string(x.size()) + " entries");
  };
  const std::vector<std::int64_t> s = pair(stride, "stride"), d = pair(dilation, "dilation");
  const std::vector<std::int32_t> p = ints(padding, "qconv2d", "padding");
  std::vector<std::int64_t> pad;
  if (p.size() == 1) pad = {p[0], p[0], p[0], p[0]};
  else if (p.size() == 2) pad = {p[0], p[1], p[0], p[1]};
  else if (p.size() == 4) pad = {p[0], p[1], p[2], p[3]};
  else throw Error("qconv2d", "padding as an int, (ph, pw) or (top, left, bottom, right)", std::to_string(p.size()) + " entries");
  return {s[0], s[1], pad[0], pad[1], pad[2], pad[3], d[0], d[1], groups};
}

std::vector<std::string> names_of(const std::vector<quant::QGemmVariant>& vs) {
  std::vector<std::string> out;
  for (quant::QGemmVariant v : vs) out.emplace_back(quant::qgemm_variant_name(v));
  return out;
}

py::object to_numpy(const Tensor& t) { return tensor_to_numpy(py::cast(t)); }

}  // namespace

void bind_quant_kernels(py::module_& m) {
  m.def(
      "qgemm",
      [](py::handle a, std::int32_t a_zero_point, py::handle b, py::handle b_zero_point, const std::string& variant) {
        const Tensor ta = integer_array(a, DType::u8, "qgemm", "a").contiguous();
        const Tensor tb = integer_array(b, DType::i8, "qgemm", "b").contiguous();
        if (ta.ndim() != 2 || tb.ndim() != 2 || ta.shape()[1] != tb.shape()[1]) {
          throw Error("qgemm", "a [M, K] and b [N, K] (b stored like a Linear weight)",
                      shape_str(ta.shape()) + " and " + shape_str(tb.shape()));
        }
        const std::int64_t m_ = ta.shape()[0], n = tb.shape()[0], k = ta.shape()[1];
        std::vector<std::int32_t> b_zero;
        if (!b_zero_point.is_none()) {
          b_zero = ints(b_zero_point, "qgemm", "b_zero_point");
          if (b_zero.size() == 1) b_zero.assign(static_cast<std::size_t>(n), b_zero[0]);
          if (static_cast<std::int64_t>(b_zero.size()) != n) {
            throw Error("qgemm", "one b_zero_point or N = " + std::to_string(n), std::to_string(b_zero.size()));
          }
        }
        Tensor c = Tensor::empty({m_, n}, DType::i32);
        quant::QGemmArgs g;
        g.m = m_;
        g.n = n;
        g.k = k;
        g.a = ta.data<std::uint8_t>();
        g.lda = k;
        g.a_zero_point = a_zero_point;
        g.b = tb.data<std::int8_t>();
        g.ldb = k;
        g.b_zero_point = b_zero.empty() ? nullptr : b_zero.data();
        g.c = c.data<std::int32_t>();
        g.ldc = n;
        quant::qgemm_s32(quant::qgemm_variant_from_name(variant), g);
        return to_numpy(c);
      },
      py::arg("a"), py::arg("a_zero_point"), py::arg("b"), py::arg("b_zero_point") = py::none(),
      py::arg("variant") = "best",
      R"doc(int32 accumulators acc[i, j] = sum_k (a[i, k] - a_zero_point) * (b[j, k] - b_zero_point[j]).

a: uint8 [M, K] (activations), b: int8 [N, K] (one row per output channel, like a Linear weight),
b_zero_point: None (0), an int, or N ints. variant: "reference", "packed", "avx2", "avxvnni",
"avx512vnni", "vnni" or "best" (see available_qgemm_variants()). K is at most qgemm_max_k() = 33025,
where |acc| <= K * 255 * 255 still fits int32.)doc");

  m.def(
      "qlinear",
      [](py::handle x, double x_scale, std::int32_t x_zero_point, py::handle w, py::handle w_scale, py::handle bias,
         double out_scale, std::int32_t out_zero_point, bool relu, const std::string& variant, py::handle w_zero_point) {
        const Tensor tw = integer_array(w, DType::i8, "qlinear", "w");
        const quant::QTensor qx{integer_array(x, DType::u8, "qlinear", "x"), activation_params(x_scale, x_zero_point)};
        const quant::QTensor qw{tw, weight_params(w_scale, w_zero_point, "qlinear")};
        return to_numpy(quant::qlinear(qx, qw, bias_of(bias), activation_params(out_scale, out_zero_point), relu,
                                       quant::qgemm_variant_from_name(variant)).values);
      },
      py::arg("x"), py::arg("x_scale"), py::arg("x_zero_point"), py::arg("w"), py::arg("w_scale"),
      py::arg("bias") = py::none(), py::arg("out_scale") = 1.0, py::arg("out_zero_point") = 0, py::arg("relu") = false,
      py::arg("variant") = "best", py::arg("w_zero_point") = py::none(),
      R"doc(int8 Linear: uint8 [M, N] on the output grid (out_scale, out_zero_point).

x: uint8 [M, K] with (x_scale, x_zero_point); w: int8 [N, K] with w_scale a number (per tensor) or N
numbers (per output channel) and w_zero_point None (0), a number or N numbers; bias: float32 [N] or
None, rounded to int32 on the accumulator grid x_scale * w_scale[j]. relu=True clamps at out_zero_point.
The same arithmetic as torch.ao.nn.quantized.functional.linear up to the rounding of the requantization
(ours is integer-only, fixed point; at most 1 apart).)doc");

  m.def(
      "qconv2d",
      [](py::handle x, double x_scale, std::int32_t x_zero_point, py::handle w, py::handle w_scale, py::handle bias,
         double out_scale, std::int32_t out_zero_point, py::handle stride, py::handle padding, py::handle dilation,
         std::int64_t groups, bool relu, const std::string& algo, const std::string& variant, py::handle w_zero_point) {
        const Tensor tw = integer_array(w, DType::i8, "qconv2d", "w");
        const quant::QTensor qx{integer_array(x, DType::u8, "qconv2d", "x"), activation_params(x_scale, x_zero_point)};
        const quant::QTensor qw{tw, weight_params(w_scale, w_zero_point, "qconv2d")};
        return to_numpy(quant::qconv2d(qx, qw, bias_of(bias), conv_params(stride, padding, dilation, groups),
                                       activation_params(out_scale, out_zero_point), relu,
                                       quant::qconv_algo_from_name(algo), quant::qgemm_variant_from_name(variant))
                            .values);
      },
      py::arg("x"), py::arg("x_scale"), py::arg("x_zero_point"), py::arg("w"), py::arg("w_scale"),
      py::arg("bias") = py::none(), py::arg("out_scale") = 1.0, py::arg("out_zero_point") = 0, py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("relu") = false,
      py::arg("algo") = "best", py::arg("variant") = "best", py::arg("w_zero_point") = py::none(),
      R"doc(int8 2-D convolution: uint8 NCHW on the output grid (out_scale, out_zero_point).

x: uint8 [N, C, H, W] with (x_scale, x_zero_point); w: int8 OIHW [OC, C/groups, KH, KW] with w_scale a
number or OC numbers (per output channel), w_zero_point None (0), a number or OC numbers; bias:
float32 [OC] or None. stride, dilation: int or (h, w); padding: int, (ph, pw) or (top, left, bottom,
right) -- padding reads x_zero_point (real 0). relu=True clamps at out_zero_point. algo: "direct",
"im2col", "indirect" or "best"; variant: the qgemm variant im2col / indirect run on.)doc");

  m.def("qgemm_variants", [] { return names_of(quant::all_qgemm_variants()); },
        "every qgemm variant: reference, packed, avx2, avxvnni, avx512vnni, vnni, best");
  m.def("available_qgemm_variants", [] { return names_of(quant::available_qgemm_variants()); },
        "the qgemm variants this CPU can run");
  m.def("best_qgemm_variant",
        [] { return std::string(quant::qgemm_variant_name(quant::resolve_qgemm_variant(quant::QGemmVariant::best))); },
        "the variant that variant=\"best\" runs on this CPU");
  m.def(
      "qconv_algorithms",
      [] {
        std::vector<std::string> out;
        for (quant::QConvAlgo a : quant::all_qconv_algos()) out.emplace_back(quant::qconv_algo_name(a));
        return out;
      },
      "the int8 convolution algorithms: direct, im2col, indirect");
  m.def("qgemm_max_k", [] { return quant::kQGemmMaxK; },
        "the largest K whose int32 accumulators cannot overflow: floor((2^31 - 1) / (255 * 255)) = 33025");
}

}  // namespace gb::python
