// data_parallel_internal.hpp: what the data-parallel trainers share: the checks, the replicas, the
// batches and their shards, one rank's forward and backward, the optimizer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gb/nn/optim.hpp"
#include "gb/parallel/data_parallel.hpp"

namespace gb::parallel::detail {

using autodiff::Variable;

void check_config(const DataParallelConfig& config, const nn::Dataset& data, const std::string& trainer);

// The model of a seed: the digits MLP (Flatten, Linear + ReLU layers, no BatchNorm).
std::shared_ptr<nn::Sequential> make_model(std::uint64_t seed);
std::unique_ptr<nn::Optimizer> make_optimizer(const DataParallelConfig& config, std::vector<Variable> parameters);

// The global batch of step s (the lesson-01 loader, shuffled by the seed) and rank r's 1/n of it.
nn::Batch global_batch(const nn::Dataset& data, const DataParallelConfig& config, std::int64_t step);
nn::Batch shard_of(const nn::Batch& batch, int rank, int ranks);

// Forward and backward of `model` on `batch` (gradients zeroed first); returns the mean loss.
double forward_backward(nn::Module& model, const nn::Batch& batch);
// The gradients of a model's parameters, in registration order (undefined where none).
std::vector<Tensor> gradients(const nn::Module& model);
// Sets a parameter's gradient (torch: p.grad = g).
void set_gradient(const Variable& parameter, const Tensor& gradient);

// The model's parameters (or gradients) laid end to end in a flat f32 buffer of `numel` values (the
// padding stays zero), and the way back: each parameter's values copied out of the flat buffer (in place).
Tensor flatten(const std::vector<Tensor>& tensors, std::int64_t numel);
void unflatten_into(const Tensor& flat, const std::vector<Variable>& parameters);

std::map<std::string, Tensor> copy_of(const std::map<std::string, Tensor>& state);
double spread(const std::vector<std::shared_ptr<nn::Sequential>>& replicas);

}  // namespace gb::parallel::detail
