// schedule.cpp: learning-rate schedules, epoch by epoch, with torch.optim.lr_scheduler's recurrences.
//
// PyTorch computes each epoch's rate from the current one (get_lr, the "chainable" form) rather than
// from a closed form; we follow the same recurrences so the rates agree to the last bit of a double.
#include <cmath>
#include <numbers>
#include <sstream>

#include "gb/core/error.hpp"
#include "gb/nn/optim.hpp"

namespace gb::nn {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(&optimizer), base_lr_(optimizer.lr()) {}

void LRScheduler::step() {
  last_epoch_ += 1;
  optimizer_->set_lr(next_lr(last_epoch_, optimizer_->lr()));
}

void LRScheduler::set_state(const State& s) {
  if (s.last_epoch < 0 || !std::isfinite(s.base_lr) || s.base_lr < 0)
    throw Error("LRScheduler.set_state", "last_epoch >= 0 and a base rate >= 0",
                std::to_string(s.last_epoch) + " and " + std::to_string(s.base_lr));
  last_epoch_ = s.last_epoch;
  base_lr_ = s.base_lr;
}

// --- StepLR ------------------------------------------------------------------------------------------

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size < 1) throw Error("StepLR", "step_size >= 1", std::to_string(step_size));
  if (!std::isfinite(gamma) || gamma < 0) throw Error("StepLR", "gamma >= 0", std::to_string(gamma));
}

std::string StepLR::describe() const {
  std::ostringstream s;
  s << "StepLR(step_size=" << step_size_ << ", gamma=" << gamma_ << ")";
  return s.str();
}

// torch: the rate is multiplied by gamma at every epoch that is a multiple of step_size.
double StepLR::next_lr(std::int64_t epoch, double current) const {
  return epoch % step_size_ == 0 ? current * gamma_ : current;
}

// --- CosineAnnealingLR ---------------------------------------------------------------------------------

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : LRScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  if (t_max < 1) throw Error("CosineAnnealingLR", "T_max >= 1", std::to_string(t_max));
  if (!std::isfinite(eta_min) || eta_min < 0) throw Error("CosineAnnealingLR", "eta_min >= 0", std::to_string(eta_min));
}

std::string CosineAnnealingLR::describe() const {
  std::ostringstream s;
  s << "CosineAnnealingLR(T_max=" << t_max_ << ", eta_min=" << eta_min_ << ")";
  return s.str();
}

// torch's get_lr: the ratio of consecutive points of the cosine, applied to (current - eta_min);
// at the bottom of each period (epoch - 1 - T_max a multiple of 2 T_max) it climbs back by the
// first step of the curve instead (the ratio would divide by zero there).
double CosineAnnealingLR::next_lr(std::int64_t epoch, double current) const {
  const double pi = std::numbers::pi, t = static_cast<double>(epoch), period = static_cast<double>(t_max_);
  if ((epoch - 1 - t_max_) % (2 * t_max_) == 0)
    return current + (base_lr() - eta_min_) * (1 - std::cos(pi / period)) / 2;
  return (1 + std::cos(pi * t / period)) / (1 + std::cos(pi * (t - 1) / period)) * (current - eta_min_) + eta_min_;
}

}  // namespace gb::nn
