// basic_common.cpp: the helpers every basic pass shares (basic_internal.hpp): comparing tensors and
// attributes by value, reading integer constants, and the rebuild loop the passes are written in.
#include <algorithm>
#include <cstring>
#include <set>
#include <type_traits>

#include "basic_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::passes::basic {

// --- values and tensors ----------------------------------------------------------------------------

namespace {

// The bytes of a tensor in row-major order (contiguous() copies a strided view first).
std::size_t byte_count(const Tensor& t) { return static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()); }

}  // namespace

bool same_tensor(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) return a.defined() == b.defined();
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.shares_storage_with(b) && a.offset() == b.offset() && a.strides() == b.strides()) return true;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return byte_count(ca) == 0 || std::memcmp(ca.raw_data(), cb.raw_data(), byte_count(ca)) == 0;
}

std::uint64_t tensor_hash(const Tensor& t) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64-bit offset basis and prime
  auto mix = [&h](const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  };
  const auto dtype = static_cast<int>(t.dtype());
  mix(&dtype, sizeof dtype);
  for (std::int64_t d : t.shape()) mix(&d, sizeof d);
  const Tensor c = t.contiguous();
  if (byte_count(c) > 0) mix(c.raw_data(), byte_count(c));
  return h;
}

bool same_attribute(const Attribute& a, const Attribute& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Tensor>) {
          return same_tensor(x, std::get<Tensor>(b));  // by bytes
        } else {
          return x == std::get<T>(b);  // numbers, strings, int lists by value; a subgraph by pointer
        }
      },
      a);
}

bool same_attributes(const graph::Attributes& a, const graph::Attributes& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !same_attribute(ia->second, ib->second)) return false;
  }
  return true;
}

std::optional<std::vector<std::int64_t>> constant_ints(const Rewriter& rw, ValueId source_value) {
  const Tensor* t = rw.constant_value(source_value);
  if (t == nullptr || (t->dtype() != DType::i64 && t->dtype() != DType::i32) || t->ndim() > 1) return std::nullopt;
  std::vector<std::int64_t> out;
  for (double v : t->to_vector()) out.push_back(static_cast<std::int64_t>(v));  // exact: |v| < 2^53
  return out;
}

std::optional<std::vector<std::int64_t>> ints_input_or_attr(const Rewriter& rw, const Node& n, std::size_t index,
                                                            const std::string& attr) {
  if (n.inputs.size() > index) return constant_ints(rw, n.inputs[index]);
  if (n.has_attr(attr) && std::holds_alternative<std::vector<std::int64_t>>(n.attrs.at(attr))) return n.attr_ints(attr);
  return std::nullopt;
}

bool is_static(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](std::int64_t d) { return d >= 0; });
}

std::optional<std::vector<std::int64_t>> normalized_axes(std::vector<std::int64_t> axes, std::int64_t rank) {
  for (std::int64_t& a : axes) {
    if (a < -rank || a >= rank) return std::nullopt;
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

std::vector<std::int64_t> transpose_perm(const Node& n, std::size_t rank) {
  if (n.has_attr("perm")) return n.attr_ints("perm");
  std::vector<std::int64_t> reversed(rank);
  for (std::size_t i = 0; i < rank; ++i) reversed[i] = static_cast<std::int64_t>(rank - 1 - i);
  return reversed;
}

bool is_identity_perm(const std::vector<std::int64_t>& perm) {
  for (std::size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<std::int64_t>(i)) return false;
  }
  return true;
}

// --- ops -------------------------------------------------------------------------------------------

bool is_pure(const Node& n) {
  static const std::set<std::string> impure = {
      "placeholder", "constant",
      // randomness: two draws are not the same value, and a draw is not a constant
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
      // lesson 08's dataflow primitives: tokens with frames and deadness, not plain values
      "Switch", "Merge", "Enter", "Exit", "NextIteration", "FrameConstant"};
  return impure.count(n.op) == 0;
}

// --- rewriting -------------------------------------------------------------------------------------

void forward(Rewriter& rw, ValueId v, ValueId now) {
  bool rename = rw.is_output(v);
  Graph& target = rw.target();
  if (target.node(target.value(now).producer).op == "placeholder") rename = false;
  for (ValueId o : rw.source().outputs()) {
    if (o != v && rw.mapped(o) && rw.map(o) == now) rename = false;  // `now` already carries that output's name
  }
  rw.replace(v, now);
  if (rename) target.set_value_name(now, rw.source().value(v).name);
}

std::string ints_str(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string info_of(const Graph& g, ValueId v) { return graph::info_str(g.value(v).info); }

std::string node_label(const Node& n) { return "n" + std::to_string(n.id) + " " + n.op; }

Graph rebuild(const Graph& source, std::vector<Rewrite>& log, const NodeRule& rule) {
  Rewriter rw(source);
  for (NodeId id : rw.order()) {
    const Node& n = source.node(id);
    if (n.op == "placeholder" || !rule(rw, n, log)) rw.copy(id);
  }
  return rw.finish();
}

}  // namespace gb::passes::basic
