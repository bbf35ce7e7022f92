// basic_inverse.cpp: pairs of nodes that undo or repeat each other (lesson 17, basic stage).
//
// Each rule matches at the outer node (the root) and looks up its input's producer in the source graph:
//   Transpose(Transpose(x, p), q)   y[i] = x's axis p[q[i]]: the composed permutation r = p o q.
//                                   r = identity -> x ("transpose_inverse_pair": layout conversions that
//                                   cancel, NCHW -> NHWC -> NCHW); otherwise one Transpose(x, r)
//                                   ("transpose_composition").
//   Reshape(Reshape(x, s1), s2)     -> Reshape(x, s2) when s2 is known and has no 0 (a 0 copies a size
//                                   of the inner result, which x may not have; with allowzero = 1 a 0 is
//                                   a plain size). -1 only depends on the element count: unchanged.
//   Squeeze(Unsqueeze(x, a), a)     -> x: the axes inserted are the axes removed (both normalised
//                                   against the rank of the Unsqueeze result).
//   Unsqueeze(Squeeze(x, a), a)     -> x when x's sizes at a are statically 1 (otherwise Squeeze's check
//                                   that they are 1 would be lost).
//   QuantizeLinear(DequantizeLinear(q, s, z), s, z) -> q: with the same (constant) scale s and zero point
//                                   z, round((q - z) * s / s) + z = q exactly: |q - z| <= 255, so the two
//                                   float32 roundings move (q - z) by far less than 1/2, provided s is a
//                                   normal float with 255 s finite (checked), and the result keeps q's dtype.
//   DequantizeLinear(QuantizeLinear(x)) is NOT removed: it rounds x to the quantization grid; that
//                                   rounding is the model's (quantization-aware training put it there).
// The inner node is not touched: if nothing else reads it, dead-code elimination removes it; if
// something does, it stays (and the pair still saves the outer node's work). A Rewrite lists the inner
// node among `before` only when the outer node was its single consumer.
#include <cfloat>
#include <cmath>

#include "basic_internal.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace {

using basic::ints_str;

// The source nodes a pair consumes: the outer one, and the inner one when nothing else reads it.
std::vector<NodeId> consumed(const Rewriter& rw, const Node& inner, const Node& outer) {
  if (rw.single_consumer(outer.inputs[0])) return {inner.id, outer.id};
  return {outer.id};
}

// The inner node of a pair: the producer of the outer node's first input when its op is `op`.
const Node* inner_of(const Rewriter& rw, const Node& outer, const std::string& op) {
  if (outer.inputs.empty()) return nullptr;
  const Node& p = rw.producer(outer.inputs[0]);
  return p.op == op && !p.inputs.empty() ? &p : nullptr;
}

std::size_t rank_of(const Rewriter& rw, ValueId v) { return rw.source().value(v).info.shape.size(); }

bool transpose_pair(Rewriter& rw, const Node& n, std::vector<Rewrite>& log) {
  const Node* inner = inner_of(rw, n, "Transpose");
  if (inner == nullptr) return false;
  const std::vector<std::int64_t> p = basic::transpose_perm(*inner, rank_of(rw, inner->inputs[0]));
  const std::vector<std::int64_t> q = basic::transpose_perm(n, rank_of(rw, n.inputs[0]));
  if (p.size() != q.size()) return false;
  std::vector<std::int64_t> r(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (q[i] < 0 || q[i] >= static_cast<std::int64_t>(p.size())) return false;
    r[i] = p[static_cast<std::size_t>(q[i])];
  }
  const ValueId x = rw.map(inner->inputs[0]);
  const std::string pq = "perm " + ints_str(p) + " then " + ints_str(q);
  if (basic::is_identity_perm(r)) {
    basic::forward(rw, n.outputs[0], x);
    log.push_back({"transpose_inverse_pair", consumed(rw, *inner, n), {}, pq + " compose to the identity: x itself"});
    return true;
  }
  graph::Attributes attrs = n.attrs;
  attrs["perm"] = r;
  const ValueId y = rw.emit1("Transpose", {x}, std::move(attrs), n.name, n.id);
  basic::forward(rw, n.outputs[0], y);
  log.push_back({"transpose_composition", consumed(rw, *inner, n), {rw.target().value(y).producer},
                 pq + " = one Transpose with perm " + ints_str(r)});
  return true;
}

bool reshape_pair(Rewriter& rw, const Node& n, std::vector<Rewrite>& log) {
  const Node* inner = inner_of(rw, n, "Reshape");
  if (inner == nullptr) return false;
  const auto outer_shape = basic::ints_input_or_attr(rw, n, 1, "shape");
  const bool allowzero = n.has_attr("allowzero") && n.attr_int("allowzero") != 0;
  if (!outer_shape) return false;
  for (std::int64_t s : *outer_shape) {
    if (s == 0 && !allowzero) return false;
  }
  std::vector<ValueId> inputs{rw.map(inner->inputs[0])};
  if (n.inputs.size() > 1) inputs.push_back(rw.map(n.inputs[1]));
  const ValueId y = rw.emit1("Reshape", inputs, n.attrs, n.name, n.id);
  basic::forward(rw, n.outputs[0], y);
  log.push_back({"reshape_pair", consumed(rw, *inner, n), {rw.target().value(y).producer},
                 basic::info_of(rw.source(), inner->inputs[0]) + " -> " + basic::info_of(rw.source(), inner->outputs[0]) +
                     " -> " + ints_str(*outer_shape) + ": one Reshape to " + ints_str(*outer_shape)});
  return true;
}

