// graph_test_helpers.hpp: shared by the graph unit tests: one-node graphs, and the gradient check
// of a graph against central differences in f64.
//
// For y = f(x_1..x_n) and a fixed random w of y's shape, gradients(graph, y, xs, seed = w) gives
// d(sum(y * w))/dx_i (a VJP with seed w, so no mul VJP is involved); the central difference
// (L(x + h e_k) - L(x - h e_k)) / 2h approximates each entry with error O(h^2).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/graph/backward.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/graph.hpp"
#include "gb/graph/registry.hpp"

namespace gb_graph_test {

using gb::DType;
using gb::Shape;
using gb::Tensor;
namespace graph = gb::graph;

// Builds y = build(graph, placeholders) on placeholders shaped like xs ("x0", "x1", ...).
using BuildFn = std::function<graph::ValueId(graph::Graph&, const std::vector<graph::ValueId>&)>;

inline graph::Feeds feeds_of(const std::vector<Tensor>& xs) {
  graph::Feeds feeds;
  for (std::size_t i = 0; i < xs.size(); ++i) feeds["x" + std::to_string(i)] = xs[i];
  return feeds;
}

inline std::vector<graph::ValueId> placeholders_like(graph::Graph& g, const std::vector<Tensor>& xs) {
  std::vector<graph::ValueId> ps;
  for (std::size_t i = 0; i < xs.size(); ++i) ps.push_back(g.placeholder("x" + std::to_string(i), {xs[i].dtype(), xs[i].shape()}));
  return ps;
}

// Runs the one-output graph build(...) on xs.
inline Tensor evaluate(const BuildFn& build, const std::vector<Tensor>& xs) {
  graph::Graph g;
  const std::vector<graph::ValueId> ps = placeholders_like(g, xs);
  g.set_outputs({build(g, ps)});
  return graph::run_fifo(g, feeds_of(xs)).outputs[0];
}

// Checks the graph-level gradient of build(...) wrt every x in xs (f64) against central differences.
inline void expect_gradients_match(const BuildFn& build, const std::vector<Tensor>& xs, double tol = 1e-6,
                                   std::uint64_t seed = 7) {
  graph::Graph g;
  const std::vector<graph::ValueId> ps = placeholders_like(g, xs);
  const graph::ValueId y = build(g, ps);
  gb::Rng rng(seed);
  const Tensor probe = evaluate(build, xs);
  const Tensor w = rng.uniform(probe.shape(), -1, 1, DType::f64);
  const graph::ValueId w_value = g.constant(w, "w");
  std::vector<graph::ValueId> grads = graph::gradients(g, y, ps, w_value);
  g.set_outputs(grads);
  const std::vector<Tensor> analytic = graph::run_fifo(g, feeds_of(xs)).outputs;
  const double h = 1e-6;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    ASSERT_EQ(analytic[i].shape(), xs[i].shape()) << "input " << i;
    for (std::int64_t k = 0; k < xs[i].numel(); ++k) {
      auto loss_at = [&](double delta) {
        std::vector<Tensor> moved = xs;
        moved[i] = xs[i].clone();
        std::vector<double> values = moved[i].to_vector();
        values[static_cast<std::size_t>(k)] += delta;
        moved[i] = Tensor::from_values(values, xs[i].shape(), xs[i].dtype());
        return gb::sum(gb::mul(evaluate(build, moved), w)).item();
      };
      const double numeric = (loss_at(h) - loss_at(-h)) / (2 * h);
      EXPECT_NEAR(analytic[i].to_vector()[static_cast<std::size_t>(k)], numeric, tol * (1 + std::abs(numeric)))
          << "input " << i << " element " << k;
    }
  }
}

// One-node graph builders.
inline BuildFn op1(const std::string& op, graph::Attributes attrs = {}) {
  return [op, attrs](graph::Graph& g, const std::vector<graph::ValueId>& in) { return g.add(op, in, attrs); };
}

}  // namespace gb_graph_test
