// fake_quant.cpp: FakeQuant forward, its straight-through backward, LSQ, and the FakeQuantize module
// (fake_quant.hpp).
//
// The arithmetic is PyTorch's fake-quantize kernel in float32, element by element:
//   inv = 1.0f / S;  q = Z + nearbyint(x * inv);  y = (min(max(q, qmin), qmax) - Z) * S
// with nearbyint rounding half to even. q stays a float (never cast to an integer), so an infinite x
// saturates without undefined behaviour.
#include "gb/quant/fake_quant.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb::quant {

namespace ad = gb::autodiff;

namespace {

// The grid of one tensor, one entry per channel (a single channel when per-tensor).
struct Grid {
  std::vector<float> scale, inv_scale, zero;
  std::int64_t channels = 1, inner = 1;  // the channel of flat index i is (i / inner) % channels
  float qmin = 0, qmax = 0;
  std::int64_t channel(std::int64_t i) const { return channels == 1 ? 0 : (i / inner) % channels; }
};

Grid grid_of(const Shape& shape, const QParams& p, const std::string& op) {
  const QRange r = p.range();  // throws for a dtype other than i8 / u8
  if (p.scale.empty() || p.scale.size() != p.zero_point.size())
    throw Error(op, "as many zero points as scales (at least one)",
                std::to_string(p.scale.size()) + " scales and " + std::to_string(p.zero_point.size()) + " zero points");
  Grid g;
  g.qmin = static_cast<float>(r.qmin);
  g.qmax = static_cast<float>(r.qmax);
  if (p.per_channel()) {
    const auto rank = static_cast<std::int64_t>(shape.size());
    if (p.axis >= rank)
      throw Error(op, "a channel axis below the rank " + std::to_string(rank), "axis " + std::to_string(p.axis));
    g.channels = shape[static_cast<std::size_t>(p.axis)];
    for (std::int64_t a = p.axis + 1; a < rank; ++a) g.inner *= shape[static_cast<std::size_t>(a)];
    if (static_cast<std::int64_t>(p.scale.size()) != g.channels)
      throw Error(op, std::to_string(g.channels) + " scales (one per channel of axis " + std::to_string(p.axis) + ")",
                  std::to_string(p.scale.size()));
  } else if (p.scale.size() != 1) {
    throw Error(op, "one scale for a per-tensor grid (axis -1)", std::to_string(p.scale.size()) + " scales");
  }
  for (std::size_t c = 0; c < p.scale.size(); ++c) {
    const auto s = static_cast<float>(p.scale[c]);
    if (!(s > 0) || !std::isfinite(s) || !std::isfinite(1.0f / s))
      throw Error(op, "scales > 0 and finite in float32", "S = " + std::to_string(p.scale[c]));
    if (p.zero_point[c] < r.qmin || p.zero_point[c] > r.qmax)
      throw Error(op, "zero points in [" + std::to_string(r.qmin) + ", " + std::to_string(r.qmax) + "]",
                  "Z = " + std::to_string(p.zero_point[c]));
    g.scale.push_back(s);
    g.inv_scale.push_back(1.0f / s);
    g.zero.push_back(static_cast<float>(p.zero_point[c]));
  }
  return g;
}

const Tensor& f32_input(const Tensor& x, const std::string& op) {
  if (!x.defined()) throw Error(op, "a defined tensor x", "an undefined tensor");
  if (x.dtype() != DType::f32) throw Error(op, "x of dtype f32", dtype_name(x.dtype()));
  return x;
}

// The code before clamping: Z + nearbyint(x / S), as PyTorch computes it.
inline float unclamped_code(float x, float inv_scale, float zero) { return zero + std::nearbyint(x * inv_scale); }

}  // namespace

