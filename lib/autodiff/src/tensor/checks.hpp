// checks.hpp: the input checks every differentiable op starts with (messages name the op).
#pragma once

#include <string>

#include "gb/autodiff/tensor/variable.hpp"
#include "tensor_math.hpp"

namespace gb::autodiff::detail {

// x is defined and holds f32 or f64 (autodiff differentiates floating tensors only).
inline const Tensor& checked(const Variable& x, const std::string& op) {
  if (!x.defined()) throw Error(op, "a defined Variable", "an undefined Variable (default-constructed)");
  require_floating(x.value(), op);
  return x.value();
}

}  // namespace gb::autodiff::detail
