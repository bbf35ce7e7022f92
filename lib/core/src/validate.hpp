// validate.hpp: the checks every public function starts with, so messages read the same everywhere.
#pragma once

#include <string>

#include "gb/core/error.hpp"
#include "gb/core/tensor.hpp"

namespace gb::detail {

// Every op on a default-constructed (undefined) Tensor fails with the same sentence.
inline void require_defined(const Tensor& t, const std::string& op) {
  if (!t.defined()) {
    throw Error(op, "a defined tensor", "an undefined tensor (a default-constructed gb::Tensor)");
  }
}

// Binary ops never promote silently: "add: expected operands of the same dtype, given f32 and i64".
inline void require_same_dtype(const Tensor& a, const Tensor& b, const std::string& op) {
  if (a.dtype() != b.dtype()) {
    throw Error(op, "operands of the same dtype",
                std::string(dtype_name(a.dtype())) + " and " + dtype_name(b.dtype()));
  }
}

}  // namespace gb::detail
