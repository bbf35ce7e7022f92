// elementwise.cpp: add, sub, mul, div, maximum, minimum, neg and the comparisons, with broadcasting.
//
// A binary op is three steps:
//   1. the output shape is broadcast_shapes(a.shape, b.shape)    (the rule of lesson 00-tour);
//   2. both operands are viewed at that shape with broadcast_to   (stride 0 on stretched axes, no copy);
//   3. one strided_loop walks the three operands together and applies the scalar function.
// Integer semantics follow NumPy: +, -, * wrap around (computed in unsigned arithmetic, where
// wrapping is defined, instead of signed where overflow is undefined behaviour); / floors like //.
#include <cmath>
#include <type_traits>

#include "gb/core/ops.hpp"
#include "convert.hpp"
#include "strided_loop.hpp"
#include "validate.hpp"

namespace gb {

namespace {

// Wrapping integer arithmetic: do it on the unsigned type of the same width, then convert back
// (modulo 2^bits since C++20). Floats use plain IEEE arithmetic.
template <class T, class F> T wrapping(T x, T y, F f) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(f(static_cast<U>(x), static_cast<U>(y))));
  } else {
    return f(x, y);
  }
}

// Integer division rounds toward minus infinity, like Python and NumPy: -7 // 2 == -4.
template <class T> T floor_divide(T x, T y) {
  if (y == 0) throw Error("div", "a divisor without zeros (integer division by zero)", "a zero divisor");
  if constexpr (std::is_signed_v<T>) {
    if (y == -1) return wrapping(T{0}, x, [](auto p, auto q) { return p - q; });  // MIN / -1 wraps to MIN
    T quotient = static_cast<T>(x / y);
    if (x % y != 0 && ((x < 0) != (y < 0))) quotient = static_cast<T>(quotient - 1);
    return quotient;
  } else {
    return static_cast<T>(x / y);
  }
}

// NumPy's maximum/minimum propagate NaN: if either value is NaN, so is the result.
template <class T> bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  return false;
}

enum class Result { same_dtype, u8 };  // arithmetic keeps the dtype; comparisons give u8

// The three steps of a binary op; `scalar` is a generic lambda applied to each pair of elements.
template <class Scalar>
Tensor binary_op(const char* op, const Tensor& a, const Tensor& b, Result result, Scalar scalar) {
  detail::require_defined(a, op);
  detail::require_defined(b, op);
  detail::require_same_dtype(a, b, op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  const Tensor lhs = a.broadcast_to(shape);
  const Tensor rhs = b.broadcast_to(shape);
  Tensor out = Tensor::empty(shape, result == Result::u8 ? DType::u8 : a.dtype());
  dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = lhs.data<T>();
    const T* y = rhs.data<T>();
    auto write = [&](auto* z) {
      detail::strided_loop<3>(shape, {lhs.strides(), rhs.strides(), out.strides()}, [&](const auto& at) {
        z[at[2]] = static_cast<std::remove_pointer_t<decltype(z)>>(scalar(x[at[0]], y[at[1]]));
      });
    };
    if (result == Result::u8) write(out.data<std::uint8_t>());
    else write(out.data<T>());
  });
  return out;
}

}  // namespace

// --- arithmetic ---------------------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op("add", a, b, Result::same_dtype,
                   [](auto x, auto y) { return wrapping(x, y, [](auto p, auto q) { return p + q; }); });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op("sub", a, b, Result::same_dtype,
                   [](auto x, auto y) { return wrapping(x, y, [](auto p, auto q) { return p - q; }); });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op("mul", a, b, Result::same_dtype,
                   [](auto x, auto y) { return wrapping(x, y, [](auto p, auto q) { return p * q; }); });
}

// Floats follow IEEE 754 (1/0 = inf, 0/0 = nan); integers floor and refuse a zero divisor.
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op("div", a, b, Result::same_dtype, [](auto x, auto y) {
    if constexpr (std::is_integral_v<decltype(x)>) return floor_divide(x, y);
    else return x / y;
  });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op("maximum", a, b, Result::same_dtype, [](auto x, auto y) {
    if (is_nan(x) || is_nan(y)) return is_nan(x) ? x : y;
    return x < y ? y : x;
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op("minimum", a, b, Result::same_dtype, [](auto x, auto y) {
    if (is_nan(x) || is_nan(y)) return is_nan(x) ? x : y;
    return y < x ? y : x;
  });
}

Tensor neg(const Tensor& a) {
  detail::require_defined(a, "neg");
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.data<T>();
    T* z = out.data<T>();
    detail::strided_loop<2>(a.shape(), {a.strides(), out.strides()}, [&](const auto& at) {
      z[at[1]] = wrapping(T{0}, x[at[0]], [](auto p, auto q) { return p - q; });
    });
  });
  return out;
}

// --- comparisons: u8 results, 1 for true; NaN compares unequal to everything (IEEE) --------------

Tensor eq(const Tensor& a, const Tensor& b) {
  return binary_op("eq", a, b, Result::u8, [](auto x, auto y) { return x == y; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return binary_op("ne", a, b, Result::u8, [](auto x, auto y) { return x != y; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return binary_op("lt", a, b, Result::u8, [](auto x, auto y) { return x < y; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return binary_op("le", a, b, Result::u8, [](auto x, auto y) { return x <= y; });
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return binary_op("gt", a, b, Result::u8, [](auto x, auto y) { return x > y; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return binary_op("ge", a, b, Result::u8, [](auto x, auto y) { return x >= y; });
}

// --- allclose: the test helper -------------------------------------------------------------------

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  detail::require_defined(a, "allclose");
  detail::require_defined(b, "allclose");
  if (a.shape() != b.shape()) return false;
  const std::vector<double> x = a.to_vector();
  const std::vector<double> y = b.to_vector();
  for (std::size_t i = 0; i < x.size(); ++i) {
    // Infinities are close only to the same infinity (as in NumPy); NaN is never close, because
    // every comparison with NaN is false.
    if (std::isinf(x[i]) || std::isinf(y[i])) {
      if (x[i] != y[i]) return false;
    } else if (!(std::fabs(x[i] - y[i]) <= atol + rtol * std::fabs(y[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace gb
