// ptq.cpp: the fake-quant model (QuantStage, QuantModel), its preparation from a float Sequential,
// PTQ calibration and layer-wise sensitivity (ptq.hpp). The integer model is int8_model.cpp.
#include "gb/quant/ptq.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/nn/functional.hpp"

namespace gb::quant {

namespace ad = gb::autodiff;

QParams weight_qparams(const Tensor& w) {
  // int8, symmetric (Z = 0), restricted to [-127, 127]: S_c = max |W_c| / 127 for each output channel.
  return per_channel_qparams(w, /*axis=*/0, DType::i8, /*symmetric=*/true, /*restricted=*/true);
}

// --- QuantStage ------------------------------------------------------------------------------------------

QuantStage::QuantStage(std::string label_, std::shared_ptr<nn::Conv2d> conv_, std::shared_ptr<nn::BatchNorm> bn_,
                       bool relu_, const FakeQuantOptions& activations)
    : label(std::move(label_)), conv(std::move(conv_)), bn(std::move(bn_)), relu(relu_),
      output(std::make_shared<FakeQuantize>(activations)) {
  if (!conv) throw Error("QuantStage", "a Conv2d", "none");
  register_module("conv", conv);
  if (bn) register_module("bn", bn);
  register_module("output", output);
}

QuantStage::QuantStage(std::string label_, std::shared_ptr<nn::Linear> linear_, bool relu_,
                       const FakeQuantOptions& activations)
    : label(std::move(label_)), linear(std::move(linear_)), relu(relu_),
      output(std::make_shared<FakeQuantize>(activations)) {
  if (!linear) throw Error("QuantStage", "a Linear", "none");
  register_module("linear", linear);
  register_module("output", output);
}

FoldedConv QuantStage::folded() const {
  if (linear) {
    return {linear->weight.value().clone(),
            linear->bias.defined() ? linear->bias.value().clone() : Tensor::zeros({linear->out_features})};
  }
  if (bn) return fold_batch_norm(*conv, *bn);
  return {conv->weight.value().clone(),
          conv->bias.defined() ? conv->bias.value().clone() : Tensor::zeros({conv->out_channels})};
}

Variable QuantStage::forward(const Variable& x) {
  // The weights the integer kernel will multiply by: BatchNorm folded in (running statistics), as
  // Variables so that the gradient reaches W, b, gamma and beta.
  Variable w, b;
  if (linear) {
    w = linear->weight;
    b = linear->bias;
  } else if (bn) {
    const FoldedVariables f = fold_batch_norm_variables(*conv, *bn);
    w = f.weight;
    b = f.bias;
  } else {
    w = conv->weight;
    b = conv->bias;
  }
  // Their grid is re-read from the current weights at every step (per channel, symmetric).
  if (quantize_weights) w = fake_quant(w, weight_qparams(w.value()));
  Variable y = linear ? nn::linear(x, w, b) : nn::conv2d(x, w, b, conv->params);
  if (relu) y = ad::relu(y);
  return (*output)(y);  // the activation grid: observed, then fake-quantized
}

std::string QuantStage::describe() const {
  std::ostringstream s;
  s << "QuantStage " << label << ": " << (linear ? linear->describe() : conv->describe());
  if (bn) s << " + BatchNorm (folded)";
  if (relu) s << " + ReLU";
  s << (quantize_weights ? ", weights int8 per channel" : ", weights float");
  return s.str();
}

// --- QuantModel ------------------------------------------------------------------------------------------

QuantModel::QuantModel(const FakeQuantOptions& activations) : input(std::make_shared<FakeQuantize>(activations)) {
  register_module("input", input);
}

void QuantModel::add(std::shared_ptr<nn::Module> layer) {
  if (!layer) throw Error("QuantModel.add", "a layer", "null");
  register_module(std::to_string(layers.size()), layer);
  layers.push_back(std::move(layer));
}

Variable QuantModel::forward(const Variable& x) {
  Variable y = (*input)(x);
  for (const auto& layer : layers) y = (*layer)(y);
  return y;
}

std::vector<std::shared_ptr<QuantStage>> QuantModel::stages() const {
  std::vector<std::shared_ptr<QuantStage>> out;
  for (const auto& layer : layers)
    if (auto s = std::dynamic_pointer_cast<QuantStage>(layer)) out.push_back(s);
  return out;
}

std::vector<std::shared_ptr<FakeQuantize>> QuantModel::activation_quantizers() const {
  std::vector<std::shared_ptr<FakeQuantize>> out = {input};
  for (const auto& s : stages()) out.push_back(s->output);
  return out;
}

void QuantModel::set_calibrating(bool on) {
  for (const auto& q : activation_quantizers()) q->set_calibrating(on);
}

void QuantModel::enable_fake_quant(bool on) {
  for (const auto& q : activation_quantizers()) q->enable_fake_quant(on);
  for (const auto& s : stages()) s->quantize_weights = on;
}

void QuantModel::reset_observers(Calibrator method) {
  for (const auto& q : activation_quantizers()) q->reset_observer(method);
}

// --- preparation -----------------------------------------------------------------------------------------

namespace {

// A layer of its own with the same values (load_state_dict copies parameters and buffers).
template <class Layer>
std::shared_ptr<Layer> copy_values(std::shared_ptr<Layer> fresh, const Layer& original) {
  fresh->load_state_dict(original.state_dict());
  return fresh;
}

std::shared_ptr<nn::Conv2d> copy_conv(const nn::Conv2d& c) {
  Rng unused;  // the initial values are overwritten
  return copy_values(std::make_shared<nn::Conv2d>(c.in_channels, c.out_channels, c.kernel_size, unused, c.params,
                                                  c.bias.defined()),
                     c);
}
std::shared_ptr<nn::Linear> copy_linear(const nn::Linear& l) {
  Rng unused;
  return copy_values(std::make_shared<nn::Linear>(l.in_features, l.out_features, unused, l.bias.defined()), l);
}
std::shared_ptr<nn::BatchNorm> copy_bn(const nn::BatchNorm& b) {
  return copy_values(std::make_shared<nn::BatchNorm>(b.num_features, b.spatial, b.eps, b.momentum), b);
}

}  // namespace

std::shared_ptr<QuantModel> prepare_quant_model(const nn::Sequential& model, const FakeQuantOptions& activations) {
  auto q = std::make_shared<QuantModel>(activations);
  std::size_t linears = 0, convs = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    if (dynamic_cast<const nn::Linear*>(&model[i])) ++linears;
    if (dynamic_cast<const nn::Conv2d*>(&model[i])) ++convs;
  }
  std::size_t conv_index = 0, linear_index = 0;
  const auto is_relu = [&](std::size_t i) { return i < model.size() && dynamic_cast<const nn::ReLU*>(&model[i]); };
  for (std::size_t i = 0; i < model.size(); ++i) {
    const nn::Module& layer = model[i];
    if (const auto* conv = dynamic_cast<const nn::Conv2d*>(&layer)) {
      std::shared_ptr<nn::BatchNorm> bn;
      if (i + 1 < model.size()) {
        if (const auto* b = dynamic_cast<const nn::BatchNorm*>(&model[i + 1])) {
          bn = copy_bn(*b);
          ++i;
        }
      }
      const bool relu = is_relu(i + 1);
      if (relu) ++i;
      const std::string label = convs == 1 ? "conv" : "conv" + std::to_string(++conv_index);
      q->add(std::make_shared<QuantStage>(label, copy_conv(*conv), bn, relu, activations));
    } else if (const auto* linear = dynamic_cast<const nn::Linear*>(&layer)) {
      const bool relu = is_relu(i + 1);
      if (relu) ++i;
      const std::string label = linears == 1 ? "fc" : "fc" + std::to_string(++linear_index);
      q->add(std::make_shared<QuantStage>(label, copy_linear(*linear), relu, activations));
    } else if (const auto* pool = dynamic_cast<const nn::MaxPool2d*>(&layer)) {
      q->add(std::make_shared<nn::MaxPool2d>(pool->params));
    } else if (dynamic_cast<const nn::Flatten*>(&layer)) {
      q->add(std::make_shared<nn::Flatten>());
    } else if (const auto* drop = dynamic_cast<const nn::Dropout*>(&layer)) {
      auto d = std::make_shared<nn::Dropout>(drop->p);
      d->rng = drop->rng;
      q->add(d);
    } else if (dynamic_cast<const nn::ReLU*>(&layer)) {
      q->add(std::make_shared<nn::ReLU>());
    } else {
      throw Error("prepare_quant_model",
                  "layers Conv2d [BatchNorm] [ReLU], Linear [ReLU], MaxPool2d, Flatten, Dropout or ReLU",
                  "layer " + std::to_string(i) + ": " + layer.describe());
    }
  }
  if (q->stages().empty()) throw Error("prepare_quant_model", "a model with a Conv2d or a Linear layer", "none");
  q->train(model.training());
  return q;
}

