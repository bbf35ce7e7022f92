// data_parallel_common.cpp: the pieces the data-parallel trainers share (data_parallel_internal.hpp).
#include <algorithm>
#include <cmath>

#include "data_parallel_internal.hpp"
#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/models.hpp"

namespace gb::parallel {

using autodiff::Variable;

namespace detail {

void check_config(const DataParallelConfig& c, const nn::Dataset& data, const std::string& trainer) {
  if (c.devices < 1) throw Error(trainer, "devices >= 1", std::to_string(c.devices));
  if (c.batch_size < 1 || c.batch_size % c.devices != 0)
    throw Error(trainer, "a global batch that the " + std::to_string(c.devices) + " devices divide",
                std::to_string(c.batch_size));
  if (c.batch_size > data.size())
    throw Error(trainer, "a batch of at most the " + std::to_string(data.size()) + " examples", std::to_string(c.batch_size));
  if (c.steps < 1) throw Error(trainer, "steps >= 1", std::to_string(c.steps));
  if (c.optimizer != "sgd" && c.optimizer != "adam") throw Error(trainer, "optimizer sgd or adam", c.optimizer);
  if (!(c.lr > 0) || !std::isfinite(c.lr)) throw Error(trainer, "a learning rate > 0", std::to_string(c.lr));
}

std::shared_ptr<nn::Sequential> make_model(std::uint64_t seed) { return nn::digits_mlp(seed); }

std::unique_ptr<nn::Optimizer> make_optimizer(const DataParallelConfig& c, std::vector<Variable> parameters) {
  if (c.optimizer == "adam") {
    nn::AdamOptions o;
    o.lr = c.lr;
    return std::make_unique<nn::Adam>(std::move(parameters), o);
  }
  nn::SGDOptions o;
  o.lr = c.lr;
  o.momentum = 0.9;
  return std::make_unique<nn::SGD>(std::move(parameters), o);
}

nn::Batch global_batch(const nn::Dataset& data, const DataParallelConfig& c, std::int64_t step) {
  const nn::DataLoader loader(data, c.batch_size, true, c.seed);
  const std::int64_t per_epoch = data.size() / c.batch_size;  // whole batches only
  return loader.batch(loader.epoch_order(step / per_epoch), step % per_epoch);
}

nn::Batch shard_of(const nn::Batch& batch, int rank, int ranks) {
  const std::int64_t rows = batch.labels.size(0) / ranks;
  return {batch.images.slice(0, rank * rows, (rank + 1) * rows).contiguous(),
          batch.labels.slice(0, rank * rows, (rank + 1) * rows).contiguous()};
}

double forward_backward(nn::Module& model, const nn::Batch& batch) {
  model.zero_grad();
  const Variable loss = nn::cross_entropy(model(Variable(batch.images)), batch.labels);
  loss.backward();
  return loss.value().item();
}

std::vector<Tensor> gradients(const nn::Module& model) {
  std::vector<Tensor> out;
  for (const Variable& p : model.parameters()) out.push_back(p.grad().defined() ? p.grad().value() : Tensor());
  return out;
}

void set_gradient(const Variable& parameter, const Tensor& gradient) {
  parameter.impl()->grad = Variable(gradient.reshape(parameter.shape()));
}

Tensor flatten(const std::vector<Tensor>& tensors, std::int64_t numel) {
  Tensor flat = Tensor::zeros({numel});
  std::int64_t at = 0;
  for (const Tensor& t : tensors) {
    flat.slice(0, at, at + t.numel()).copy_from(t.contiguous().reshape({-1}));
    at += t.numel();
  }
  return flat;
}

void unflatten_into(const Tensor& flat, const std::vector<Variable>& parameters) {
  std::int64_t at = 0;
  for (const Variable& p : parameters) {
    Tensor value = p.value();  // shares the parameter's storage: written in place
    value.copy_from(flat.slice(0, at, at + p.numel()).reshape(p.shape()));
    at += p.numel();
  }
}

std::map<std::string, Tensor> copy_of(const std::map<std::string, Tensor>& state) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : state) out[name] = t.clone();
  return out;
}

double spread(const std::vector<std::shared_ptr<nn::Sequential>>& replicas) {
  double worst = 0;
  const auto first = replicas.at(0)->parameters();
  for (const auto& replica : replicas) {
    const auto mine = replica->parameters();
    for (std::size_t p = 0; p < first.size(); ++p) {
      const std::vector<double> a = first[p].value().to_vector(), b = mine[p].value().to_vector();
      for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
    }
  }
  return worst;
}

}  // namespace detail

std::vector<DdpParameter> ddp_parameters(const nn::Module& model) {
  std::vector<DdpParameter> out;
  for (const auto& [name, p] : model.named_parameters()) out.push_back({name, p.numel()});
  return out;
}

std::vector<DdpLayer> ddp_layers(const nn::Sequential& model, std::int64_t batch) {
  std::vector<DdpLayer> layers;
  int index = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto params = model[i].parameters();
    if (params.empty()) continue;
    DdpLayer layer;
    layer.name = std::to_string(i);
    double flops = 0;
    for (const Variable& p : params) {
      layer.parameters.push_back(index++);
      flops += 2.0 * static_cast<double>(batch) * static_cast<double>(p.numel());  // a multiply-add per weight per example
    }
    layer.forward_flops = flops;
    layer.backward_flops = 2 * flops;  // the gradients of the input and of the weights: two matmuls
    layers.push_back(layer);
  }
  return layers;
}

}  // namespace gb::parallel
