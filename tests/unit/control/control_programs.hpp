// control_programs.hpp: the control-flow programs the unit tests share (functional If/While graphs
// with scalar f64 inputs and one scalar loss), and the helpers to build and check them.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gb/control/dataflow.hpp"
#include "gb/control/functional.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"

namespace control_test {

using gb::Tensor;
using gb::graph::Graph;
using gb::graph::GraphPtr;
using gb::graph::ValueId;
using gb::graph::ValueInfo;

inline const ValueInfo f64{gb::DType::f64, {}};
inline const ValueInfo i64{gb::DType::i64, {}};
inline Tensor scalar(double v) { return Tensor::scalar(v, gb::DType::f64); }

// A subgraph with one placeholder per info; `build` returns its outputs.
using Builder = std::function<std::vector<ValueId>(Graph&, const std::vector<ValueId>&)>;
inline GraphPtr subgraph(const std::vector<ValueInfo>& infos, const Builder& build) {
  auto g = std::make_shared<Graph>();
  std::vector<ValueId> in;
  for (std::size_t i = 0; i < infos.size(); ++i) in.push_back(g->placeholder("p" + std::to_string(i), infos[i]));
  g->set_outputs(build(*g, in));
  return g;
}
inline ValueId c(Graph& g, double v) { return g.constant(scalar(v)); }
inline ValueId ci(Graph& g, std::int64_t v) { return g.constant(Tensor::scalar(static_cast<double>(v), gb::DType::i64)); }

// cond: p[index] < limit (an i64 counter); body: counter + 1 then `step` on the other values.
inline GraphPtr counter_below(std::size_t n, std::int64_t limit, std::vector<ValueInfo> infos = {}) {
  if (infos.empty()) {
    infos.assign(n, f64);
    infos[0] = i64;
  }
  return subgraph(infos, [limit](Graph& g, const std::vector<ValueId>& p) {
    return std::vector<ValueId>{g.add("lt", {p[0], ci(g, limit)})};
  });
}

// A program: named scalar inputs, a builder of the loss in a functional graph.
struct Program {
  std::string name;
  std::vector<std::string> inputs;
  std::function<ValueId(Graph&, const std::vector<ValueId>&)> loss;
};

struct Built {
  Graph graph;
  std::vector<ValueId> inputs;
  ValueId loss = -1;
};

inline Built build(const Program& program) {
  Built b;
  for (const std::string& name : program.inputs) b.inputs.push_back(b.graph.placeholder(name, f64));
  b.loss = program.loss(b.graph, b.inputs);
  b.graph.set_outputs({b.loss});
  return b;
}

inline gb::graph::Feeds feeds_of(const Program& program, const std::vector<double>& at) {
  gb::graph::Feeds feeds;
  for (std::size_t i = 0; i < program.inputs.size(); ++i) feeds[program.inputs[i]] = scalar(at[i]);
  return feeds;
}

// The loss value at a point (functional graph, FIFO executor).
inline double value_at(const Program& program, const std::vector<double>& at) {
  Built b = build(program);
  return gb::graph::run(b.graph, feeds_of(program, at)).at(0).item();
}

// The functional graph with the backward graph appended: outputs [loss, d loss / d inputs...].
inline Built with_gradients(const Program& program) {
  Built b = build(program);
  std::vector<ValueId> outputs{b.loss};
  const std::vector<ValueId> grads = gb::graph::gradients(b.graph, b.loss, b.inputs);
  outputs.insert(outputs.end(), grads.begin(), grads.end());
  b.graph.set_outputs(outputs);
  return b;
}

inline std::vector<double> doubles(const std::vector<Tensor>& ts) {
  std::vector<double> out;
  for (const Tensor& t : ts) out.push_back(t.item());
  return out;
}

// Central differences, h = 1e-6 (f64).
inline std::vector<double> central_gradient(const Program& program, const std::vector<double>& at) {
  std::vector<double> grad;
  const double h = 1e-6;
  for (std::size_t i = 0; i < at.size(); ++i) {
    std::vector<double> plus = at, minus = at;
    plus[i] += h;
    minus[i] -= h;
    grad.push_back((value_at(program, plus) - value_at(program, minus)) / (2 * h));
  }
  return grad;
}

// --- the suite of programs ------------------------------------------------------------------------

// if x > y: x * y * x  else: sin(x) + y
inline Program if_program() {
  return {"if", {"x", "y"}, [](Graph& g, const std::vector<ValueId>& in) {
            auto then_b = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("mul", {s.add("mul", {p[0], p[1]}), p[0]})};
            });
            auto else_b = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("add", {s.add("sin", {p[0]}), p[1]})};
            });
            const ValueId cond = g.add("gt", {in[0], in[1]});
            return gb::control::make_if(g, cond, {in[0], in[1]}, then_b, else_b)[0];
          }};
}

