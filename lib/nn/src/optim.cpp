// optim.cpp: the Optimizer's bookkeeping (parameters, state, state_dict), and the SGD and Adam/AdamW
// updates, element by element as in PyTorch's single-tensor paths (torch/optim/sgd.py, adam.py, adamw.py).
//
// The arithmetic runs in the parameter's own type T (float for f32) with the hyper-parameters cast to
// T, as PyTorch's CPU kernels do, so both frameworks round at the same places.
#include "gb/nn/optim.hpp"

#include <cmath>
#include <set>
#include <sstream>

#include "gb/core/dtype.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb::nn {

namespace {

// f(T{}) with T = float or double, the C++ type of a floating tensor.
template <class F> void dispatch_floating(DType dtype, F&& f) {
  if (dtype == DType::f32) {
    f(float{});
  } else {
    f(double{});
  }
}

void check_rate(const std::string& op, const std::string& what, double value, double low, double high) {
  if (!std::isfinite(value) || value < low || value > high) {
    std::ostringstream expected, given;
    expected << what << " in [" << low << ", " << high << "]";
    given << value;
    throw Error(op, expected.str(), given.str());
  }
}

std::string tensor_type(const Tensor& t) { return std::string(dtype_name(t.dtype())) + shape_str(t.shape()); }

}  // namespace

// --- the Optimizer ---------------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, std::vector<Variable> parameters, double lr)
    : name_(std::move(name)), parameters_(std::move(parameters)) {
  if (parameters_.empty()) throw Error(name_, "a non-empty list of parameters", "none");
  std::set<const autodiff::VariableImpl*> seen;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Variable& p = parameters_[i];
    const std::string which = "parameter " + std::to_string(i);
    if (!p.defined()) throw Error(name_, "defined parameters", "an undefined " + which);
    if (!p.requires_grad() || !p.is_leaf())
      throw Error(name_, "leaf Variables that require grad", which + " ('" + p.name() + "') that does not");
    if (!is_floating(p.dtype()) || !p.value().is_contiguous())
      throw Error(name_, "contiguous f32 or f64 parameters", which + " as a " + tensor_type(p.value()));
    if (!seen.insert(p.id()).second) throw Error(name_, "each parameter once", which + " twice");
  }
  state_.resize(parameters_.size());
  set_lr(lr);
}

void Optimizer::set_lr(double lr) {
  check_rate(name_, "a learning rate", lr, 0.0, HUGE_VAL);
  lr_ = lr;
}

void Optimizer::step() {
  autodiff::NoGradGuard no_grad;  // the update itself is not part of any graph
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Variable& p = parameters_[i];
    const Variable g = p.grad();
    if (!g.defined()) continue;  // no gradient: the parameter took no part in the loss
    if (g.shape() != p.shape() || g.dtype() != p.dtype())
      throw Error(name_ + ".step", "a gradient shaped like parameter " + std::to_string(i) + ", " + tensor_type(p.value()),
                  tensor_type(g.value()));
    Tensor value = p.value();  // a handle on the parameter's own storage: written in place
    update(value, g.value().contiguous(), state_[i]);
  }
}

void Optimizer::zero_grad() {
  for (Variable& p : parameters_) p.zero_grad();
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> out;
  out["lr"] = Tensor::scalar(lr_, DType::f64);
  for (std::size_t i = 0; i < state_.size(); ++i)
    for (const auto& [field, t] : state_[i]) out["state." + std::to_string(i) + "." + field] = t.clone();
  return out;
}

