// vjp_activation.cpp: relu, sigmoid, tanh, exp, log, gelu and their VJP rules.
//
// Each value is computed in one pass over the elements; each VJP multiplies the adjoint g by the
// derivative, written with differentiable ops so that second derivatives work (create_graph):
//   relu:    g * [x > 0]                      (the mask is a constant: relu'' = 0 almost everywhere)
//   sigmoid: g * y (1 - y)                    (y = the output, saved)
//   tanh:    g * (1 - y^2)
//   exp:     g * y
//   log:     g / x
//   gelu:    g * (0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2)),  t = tanh(c (x + k x^3)),
//            c = sqrt(2 / pi), k = 0.044715 (the tanh approximation of Hendrycks & Gimpel 2016)
#include <cmath>
#include <numbers>

#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

using detail::checked;

namespace {

constexpr double kGeluC = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kGeluK = 0.044715;

double sigmoid_of(double v) {  // never exp of a large positive number
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

double gelu_of(double v) { return 0.5 * v * (1.0 + std::tanh(kGeluC * (v + kGeluK * v * v * v))); }

Variable one(const Variable& like) { return scalar_like(like, 1.0); }

}  // namespace

Variable relu(const Variable& x) {
  const Tensor& t = checked(x, "relu");
  return record_op("relu", detail::map(t, "relu", [](double v) { return v > 0 ? v : 0.0; }), {x}, {t},
                   [](const VjpContext& ctx) {
                     Variable mask = constant(detail::positive_mask(ctx.input(0).value()));
                     return std::vector<Variable>{mul(ctx.adjoint, mask)};
                   });
}

Variable sigmoid(const Variable& x) {
  Tensor y = detail::map(checked(x, "sigmoid"), "sigmoid", sigmoid_of);
  return record_op("sigmoid", y, {x}, {y}, [](const VjpContext& ctx) {
    const Variable& s = ctx.output;
    return std::vector<Variable>{mul(ctx.adjoint, mul(s, sub(one(s), s)))};
  });
}

Variable tanh(const Variable& x) {
  Tensor y = detail::map(checked(x, "tanh"), "tanh", [](double v) { return std::tanh(v); });
  return record_op("tanh", y, {x}, {y}, [](const VjpContext& ctx) {
    const Variable& t = ctx.output;
    return std::vector<Variable>{mul(ctx.adjoint, sub(one(t), mul(t, t)))};
  });
}

Variable exp(const Variable& x) {
  Tensor y = detail::map(checked(x, "exp"), "exp", [](double v) { return std::exp(v); });
  return record_op("exp", y, {x}, {y},
                   [](const VjpContext& ctx) { return std::vector<Variable>{mul(ctx.adjoint, ctx.output)}; });
}

Variable log(const Variable& x) {
  const Tensor& t = checked(x, "log");
  return record_op("log", detail::map(t, "log", [](double v) { return std::log(v); }), {x}, {t},
                   [](const VjpContext& ctx) { return std::vector<Variable>{div(ctx.adjoint, ctx.input(0))}; });
}

Variable gelu(const Variable& x) {
  const Tensor& t = checked(x, "gelu");
  return record_op("gelu", detail::map(t, "gelu", gelu_of), {x}, {t}, [](const VjpContext& ctx) {
    const Variable& v = ctx.input(0);
    auto c = [&](double value) { return scalar_like(v, value); };
    Variable v2 = mul(v, v);
    Variable th = tanh(mul(c(kGeluC), add(v, mul(c(kGeluK), mul(v2, v)))));
    Variable left = mul(c(0.5), add(c(1.0), th));
    Variable right = mul(mul(c(0.5 * kGeluC), v), mul(sub(c(1.0), mul(th, th)), add(c(1.0), mul(c(3 * kGeluK), v2))));
    return std::vector<Variable>{mul(ctx.adjoint, add(left, right))};
  });
}

}  // namespace gb::autodiff
