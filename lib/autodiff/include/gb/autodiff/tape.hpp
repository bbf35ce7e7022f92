// tape.hpp: reverse mode on scalars, a tape with operator overloading (lesson 04-reverse-mode).
//
//   Tape<double> tape;
//   Var<double> x1 = tape.variable(2), x2 = tape.variable(5);
//   Var<double> f = log(x1) + x1 * x2 - sin(x2);         // each op appends one node to the tape
//   std::vector<double> g = tape.gradient(f, {x1, x2});  // one backward pass: [5.5, 1.716338]
//
// The forward pass appends a node per op: its value and its local partials (local_partials.hpp).
// The backward pass (sweep) walks the tape from the output back to the start, and every node hands
// adjoint * partial to each of its inputs with +=: a node used twice receives two contributions.
// Creation order is a topological order (a node is recorded after its inputs), so walking it
// backwards finishes all consumers of a node before the node itself is visited.
//
// T is the number type: Tape<Dual<double>> runs reverse mode on dual numbers, which is forward over
// reverse (hessian.hpp). A Var is a handle (tape, index); the tape must outlive its Vars.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/autodiff/dual.hpp"
#include "gb/autodiff/local_partials.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

template <class T> class Tape;

template <class T> class Var {
 public:
  Var() = default;  // not on any tape yet; every op on it is a gb::Error
  Var(Tape<T>* tape, std::size_t index) : tape_(tape), index_(index) {}
  Tape<T>& tape() const {
    if (tape_ == nullptr) throw Error("Var", "a variable made by a Tape", "a default-constructed Var");
    return *tape_;
  }
  Tape<T>* tape_or_null() const { return tape_; }
  std::size_t index() const { return index_; }
  const T& value() const { return tape().node(index_).value; }
  // The gradient accumulated into this variable by Tape::backward (0 before any).
  T grad() const { return tape().grad(index_); }

 private:
  Tape<T>* tape_ = nullptr;
  std::size_t index_ = 0;
};