void Optimizer::check_state_dict(const std::map<std::string, Tensor>& state) const {
  const std::string op = name_ + ".load_state_dict";
  auto lr = state.find("lr");
  if (lr == state.end()) throw Error(op, "an entry 'lr'", "none");
  if (!lr->second.defined() || lr->second.dtype() != DType::f64 || lr->second.ndim() != 0)
    throw Error(op, "'lr' as f64[]", lr->second.defined() ? tensor_type(lr->second) : "an undefined tensor");
  check_rate(op, "'lr'", lr->second.item(), 0.0, HUGE_VAL);
  // Every other key is "state.<i>.<field>" with a known field, shaped as the field requires.
  std::vector<std::set<std::string>> present(parameters_.size());
  const std::vector<Field> known = fields();
  for (const auto& [key, t] : state) {
    if (key == "lr") continue;
    const std::string bad = "unexpected key '" + key + "'";
    if (key.rfind("state.", 0) != 0) throw Error(op, "'lr' and 'state.<i>.<field>' keys", bad);
    const std::size_t dot = key.find('.', 6);
    const std::string index = key.substr(6, dot == std::string::npos ? std::string::npos : dot - 6);
    if (dot == std::string::npos || index.empty() || index.size() > 9 ||
        index.find_first_not_of("0123456789") != std::string::npos || std::stoul(index) >= parameters_.size())
      throw Error(op, "'state.<i>.<field>' with i < " + std::to_string(parameters_.size()), bad);
    const std::size_t i = std::stoul(index);
    const std::string field = key.substr(dot + 1);
    const Field* f = nullptr;
    for (const Field& k : known)
      if (k.name == field) f = &k;
    if (f == nullptr) throw Error(op, "the fields of " + name_, bad);
    const Tensor& p = parameters_[i].value();
    const bool ok = t.defined() && (f->like_parameter ? t.shape() == p.shape() && t.dtype() == p.dtype()
                                                      : t.ndim() == 0 && t.dtype() == DType::i64);
    if (!ok)
      throw Error(op, "'" + key + "' as " + (f->like_parameter ? tensor_type(p) : std::string("i64[]")),
                  t.defined() ? tensor_type(t) : "an undefined tensor");
    if (!f->like_parameter && t.item() < 1) throw Error(op, "'" + key + "' >= 1", std::to_string(t.item()));
    present[i].insert(field);
  }
  for (std::size_t i = 0; i < present.size(); ++i) {
    if (!present[i].empty() && present[i].size() != known.size())
      throw Error(op, "every field of parameter " + std::to_string(i) + "'s state, or none",
                  std::to_string(present[i].size()) + " of " + std::to_string(known.size()));
  }
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& state) {
  check_state_dict(state);
  std::vector<ParameterState> loaded(parameters_.size());
  for (const auto& [key, t] : state) {
    if (key == "lr") continue;
    const std::size_t dot = key.find('.', 6);
    loaded[std::stoul(key.substr(6, dot - 6))][key.substr(dot + 1)] = t.clone();
  }
  state_ = std::move(loaded);
  lr_ = state.at("lr").item();
}

// --- SGD -----------------------------------------------------------------------------------------

namespace {

// One SGD step over n elements: PyTorch's _single_tensor_sgd, written out per element.
// `buffer` is the momentum buffer (unused when momentum == 0); `first` marks the step that creates it.
template <class T>
void sgd_step(T* param, const T* grad, T* buffer, std::int64_t n, const SGDOptions& o, double lr, bool first) {
  // BEGIN EXERCISE(nn.optim.sgd_step)
  const T weight_decay = static_cast<T>(o.weight_decay), momentum = static_cast<T>(o.momentum);
  const T keep = static_cast<T>(1 - o.dampening), step = static_cast<T>(-lr);
  for (std::int64_t i = 0; i < n; ++i) {
    T d_p = grad[i];
    if (o.weight_decay != 0) d_p = d_p + weight_decay * param[i];  // L2: the gradient of wd/2 |p|^2
    if (o.momentum != 0) {
      // The buffer is a running sum of past gradients: a velocity. It starts at the first gradient.
      buffer[i] = first ? d_p : momentum * buffer[i] + keep * d_p;
      // Nesterov looks ahead: the step uses the gradient plus the momentum of the new velocity.
      d_p = o.nesterov ? d_p + momentum * buffer[i] : buffer[i];
    }
    param[i] = param[i] + step * d_p;
  }
  // END EXERCISE
}

}  // namespace

SGD::SGD(std::vector<Variable> parameters, SGDOptions options)
    : Optimizer("SGD", std::move(parameters), options.lr), options_(options) {
  check_rate("SGD", "momentum", options.momentum, 0.0, HUGE_VAL);
  check_rate("SGD", "dampening", options.dampening, -HUGE_VAL, HUGE_VAL);
  check_rate("SGD", "weight_decay", options.weight_decay, 0.0, HUGE_VAL);
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
    throw Error("SGD", "nesterov with momentum > 0 and dampening 0 (as in PyTorch)",
                "momentum " + std::to_string(options.momentum) + ", dampening " + std::to_string(options.dampening));
}

std::string SGD::describe() const {
  std::ostringstream s;
  s << "SGD(lr=" << lr() << ", momentum=" << options_.momentum << ", dampening=" << options_.dampening
    << ", nesterov=" << (options_.nesterov ? "True" : "False") << ", weight_decay=" << options_.weight_decay << ")";
  return s.str();
}

std::vector<Optimizer::Field> SGD::fields() const {
  if (options_.momentum == 0) return {};  // plain SGD keeps no state
  return {{"momentum_buffer", true}};
}

