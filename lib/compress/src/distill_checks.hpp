// distill_checks.hpp: the input checks that softmax_with_temperature, soft_target_loss and
// soft_target_grad share (distill.cpp), so each message names the operation that was called.
#pragma once

#include <cmath>
#include <string>
#include <utility>

#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/core/tensor.hpp"

namespace gb::compress::detail {

// T > 0 and finite: T = 0 divides by zero, T < 0 turns the softmax upside down.
inline void check_temperature(const std::string& op, double temperature) {
  if (!(temperature > 0) || !std::isfinite(temperature))
    throw Error(op, "a temperature T > 0 (finite)", "T = " + std::to_string(temperature));
}

// [N, C] f32 logits with N, C >= 1 and no NaN or Inf, as a contiguous tensor.
inline Tensor logits_2d(const std::string& op, const std::string& what, const Tensor& logits) {
  if (!logits.defined()) throw Error(op, what + " as a defined tensor", "an undefined tensor");
  if (logits.dtype() != DType::f32) throw Error(op, what + " of dtype f32", dtype_name(logits.dtype()));
  if (logits.ndim() != 2 || logits.size(0) == 0 || logits.size(1) == 0)
    throw Error(op, what + " of shape [N, C] with N, C >= 1", shape_str(logits.shape()));
  Tensor out = logits.contiguous();
  const float* z = out.data<float>();
  for (std::int64_t i = 0; i < out.numel(); ++i)
    if (!std::isfinite(z[i]))
      throw Error(op, what + " that are finite", std::to_string(z[i]) + " at flat index " + std::to_string(i));
  return out;
}

// The student's and the teacher's logits, checked and of one shape, and the temperature.
inline std::pair<Tensor, Tensor> logit_pair(const std::string& op, const Tensor& student, const Tensor& teacher,
                                            double temperature) {
  check_temperature(op, temperature);
  Tensor s = logits_2d(op, "student logits", student);
  Tensor t = logits_2d(op, "teacher logits", teacher);
  if (s.shape() != t.shape())
    throw Error(op, "teacher logits shaped like the student's, " + shape_str(s.shape()), shape_str(t.shape()));
  return {std::move(s), std::move(t)};
}

}  // namespace gb::compress::detail
