// layers.hpp: the layers (Modules with parameters) and Sequential, named and initialised like torch.nn.
//
// Parameter names and default initialisations follow PyTorch, so state_dicts line up:
//   Linear     weight [out, in], bias [out]; both U(-1/sqrt(in), 1/sqrt(in))   (kaiming_uniform a=sqrt(5))
//   Conv2d     weight [OC, IC/groups, KH, KW], bias [OC]; U(-1/sqrt(fan_in), ..) with fan_in = IC/groups*KH*KW
//   BatchNorm  weight = 1, bias = 0; buffers running_mean = 0, running_var = 1, num_batches_tracked (i64)
// Every constructor takes the Rng its initial values are drawn from (init.hpp: kaiming_uniform,
// bias_uniform). describe() reads like torch's repr of the same layer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/pool.hpp"
#include "gb/nn/module.hpp"

namespace gb::nn {

class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Rng& rng, bool bias = true);
  Variable forward(const Variable& x) override;
  std::string describe() const override;
  Variable weight, bias;  // bias undefined without one
  std::int64_t in_features, out_features;
};

class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Rng& rng,
         kernels::Conv2dParams params = {}, bool bias = true);
  Variable forward(const Variable& x) override;
  std::string describe() const override;
  Variable weight, bias;
  std::int64_t in_channels, out_channels, kernel_size;
  kernels::Conv2dParams params;
};

// BatchNorm1d on [N, C] or [N, C, L], BatchNorm2d on [N, C, H, W]: one class, the rank checked
// against `spatial`. Training counts its batches in the i64 buffer num_batches_tracked (as torch).
class BatchNorm : public Module {
 public:
  BatchNorm(std::int64_t num_features, bool spatial, double eps = 1e-5, double momentum = 0.1);
  Variable forward(const Variable& x) override;
  std::string describe() const override;
  Variable weight, bias;
  std::int64_t num_features;
  bool spatial;
  double eps, momentum;
};

class ReLU : public Module {
 public:
  Variable forward(const Variable& x) override;
  std::string describe() const override { return "ReLU()"; }
};
class GELU : public Module {  // the tanh approximation (autodiff::gelu)
 public:
  Variable forward(const Variable& x) override;
  std::string describe() const override { return "GELU(approximate='tanh')"; }
};
class Sigmoid : public Module {
 public:
  Variable forward(const Variable& x) override;
  std::string describe() const override { return "Sigmoid()"; }
};
class Tanh : public Module {
 public:
  Variable forward(const Variable& x) override;
  std::string describe() const override { return "Tanh()"; }
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(kernels::Pool2dParams params) : params(params) {}
  Variable forward(const Variable& x) override;
  std::string describe() const override;
  kernels::Pool2dParams params;
};
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(kernels::Pool2dParams params) : params(params) {}
  Variable forward(const Variable& x) override;
  std::string describe() const override;
  kernels::Pool2dParams params;
};

class Flatten : public Module {
 public:
  Variable forward(const Variable& x) override;
  std::string describe() const override { return "Flatten()"; }
};

// Dropout with its own seeded Rng: the same seed drops the same elements.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0);
  Variable forward(const Variable& x) override;
  std::string describe() const override;
  double p;
  Rng rng;
};

// Runs its children in order; children are named "0", "1", ... like torch.nn.Sequential.
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers);
  Sequential& add(std::shared_ptr<Module> layer);
  Variable forward(const Variable& x) override;
  std::string describe() const override { return "Sequential"; }
  std::size_t size() const { return layers_.size(); }
  Module& operator[](std::size_t i) const { return *layers_.at(i); }
  std::shared_ptr<Module> at(std::size_t i) const { return layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace gb::nn
