// print.hpp: readable printing, NumPy style, with the shape and dtype written out.
//   tensor([[0, 1, 2],
//           [3, 4, 5]], shape=[2, 3], dtype=f32)
// Large tensors are summarised with "..." (first and last 3 entries per axis beyond 1000 elements).
#pragma once

#include <iosfwd>
#include <string>

#include "gb/core/tensor.hpp"

namespace gb {

std::string to_string(const Tensor& t);
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace gb
