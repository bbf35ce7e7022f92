// onnx_ops_basic_activation.cpp: the basic ONNX ops, part 2: activations applied to each element
// (Relu, LeakyRelu, Sigmoid, Tanh) and the normalisations along an axis (Softmax, LogSoftmax).
#include <algorithm>
#include <cmath>

#include "gb/core/math.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

using graph::InferContext;
using graph::KernelContext;
using graph::OpDef;
using graph::ValueInfo;
using graph::info_str;

namespace {

// --- elementwise activations: y = f(x), floating only ----------------------------------------------

void elementwise(std::vector<std::string>& names, const std::string& name, const std::string& doc,
                 double (*f)(double x, double alpha), double default_alpha) {
  OpDef def;
  def.name = name;
  def.num_inputs = 1;
  def.infer = [name](const InferContext& ctx) {
    require_floating_input(name, ctx.inputs[0]);
    return std::vector<ValueInfo>{ctx.inputs[0]};
  };
  def.kernel = [name, f, default_alpha](const KernelContext& ctx) {
    const double alpha = attr_float(ctx.node, "alpha", default_alpha);
    return std::vector<Tensor>{map_floating(ctx.inputs[0], name, [f, alpha](double x) { return f(x, alpha); })};
  };
  def.doc = doc;
  graph::register_op(std::move(def));
  names.push_back(name);
}

double relu(double x, double) { return x > 0 ? x : 0.0; }
double leaky_relu(double x, double alpha) { return x >= 0 ? x : alpha * x; }
// 1 / (1 + e^-x) overflows e^-x for x << 0 but still gives the right limit 0 (1 / inf).
double sigmoid(double x, double) { return 1.0 / (1.0 + std::exp(-x)); }
double tanh_(double x, double) { return std::tanh(x); }

// --- Softmax and LogSoftmax -----------------------------------------------------------------------
// softmax(x)_i = e^(x_i - m) / sum_j e^(x_j - m), with m = max_j x_j: subtracting the maximum changes
// nothing mathematically and keeps e^ from overflowing (test_softmax_large_number). log_softmax is
// x_i - m - log(sum_j e^(x_j - m)), never the log of a rounded-to-zero softmax.
//
// Which elements j form one softmax changed in opset 13:
//   opset 13+:  along one axis (attr axis, default -1);
//   opset < 13: the input is flattened to 2-D at axis ([prod(shape[:axis]), prod(shape[axis:])], default
//               axis 1) and each row is one softmax. The importer stores axis and, for these opsets,
//               coerce_2d = 1 (a glassbox attribute; absent = 0).
// Both are a loop over [outer, n, inner] with the softmax over n: one axis has inner = the product of the
// axes after it; the 2-D flattening has inner = 1 and n = the product of the axes from axis on.
template <class T> void softmax_rows(const T* x, T* y, std::int64_t outer, std::int64_t n, std::int64_t inner, bool log) {
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t i = 0; i < inner; ++i) {
      const T* in = x + o * n * inner + i;
      T* out = y + o * n * inner + i;
      double m = -INFINITY;
      for (std::int64_t j = 0; j < n; ++j) m = std::max(m, static_cast<double>(in[j * inner]));
      double total = 0;
      for (std::int64_t j = 0; j < n; ++j) total += std::exp(static_cast<double>(in[j * inner]) - m);
      const double log_total = std::log(total);
      for (std::int64_t j = 0; j < n; ++j) {
        const double shifted = static_cast<double>(in[j * inner]) - m;
        out[j * inner] = static_cast<T>(log ? shifted - log_total : std::exp(shifted) / total);
      }
    }
  }
}

void softmax_op(std::vector<std::string>& names, const std::string& name, bool log) {
  OpDef def;
  def.name = name;
  def.num_inputs = 1;
  def.infer = [name](const InferContext& ctx) {
    const ValueInfo& x = ctx.inputs[0];
    require_floating_input(name, x);
    const auto rank = static_cast<std::int64_t>(x.shape.size());
    normalize_axis(name, attr_int(ctx.node, "axis", -1), std::max<std::int64_t>(rank, 1));
    return std::vector<ValueInfo>{x};
  };
  def.kernel = [name, log](const KernelContext& ctx) {
    const Tensor x = ctx.inputs[0].contiguous();
    const Shape& shape = x.shape();
    const auto rank = static_cast<std::int64_t>(shape.size());
    std::int64_t outer = 1, n = 1, inner = 1;
    if (attr_int(ctx.node, "coerce_2d", 0) != 0) {
      const auto axis = static_cast<std::size_t>(normalize_axis(name, attr_int(ctx.node, "axis", 1), std::max<std::int64_t>(rank, 1)));
      outer = dims_product(shape, 0, axis);
      n = dims_product(shape, axis, shape.size());
    } else if (rank > 0) {
      const auto axis = static_cast<std::size_t>(normalize_axis(name, attr_int(ctx.node, "axis", -1), rank));
      outer = dims_product(shape, 0, axis);
      n = shape[axis];
      inner = dims_product(shape, axis + 1, shape.size());
    }
    Tensor y = Tensor::empty(shape, x.dtype());
    if (x.dtype() == DType::f32) {
      softmax_rows(x.data<float>(), y.data<float>(), outer, n, inner, log);
    } else {
      softmax_rows(x.data<double>(), y.data<double>(), outer, n, inner, log);
    }
    return std::vector<Tensor>{y};
  };
  def.doc = "ONNX " + name + " along axis (coerce_2d = 1: opset < 13, rows of the input flattened to 2-D at axis)";
  graph::register_op(std::move(def));
  names.push_back(name);
}

}  // namespace

std::vector<std::string> register_onnx_activation_ops() {
  std::vector<std::string> names;
  elementwise(names, "Relu", "ONNX Relu: max(x, 0)", relu, 0);
  elementwise(names, "LeakyRelu", "ONNX LeakyRelu: x if x >= 0 else alpha x (alpha 0.01)", leaky_relu, 0.01);
  elementwise(names, "Sigmoid", "ONNX Sigmoid: 1 / (1 + e^-x)", sigmoid, 0);
  elementwise(names, "Tanh", "ONNX Tanh: tanh(x)", tanh_, 0);
  softmax_op(names, "Softmax", false);
  softmax_op(names, "LogSoftmax", true);
  return names;
}

}  // namespace gb::convert::detail
