// fake_quant.hpp: FakeQuant, the op that lets a float network feel the int8 grid while it trains (lesson 25).
//
//   forward:   y = S * (clamp(round(x / S) + Z, qmin, qmax) - Z)       (quantize, then dequantize)
//   backward:  dx = dy  where round(x / S) + Z lies in [qmin, qmax]     (the straight-through estimator,
//              dx = 0   elsewhere                                       Bengio et al. 2013)
//
// round() is a staircase: its true derivative is 0 almost everywhere, which would stop training dead.
// The straight-through estimator pretends the staircase is the identity line inside the grid and flat
// outside it, where clamping really does cut the value off. Both boundaries count as inside (the mask
// is qmin <= q <= qmax on the rounded, not yet clamped, q), exactly as PyTorch's
// fake_quantize_per_tensor_affine / fake_quantize_per_channel_affine; the arithmetic is theirs too
// (float32: q = nearbyint(x * (1.0f / S)) + Z; y = (clamp(q) - Z) * S), so the values agree bit for bit
// (tests/python/oracle/test_torch_qat.py).
//
// FakeQuantize is the Module a QAT model puts on an activation: an Observer (calibrate.hpp) watches
// the values while the model trains or calibrates, and the observed range gives (S, Z). In eval mode
// the range is frozen. A learned range (LSQ, Esser et al. 2020) is fake_quant_learned below.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/nn/module.hpp"
#include "gb/quant/calibrate.hpp"
#include "gb/quant/qparams.hpp"

namespace gb::quant {

using autodiff::Variable;

// FakeQuant on a Variable: x f32 (any shape); p per-tensor, or per-channel along p.axis (p.scale has
// x.shape[axis] entries). NaN is a gb::Error; +-Inf saturate (and get no gradient).
Variable fake_quant(const Variable& x, const QParams& p);

// The straight-through mask of fake_quant at x: f32, 1 where round(x / S) + Z is in [qmin, qmax], else 0.
Tensor ste_mask(const Tensor& x, const QParams& p);

// The backward rule on plain tensors: dx = dy * ste_mask(x, p) (x and dy f32, the same shape).
// Exercise quant.qat.ste_backward.
Tensor fake_quant_backward(const Tensor& x, const Tensor& dy, const QParams& p);

// LSQ (Esser et al. 2020, "Learned Step Size Quantization"), per tensor, as
// torch._fake_quantize_learnable_per_tensor_affine: the same forward with S a learned Variable (shape
// [1], > 0), and d y / d S = (q_c - Z) - x / S inside the grid, (qmin - Z) or (qmax - Z) outside
// (q_c the clamped code), each gradient summed over x and scaled by grad_factor (LSQ suggests
// 1 / sqrt(numel * qmax)). The zero point stays fixed here.
Variable fake_quant_learned(const Variable& x, const Variable& scale, std::int32_t zero_point, QRange range,
                            double grad_factor = 1.0);

// --- the FakeQuantize module --------------------------------------------------------------------------

struct FakeQuantOptions {
  DType dtype = DType::u8;                     // activations: uint8 affine (the int8 kernels' input type)
  bool symmetric = false;
  Calibrator observer = Calibrator::moving_average;  // how the range is collected
  std::int64_t bins = 2048;
  double percentile = 99.99;
};

// forward(x):
//   observes x when observing() (training mode, or calibrating) and the observer is enabled;
//   returns fake_quant(x, qparams()) when fake quantization is enabled, else x itself.
// Before anything was observed, forward passes x through unchanged (there is no range yet).
class FakeQuantize : public nn::Module {
 public:
  explicit FakeQuantize(FakeQuantOptions options = {});
  Variable forward(const Variable& x) override;
  std::string describe() const override;

  // The (S, Z) of the observed range (gb::Error before the first observation). For min-max and the
  // moving average the observed [min, max]; for the clipping calibrators (percentile, kl, mse) the
  // threshold T clips it to [max(min, -T), min(max, T)]. The range always contains 0.
  QParams qparams() const;
  bool has_range() const { return !observer_.empty() || fixed_.has_value(); }
  const Observer& observer() const { return observer_; }

  void set_calibrating(bool on) { calibrating_ = on; }   // observe in eval mode too (PTQ calibration)
  void enable_observer(bool on) { observer_enabled_ = on; }
  void enable_fake_quant(bool on) { fake_quant_enabled_ = on; }
  bool fake_quant_enabled() const { return fake_quant_enabled_; }
  bool observing() const { return observer_enabled_ && (training() || calibrating_); }
  // Replaces the observer by a fresh one of another method (a new calibration).
  void reset_observer(Calibrator method);
  // Freezes a given range: qparams() returns it, the observer is ignored (tests, learned ranges).
  void set_qparams(const QParams& p) { fixed_ = p; }
  void clear_qparams() { fixed_.reset(); }
  const FakeQuantOptions& options() const { return options_; }

 private:
  FakeQuantOptions options_;
  Observer observer_;
  std::optional<QParams> fixed_;
  mutable std::optional<QParams> cache_;  // qparams() of the current observations (a KL sweep is not free)
  bool calibrating_ = false, observer_enabled_ = true, fake_quant_enabled_ = true;
};

// The QParams an activation range gets: choose_qparams on [lo, hi] widened to contain 0 (qparams.hpp).
QParams activation_qparams(double lo, double hi, DType dtype = DType::u8, bool symmetric = false);

}  // namespace gb::quant
