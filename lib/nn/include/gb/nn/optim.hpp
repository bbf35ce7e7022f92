// optim.hpp: the optimizers (SGD, Adam, AdamW) and the learning-rate schedules, with PyTorch's rules.
//
// An optimizer holds the list of parameters it trains (leaf Variables that require grad) and, per
// parameter, its state: SGD's momentum buffer, Adam's two moment estimates and its step count.
// step() turns each parameter's gradient (filled by backward()) into an update and writes the new
// value into the parameter's own tensor, in place and with grad mode off, so the Variable keeps its
// identity and the next forward pass uses the new value. A parameter without a gradient is skipped
// (it took no part in the loss), exactly like torch.optim.
//
// The update formulas are PyTorch's single-tensor paths (torch/optim/sgd.py, adam.py, adamw.py), so
// a glassbox run and a torch run from the same values take the same steps (tests/python/oracle/
// test_torch_optim.py). A schedule changes the optimizer's learning rate once per epoch, with the
// recurrences of torch.optim.lr_scheduler (schedule.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/tensor.hpp"

namespace gb::nn {

using autodiff::Variable;

// The state of one parameter, by field name ("momentum_buffer", "exp_avg", "exp_avg_sq", "step").
// Empty until the parameter's first update (PyTorch creates it lazily too).
using ParameterState = std::map<std::string, Tensor>;

class Optimizer {
 public:
  // Throws gb::Error for an empty list, an undefined parameter, one that does not require grad, a
  // non-floating or non-contiguous value, the same Variable twice, or a negative learning rate.
  Optimizer(std::string name, std::vector<Variable> parameters, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (under a NoGradGuard).
  void step();
  // Forgets the gradients of every parameter (call before each backward, or they accumulate).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);  // schedules call this; throws for a negative or non-finite rate
  const std::vector<Variable>& parameters() const { return parameters_; }
  const std::string& name() const { return name_; }
  virtual std::string describe() const = 0;  // "SGD(lr=0.1, momentum=0.9, ...)"
  const ParameterState& state(std::size_t i) const { return state_.at(i); }

  // --- the state as named tensors (checkpoints) -----------------------------------------------------
  // "lr" (f64 []) and "state.<i>.<field>" for every parameter i that has state (i in the order of
  // parameters()): the same layout as torch's optimizer.state_dict()["state"]. Copies, not views.
  std::map<std::string, Tensor> state_dict() const;
  // Throws gb::Error naming the key when an entry is unknown, missing, or of the wrong shape or
  // dtype (or a parameter's fields are only partly there); changes nothing.
  void check_state_dict(const std::map<std::string, Tensor>& state) const;
  // check_state_dict, then copies everything in: all or nothing.
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // One field of the per-parameter state: shaped like the parameter, or a step counter (i64 []).
  struct Field {
    std::string name;
    bool like_parameter = true;
  };
  virtual std::vector<Field> fields() const = 0;
  // The update of one parameter: `value` is the parameter's own (contiguous) tensor, `grad` its
  // gradient (contiguous, same shape and dtype), `state` its state (empty on the first update).
  virtual void update(Tensor& value, const Tensor& grad, ParameterState& state) = 0;

 private:
  std::string name_;
  std::vector<Variable> parameters_;
  std::vector<ParameterState> state_;
  double lr_ = 0;
};

// --- SGD (torch.optim.SGD) -------------------------------------------------------------------------
struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;      // 0: plain gradient descent
  double dampening = 0;     // scales the new gradient in the momentum buffer by (1 - dampening)
  bool nesterov = false;    // needs momentum > 0 and dampening == 0 (as in PyTorch)
  double weight_decay = 0;  // L2 penalty, added to the gradient
};

// Per element, with g the gradient and p the parameter:
//   g   = g + weight_decay * p
//   buf = g                                  on the first step
//   buf = momentum * buf + (1 - dampening) g  afterwards
//   g   = g + momentum * buf  (nesterov)  or  buf
//   p   = p - lr * g
class SGD : public Optimizer {
 public:
  SGD(std::vector<Variable> parameters, SGDOptions options);
  std::string describe() const override;
  const SGDOptions& options() const { return options_; }

