// layers.cpp: the layers of layers.hpp: parameters registered and initialised like torch.nn, forward
// passes that call the functional ops (functional.hpp), and describe() lines that read like torch's repr.
#include "gb/nn/layers.hpp"

#include <cmath>
#include <sstream>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/init.hpp"

namespace gb::nn {

namespace {

void require_positive(std::int64_t value, const std::string& layer, const std::string& what) {
  if (value < 1) throw Error(layer, what + " >= 1", std::to_string(value));
}

// "(a, b)" like a Python tuple in torch's repr.
std::string pair(std::int64_t a, std::int64_t b) { return "(" + std::to_string(a) + ", " + std::to_string(b) + ")"; }

// A rank check with a message naming the layer: "BatchNorm2d: expected x of shape [N, C, H, W] ...".
void require_rank(const Variable& x, const std::string& layer, std::size_t low, std::size_t high,
                  const std::string& expected) {
  if (!x.defined()) throw Error(layer, "a defined Variable x", "an undefined Variable");
  if (x.ndim() < low || x.ndim() > high) throw Error(layer, "x of shape " + expected, shape_str(x.shape()));
}

}  // namespace

// --- Linear ----------------------------------------------------------------------------------------

Linear::Linear(std::int64_t in_features, std::int64_t out_features, Rng& rng, bool bias)
    : in_features(in_features), out_features(out_features) {
  require_positive(in_features, "Linear", "in_features");
  require_positive(out_features, "Linear", "out_features");
  // torch.nn.Linear.reset_parameters: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)), then the bias.
  weight = register_parameter("weight", kaiming_uniform({out_features, in_features}, rng, std::sqrt(5.0)));
  if (bias) this->bias = register_parameter("bias", bias_uniform(out_features, in_features, rng));
}

Variable Linear::forward(const Variable& x) { return linear(x, weight, bias); }

std::string Linear::describe() const {
  return "Linear(in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "True" : "False") + ")";
}

// --- Conv2d ------------------------------------------------------------------------------------------

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Rng& rng,
               kernels::Conv2dParams params, bool bias)
    : in_channels(in_channels), out_channels(out_channels), kernel_size(kernel_size), params(params) {
  require_positive(in_channels, "Conv2d", "in_channels");
  require_positive(out_channels, "Conv2d", "out_channels");
  require_positive(kernel_size, "Conv2d", "kernel_size");
  require_positive(params.groups, "Conv2d", "groups");
  if (in_channels % params.groups != 0 || out_channels % params.groups != 0) {
    throw Error("Conv2d", "groups dividing in_channels and out_channels",
                std::to_string(in_channels) + " and " + std::to_string(out_channels) + " channels, groups = " +
                    std::to_string(params.groups));
  }
  const Shape shape = {out_channels, in_channels / params.groups, kernel_size, kernel_size};
  weight = register_parameter("weight", kaiming_uniform(shape, rng, std::sqrt(5.0)));
  if (bias) this->bias = register_parameter("bias", bias_uniform(out_channels, fans(shape).first, rng));
}

Variable Conv2d::forward(const Variable& x) { return conv2d(x, weight, bias, params); }

std::string Conv2d::describe() const {
  const kernels::Conv2dParams& p = params;
  std::ostringstream out;
  out << "Conv2d(" << in_channels << ", " << out_channels << ", kernel_size=" << pair(kernel_size, kernel_size)
      << ", stride=" << pair(p.stride_h, p.stride_w);
  if (p.pad_top != p.pad_bottom || p.pad_left != p.pad_right) {  // torch has no asymmetric padding: all four
    out << ", padding=(" << p.pad_top << ", " << p.pad_left << ", " << p.pad_bottom << ", " << p.pad_right << ")";
  } else if (p.pad_top != 0 || p.pad_left != 0) {
    out << ", padding=" << pair(p.pad_top, p.pad_left);
  }
  if (p.dilation_h != 1 || p.dilation_w != 1) out << ", dilation=" << pair(p.dilation_h, p.dilation_w);
  if (p.groups != 1) out << ", groups=" << p.groups;
  if (!bias.defined()) out << ", bias=False";
  out << ")";
  return out.str();
}

// --- BatchNorm ---------------------------------------------------------------------------------------

