// int8_model.cpp: the integer model (ptq.hpp): export from a QuantModel, dynamic quantization, and the
// forward pass on uint8 codes with the integer kernels of qgemm.hpp.
//
// Between two layers an activation is either uint8 codes on a known grid or float32. A static integer
// layer wants codes (a float input is quantized on the layer's input grid first) and writes codes; a
// float layer (the sensitive-layer fallback) or a dynamic layer wants floats (codes are dequantized
// first) and writes floats. Max pooling, flattening and ReLU work on either.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/shape.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/pool.hpp"
#include "gb/nn/functional.hpp"
#include "gb/quant/ptq.hpp"
#include "gb/quant/qgemm.hpp"

namespace gb::quant {

namespace {

// --- export ----------------------------------------------------------------------------------------------

Int8Model build(const QuantModel& model, bool dynamic, const std::set<std::string>& float_layers) {
  const auto stages = model.stages();
  for (const std::string& label : float_layers) {
    const bool known = std::any_of(stages.begin(), stages.end(), [&](const auto& s) { return s->label == label; });
    if (!known) {
      std::string names;
      for (const auto& s : stages) names += (names.empty() ? "" : ", ") + s->label;
      throw Error("export_int8", "layer labels among " + names, "'" + label + "'");
    }
  }
  Int8Model m;
  m.dynamic = dynamic;
  if (!dynamic) m.input = model.input->qparams();
  QParams current = m.input;  // the grid of the activation flowing into the next layer
  for (const auto& layer : model.layers) {
    Int8Layer l;
    if (const auto stage = std::dynamic_pointer_cast<QuantStage>(layer)) {
      l.kind = stage->is_conv() ? Int8Layer::Kind::conv : Int8Layer::Kind::linear;
      l.label = stage->label;
      const FoldedConv f = stage->folded();
      l.float_weight = f.weight;
      l.bias = f.bias;
      l.weight = quantize_tensor(f.weight, weight_qparams(f.weight));
      if (stage->is_conv()) l.conv = stage->conv->params;
      l.relu = stage->relu;
      l.integer = float_layers.count(stage->label) == 0;
      if (!dynamic) {
        l.input = current;
        l.output = stage->output->qparams();
        current = l.output;
      }
    } else if (const auto pool = std::dynamic_pointer_cast<nn::MaxPool2d>(layer)) {
      l.kind = Int8Layer::Kind::max_pool;
      l.label = "maxpool";
      l.pool = pool->params;
    } else if (std::dynamic_pointer_cast<nn::Flatten>(layer)) {
      l.kind = Int8Layer::Kind::flatten;
      l.label = "flatten";
    } else if (std::dynamic_pointer_cast<nn::ReLU>(layer)) {
      l.kind = Int8Layer::Kind::relu;
      l.label = "relu";
    } else if (std::dynamic_pointer_cast<nn::Dropout>(layer)) {
      continue;  // the identity at inference
    } else {
      throw Error("export_int8", "QuantStage, MaxPool2d, Flatten, ReLU or Dropout layers", layer->describe());
    }
    m.layers.push_back(std::move(l));
  }
  return m;
}

// --- the activation between layers ----------------------------------------------------------------------

struct Activation {
  bool is_codes = false;
  QTensor codes;  // uint8 on codes.params
  Tensor values;  // f32
};

Tensor as_float(const Activation& a) { return a.is_codes ? a.codes.dequantize() : a.values; }
QTensor as_codes(const Activation& a, const QParams& grid) {
  return a.is_codes ? a.codes : quantize_tensor(a.values.contiguous(), grid);
}

Tensor relu_float(const Tensor& x) { return gb::maximum(x, Tensor::scalar(0.0, x.dtype())); }

// y = x W^T + b in float (the fallback of a skipped linear layer).
Tensor linear_float(const Tensor& x, const Tensor& w, const Tensor& b) {
  return gb::add(gb::matmul(x.contiguous(), w.transpose()), b);
}

// Dynamic quantization of one layer: x quantized on its own [min, max], acc = (x_q - Z_x) W_q^T in
// int32, then y = S_x S_w[j] acc + b[j] back in float.
Tensor dynamic_layer(const Int8Layer& l, const Tensor& x_float) {
  const Tensor x = x_float.contiguous();
  const QParams grid = per_tensor_qparams(x, DType::u8);  // this batch's own range
  const QTensor xq = quantize_tensor(x, grid);
  const std::int64_t oc = l.weight.values.size(0), k = l.weight.values.numel() / oc;
  Tensor rows;  // uint8 [M, K]
  kernels::ConvShape s;
  if (l.kind == Int8Layer::Kind::conv) {
    s = kernels::conv_shape(x.shape(), l.weight.values.shape(), l.conv, "dynamic int8 conv2d");
    if (s.params.groups != 1) throw Error("dynamic int8 conv2d", "groups = 1", std::to_string(s.params.groups));
    rows = im2col_u8(xq.values, s, static_cast<std::uint8_t>(grid.zero_point[0]));
  } else {
    if (x.ndim() != 2 || x.size(1) != k) throw Error("dynamic int8 linear", "x [N, " + std::to_string(k) + "]", shape_str(x.shape()));
    rows = xq.values;
  }
  const std::int64_t m = rows.size(0);
  Tensor acc = Tensor::empty({m, oc}, DType::i32);
  QGemmArgs args;
  args.m = m;
  args.n = oc;
  args.k = k;
  args.a = rows.data<std::uint8_t>();
  args.lda = k;
  args.a_zero_point = grid.zero_point[0];
  args.b = l.weight.values.data<std::int8_t>();
  args.ldb = k;
  args.b_zero_point = nullptr;  // symmetric weights
  args.c = acc.data<std::int32_t>();
  args.ldc = oc;
  qgemm_s32(QGemmVariant::best, args);
  const std::int32_t* a = acc.data<std::int32_t>();
  const std::vector<double> bias = l.bias.to_vector();
  std::vector<double> scale(static_cast<std::size_t>(oc));
  for (std::int64_t j = 0; j < oc; ++j)
    scale[static_cast<std::size_t>(j)] =
        grid.scale[0] * l.weight.params.scale[l.weight.params.scale.size() == 1 ? 0 : static_cast<std::size_t>(j)];
  const auto value = [&](std::int64_t row, std::int64_t j) {
    const double y = scale[static_cast<std::size_t>(j)] * a[row * oc + j] + bias[static_cast<std::size_t>(j)];
    return static_cast<float>(l.relu ? std::max(y, 0.0) : y);
  };
  if (l.kind == Int8Layer::Kind::linear) {
    Tensor y = Tensor::empty({m, oc}, DType::f32);
    float* ys = y.data<float>();
    for (std::int64_t r = 0; r < m; ++r)
      for (std::int64_t j = 0; j < oc; ++j) ys[r * oc + j] = value(r, j);
    return y;
  }
  const std::int64_t plane = s.out_h * s.out_w;
  Tensor y = Tensor::empty({s.batch, oc, s.out_h, s.out_w}, DType::f32);
  float* ys = y.data<float>();
  for (std::int64_t n = 0; n < s.batch; ++n)
    for (std::int64_t j = 0; j < oc; ++j)
      for (std::int64_t p = 0; p < plane; ++p) ys[(n * oc + j) * plane + p] = value(n * plane + p, j);
  return y;
}

Activation run_layer(const Int8Layer& l, const Activation& a, bool dynamic) {
  using Kind = Int8Layer::Kind;
  switch (l.kind) {
    case Kind::conv:
    case Kind::linear: {
      if (dynamic) return {false, {}, dynamic_layer(l, as_float(a))};
      if (!l.integer) {
        const Tensor x = as_float(a);
        Tensor y = l.kind == Kind::conv ? kernels::conv2d(x.contiguous(), l.float_weight, l.bias, l.conv)
                                        : linear_float(x, l.float_weight, l.bias);
        return {false, {}, l.relu ? relu_float(y) : y};
      }
      const QTensor x = as_codes(a, l.input);
      if (l.kind == Kind::conv) return {true, qconv2d(x, l.weight, l.bias, l.conv, l.output, l.relu), {}};
      if (x.values.ndim() != 2)
        throw Error("Int8Model " + l.label, "a [N, features] input (flatten first)", shape_str(x.values.shape()));
      return {true, qlinear(x, l.weight, l.bias, l.output, l.relu), {}};
    }
    case Kind::max_pool:
      if (a.is_codes) return {true, max_pool2d_codes(a.codes, l.pool), {}};
      return {false, {}, kernels::max_pool2d(a.values.contiguous(), l.pool)};
    case Kind::flatten: {
      Activation out = a;
      Tensor& t = a.is_codes ? out.codes.values : out.values;
      if (t.ndim() < 2) throw Error("Int8Model flatten", "an activation with a batch axis", shape_str(t.shape()));
      t = t.contiguous().reshape({t.size(0), -1});
      return out;
    }
    case Kind::relu: {
      if (!a.is_codes) return {false, {}, relu_float(a.values)};
      // On codes, ReLU is max(q, Z): the zero point is the code of real 0.
      QTensor q{a.codes.values.clone(), a.codes.params};
      const auto z = static_cast<std::uint8_t>(std::clamp(q.params.zero_point[0], 0, 255));
      std::uint8_t* v = q.values.data<std::uint8_t>();
      for (std::int64_t i = 0; i < q.values.numel(); ++i) v[i] = std::max(v[i], z);
      return {true, q, {}};
    }
  }
  throw Error("Int8Model", "a known layer kind", "another");
}

const char* kind_name(Int8Layer::Kind k) {
  switch (k) {
    case Int8Layer::Kind::conv: return "conv2d";
    case Int8Layer::Kind::linear: return "linear";
    case Int8Layer::Kind::max_pool: return "max_pool2d";
    case Int8Layer::Kind::flatten: return "flatten";
    case Int8Layer::Kind::relu: return "relu";
  }
  return "?";
}

}  // namespace

Int8Model export_int8(const QuantModel& model, const std::set<std::string>& float_layers) {
  return build(model, /*dynamic=*/false, float_layers);
}

Int8Model dynamic_int8(const nn::Sequential& model) {
  return build(*prepare_quant_model(model), /*dynamic=*/true, {});
}

Tensor Int8Model::forward(const Tensor& images) const {
  if (!images.defined() || images.dtype() != DType::f32 || images.ndim() < 2 || images.numel() == 0)
    throw Error("Int8Model", "f32 images [N, ...]", images.defined() ? std::string(dtype_name(images.dtype())) +
                                                                          shape_str(images.shape())
                                                                    : "an undefined tensor");
  Activation a{false, {}, images.contiguous()};
  for (const Int8Layer& l : layers) a = run_layer(l, a, dynamic);
  return as_float(a);
}

std::int64_t Int8Model::integer_layers() const {
  std::int64_t n = 0;
  for (const Int8Layer& l : layers)
    n += (l.kind == Int8Layer::Kind::conv || l.kind == Int8Layer::Kind::linear) && l.integer;
  return n;
}

std::string Int8Model::str() const {
  std::ostringstream s;
  s << (dynamic ? "Int8Model (dynamic: activations quantized per batch)" : "Int8Model (static, uint8 activations)");
  if (!dynamic) s << "\n  input " << input.str();
  for (const Int8Layer& l : layers) {
    s << "\n  " << kind_name(l.kind);
    if (l.kind == Int8Layer::Kind::conv || l.kind == Int8Layer::Kind::linear) {
      s << " " << l.label << (l.relu ? " + relu" : "") << (l.integer ? "" : " (float)") << ": weights "
        << l.weight.params.str();
      if (!dynamic) s << " -> " << l.output.str();
    }
  }
  return s.str();
}

double int8_accuracy(const Int8Model& model, const nn::Dataset& data, std::int64_t batch_size) {
  if (data.size() == 0) throw Error("int8_accuracy", "a non-empty data set", "0 examples");
  if (batch_size < 1) throw Error("int8_accuracy", "a batch size >= 1", std::to_string(batch_size));
  double correct = 0;
  for (std::int64_t start = 0; start < data.size(); start += batch_size) {
    const std::int64_t stop = std::min(data.size(), start + batch_size);
    const Tensor logits = model.forward(data.images.slice(0, start, stop));
    const Tensor labels = data.labels.slice(0, start, stop);
    correct += std::round(nn::accuracy(logits, labels) * static_cast<double>(stop - start));
  }
  return correct / static_cast<double>(data.size());
}

// --- uint8 building blocks --------------------------------------------------------------------------------

QTensor max_pool2d_codes(const QTensor& x, const kernels::Pool2dParams& params) {
  const std::string op = "max_pool2d_codes";
  const Tensor& v = x.values;
  if (!v.defined() || v.dtype() != DType::u8 || v.ndim() != 4 || v.numel() == 0)
    throw Error(op, "non-empty uint8 codes [N, C, H, W]",
                v.defined() ? std::string(dtype_name(v.dtype())) + shape_str(v.shape()) : "an undefined tensor");
  kernels::Pool2dParams p = params;
  if (p.stride_h == 0) p.stride_h = p.kernel_h;
  if (p.stride_w == 0) p.stride_w = p.kernel_w;
  const std::int64_t n = v.size(0), c = v.size(1), h = v.size(2), w = v.size(3);
  const std::int64_t oh = kernels::pool_output_size(h, p.kernel_h, p.pad_h, p.stride_h, p.dilation_h, p.ceil_mode);
  const std::int64_t ow = kernels::pool_output_size(w, p.kernel_w, p.pad_w, p.stride_w, p.dilation_w, p.ceil_mode);
  const Tensor in = v.contiguous();
  QTensor out{Tensor::empty({n, c, oh, ow}, DType::u8), x.params};
  const std::uint8_t* xs = in.data<std::uint8_t>();
  std::uint8_t* ys = out.values.data<std::uint8_t>();
  for (std::int64_t plane = 0; plane < n * c; ++plane) {
    const std::uint8_t* src = xs + plane * h * w;
    for (std::int64_t i = 0; i < oh; ++i) {
      for (std::int64_t j = 0; j < ow; ++j) {
        int best = -1;  // no tap inside yet
        for (std::int64_t kh = 0; kh < p.kernel_h; ++kh) {
          const std::int64_t r = i * p.stride_h - p.pad_h + kh * p.dilation_h;
          if (r < 0 || r >= h) continue;
          for (std::int64_t kw = 0; kw < p.kernel_w; ++kw) {
            const std::int64_t col = j * p.stride_w - p.pad_w + kw * p.dilation_w;
            if (col >= 0 && col < w) best = std::max(best, static_cast<int>(src[r * w + col]));
          }
        }
        if (best < 0) throw Error(op, "every window to hold an input value", "an empty window");
        ys[(plane * oh + i) * ow + j] = static_cast<std::uint8_t>(best);
      }
    }
  }
  return out;
}

Tensor im2col_u8(const Tensor& x_in, const kernels::ConvShape& s, std::uint8_t pad_value) {
  const std::string op = "im2col_u8";
  if (!x_in.defined() || x_in.dtype() != DType::u8 || x_in.ndim() != 4)
    throw Error(op, "uint8 codes [N, C, H, W]", x_in.defined() ? shape_str(x_in.shape()) : "an undefined tensor");
  if (x_in.shape() != Shape{s.batch, s.in_channels, s.in_h, s.in_w})
    throw Error(op, "x shaped like the ConvShape's input", shape_str(x_in.shape()));
  if (s.params.groups != 1) throw Error(op, "groups = 1", std::to_string(s.params.groups));
  const Tensor x = x_in.contiguous();
  const std::int64_t k = s.in_channels * s.kernel_h * s.kernel_w, m = s.batch * s.out_h * s.out_w;
  Tensor col = Tensor::empty({m, k}, DType::u8);
  const std::uint8_t* xs = x.data<std::uint8_t>();
  std::uint8_t* out = col.data<std::uint8_t>();
  const kernels::Conv2dParams& p = s.params;
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
        std::uint8_t* row = out + ((n * s.out_h + oh) * s.out_w + ow) * k;
        for (std::int64_t ic = 0; ic < s.in_channels; ++ic) {
          for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
            const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
            for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
              const std::int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
              const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
              *row++ = inside ? xs[((n * s.in_channels + ic) * s.in_h + ih) * s.in_w + iw] : pad_value;
            }
          }
        }
      }
    }
  }
  return col;
}

}  // namespace gb::quant
