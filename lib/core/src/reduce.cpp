// reduce.cpp: sum, mean, max over chosen axes, and argmax along one axis.
//
// A reduction is broadcasting run backwards. The result, kept at full rank ("keepdim" shape: reduced
// axes of size 1), is viewed at the input's shape with stride 0 along the reduced axes; then one
// strided_loop over the input visits every element together with the accumulator it folds into:
//     for every index i of t:   accumulator[i with reduced axes set to 0]  (+)=  t[i]
#include <cmath>
#include <limits>
#include <type_traits>

#include "gb/core/ops.hpp"
#include "convert.hpp"
#include "strided_loop.hpp"
#include "validate.hpp"

namespace gb {

namespace {

struct ReductionPlan {
  Shape kept_shape;           // the input shape with reduced axes set to 1
  Shape out_shape;            // kept_shape, or without the reduced axes when !keepdim
  Strides accumulator_strides;  // row-major strides of kept_shape, 0 along reduced axes
  std::int64_t count = 1;     // how many elements fold into each accumulator
};

ReductionPlan plan_reduction(const char* op, const Tensor& t, const std::vector<std::int64_t>& axes,
                             bool keepdim) {
  detail::require_defined(t, op);
  std::vector<bool> reduced(t.ndim(), axes.empty());  // no axes given: reduce over all of them
  for (std::int64_t axis : axes) {
    const auto k = static_cast<std::size_t>(normalize_axis(axis, t.ndim(), op));
    if (reduced[k]) throw Error(op, "distinct axes", "axes " + shape_str(axes));
    reduced[k] = true;
  }
  ReductionPlan plan;
  plan.kept_shape = t.shape();
  for (std::size_t k = 0; k < t.ndim(); ++k) {
    if (!reduced[k]) continue;
    plan.count *= t.shape()[k];
    plan.kept_shape[k] = 1;
  }
  plan.accumulator_strides = contiguous_strides(plan.kept_shape);
  for (std::size_t k = 0; k < t.ndim(); ++k) {
    if (reduced[k]) plan.accumulator_strides[k] = 0;
    if (keepdim || !reduced[k]) plan.out_shape.push_back(plan.kept_shape[k]);
  }
  return plan;
}

// Folds every element of t into its accumulator: step(accumulator, value).
template <class T, class Acc, class Step>
std::vector<Acc> fold(const Tensor& t, const ReductionPlan& plan, Acc init, Step step) {
  std::vector<Acc> accumulators(static_cast<std::size_t>(shape_numel(plan.kept_shape)), init);
  const T* in = t.data<T>();
  detail::strided_loop<2>(t.shape(), {t.strides(), plan.accumulator_strides},
                          [&](const auto& at) { step(accumulators[static_cast<std::size_t>(at[1])], in[at[0]]); });
  return accumulators;
}

// The result tensor, in the output dtype, from the accumulators (already in row-major order).
template <class Acc> Tensor finish(const ReductionPlan& plan, const std::vector<Acc>& accumulators, DType dtype) {
  Tensor out = Tensor::empty(plan.out_shape, dtype);
  dispatch_dtype(dtype, [&](auto tag) {
    using Out = decltype(tag);
    Out* z = out.data<Out>();
    for (std::size_t i = 0; i < accumulators.size(); ++i) z[i] = detail::convert_value<Out>(accumulators[i]);
  });
  return out;
}

template <class T> bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  return false;
}

}  // namespace

// Floats accumulate in double and keep their dtype; integers accumulate in 64 bits and give i64
// (wrapping on overflow, done in unsigned arithmetic). The sum of nothing is 0.
Tensor sum(const Tensor& t, const std::vector<std::int64_t>& axes, bool keepdim) {
  const ReductionPlan plan = plan_reduction("sum", t, axes, keepdim);
  return dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      return finish(plan, fold<T>(t, plan, 0.0, [](double& acc, T x) { acc += x; }), t.dtype());
    } else {
      const auto wrapped = fold<T>(t, plan, std::uint64_t{0}, [](std::uint64_t& acc, T x) {
        acc += static_cast<std::uint64_t>(static_cast<std::int64_t>(x));
      });
      return finish(plan, std::vector<std::int64_t>(wrapped.begin(), wrapped.end()), DType::i64);
    }
  });
}

// Sum in double divided by the count; integers give f64. The mean of nothing is NaN (like NumPy).
Tensor mean(const Tensor& t, const std::vector<std::int64_t>& axes, bool keepdim) {
  const ReductionPlan plan = plan_reduction("mean", t, axes, keepdim);
  const DType dtype = is_floating(t.dtype()) ? t.dtype() : DType::f64;
  return dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<double> sums = fold<T>(t, plan, 0.0, [](double& acc, T x) { acc += static_cast<double>(x); });
    for (double& s : sums) {
      s = plan.count == 0 ? std::numeric_limits<double>::quiet_NaN() : s / static_cast<double>(plan.count);
    }
    return finish(plan, sums, dtype);
  });
}

// Keeps the dtype. A NaN anywhere in the reduced elements makes the result NaN (NumPy's max).
Tensor max(const Tensor& t, const std::vector<std::int64_t>& axes, bool keepdim) {
  const ReductionPlan plan = plan_reduction("max", t, axes, keepdim);
  if (plan.count == 0) {
    throw Error("max", "a non-empty set of elements to reduce (max has no identity)",
                "shape " + shape_str(t.shape()) + " reduced over axes " + shape_str(axes));
  }
  return dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T lowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                          : std::numeric_limits<T>::lowest();
    return finish(plan, fold<T>(t, plan, lowest, [](T& acc, T x) {
                    if (!is_nan(acc) && (is_nan(x) || x > acc)) acc = x;
                  }), t.dtype());
  });
}

// The index (i64) of the first maximum along `axis`; the first NaN counts as the maximum (NumPy).
Tensor argmax(const Tensor& t, std::int64_t axis, bool keepdim) {
  detail::require_defined(t, "argmax");
  const auto k = static_cast<std::size_t>(normalize_axis(axis, t.ndim(), "argmax"));
  const std::int64_t length = t.shape()[k];
  if (length == 0) {
    throw Error("argmax", "a non-empty axis to search", "axis " + std::to_string(axis) +
                                                            " of size 0 in shape " + shape_str(t.shape()));
  }
  // Walk the other axes with strided_loop; search along axis k with its stride.
  Shape outer_shape = t.shape();
  Strides outer_strides = t.strides();
  outer_shape.erase(outer_shape.begin() + static_cast<std::ptrdiff_t>(k));
  outer_strides.erase(outer_strides.begin() + static_cast<std::ptrdiff_t>(k));
  const std::int64_t step = t.strides()[k];
  Tensor out = Tensor::empty(outer_shape, DType::i64);
  std::int64_t* z = out.data<std::int64_t>();
  dispatch_dtype(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = t.data<T>();
    detail::strided_loop<2>(outer_shape, {outer_strides, out.strides()}, [&](const auto& at) {
      std::int64_t best = 0;
      T best_value = in[at[0]];
      for (std::int64_t i = 1; i < length && !is_nan(best_value); ++i) {
        const T x = in[at[0] + i * step];
        if (is_nan(x) || x > best_value) {
          best = i;
          best_value = x;
        }
      }
      z[at[1]] = best;
    });
  });
  return keepdim ? out.unsqueeze(static_cast<std::int64_t>(k)) : out;
}

}  // namespace gb