// Squeeze(Unsqueeze(x, a), a) and Unsqueeze(Squeeze(x, a), a): `inner_op` is the inner node's op.
bool axes_pair(Rewriter& rw, const Node& n, const std::string& inner_op, std::vector<Rewrite>& log) {
  const Node* inner = inner_of(rw, n, inner_op);
  if (inner == nullptr) return false;
  const auto outer_axes = basic::ints_input_or_attr(rw, n, 1, "axes");
  const auto inner_axes = basic::ints_input_or_attr(rw, *inner, 1, "axes");
  if (!outer_axes || !inner_axes) return false;  // Squeeze without axes drops whatever is 1: not an inverse
  // Both lists name axes of the larger-rank tensor: the Unsqueeze's output, the Squeeze's input.
  const ValueId wide = inner_op == "Unsqueeze" ? n.inputs[0] : inner->inputs[0];
  const auto rank = static_cast<std::int64_t>(rank_of(rw, wide));
  const auto a = basic::normalized_axes(*inner_axes, rank), b = basic::normalized_axes(*outer_axes, rank);
  if (!a || !b || *a != *b) return false;
  if (inner_op == "Squeeze") {
    const Shape& x = rw.source().value(wide).info.shape;
    for (std::int64_t axis : *a) {
      if (x[static_cast<std::size_t>(axis)] != 1) return false;  // Squeeze's size-1 check must stay
    }
  }
  basic::forward(rw, n.outputs[0], rw.map(inner->inputs[0]));
  log.push_back({inner_op == "Unsqueeze" ? "squeeze_unsqueeze_pair" : "unsqueeze_squeeze_pair", consumed(rw, *inner, n), {},
                 n.op + "(" + inner_op + "(x, axes " + ints_str(*a) + "), the same axes) = x " +
                     basic::info_of(rw.source(), inner->inputs[0])});
  return true;
}

// Two optional operands are the same: both absent, the same value, or constants with the same bytes.
bool same_operand(const Rewriter& rw, const Node& a, const Node& b, std::size_t index) {
  const bool ha = a.inputs.size() > index, hb = b.inputs.size() > index;
  if (!ha || !hb) return ha == hb;
  if (a.inputs[index] == b.inputs[index]) return true;
  const Tensor *ta = rw.constant_value(a.inputs[index]), *tb = rw.constant_value(b.inputs[index]);
  return ta != nullptr && tb != nullptr && basic::same_tensor(*ta, *tb);
}

bool quantize_dequantize(Rewriter& rw, const Node& n, std::vector<Rewrite>& log) {
  const Node* dq = inner_of(rw, n, "DequantizeLinear");
  if (dq == nullptr || n.inputs.size() < 2 || dq->inputs.size() < 2) return false;
  const Graph& g = rw.source();
  const ValueId q = dq->inputs[0];
  if (g.value(q).info.dtype != g.value(n.outputs[0]).info.dtype) return false;  // Q makes q's integer type
  if (!same_operand(rw, *dq, n, 1) || !same_operand(rw, *dq, n, 2)) return false;
  const Tensor* scale = rw.constant_value(n.inputs[1]);
  if (scale == nullptr || scale->numel() < 1) return false;
  for (double s : scale->to_vector()) {
    const auto f = static_cast<float>(s);
    if (!(f >= FLT_MIN) || !(f <= FLT_MAX / 256.0f)) return false;  // normal, and 255 s stays finite
  }
  if (scale->numel() > 1) {  // per channel: both along the same axis
    const auto rank = static_cast<std::int64_t>(rank_of(rw, q));
    const std::int64_t qa = n.has_attr("axis") ? n.attr_int("axis") : 1, da = dq->has_attr("axis") ? dq->attr_int("axis") : 1;
    const auto axes = basic::normalized_axes({qa, da}, rank);
    if (!axes || (*axes)[0] != (*axes)[1]) return false;
  }
  basic::forward(rw, n.outputs[0], rw.map(q));
  log.push_back({"quantize_dequantize_pair", consumed(rw, *dq, n), {},
                 "QuantizeLinear(DequantizeLinear(q)) with the same scale (" + std::to_string(scale->numel()) +
                     (scale->numel() == 1 ? " value, " : " values, ") + std::to_string(scale->at(std::vector<std::int64_t>(scale->ndim(), 0))) +
                     (scale->numel() > 1 ? ", ..." : "") + ") and zero point: round((q - z) s / s) + z = q, " +
                     basic::info_of(g, q)});
  return true;
}

bool inverse_pair(Rewriter& rw, const Node& n, std::vector<Rewrite>& log) {
  if (n.op == "Transpose") return transpose_pair(rw, n, log);
  if (n.op == "Reshape") return reshape_pair(rw, n, log);
  if (n.op == "Squeeze") return axes_pair(rw, n, "Unsqueeze", log);
  if (n.op == "Unsqueeze") return axes_pair(rw, n, "Squeeze", log);
  if (n.op == "QuantizeLinear") return quantize_dequantize(rw, n, log);
  return false;
}

}  // namespace

Pass inverse_pairs() {
  return Pass{"inverse_pairs", "basic",
              "cancels Transpose pairs (or composes them), merges Reshape pairs, cancels Squeeze/Unsqueeze "
              "and QuantizeLinear(DequantizeLinear(q)) with equal parameters",
              [](const Graph& g, std::vector<Rewrite>& log) { return basic::rebuild(g, log, inverse_pair); }};
}

}  // namespace gb::passes
