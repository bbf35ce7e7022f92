// builder.hpp: the declarative API of lesson 06, "define, then run" (TensorFlow 1's graph + session).
//
//   gb::graph::Builder b;
//   Sym x = b.placeholder("x", {2, 3});              // nothing is computed: x is a symbol
//   Sym w = b.constant(gb::Tensor::ones({3, 4}));
//   Sym y = relu(matmul(x, w)) * 2.0;               // each operation appends a node to b.graph()
//   b.output(y);
//   std::vector<gb::Tensor> out = b.run({{"x", x_value}});   // session.run(fetches, feed_dict)
//   auto [dw] = ... b.grad(sum(y), {w})              // the backward graph, appended by a pass
//
// A Sym is a ValueId plus the Builder that owns the graph; operations on Syms from two different
// builders throw gb::Error. A Builder cannot be copied or moved (its Syms point at it).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/graph/executor.hpp"
#include "gb/graph/graph.hpp"

namespace gb::graph {

class Builder;

class Sym {
 public:
  Sym() = default;
  Sym(Builder* builder, ValueId id) : builder_(builder), id_(id) {}
  ValueId id() const { return id_; }
  Builder& builder() const;        // gb::Error for a default-constructed Sym
  const ValueInfo& info() const;   // dtype and shape, known before anything runs
  Sym named(const std::string& name) const;  // sets the value's readable name, returns *this

 private:
  Builder* builder_ = nullptr;
  ValueId id_ = -1;
};

class Builder {
 public:
  Builder() = default;
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  Sym placeholder(const std::string& name, const Shape& shape, DType dtype = DType::f32);  // -1 = dynamic size
  Sym constant(const Tensor& value, const std::string& name = "");
  Sym scalar(double value, DType dtype = DType::f32);
  // Any registered op (custom ops included): one node, one output.
  Sym op(const std::string& op, const std::vector<Sym>& inputs, Attributes attrs = {}, const std::string& name = "");

  template <class... S> void output(const S&... syms) { output(std::vector<Sym>{syms...}); }
  void output(const std::vector<Sym>& syms);
  // d loss / d wrt[i], appended to the graph by gradients() (backward.hpp).
  std::vector<Sym> grad(const Sym& loss, const std::vector<Sym>& wrt);
  // The session call: runs the outputs with the FIFO executor.
  std::vector<Tensor> run(const Feeds& feeds) const;

  Graph& graph() { return graph_; }
  const Graph& graph() const { return graph_; }

 private:
  Graph graph_;
};

// Operators and functions on symbols. A double operand becomes a scalar constant of the other
// operand's dtype.
Sym operator+(const Sym& a, const Sym& b);
Sym operator-(const Sym& a, const Sym& b);
Sym operator*(const Sym& a, const Sym& b);
Sym operator/(const Sym& a, const Sym& b);
Sym operator-(const Sym& a);
Sym operator+(const Sym& a, double b);
Sym operator-(const Sym& a, double b);
Sym operator*(const Sym& a, double b);
Sym operator/(const Sym& a, double b);
Sym operator+(double a, const Sym& b);
Sym operator-(double a, const Sym& b);
Sym operator*(double a, const Sym& b);
Sym operator/(double a, const Sym& b);

Sym matmul(const Sym& a, const Sym& b);
Sym pow(const Sym& a, const Sym& b);
Sym pow(const Sym& a, double b);
Sym relu(const Sym& x);
Sym sigmoid(const Sym& x);
Sym tanh(const Sym& x);
Sym exp(const Sym& x);
Sym log(const Sym& x);
Sym sin(const Sym& x);
Sym cos(const Sym& x);
Sym sqrt(const Sym& x);
Sym sum(const Sym& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Sym mean(const Sym& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Sym transpose(const Sym& x);  // swaps the last two axes
Sym reshape(const Sym& x, const Shape& shape);
Sym gt(const Sym& a, const Sym& b);  // u8 masks
Sym lt(const Sym& a, const Sym& b);
Sym where(const Sym& cond, const Sym& a, const Sym& b);

}  // namespace gb::graph
