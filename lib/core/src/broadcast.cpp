// broadcast.cpp: NumPy's broadcasting rule, the shape two operands of an elementwise op agree on.
//
// Align the two shapes on the right (a missing leading axis counts as size 1); at each position the
// sizes must be equal, or one of them 1, which stretches to the other:
//   [2, 3] and [3]  -> [2, 3]        [4, 1] and [1, 5] -> [4, 5]
//   [0] and [1]     -> [0]           [2, 3] and [4]    -> error
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"

namespace gb {

Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op) {
  // BEGIN EXERCISE(core.broadcast.shape_rule)
  const std::size_t ndim = a.size() > b.size() ? a.size() : b.size();
  Shape result(ndim);
  for (std::size_t k = 0; k < ndim; ++k) {  // k counts positions from the right
    const std::int64_t size_a = k < a.size() ? a[a.size() - 1 - k] : 1;
    const std::int64_t size_b = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (size_a != size_b && size_a != 1 && size_b != 1) {
      throw Error(op, "shapes that broadcast", shape_str(a) + " and " + shape_str(b));
    }
    result[ndim - 1 - k] = size_a == 1 ? size_b : size_a;
  }
  return result;
  // END EXERCISE
}

}  // namespace gb
