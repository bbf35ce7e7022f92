// ops_common.cpp: what every op family shares: broadcasting of (dynamic) shapes at inference time,
// dtype checks, and reduce_like, the one way a VJP undoes broadcasting.
#include "internal.hpp"

namespace gb::graph {

std::string infos_str(const std::vector<ValueInfo>& infos) {
  std::string out;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == infos.size() ? " and " : ", ") + info_str(infos[i]);
  }
  return out;
}

// NumPy's rule, aligned on the right; a dynamic size (-1) takes the other size unless that is 1.
Shape broadcast_infos(const std::string& op, const ValueInfo& a, const ValueInfo& b) {
  const std::size_t rank = std::max(a.shape.size(), b.shape.size());
  Shape out(rank, 1);
  for (std::size_t k = 0; k < rank; ++k) {
    const std::size_t from_end = rank - 1 - k;
    const std::int64_t x = from_end < a.shape.size() ? a.shape[a.shape.size() - 1 - from_end] : 1;
    const std::int64_t y = from_end < b.shape.size() ? b.shape[b.shape.size() - 1 - from_end] : 1;
    if (x == y || y == 1) {
      out[k] = x;
    } else if (x == 1) {
      out[k] = y;
    } else if (x == -1 || y == -1) {
      out[k] = x == -1 ? y : x;  // the known size; the run time check is the kernel's
    } else {
      throw Error(op, "shapes that broadcast", infos_str({a, b}));
    }
  }
  return out;
}

}  // namespace gb::graph

namespace gb::graph::detail {

void require_same_dtype(const std::string& op, const ValueInfo& a, const ValueInfo& b) {
  if (a.dtype != b.dtype) throw Error(op, "operands of the same dtype", infos_str({a, b}));
}

void require_floating_info(const std::string& op, const ValueInfo& a) {
  if (!is_floating(a.dtype)) throw Error(op, "a floating operand (f32 or f64)", info_str(a));
}

namespace {
bool is_static(const ValueInfo& info) {
  for (std::int64_t d : info.shape) {
    if (d < 0) return false;
  }
  return true;
}
}  // namespace

ValueId reduce_like(const VjpContext& ctx, ValueId grad, ValueId like) {
  const ValueInfo& g = ctx.graph.value(grad).info;
  const ValueInfo& x = ctx.graph.value(like).info;
  if (g == x && is_static(x)) return grad;  // no broadcasting happened: nothing to sum
  return ctx.emit("sum_to_like", {grad, like});
}

}  // namespace gb::graph::detail
