// module.hpp: the Module, a layer with named parameters, buffers and children (like torch.nn.Module).
//
// A Module owns Variables that require grad (its parameters: weights, biases), Tensors that are state
// but not learned (its buffers: BatchNorm's running mean and variance), and child Modules (the layers
// of a Sequential). Names are dotted paths exactly like PyTorch's state_dict keys ("0.weight",
// "features.3.running_mean"), so a glassbox model and a torch model can exchange weights.
//
// Parameters are updated in place by the optimizers (the Variable keeps its identity, so the autograd
// graph of the next step uses the new value); buffers are updated in place by the layers themselves.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/tensor.hpp"

namespace gb::nn {

using autodiff::Variable;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The layer's computation on a batch. Throws gb::Error(layer, expected, given) for bad input.
  virtual Variable forward(const Variable& x) = 0;
  Variable operator()(const Variable& x) { return forward(x); }
  // A one-line description like PyTorch's repr: "Linear(in_features=64, out_features=10, bias=True)".
  virtual std::string describe() const = 0;

  // Own parameters first (registration order), then each child's under "<child>.": PyTorch's order.
  std::vector<std::pair<std::string, Variable>> named_parameters() const;
  std::vector<Variable> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;  // the stored tensors (shared)
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children() const { return children_; }
  std::int64_t parameter_count() const;  // number of learned scalars

  // state_dict: parameters and buffers by name (the tensors themselves, not copies).
  std::map<std::string, Tensor> state_dict() const;
  // Copies every entry into the module's own tensors. Throws gb::Error naming the key when one is
  // missing, unexpected, or of another shape or dtype; checks everything before copying anything, so
  // a failed load leaves the module as it was.
  void load_state_dict(const std::map<std::string, Tensor>& state);

  // Training mode (Dropout drops, BatchNorm uses batch statistics) or evaluation mode; recursive.
  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }
  void zero_grad();  // forgets the accumulated gradients of every parameter

  // A tree printout: the describe() lines indented by depth, with the names of children.
  std::string str() const;

 protected:
  // A new parameter (requires_grad, named "<prefix><name>" in recordings); returns the Variable.
  Variable register_parameter(const std::string& name, Tensor value);
  // A buffer: the tensor is shared, so later in-place updates of `value` are what state_dict sees.
  void register_buffer(const std::string& name, Tensor value);
  Tensor& buffer(const std::string& name);
  void register_module(const std::string& name, std::shared_ptr<Module> child);

 private:
  std::vector<std::pair<std::string, Variable>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace gb::nn
