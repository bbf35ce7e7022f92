// shape.hpp: shapes, strides and the two rules every view rests on.
//
// A tensor element with index (i0, i1, ..., ik) lives at  offset + i0*s0 + i1*s1 + ... + ik*sk
// elements from the start of its storage; views (transpose, slice, broadcast) only change the
// offset, the shape and the strides (a broadcast dimension has stride 0). NumPy's broadcasting rule:
// align shapes on the right; two sizes are compatible when equal or when one of them is 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gb {

using Shape = std::vector<std::int64_t>;
using Strides = std::vector<std::int64_t>;  // in elements, not bytes; may be 0 (broadcast) or negative never

std::string shape_str(const Shape& shape);  // "[2, 3]"
std::int64_t shape_numel(const Shape& shape);  // product of the sizes (1 for a scalar shape [])
Strides contiguous_strides(const Shape& shape);  // row-major (C order)

// Exercise core.tensor.strided_offset: offset + sum_k index[k] * strides[k].
// Throws gb::Error when index has the wrong rank or an entry is out of [0, shape[k]).
std::int64_t strided_offset(std::int64_t offset, const Shape& shape, const Strides& strides,
                            const std::vector<std::int64_t>& index);

// Exercise core.broadcast.shape_rule: the shape two operands broadcast to (NumPy rules).
// `op` names the operation for the error message ("add: expected shapes that broadcast, given [2, 3] and [4]").
Shape broadcast_shapes(const Shape& a, const Shape& b, const std::string& op = "broadcast_shapes");

// Normalises a possibly negative axis (-1 = last) into [0, ndim); throws gb::Error naming op.
int normalize_axis(std::int64_t axis, std::size_t ndim, const std::string& op);

}  // namespace gb