BatchNorm::BatchNorm(std::int64_t num_features, bool spatial, double eps, double momentum)
    : num_features(num_features), spatial(spatial), eps(eps), momentum(momentum) {
  require_positive(num_features, spatial ? "BatchNorm2d" : "BatchNorm1d", "num_features");
  weight = register_parameter("weight", Tensor::ones({num_features}));  // gamma
  bias = register_parameter("bias", Tensor::zeros({num_features}));    // beta
  register_buffer("running_mean", Tensor::zeros({num_features}));
  register_buffer("running_var", Tensor::ones({num_features}));
  register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));  // a 0-d i64, as in torch
}

Variable BatchNorm::forward(const Variable& x) {
  const std::string layer = spatial ? "BatchNorm2d" : "BatchNorm1d";
  if (spatial) require_rank(x, layer, 4, 4, "[N, C, H, W]");
  else require_rank(x, layer, 2, 3, "[N, C] or [N, C, L]");
  if (x.shape()[1] != num_features) {
    throw Error(layer, "x with " + std::to_string(num_features) + " channels on axis 1", shape_str(x.shape()));
  }
  Variable y = batch_norm(x, buffer("running_mean"), buffer("running_var"), weight, bias, training(), momentum, eps);
  if (training()) buffer("num_batches_tracked").data<std::int64_t>()[0] += 1;  // after a successful forward
  return y;
}

std::string BatchNorm::describe() const {
  std::ostringstream out;
  out << (spatial ? "BatchNorm2d(" : "BatchNorm1d(") << num_features << ", eps=" << eps << ", momentum=" << momentum
      << ", affine=True, track_running_stats=True)";
  return out.str();
}

// --- activations, pooling, flatten, dropout ---------------------------------------------------------

Variable ReLU::forward(const Variable& x) { return autodiff::relu(x); }
Variable GELU::forward(const Variable& x) { return autodiff::gelu(x); }
Variable Sigmoid::forward(const Variable& x) { return autodiff::sigmoid(x); }
Variable Tanh::forward(const Variable& x) { return autodiff::tanh(x); }

Variable MaxPool2d::forward(const Variable& x) { return max_pool2d(x, params); }
Variable AvgPool2d::forward(const Variable& x) { return avg_pool2d(x, params); }

namespace {
// "kernel_size=2" for a square value, "kernel_size=(2, 3)" otherwise (torch prints what it was given).
std::string field(const std::string& name, std::int64_t h, std::int64_t w) {
  return name + "=" + (h == w ? std::to_string(h) : pair(h, w));
}
}  // namespace

std::string MaxPool2d::describe() const {
  const kernels::Pool2dParams& p = params;
  return "MaxPool2d(" + field("kernel_size", p.kernel_h, p.kernel_w) + ", " +
         field("stride", p.stride_h ? p.stride_h : p.kernel_h, p.stride_w ? p.stride_w : p.kernel_w) + ", " +
         field("padding", p.pad_h, p.pad_w) + ", " + field("dilation", p.dilation_h, p.dilation_w) +
         ", ceil_mode=" + (p.ceil_mode ? "True" : "False") + ")";
}

std::string AvgPool2d::describe() const {
  const kernels::Pool2dParams& p = params;
  std::string out = "AvgPool2d(" + field("kernel_size", p.kernel_h, p.kernel_w) + ", " +
                    field("stride", p.stride_h ? p.stride_h : p.kernel_h, p.stride_w ? p.stride_w : p.kernel_w) +
                    ", " + field("padding", p.pad_h, p.pad_w);
  if (p.ceil_mode) out += ", ceil_mode=True";
  if (!p.count_include_pad) out += ", count_include_pad=False";
  return out + ")";
}

Variable Flatten::forward(const Variable& x) { return flatten(x); }

Dropout::Dropout(double p, std::uint64_t seed) : p(p), rng(seed) {
  if (!(p >= 0.0 && p <= 1.0)) throw Error("Dropout", "a probability p in [0, 1]", std::to_string(p));
}

Variable Dropout::forward(const Variable& x) { return dropout(x, p, training(), rng); }

std::string Dropout::describe() const {
  std::ostringstream out;
  out << "Dropout(p=" << p << ", inplace=False)";
  return out.str();
}

// --- Sequential -----------------------------------------------------------------------------------------

Sequential::Sequential(std::vector<std::shared_ptr<Module>> layers) {
  for (auto& layer : layers) add(std::move(layer));
}

Sequential& Sequential::add(std::shared_ptr<Module> layer) {
  register_module(std::to_string(layers_.size()), layer);  // throws for a null layer
  layers_.push_back(std::move(layer));
  return *this;
}

Variable Sequential::forward(const Variable& x) {
  Variable out = x;
  for (const auto& layer : layers_) out = layer->forward(out);
  return out;
}

}  // namespace gb::nn
