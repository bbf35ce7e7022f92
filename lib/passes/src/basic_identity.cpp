// basic_identity.cpp: removing nodes that return their input (lesson 17, basic stage).
//
// Exported models are full of nodes that compute nothing at inference:
//   Identity(x)                         -> x   (an exporter's renaming)
//   Dropout(x)                          -> x   (inference: nothing is dropped, nothing rescaled) when its
//                                              mask output is unread and training_mode is absent or 0
//   Reshape(x, s) with s resolving to x's static shape   -> x   (0 copies a size, -1 is inferred)
//   Transpose(x) with the identity permutation            -> x
//   Concat(x) of a single input                           -> x
//   Add(x, 0), Add(0, x), Sub(x, 0), Mul(x, 1), Mul(1, x), Div(x, 1)   -> x
//       when the constant holds only that value, has x's dtype, and broadcasting it does not change
//       x's shape (each of its sizes is 1 or x's known size).
// Shapes are read in the target graph (the input as already rewritten), so Reshape(Reshape(x)) chains
// whose middle shape only becomes static once the first is removed still go in one pass.
// The node is not copied and its consumers read x (Rewriter::replace). If its output was a graph output,
// the output is now x; the name stays (basic::forward) unless x is a graph input, whose name wins.
//
// Exactness: every rule gives the same bits, except that x + 0 turns -0.0 into +0.0 (equal as numbers;
// x + (-0.0) and x - 0 are exact). x / 1, x * 1 are exact in IEEE arithmetic, NaN and infinities included.
#include "basic_internal.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace {

using basic::ints_str;

// Reshape's requested sizes resolved against a static input shape, as the ONNX kernel does; nullopt
// when they are invalid (the kernel would throw: leave the node so it still does).
std::optional<Shape> resolve_reshape(const Shape& in, const std::vector<std::int64_t>& requested, bool allowzero) {
  Shape out(requested.size());
  std::int64_t known = 1, inferred = -1;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const std::int64_t r = requested[i];
    if (r == -1 && inferred < 0) {
      inferred = static_cast<std::int64_t>(i);
      continue;
    }
    if (r < 0) return std::nullopt;
    if (r == 0 && !allowzero) {
      if (i >= in.size()) return std::nullopt;
      out[i] = in[i];
    } else {
      out[i] = r;
    }
    known *= out[i];
  }
  const std::int64_t total = shape_numel(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) return std::nullopt;
    out[static_cast<std::size_t>(inferred)] = total / known;
  } else if (known != total) {
    return std::nullopt;
  }
  return out;
}

// What the target knows about source value v: its mapped value's info. A rule earlier in this pass may
// have replaced v's producer by its input, whose shape is often better known (Reshape's result is all -1
// when its shape is an input; the tensor it reshaped may be static).
const graph::ValueInfo& known_info(Rewriter& rw, ValueId v) { return rw.target().value(rw.map(v)).info; }

// Whether a constant holds only `neutral` and broadcasting it against x leaves x's shape and dtype.
bool is_neutral_operand(Rewriter& rw, ValueId constant, ValueId x, double neutral) {
  const Tensor* c = rw.constant_value(constant);
  const graph::ValueInfo& xi = known_info(rw, x);
  if (c == nullptr || c->dtype() != xi.dtype || c->ndim() > xi.shape.size()) return false;
  const std::size_t lead = xi.shape.size() - c->ndim();
  for (std::size_t d = 0; d < c->ndim(); ++d) {
    const std::int64_t cs = c->shape()[d], xs = xi.shape[lead + d];
    if (cs != 1 && !(xs >= 0 && cs == xs)) return false;
  }
  for (double v : c->to_vector()) {
    if (v != neutral) return false;
  }
  return true;
}

// The input whose value node n returns unchanged, with a one-line reason; nullopt when n computes.
struct PassThrough {
  ValueId input;
  std::string rule, detail;
};