Tensor fake_quant_backward(const Tensor& x_in, const Tensor& dy_in, const QParams& p) {
  const std::string op = "fake_quant backward";
  const Tensor x = f32_input(x_in, op).contiguous();
  const Tensor dy = f32_input(dy_in, op).contiguous();
  if (dy.shape() != x.shape()) throw Error(op, "dy shaped like x, " + shape_str(x.shape()), shape_str(dy.shape()));
  const Grid g = grid_of(x.shape(), p, op);
  Tensor dx = Tensor::empty(x.shape(), DType::f32);
  // BEGIN EXERCISE(quant.qat.ste_backward)
  // The straight-through estimator: round() counts as the identity, so the gradient passes unchanged
  // wherever the code lands inside the grid, both ends included; where clamping cut the value off,
  // y does not move with x, and the gradient is 0. (g.channel(i): the grid of element i.)
  const float* xs = x.data<float>();
  const float* dys = dy.data<float>();
  float* dxs = dx.data<float>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const std::int64_t c = g.channel(i);
    const float q = unclamped_code(xs[i], g.inv_scale[static_cast<std::size_t>(c)], g.zero[static_cast<std::size_t>(c)]);
    dxs[i] = (q >= g.qmin && q <= g.qmax) ? dys[i] : 0.0f;
  }
  // END EXERCISE
  return dx;
}

Tensor ste_mask(const Tensor& x, const QParams& p) {
  return fake_quant_backward(x, Tensor::ones(f32_input(x, "ste_mask").shape()), p);
}

Variable fake_quant(const Variable& x, const QParams& p) {
  const std::string op = "fake_quant";
  if (!x.defined()) throw Error(op, "a defined Variable x", "an undefined Variable");
  const Tensor xv = f32_input(x.value(), op).contiguous();
  const Grid g = grid_of(xv.shape(), p, op);
  Tensor y = Tensor::empty(xv.shape(), DType::f32);
  const float* xs = xv.data<float>();
  float* ys = y.data<float>();
  for (std::int64_t i = 0; i < xv.numel(); ++i) {
    if (std::isnan(xs[i])) throw Error(op, "values that are not NaN", "NaN at flat index " + std::to_string(i));
    const auto c = static_cast<std::size_t>(g.channel(i));
    const float q = unclamped_code(xs[i], g.inv_scale[c], g.zero[c]);
    ys[i] = (std::fmin(std::fmax(q, g.qmin), g.qmax) - g.zero[c]) * g.scale[c];
  }
  return ad::record_op("fake_quant", y, {x}, {xv}, [p](const ad::VjpContext& ctx) {
    const Tensor& saved_x = ctx.node.saved[0];
    if (ad::grad_enabled()) {
      // create_graph: the mask is a constant, so adjoint * mask is differentiable again (to 0).
      return std::vector<Variable>{ad::mul(ctx.adjoint, ad::constant(ste_mask(saved_x, p)))};
    }
    return std::vector<Variable>{ad::constant(fake_quant_backward(saved_x, ctx.adjoint.value(), p))};
  });
}

// --- LSQ: a learned scale -------------------------------------------------------------------------------

