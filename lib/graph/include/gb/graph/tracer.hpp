// tracer.hpp: tracing (lesson 09, "dynamic to static"), like torch.jit.trace.
//
// trace(fn, example_inputs) runs fn eagerly on real tensors; every operation on a Traced value both
// computes its result (with the op's kernel) and appends a node to a Graph. What the graph cannot
// see is C++ control flow: `if (h2h > w_x)` reads the concrete value (Traced::truthy), takes one
// branch, and only that branch's ops are recorded. The branch is frozen into the graph, and a
// warning says so (TorchScript's TracerWarning). Run the traced graph on another input and it
// still takes the branch of the example.
//
//   TraceResult r = trace([](const std::vector<Traced>& in) {
//     Traced h2h = in[0], w_x = in[1], x = in[2];
//     if (sum(h2h) > sum(w_x)) h2h = h2h + matmul(w_x, transpose(x));   // warning: frozen branch
//     return std::vector<Traced>{h2h};
//   }, {{"h2h", a}, {"w_x", b}, {"x", c}});
//   run(r.graph, feeds);   // r.graph has placeholders h2h, w_x, x and one output
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::graph {

namespace detail {
struct TraceState;  // the graph being recorded and its warnings (tracer.cpp)
}

class Traced {
 public:
  Traced() = default;
  // A concrete tensor that is not (yet) in any graph: used in a traced op, it becomes a constant.
  Traced(const Tensor& value) : value_(value) {}  // NOLINT: implicit on purpose, like a Python constant

  const Tensor& value() const { return value_; }
  ValueId id() const { return id_; }  // -1 when not in a graph
  bool is_traced() const { return state_ != nullptr; }

  // Reads the concrete value as a bool (it must have one element) and, when traced, appends a
  // warning: the branch taken now is frozen into the graph. `what` names the place in the warning.
  bool truthy(const std::string& what) const;
  explicit operator bool() const { return truthy("a condition"); }
  // Reads the concrete number (one element); traced values warn: it becomes a constant.
  double item(const std::string& what = "item()") const;

  // Any registered op on traced values (inputs from no graph become constants).
  static Traced apply(const std::string& op, const std::vector<Traced>& inputs, Attributes attrs = {});

 private:
  friend struct TraceAccess;
  Tensor value_;
  ValueId id_ = -1;
  std::shared_ptr<detail::TraceState> state_;
};

struct TraceResult {
  Graph graph;                        // placeholders named as given, outputs set
  std::vector<std::string> warnings;  // one per value read by C++ control flow
  std::vector<Tensor> eager_outputs;  // what fn returned on the example inputs
};

TraceResult trace(const std::function<std::vector<Traced>(const std::vector<Traced>&)>& fn,
                  const std::vector<std::pair<std::string, Tensor>>& example_inputs);

// The same operations as Sym (builder.hpp), plus comparisons; a double operand becomes a scalar of
// the other operand's dtype.
Traced operator+(const Traced& a, const Traced& b);
Traced operator-(const Traced& a, const Traced& b);
Traced operator*(const Traced& a, const Traced& b);
Traced operator/(const Traced& a, const Traced& b);
Traced operator-(const Traced& a);
Traced operator+(const Traced& a, double b);
Traced operator-(const Traced& a, double b);
Traced operator*(const Traced& a, double b);
Traced operator/(const Traced& a, double b);
Traced operator+(double a, const Traced& b);
Traced operator-(double a, const Traced& b);
Traced operator*(double a, const Traced& b);
Traced operator/(double a, const Traced& b);
Traced operator>(const Traced& a, const Traced& b);
Traced operator<(const Traced& a, const Traced& b);
Traced operator>=(const Traced& a, const Traced& b);
Traced operator<=(const Traced& a, const Traced& b);
Traced eq(const Traced& a, const Traced& b);
Traced ne(const Traced& a, const Traced& b);

Traced matmul(const Traced& a, const Traced& b);
Traced pow(const Traced& a, const Traced& b);
Traced relu(const Traced& x);
Traced sigmoid(const Traced& x);
Traced tanh(const Traced& x);
Traced exp(const Traced& x);
Traced log(const Traced& x);
Traced sin(const Traced& x);
Traced cos(const Traced& x);
Traced sqrt(const Traced& x);
Traced sum(const Traced& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Traced mean(const Traced& x, const std::vector<std::int64_t>& axes = {}, bool keepdim = false);
Traced transpose(const Traced& x);
Traced reshape(const Traced& x, const Shape& shape);
Traced where(const Traced& cond, const Traced& a, const Traced& b);

}  // namespace gb::graph
