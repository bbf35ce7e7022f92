// builder.cpp: the declarative Builder and Sym (builder.hpp): every operation appends one node.
#include "gb/graph/builder.hpp"

#include "gb/graph/backward.hpp"

namespace gb::graph {

Builder& Sym::builder() const {
  if (builder_ == nullptr) throw Error("Sym", "a symbol made by a Builder", "a default-constructed Sym");
  return *builder_;
}

const ValueInfo& Sym::info() const { return builder().graph().value(id_).info; }

Sym Sym::named(const std::string& name) const {
  builder().graph().set_value_name(id_, name);
  return *this;
}

Sym Builder::placeholder(const std::string& name, const Shape& shape, DType dtype) {
  return {this, graph_.placeholder(name, {dtype, shape})};
}

Sym Builder::constant(const Tensor& value, const std::string& name) { return {this, graph_.constant(value, name)}; }

Sym Builder::scalar(double value, DType dtype) { return constant(Tensor::scalar(value, dtype)); }

Sym Builder::op(const std::string& op, const std::vector<Sym>& inputs, Attributes attrs, const std::string& name) {
  std::vector<ValueId> ids;
  for (const Sym& s : inputs) {
    if (&s.builder() != this) throw Error(op, "symbols of one Builder", "a symbol of another Builder");
    ids.push_back(s.id());
  }
  return {this, graph_.add(op, ids, std::move(attrs), name)};
}

void Builder::output(const std::vector<Sym>& syms) {
  std::vector<ValueId> ids;
  for (const Sym& s : syms) ids.push_back(s.id());
  graph_.set_outputs(ids);
}

std::vector<Sym> Builder::grad(const Sym& loss, const std::vector<Sym>& wrt) {
  std::vector<ValueId> ids;
  for (const Sym& s : wrt) ids.push_back(s.id());
  std::vector<Sym> out;
  for (ValueId g : gradients(graph_, loss.id(), ids)) out.emplace_back(this, g);
  return out;
}

std::vector<Tensor> Builder::run(const Feeds& feeds) const { return run_fifo(graph_, feeds).outputs; }

namespace {

Sym apply(const std::string& op, const std::vector<Sym>& inputs, Attributes attrs = {}) {
  return inputs.at(0).builder().op(op, inputs, std::move(attrs));
}

// A double beside a symbol: a scalar constant of the symbol's dtype.
Sym lift(double value, const Sym& like) { return like.builder().scalar(value, like.info().dtype); }

}  // namespace

Sym operator+(const Sym& a, const Sym& b) { return apply("add", {a, b}); }
Sym operator-(const Sym& a, const Sym& b) { return apply("sub", {a, b}); }
Sym operator*(const Sym& a, const Sym& b) { return apply("mul", {a, b}); }
Sym operator/(const Sym& a, const Sym& b) { return apply("div", {a, b}); }
Sym operator-(const Sym& a) { return apply("neg", {a}); }
Sym operator+(const Sym& a, double b) { return a + lift(b, a); }
Sym operator-(const Sym& a, double b) { return a - lift(b, a); }
Sym operator*(const Sym& a, double b) { return a * lift(b, a); }
Sym operator/(const Sym& a, double b) { return a / lift(b, a); }
Sym operator+(double a, const Sym& b) { return lift(a, b) + b; }
Sym operator-(double a, const Sym& b) { return lift(a, b) - b; }
Sym operator*(double a, const Sym& b) { return lift(a, b) * b; }
Sym operator/(double a, const Sym& b) { return lift(a, b) / b; }

Sym matmul(const Sym& a, const Sym& b) { return apply("matmul", {a, b}); }
Sym pow(const Sym& a, const Sym& b) { return apply("pow", {a, b}); }
Sym pow(const Sym& a, double b) { return pow(a, lift(b, a)); }
Sym relu(const Sym& x) { return apply("relu", {x}); }
Sym sigmoid(const Sym& x) { return apply("sigmoid", {x}); }
Sym tanh(const Sym& x) { return apply("tanh", {x}); }
Sym exp(const Sym& x) { return apply("exp", {x}); }
Sym log(const Sym& x) { return apply("log", {x}); }
Sym sin(const Sym& x) { return apply("sin", {x}); }
Sym cos(const Sym& x) { return apply("cos", {x}); }
Sym sqrt(const Sym& x) { return apply("sqrt", {x}); }
Sym sum(const Sym& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return apply("sum", {x}, {{"axes", axes}, {"keepdim", std::int64_t{keepdim ? 1 : 0}}});
}
Sym mean(const Sym& x, const std::vector<std::int64_t>& axes, bool keepdim) {
  return apply("mean", {x}, {{"axes", axes}, {"keepdim", std::int64_t{keepdim ? 1 : 0}}});
}
Sym transpose(const Sym& x) { return apply("transpose", {x}); }
Sym reshape(const Sym& x, const Shape& shape) { return apply("reshape", {x}, {{"shape", shape}}); }
Sym gt(const Sym& a, const Sym& b) { return apply("gt", {a, b}); }
Sym lt(const Sym& a, const Sym& b) { return apply("lt", {a, b}); }
Sym where(const Sym& cond, const Sym& a, const Sym& b) { return apply("where", {cond, a, b}); }

}  // namespace gb::graph
