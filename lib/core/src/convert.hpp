// convert.hpp: converting one element value to another C++ type without undefined behaviour.
//
// C++ leaves float -> int undefined when the value does not fit (and for NaN), so we define it:
//   float -> int   truncates toward zero, saturates at the type's limits, NaN -> 0;
//   int -> int     wraps around (modulo 2^bits, like NumPy's astype; defined since C++20);
//   f64 -> f32     rounds to nearest, out-of-range values become +-inf (as IEEE 754 does);
//   int -> float   rounds to nearest.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

namespace gb::detail {

template <class To, class From> To convert_value(From x) {
  if constexpr (std::is_floating_point_v<To>) {
    if constexpr (std::is_floating_point_v<From> && sizeof(From) > sizeof(To)) {
      if (std::isfinite(x) && std::fabs(x) > static_cast<From>(std::numeric_limits<To>::max())) {
        const To infinity = std::numeric_limits<To>::infinity();
        return x > 0 ? infinity : -infinity;
      }
    }
    return static_cast<To>(x);
  } else if constexpr (std::is_floating_point_v<From>) {
    const double value = static_cast<double>(x);
    if (std::isnan(value)) return To{0};
    // Both bounds are exact in double: lowest() is -2^(bits-1) or 0, and max() + 1 is a power of 2.
    const double low = static_cast<double>(std::numeric_limits<To>::lowest());
    const double high_exclusive = static_cast<double>(std::numeric_limits<To>::max()) + 1.0;
    if (value <= low) return std::numeric_limits<To>::lowest();
    if (value >= high_exclusive) return std::numeric_limits<To>::max();
    return static_cast<To>(value);  // in range: truncates toward zero
  } else {
    return static_cast<To>(x);  // integer -> integer: modular since C++20
  }
}

}  // namespace gb::detail