// --- calibration -----------------------------------------------------------------------------------------

void calibrate_model(QuantModel& model, const nn::Dataset& data, Calibrator method, std::int64_t batches,
                     std::int64_t batch_size, std::uint64_t seed) {
  if (batches < 1) throw Error("calibrate_model", "at least one calibration batch", std::to_string(batches));
  if (batch_size < 1) throw Error("calibrate_model", "a batch size >= 1", std::to_string(batch_size));
  if (data.size() == 0) throw Error("calibrate_model", "a non-empty data set", "0 examples");
  const bool was_training = model.training();
  model.reset_observers(method);
  model.enable_fake_quant(false);  // the observers see the float model's activations
  model.set_calibrating(true);
  model.eval();                    // BatchNorm's running statistics, no Dropout
  {
    ad::NoGradGuard no_tape;
    const nn::DataLoader loader(data, batch_size, /*shuffle=*/true, seed);
    const std::vector<std::int64_t> order = loader.epoch_order(0);
    const std::int64_t n = std::min(batches, loader.batches_per_epoch());
    for (std::int64_t i = 0; i < n; ++i) model(Variable(loader.batch(order, i).images));
  }
  model.set_calibrating(false);
  model.enable_fake_quant(true);
  model.train(was_training);
}

// --- sensitivity -----------------------------------------------------------------------------------------