 protected:
  std::vector<Field> fields() const override;
  void update(Tensor& value, const Tensor& grad, ParameterState& state) override;

 private:
  SGDOptions options_;
};

// --- Adam and AdamW (torch.optim.Adam, torch.optim.AdamW; Kingma & Ba 2015, Loshchilov & Hutter 2019)
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // Adam: L2 added to the gradient. AdamW: decoupled (PyTorch's default 1e-2)
};

// Per element, at step t (counted per parameter from 1):
//   Adam:   g = g + weight_decay * p                       (L2 through the gradient)
//   AdamW:  p = p * (1 - lr * weight_decay)                (decoupled weight decay, before the step)
//   m = beta1 m + (1 - beta1) g          v = beta2 v + (1 - beta2) g^2
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// (eps is added after the bias correction of v, where PyTorch adds it.)
class Adam : public Optimizer {
 public:
  Adam(std::vector<Variable> parameters, AdamOptions options);
  std::string describe() const override;
  const AdamOptions& options() const { return options_; }

 protected:
  Adam(std::string name, std::vector<Variable> parameters, AdamOptions options, bool decoupled);
  std::vector<Field> fields() const override;
  void update(Tensor& value, const Tensor& grad, ParameterState& state) override;

 private:
  AdamOptions options_;
  bool decoupled_weight_decay_ = false;
};

class AdamW : public Adam {
 public:
  static AdamOptions default_options() {
    AdamOptions o;
    o.weight_decay = 1e-2;
    return o;
  }
  AdamW(std::vector<Variable> parameters, AdamOptions options = default_options());
  std::string describe() const override;
};

// --- learning-rate schedules (schedule.cpp; torch.optim.lr_scheduler) ------------------------------
// A schedule remembers the optimizer's initial rate (base_lr) and, on each step() (once per epoch,
// after the epoch's optimizer steps), sets the rate of epoch last_epoch + 1. Like PyTorch, the rates
// follow a recurrence from the current rate (the "chainable" form), so a rate set by hand persists.
class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  void step();  // last_epoch += 1; optimizer.set_lr(next rate)
  std::int64_t last_epoch() const { return last_epoch_; }
  double base_lr() const { return base_lr_; }
  const Optimizer& optimizer() const { return *optimizer_; }
  virtual std::string describe() const = 0;

  // For checkpoints: the epoch counter and the base rate (the current rate lives in the optimizer).
  struct State {
    std::int64_t last_epoch = 0;
    double base_lr = 0;
  };
  State state() const { return {last_epoch_, base_lr_}; }
  void set_state(const State& s);  // throws gb::Error for a negative epoch or rate

 protected:
  // The rate of epoch `epoch` (>= 1) given the rate `current` of epoch - 1.
  virtual double next_lr(std::int64_t epoch, double current) const = 0;

 private:
  Optimizer* optimizer_;
  std::int64_t last_epoch_ = 0;
  double base_lr_ = 0;
};

// lr = lr * gamma every step_size epochs (torch.optim.lr_scheduler.StepLR).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  std::string describe() const override;

 protected:
  double next_lr(std::int64_t epoch, double current) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

// Half a cosine from base_lr down to eta_min over T_max epochs (SGDR without restarts, Loshchilov &
// Hutter 2017): lr_t = eta_min + (base_lr - eta_min) (1 + cos(pi t / T_max)) / 2, computed by
// PyTorch's recurrence (torch.optim.lr_scheduler.CosineAnnealingLR).
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0);
  std::string describe() const override;

 protected:
  double next_lr(std::int64_t epoch, double current) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

}  // namespace gb::nn