void SGD::update(Tensor& value, const Tensor& grad, ParameterState& state) {
  const bool first = options_.momentum != 0 && !state.count("momentum_buffer");
  if (first) state["momentum_buffer"] = Tensor::zeros(value.shape(), value.dtype());
  dispatch_floating(value.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* buffer = options_.momentum != 0 ? state["momentum_buffer"].data<T>() : nullptr;
    sgd_step<T>(value.data<T>(), grad.data<T>(), buffer, value.numel(), options_, lr(), first);
  });
}

// --- Adam and AdamW ------------------------------------------------------------------------------

namespace {

// One Adam step over n elements at step t: PyTorch's _single_tensor_adam / _single_tensor_adamw.
template <class T>
void adam_step(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, std::int64_t n, const AdamOptions& o, double lr,
               bool decoupled, std::int64_t t) {
  // The bias corrections undo the zero start of m and v: E[m_t] = (1 - beta1^t) E[g].
  const double bias_correction1 = 1 - std::pow(o.beta1, static_cast<double>(t));
  const double bias_correction2 = 1 - std::pow(o.beta2, static_cast<double>(t));
  const T step_size = static_cast<T>(-(lr / bias_correction1));
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T beta1 = static_cast<T>(o.beta1), beta2 = static_cast<T>(o.beta2);
  const T one_minus_beta1 = static_cast<T>(1 - o.beta1), one_minus_beta2 = static_cast<T>(1 - o.beta2);
  const T eps = static_cast<T>(o.eps), weight_decay = static_cast<T>(o.weight_decay);
  const T shrink = static_cast<T>(1 - lr * o.weight_decay);
  for (std::int64_t i = 0; i < n; ++i) {
    T g = grad[i];
    if (o.weight_decay != 0) {
      if (decoupled) {
        param[i] = param[i] * shrink;  // AdamW: decay the weight itself, outside the adaptive step
      } else {
        g = g + weight_decay * param[i];  // Adam: L2 through the gradient (then rescaled by v)
      }
    }
    exp_avg[i] = exp_avg[i] * beta1 + one_minus_beta1 * g;         // m: first moment
    exp_avg_sq[i] = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;  // v: second moment
    const T denom = std::sqrt(exp_avg_sq[i]) / bias_correction2_sqrt + eps;
    param[i] = param[i] + step_size * exp_avg[i] / denom;
  }
}

}  // namespace

Adam::Adam(std::vector<Variable> parameters, AdamOptions options) : Adam("Adam", std::move(parameters), options, false) {}

Adam::Adam(std::string name, std::vector<Variable> parameters, AdamOptions options, bool decoupled)
    : Optimizer(name, std::move(parameters), options.lr), options_(options), decoupled_weight_decay_(decoupled) {
  check_rate(name, "beta1", options.beta1, 0.0, 1.0 - 1e-12);
  check_rate(name, "beta2", options.beta2, 0.0, 1.0 - 1e-12);
  check_rate(name, "eps", options.eps, 0.0, HUGE_VAL);
  check_rate(name, "weight_decay", options.weight_decay, 0.0, HUGE_VAL);
}

std::string Adam::describe() const {
  std::ostringstream s;
  s << name() << "(lr=" << lr() << ", betas=(" << options_.beta1 << ", " << options_.beta2 << "), eps=" << options_.eps
    << ", weight_decay=" << options_.weight_decay << ")";
  return s.str();
}

std::vector<Optimizer::Field> Adam::fields() const {
  return {{"exp_avg", true}, {"exp_avg_sq", true}, {"step", false}};
}

void Adam::update(Tensor& value, const Tensor& grad, ParameterState& state) {
  if (!state.count("step")) {
    state["exp_avg"] = Tensor::zeros(value.shape(), value.dtype());
    state["exp_avg_sq"] = Tensor::zeros(value.shape(), value.dtype());
    state["step"] = Tensor::scalar(0, DType::i64);
  }
  std::int64_t& t = *state["step"].data<std::int64_t>();
  t += 1;
  dispatch_floating(value.dtype(), [&](auto tag) {
    using T = decltype(tag);
    adam_step<T>(value.data<T>(), grad.data<T>(), state["exp_avg"].data<T>(), state["exp_avg_sq"].data<T>(),
                 value.numel(), options_, lr(), decoupled_weight_decay_, t);
  });
}

AdamW::AdamW(std::vector<Variable> parameters, AdamOptions options)
    : Adam("AdamW", std::move(parameters), options, true) {}

std::string AdamW::describe() const { return Adam::describe(); }

}  // namespace gb::nn