LogitComparison compare_logits(const Tensor& logits, const Tensor& reference, const Tensor& labels) {
  const std::string op = "compare_logits";
  if (!logits.defined() || !reference.defined() || logits.ndim() != 2 || logits.shape() != reference.shape())
    throw Error(op, "two logit tensors of one shape [N, classes]",
                (logits.defined() ? shape_str(logits.shape()) : "undefined") + " and " +
                    (reference.defined() ? shape_str(reference.shape()) : "undefined"));
  if (!labels.defined() || labels.ndim() != 1 || labels.size(0) != logits.size(0))
    throw Error(op, "labels [" + std::to_string(logits.size(0)) + "]", labels.defined() ? shape_str(labels.shape()) : "undefined");
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  if (n == 0 || classes == 0) throw Error(op, "at least one image and one class", shape_str(logits.shape()));
  const std::vector<double> a = logits.to_vector(), b = reference.to_vector(), y = labels.to_vector();
  LogitComparison c;
  double squares = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t best_a = 0, best_b = 0;  // the first maximum, as nn::accuracy
    for (std::int64_t j = 0; j < classes; ++j) {
      const auto k = static_cast<std::size_t>(i * classes + j);
      if (a[k] > a[static_cast<std::size_t>(i * classes + best_a)]) best_a = j;
      if (b[k] > b[static_cast<std::size_t>(i * classes + best_b)]) best_b = j;
      squares += (a[k] - b[k]) * (a[k] - b[k]);
    }
    c.accuracy += static_cast<double>(best_a) == y[static_cast<std::size_t>(i)];
    c.agreement += best_a == best_b;
  }
  c.accuracy /= static_cast<double>(n);
  c.agreement /= static_cast<double>(n);
  c.logit_rms = std::sqrt(squares / static_cast<double>(n * classes));
  return c;
}

std::vector<LayerSensitivity> layer_sensitivity(const QuantModel& model, const nn::Dataset& test, const Tensor& fp32_logits) {
  const Tensor& labels = test.labels;
  // The float model's own accuracy from its logits: the baseline of every drop.
  const double fp32_accuracy = compare_logits(fp32_logits, fp32_logits, labels).accuracy;
  std::vector<LayerSensitivity> out;
  const auto stages = model.stages();
  for (const auto& stage : stages) {
    std::set<std::string> others;
    for (const auto& s : stages)
      if (s != stage) others.insert(s->label);
    const LogitComparison c = compare_logits(export_int8(model, others).forward(test.images), fp32_logits, labels);
    out.push_back({stage->label, c.accuracy, (fp32_accuracy - c.accuracy) * 100.0, c.logit_rms});
  }
  return out;
}

std::set<std::string> most_sensitive(const std::vector<LayerSensitivity>& s, std::int64_t k) {
  if (k < 0) throw Error("most_sensitive", "k >= 0", std::to_string(k));
  std::vector<std::size_t> order(s.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return s[a].drop != s[b].drop ? s[a].drop > s[b].drop : s[a].logit_rms > s[b].logit_rms;
  });
  std::set<std::string> out;
  for (std::size_t i = 0; i < order.size() && static_cast<std::int64_t>(i) < k; ++i) out.insert(s[order[i]].label);
  return out;
}

}  // namespace gb::quant