template <class T> class Tape {
 public:
  struct Node {
    TapeOp op = TapeOp::constant;
    std::uint32_t inputs[2] = {0, 0};
    T value{};
    T partials[2] = {};  // d value / d inputs[k], saved by the forward pass
    double exponent = 0;  // pow_constant only
  };

  // A leaf we differentiate by, and a constant (a leaf we do not).
  Var<T> variable(T value) { return push({TapeOp::input, {0, 0}, std::move(value), {}, 0}); }
  Var<T> constant(T value) { return push({TapeOp::constant, {0, 0}, std::move(value), {}, 0}); }

  // Records out = op(a, b): its value and its local partials. Under no_grad the result is a constant.
  Var<T> record(TapeOp op, const Var<T>& a, const Var<T>& b, double exponent = 0) {
    if (!on_this_tape(a) || (tape_op_arity(op) == 2 && !on_this_tape(b))) {
      check_same_tape(on_this_tape(a) ? b : a, tape_op_name(op));  // throws, naming the op
    }
    const T& av = nodes_[a.index()].value;
    const T& bv = nodes_[tape_op_arity(op) == 2 ? b.index() : a.index()].value;
    Node n{op, {index_of(a), index_of(tape_op_arity(op) == 2 ? b : a)}, apply_op(op, av, bv, exponent), {}, exponent};
    if (!grad_enabled_) return constant(n.value);
    auto [da, db] = local_partials<T>(op, av, bv, n.value, exponent, T(0.0), T(1.0));
    n.partials[0] = std::move(da);
    n.partials[1] = std::move(db);
    return push(std::move(n));
  }

  std::size_t size() const { return nodes_.size(); }
  void reserve(std::size_t nodes) { nodes_.reserve(nodes); }  // room for a graph of known size
  const Node& node(std::size_t i) const {
    if (i >= nodes_.size()) throw Error("Tape::node", "an index below " + std::to_string(nodes_.size()), std::to_string(i));
    return nodes_[i];
  }

  // The adjoint of every node up to `output` for d output / d node (one reverse sweep). Unless
  // retain_graph, the saved partials count as freed afterwards and a second backward through them
  // is a gb::Error (PyTorch frees them to save memory; here it is only marked).
  std::vector<T> adjoints(const Var<T>& output, bool retain_graph = false) {
    check_same_tape(output, "backward");
    std::vector<T> adjoint(output.index() + 1, T(0.0));
    adjoint[output.index()] = T(1.0);  // d output / d output
    sweep(output.index(), adjoint, [this](std::size_t i) {
      return std::pair<T, T>(nodes_[i].partials[0], nodes_[i].partials[1]);
    });
    if (!retain_graph) freed_ = std::max(freed_, output.index() + 1);
    return adjoint;
  }

  // d output / d x for each x: the adjoints of the inputs (torch.autograd.grad).
  std::vector<T> gradient(const Var<T>& output, const std::vector<Var<T>>& xs, bool retain_graph = false) {
    const std::vector<T> adjoint = adjoints(output, retain_graph);
    std::vector<T> out;
    for (const Var<T>& x : xs) {
      check_same_tape(x, "gradient");
      out.push_back(x.index() < adjoint.size() ? adjoint[x.index()] : T(0.0));
    }
    return out;
  }

  // The same gradient as Vars on this tape (create_graph): the backward pass is recorded, so the
  // result can be differentiated again. The graph is retained.
  std::vector<Var<T>> gradient_graph(const Var<T>& output, const std::vector<Var<T>>& xs) {
    check_same_tape(output, "gradient_graph");
    const Var<T> zero = constant(T(0.0)), one = constant(T(1.0));
    std::vector<Var<T>> adjoint(output.index() + 1, zero);
    adjoint[output.index()] = one;
    sweep(output.index(), adjoint, [&](std::size_t i) {
      const Node n = nodes_[i];  // a copy: recording the partials appends to nodes_
      return local_partials<Var<T>>(n.op, Var<T>(this, n.inputs[0]), Var<T>(this, n.inputs[1]), Var<T>(this, i),
                                    n.exponent, zero, one);
    });
    std::vector<Var<T>> out;
    for (const Var<T>& x : xs) {
      check_same_tape(x, "gradient_graph");
      out.push_back(x.index() < adjoint.size() ? adjoint[x.index()] : zero);
    }
    return out;
  }

  // loss.backward(): adds d output / d x into the stored gradient of every input (x.grad()).
  void backward(const Var<T>& output, bool retain_graph = false) {
    const std::vector<T> adjoint = adjoints(output, retain_graph);
    if (grads_.size() < nodes_.size()) grads_.resize(nodes_.size(), T(0.0));
    for (std::size_t i = 0; i < adjoint.size(); ++i) {
      if (nodes_[i].op == TapeOp::input) grads_[i] = grads_[i] + adjoint[i];
    }
  }
  T grad(std::size_t i) const { return i < grads_.size() ? grads_[i] : T(0.0); }
  void zero_grad() { grads_.assign(grads_.size(), T(0.0)); }

  bool grad_enabled() const { return grad_enabled_; }
  void set_grad_enabled(bool on) { grad_enabled_ = on; }

 private:
  // The backward traversal: reverse topological order (the tape backwards from the output) and
  // adjoint accumulation. partials_of(i) gives node i's local partials as the adjoint type U.
  template <class U, class PartialsOf>
  void sweep(std::size_t output, std::vector<U>& adjoint, const PartialsOf& partials_of) {
    // BEGIN EXERCISE(autodiff.reverse.backward)
    for (std::size_t i = output + 1; i-- > 0;) {
      const int arity = tape_op_arity(nodes_[i].op);
      if (arity == 0 || is_zero(adjoint[i])) continue;  // a leaf, or nothing flows back from here
      check_not_freed(i);
      const auto [da, db] = partials_of(i);
      const std::uint32_t a = nodes_[i].inputs[0], b = nodes_[i].inputs[1];
      adjoint[a] += adjoint[i] * da;  // +=: an input used by several nodes sums their contributions
      if (arity == 2) adjoint[b] += adjoint[i] * db;
    }
    // END EXERCISE
  }

  Var<T> push(Node n) {
    if (nodes_.size() >= 0xFFFFFFFFu) throw Error("Tape", "fewer than 2^32 nodes", "a full tape");
    nodes_.push_back(std::move(n));
    return Var<T>(this, nodes_.size() - 1);
  }
  std::uint32_t index_of(const Var<T>& v) const { return static_cast<std::uint32_t>(v.index()); }
  bool on_this_tape(const Var<T>& v) const { return v.tape_or_null() == this && v.index() < nodes_.size(); }
  void check_same_tape(const Var<T>& v, const char* op) const {
    if (v.tape_or_null() != this) {
      throw Error(op, "a Var of this tape", v.tape_or_null() == nullptr ? "a default-constructed Var" : "a Var of another tape");
    }
    if (v.index() >= nodes_.size()) throw Error(op, "a Var of this tape", "an index past its end");
  }
  void check_not_freed(std::size_t i) const {
    if (i < freed_) {
      throw Error("backward", "a graph whose saved values are still there (pass retain_graph = true to the "
                              "first backward to run a second one)", "node v" + std::to_string(i) + ", freed by an earlier backward");
    }
  }

  std::vector<Node> nodes_;
  std::vector<T> grads_;
  std::size_t freed_ = 0;
  bool grad_enabled_ = true;
};

