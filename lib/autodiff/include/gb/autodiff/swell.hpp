// swell.hpp: expression swell, measured on the logistic map (lesson 02-derivatives).
//
// l_1 = x, l_{n+1} = 4 l_n (1 - l_n). Written out as a tree, l_n contains l_{n-1} twice, so it has
// about 2^n nodes; its symbolic derivative by the product rule repeats whole copies of l_{n-1} and of
// its derivative, and grows faster still. Automatic differentiation never writes the derivative out:
// it evaluates the shared graph (the DAG), whose size grows linearly with n.
// (l_4 = 64 x (1 - x) (1 - 2x)^2 (1 - 8x + 8x^2)^2: three iterations in closed form.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/autodiff/expression.hpp"

namespace gb::autodiff {

// l_n of the logistic map as an expression in `var` (1 <= n <= 40), l_n used twice in l_{n+1}.
ExprPtr logistic_map(int n, const std::string& var = "x");

struct SwellRow {
  int n = 0;
  std::uint64_t expression_nodes = 0;              // l_n as a tree
  std::uint64_t derivative_nodes = 0;              // d l_n / dx as a tree, rules applied literally
  std::uint64_t simplified_derivative_nodes = 0;   // the same with simplification
  std::uint64_t graph_nodes = 0;                   // distinct nodes of l_n's DAG: what AD evaluates
};

// One row per n = 1..max_n (1 <= max_n <= 40).
std::vector<SwellRow> expression_swell(int max_n);

// Distinct nodes of e (a subtree shared in the DAG counts once).
std::uint64_t unique_node_count(const ExprPtr& e);

}  // namespace gb::autodiff
