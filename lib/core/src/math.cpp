// math.cpp: argument checks and sum_to_shape (see math.hpp).
#include "gb/core/math.hpp"

#include <algorithm>

#include "gb/core/ops.hpp"

namespace gb {

void require_defined(const Tensor& t, const std::string& op) {
  if (!t.defined()) throw Error(op, "a defined tensor", "an undefined tensor");
}

void require_floating(const Tensor& t, const std::string& op) {
  require_defined(t, op);
  if (!is_floating(t.dtype())) {
    throw Error(op, "a floating tensor (f32 or f64)", std::string("dtype ") + dtype_name(t.dtype()));
  }
}

Tensor sum_to_shape(const Tensor& t, const Shape& shape, const std::string& op) {
  require_defined(t, op);
  if (t.shape() == shape) return t;
  const Shape& from = t.shape();
  bool fits = shape.size() <= from.size();
  const std::size_t lead = fits ? from.size() - shape.size() : 0;
  std::vector<std::int64_t> axes;
  for (std::size_t k = 0; fits && k < from.size(); ++k) {
    if (k < lead) {
      axes.push_back(static_cast<std::int64_t>(k));  // an axis broadcasting added in front
    } else if (shape[k - lead] == 1 && from[k] != 1) {
      axes.push_back(static_cast<std::int64_t>(k));  // an axis broadcasting stretched from 1
    } else if (shape[k - lead] != from[k]) {
      fits = false;
    }
  }
  if (!fits) {
    throw Error(op, "a shape that broadcasts to " + shape_str(from), shape_str(shape));
  }
  return gb::sum(t, axes, /*keepdim=*/true).reshape(shape);
}

Shape kept_shape(const Shape& shape, const std::vector<std::int64_t>& axes, const std::string& op) {
  Shape kept = shape;
  if (axes.empty()) {
    std::fill(kept.begin(), kept.end(), 1);
    return kept;
  }
  for (std::int64_t axis : axes) kept[static_cast<std::size_t>(normalize_axis(axis, shape.size(), op))] = 1;
  return kept;
}

}  // namespace gb