// with torch.no_grad(): ops record constants, so nothing flows back through them.
template <class T> class NoGrad {
 public:
  explicit NoGrad(Tape<T>& tape) : tape_(tape), previous_(tape.grad_enabled()) { tape.set_grad_enabled(false); }
  ~NoGrad() { tape_.set_grad_enabled(previous_); }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  Tape<T>& tape_;
  bool previous_;
};

// --- the ops of Var: each records one node ----------------------------------------------------
template <class T> Var<T> unary_op(TapeOp op, const Var<T>& a, double c = 0) { return a.tape().record(op, a, a, c); }
template <class T> Var<T> binary_op(TapeOp op, const Var<T>& a, const Var<T>& b) { return a.tape().record(op, a, b); }
template <class T> Var<T> constant_like(const Var<T>& v, double c) { return v.tape().constant(T(c)); }

template <class T> Var<T> operator+(const Var<T>& a, const Var<T>& b) { return binary_op(TapeOp::add, a, b); }
template <class T> Var<T> operator-(const Var<T>& a, const Var<T>& b) { return binary_op(TapeOp::subtract, a, b); }
template <class T> Var<T> operator*(const Var<T>& a, const Var<T>& b) { return binary_op(TapeOp::multiply, a, b); }
template <class T> Var<T> operator/(const Var<T>& a, const Var<T>& b) { return binary_op(TapeOp::divide, a, b); }
template <class T> Var<T> pow(const Var<T>& a, const Var<T>& b) { return binary_op(TapeOp::pow, a, b); }
template <class T> Var<T> operator-(const Var<T>& a) { return unary_op(TapeOp::negate, a); }
template <class T> Var<T> pow(const Var<T>& a, double c) { return unary_op(TapeOp::pow_constant, a, c); }
template <class T> Var<T> operator+(const Var<T>& a, double c) { return a + constant_like(a, c); }
template <class T> Var<T> operator+(double c, const Var<T>& a) { return constant_like(a, c) + a; }
template <class T> Var<T> operator-(const Var<T>& a, double c) { return a - constant_like(a, c); }
template <class T> Var<T> operator-(double c, const Var<T>& a) { return constant_like(a, c) - a; }
template <class T> Var<T> operator*(const Var<T>& a, double c) { return a * constant_like(a, c); }
template <class T> Var<T> operator*(double c, const Var<T>& a) { return constant_like(a, c) * a; }
template <class T> Var<T> operator/(const Var<T>& a, double c) { return a / constant_like(a, c); }
template <class T> Var<T> operator/(double c, const Var<T>& a) { return constant_like(a, c) / a; }
// Accumulation (the backward pass uses it): adding to an exact zero constant records nothing.
template <class T> Var<T>& operator+=(Var<T>& a, const Var<T>& b) { return a = is_zero(a) ? b : a + b; }

template <class T> Var<T> sin(const Var<T>& a) { return unary_op(TapeOp::sin, a); }
template <class T> Var<T> cos(const Var<T>& a) { return unary_op(TapeOp::cos, a); }
template <class T> Var<T> tan(const Var<T>& a) { return unary_op(TapeOp::tan, a); }
template <class T> Var<T> exp(const Var<T>& a) { return unary_op(TapeOp::exp, a); }
template <class T> Var<T> log(const Var<T>& a) { return unary_op(TapeOp::log, a); }
template <class T> Var<T> sqrt(const Var<T>& a) { return unary_op(TapeOp::sqrt, a); }
template <class T> Var<T> tanh(const Var<T>& a) { return unary_op(TapeOp::tanh, a); }
template <class T> Var<T> sigmoid(const Var<T>& a) { return unary_op(TapeOp::sigmoid, a); }
template <class T> Var<T> relu(const Var<T>& a) { return unary_op(TapeOp::relu, a); }
template <class T> Var<T> abs(const Var<T>& a) { return unary_op(TapeOp::abs, a); }
template <class T> Var<T> step(const Var<T>& a) { return unary_op(TapeOp::step, a); }
template <class T> Var<T> sign(const Var<T>& a) { return unary_op(TapeOp::sign, a); }

template <class T> double primal(const Var<T>& v) { return primal(v.value()); }
// Exactly zero for every derivative too: only a constant leaf (an input may be 0 and still move).
template <class T> bool is_zero(const Var<T>& v) {
  return v.tape_or_null() != nullptr && v.tape().node(v.index()).op == TapeOp::constant && is_zero(v.value());
}

}  // namespace gb::autodiff