// i = 0; while i < 3: x = x * w + sin(x); i += 1     (w is a loop invariant, carried unchanged)
inline Program while_program() {
  return {"while", {"x", "w"}, [](Graph& g, const std::vector<ValueId>& in) {
            auto body = subgraph({i64, f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              const ValueId x = s.add("add", {s.add("mul", {p[1], p[2]}), s.add("sin", {p[1]})});
              return std::vector<ValueId>{s.add("add", {p[0], ci(s, 1)}), x, p[2]};
            });
            return gb::control::make_while(g, {ci(g, 0), in[0], in[1]}, counter_below(3, 3), body)[1];
          }};
}

// for i < 2: for j < 3: x = x * a + 0.1 * a     (a carried through both loops)
inline Program nested_while_program() {
  return {"nested", {"x", "a"}, [](Graph& g, const std::vector<ValueId>& in) {
            auto inner_body = subgraph({i64, f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              const ValueId x = s.add("add", {s.add("mul", {p[1], p[2]}), s.add("mul", {c(s, 0.1), p[2]})});
              return std::vector<ValueId>{s.add("add", {p[0], ci(s, 1)}), x, p[2]};
            });
            auto outer_body = subgraph({i64, f64, f64}, [inner_body](Graph& s, const std::vector<ValueId>& p) {
              const std::vector<ValueId> inner =
                  gb::control::make_while(s, {ci(s, 0), p[1], p[2]}, counter_below(3, 3), inner_body, 100, "inner");
              return std::vector<ValueId>{s.add("add", {p[0], ci(s, 1)}), inner[1], inner[2]};
            });
            return gb::control::make_while(g, {ci(g, 0), in[0], in[1]}, counter_below(3, 2), outer_body, 100, "outer")[1];
          }};
}

// while n < 4: x = (x > 1) ? x * 0.5 * y : x * x + y
inline Program if_in_while_program() {
  return {"if_in_while", {"x", "y"}, [](Graph& g, const std::vector<ValueId>& in) {
            auto then_b = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("mul", {s.add("mul", {p[0], c(s, 0.5)}), p[1]})};
            });
            auto else_b = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("add", {s.add("mul", {p[0], p[0]}), p[1]})};
            });
            auto body = subgraph({i64, f64, f64}, [then_b, else_b](Graph& s, const std::vector<ValueId>& p) {
              const ValueId cond = s.add("gt", {p[1], c(s, 1)});
              const ValueId x = gb::control::make_if(s, cond, {p[1], p[2]}, then_b, else_b)[0];
              return std::vector<ValueId>{s.add("add", {p[0], ci(s, 1)}), x, p[2]};
            });
            return gb::control::make_while(g, {ci(g, 0), in[0], in[1]}, counter_below(3, 4), body)[1];
          }};
}

// if x > 0: (while x < 5: x = x * 2 + y) else: x - y     (a data-dependent trip count)
inline Program while_in_if_program() {
  return {"while_in_if", {"x", "y"}, [](Graph& g, const std::vector<ValueId>& in) {
            auto cond = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("lt", {p[0], c(s, 5)})};
            });
            auto body = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("add", {s.add("mul", {p[0], c(s, 2)}), p[1]}), p[1]};
            });
            auto then_b = subgraph({f64, f64}, [cond, body](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{gb::control::make_while(s, {p[0], p[1]}, cond, body)[0]};
            });
            auto else_b = subgraph({f64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              return std::vector<ValueId>{s.add("sub", {p[0], p[1]})};
            });
            return gb::control::make_if(g, g.add("gt", {in[0], c(g, 0)}), {in[0], in[1]}, then_b, else_b)[0];
          }};
}

// The logistic map x <- 4 x (1 - x), three iterations, as a while loop.
inline Program logistic_program() {
  return {"logistic", {"x"}, [](Graph& g, const std::vector<ValueId>& in) {
            auto body = subgraph({i64, f64}, [](Graph& s, const std::vector<ValueId>& p) {
              const ValueId x = s.add("mul", {s.add("mul", {c(s, 4), p[1]}), s.add("sub", {c(s, 1), p[1]})});
              return std::vector<ValueId>{s.add("add", {p[0], ci(s, 1)}), x};
            });
            return gb::control::make_while(g, {ci(g, 0), in[0]}, counter_below(2, 3), body, 100, "logistic")[1];
          }};
}

}  // namespace control_test