Variable fake_quant_learned(const Variable& x, const Variable& scale, std::int32_t zero_point, QRange range,
                            double grad_factor) {
  const std::string op = "fake_quant_learned";
  if (!x.defined() || !scale.defined()) throw Error(op, "defined Variables x and scale", "an undefined Variable");
  const Tensor xv = f32_input(x.value(), op).contiguous();
  const Tensor sv = f32_input(scale.value(), op);
  if (sv.numel() != 1) throw Error(op, "a scale of one element", shape_str(sv.shape()));
  if (range.qmin >= range.qmax || zero_point < range.qmin || zero_point > range.qmax)
    throw Error(op, "qmin < qmax and qmin <= Z <= qmax",
                "[" + std::to_string(range.qmin) + ", " + std::to_string(range.qmax) + "], Z = " + std::to_string(zero_point));
  if (!std::isfinite(grad_factor)) throw Error(op, "a finite grad_factor", std::to_string(grad_factor));
  QParams p;
  p.dtype = range.qmin < 0 ? DType::i8 : DType::u8;
  p.scale = {sv.to_vector()[0]};
  p.zero_point = {zero_point};
  // The grid check (S > 0) and the forward are fake_quant's; qrange of the dtype may be wider than
  // `range`, so the clamp below uses range itself.
  const Grid g = [&] {
    Grid grid = grid_of(xv.shape(), p, op);
    grid.qmin = static_cast<float>(range.qmin);
    grid.qmax = static_cast<float>(range.qmax);
    return grid;
  }();
  Tensor y = Tensor::empty(xv.shape(), DType::f32);
  const float* xs = xv.data<float>();
  float* ys = y.data<float>();
  for (std::int64_t i = 0; i < xv.numel(); ++i) {
    if (std::isnan(xs[i])) throw Error(op, "values that are not NaN", "NaN at flat index " + std::to_string(i));
    const float q = unclamped_code(xs[i], g.inv_scale[0], g.zero[0]);
    ys[i] = (std::fmin(std::fmax(q, g.qmin), g.qmax) - g.zero[0]) * g.scale[0];
  }
  return ad::record_op(op, y, {x, scale}, {xv}, [g, grad_factor](const ad::VjpContext& ctx) {
    const Tensor& saved = ctx.node.saved[0];
    const Tensor dy = ctx.adjoint.value().contiguous();
    const float* xs = saved.data<float>();
    const float* dys = dy.data<float>();
    Tensor dx = Tensor::empty(saved.shape(), DType::f32);
    float* dxs = dx.data<float>();
    const auto factor = static_cast<float>(grad_factor);
    double dscale = 0;
    for (std::int64_t i = 0; i < saved.numel(); ++i) {
      // PyTorch's learnable backward adds Z before rounding (nearbyint(Z + x / S)); its forward after.
      // For an integer Z they differ only when the float sum itself rounds, but we follow it exactly.
      const float q = std::nearbyint(g.zero[0] + xs[i] * g.inv_scale[0]);
      if (q < g.qmin || q > g.qmax) {
        // Outside: y = S (qmin - Z) or S (qmax - Z) does not move with x, but grows with S.
        dxs[i] = 0.0f;
        dscale += static_cast<double>((q < g.qmin ? g.qmin : g.qmax) - g.zero[0]) * dys[i] * factor;
      } else {
        // Inside: y = S (q - Z) with q = round(x / S) + Z: dy/dS = (q - Z) - x / S (round counted as identity).
        dxs[i] = dys[i];
        const float fq = (q - g.zero[0]) * g.scale[0];
        dscale += static_cast<double>((fq - xs[i]) * g.inv_scale[0] * dys[i] * factor);
      }
    }
    const Tensor ds = Tensor::full(ctx.input(1).shape(), dscale, DType::f32);
    return std::vector<Variable>{ctx.needs_grad(0) ? ad::constant(dx) : Variable(),
                                 ctx.needs_grad(1) ? ad::constant(ds) : Variable()};
  });
}

// --- the FakeQuantize module ------------------------------------------------------------------------------

QParams activation_qparams(double lo, double hi, DType dtype, bool symmetric) {
  const auto [s, z] = choose_qparams(lo, hi, dtype, symmetric);
  QParams p;
  p.dtype = dtype;
  p.scale = {s};
  p.zero_point = {z};
  p.axis = -1;
  return p;
}

FakeQuantize::FakeQuantize(FakeQuantOptions options)
    : options_(options), observer_(options.observer, options.bins, options.percentile) {
  qrange(options.dtype);  // i8 or u8, else gb::Error
}

void FakeQuantize::reset_observer(Calibrator method) {
  options_.observer = method;
  observer_ = Observer(method, options_.bins, options_.percentile);
  cache_.reset();
  fixed_.reset();
}

QParams FakeQuantize::qparams() const {
  if (fixed_) return *fixed_;
  if (cache_) return *cache_;
  if (observer_.empty())
    throw Error("FakeQuantize.qparams", "a range observed (train or calibrate on data first)", "nothing observed");
  double lo = observer_.min(), hi = observer_.max();
  const Calibrator m = observer_.method();
  if (m != Calibrator::minmax && m != Calibrator::moving_average) {
    const double t = observer_.threshold();  // a symmetric clipping threshold on |x|
    lo = std::max(lo, -t);
    hi = std::min(hi, t);
  }
  cache_ = activation_qparams(lo, hi, options_.dtype, options_.symmetric);
  return *cache_;
}

Variable FakeQuantize::forward(const Variable& x) {
  if (!x.defined()) throw Error("FakeQuantize", "a defined Variable x", "an undefined Variable");
  if (observing()) {
    observer_.observe(x.value());
    cache_.reset();
  }
  if (!fake_quant_enabled_ || !has_range()) return x;
  return fake_quant(x, qparams());
}

std::string FakeQuantize::describe() const {
  std::ostringstream s;
  s << "FakeQuantize(" << (options_.dtype == DType::u8 ? "uint8" : "int8") << ", "
    << (options_.symmetric ? "symmetric" : "affine") << ", observer=" << calibrator_name(options_.observer);
  if (has_range()) s << ", " << qparams().str();
  s << ")";
  return s.str();
}

}  // namespace gb::quant