// x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1 (x - 0 and x / 1 only with the constant on the right).
std::optional<PassThrough> arithmetic_pass_through(Rewriter& rw, const Node& n) {
  if (n.inputs.size() != 2) return std::nullopt;
  const bool additive = n.op == "Add" || n.op == "Sub", commutes = n.op == "Add" || n.op == "Mul";
  const double neutral = additive ? 0.0 : 1.0;
  const std::string verb = n.op == "Add" ? "adds 0" : n.op == "Sub" ? "subtracts 0" : n.op == "Mul" ? "multiplies by 1" : "divides by 1";
  std::vector<std::size_t> constant_sides{1};  // the constant on the right, then (Add, Mul) on the left
  if (commutes) constant_sides.push_back(0);
  for (std::size_t c : constant_sides) {
    const ValueId x = n.inputs[1 - c];
    if (!is_neutral_operand(rw, n.inputs[c], x, neutral)) continue;
    return PassThrough{x, additive ? "add_zero_removal" : "mul_one_removal",
                       n.op + " " + verb + " (constant " + basic::info_of(rw.source(), n.inputs[c]) + "): " +
                           basic::info_of(rw.source(), n.outputs[0]) + " unchanged"};
  }
  return std::nullopt;
}

std::optional<PassThrough> pass_through(Rewriter& rw, const Node& n) {
  const Graph& g = rw.source();
  if (n.inputs.empty() || n.outputs.empty()) return std::nullopt;
  const ValueId x = n.inputs[0];
  const Shape in = known_info(rw, x).shape;
  if (n.op == "Identity") return PassThrough{x, "identity_removal", "Identity of " + basic::info_of(g, x)};
  if (n.op == "Dropout") {
    // The mask (output 1) must be unread; training_mode (input 2) must be absent or a constant 0.
    if (n.outputs.size() > 1 && (!g.consumers(n.outputs[1]).empty() || rw.is_output(n.outputs[1]))) return std::nullopt;
    if (n.inputs.size() > 2) {
      const Tensor* training = rw.constant_value(n.inputs[2]);
      if (training == nullptr || training->numel() != 1 || training->item() != 0) return std::nullopt;
    }
    return PassThrough{x, "dropout_removal", "Dropout at inference of " + basic::info_of(g, x) + " (mask unread)"};
  }
  if (n.op == "Reshape") {
    const auto requested = basic::ints_input_or_attr(rw, n, 1, "shape");
    const bool allowzero = n.has_attr("allowzero") && n.attr_int("allowzero") != 0;
    if (!requested || !basic::is_static(in)) return std::nullopt;
    const std::optional<Shape> out = resolve_reshape(in, *requested, allowzero);
    if (!out || *out != in) return std::nullopt;
    return PassThrough{x, "noop_reshape_removal", "Reshape to " + ints_str(*requested) + " = the input's shape " + shape_str(in)};
  }
  if (n.op == "Transpose") {
    const std::vector<std::int64_t> perm = basic::transpose_perm(n, in.size());
    if (!basic::is_identity_perm(perm)) return std::nullopt;
    return PassThrough{x, "identity_transpose_removal", "Transpose with perm " + ints_str(perm) + " moves nothing"};
  }
  if (n.op == "Concat" && n.inputs.size() == 1) {
    return PassThrough{x, "single_concat_removal", "Concat of one input " + basic::info_of(g, x)};
  }
  if (n.op == "Add" || n.op == "Sub" || n.op == "Mul" || n.op == "Div") return arithmetic_pass_through(rw, n);
  return std::nullopt;
}

bool remove_pass_through(Rewriter& rw, const Node& n, std::vector<Rewrite>& log) {
  const std::optional<PassThrough> p = pass_through(rw, n);
  if (!p) return false;
  // Same dtype and a shape at least as known: consumers' inference still holds (defensive: every rule
  // above already implies it for a well-formed node).
  const graph::ValueInfo &in = known_info(rw, p->input), &out = rw.source().value(n.outputs[0]).info;
  if (in.dtype != out.dtype || in.shape.size() != out.shape.size()) return false;
  basic::forward(rw, n.outputs[0], rw.map(p->input));
  log.push_back({p->rule, {n.id}, {}, p->detail + ": consumers read v" + std::to_string(p->input) + " directly"});
  return true;
}

}  // namespace

Pass identity_removal() {
  return Pass{"identity_removal", "basic",
              "removes Identity, inference Dropout, no-op Reshape/Transpose, one-input Concat, x+0 and x*1",
              [](const Graph& g, std::vector<Rewrite>& log) { return basic::rebuild(g, log, remove_pass_through); }};
}

}  // namespace gb::passes
