// swell.cpp: the logistic map as an expression, and the sizes of its derivatives.
#include "gb/autodiff/swell.hpp"

#include <unordered_set>

#include "gb/autodiff/symbolic.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

void check_n(int n, const char* op) {
  if (n < 1 || n > 40) throw Error(op, "1 <= n <= 40 (the tree of l_40 already has about 2^40 nodes)", std::to_string(n));
}

void visit(const Expr* e, std::unordered_set<const Expr*>& seen) {
  if (!seen.insert(e).second) return;
  for (const ExprPtr& child : e->operands) visit(child.get(), seen);
}

}  // namespace

ExprPtr logistic_map(int n, const std::string& var) {
  check_n(n, "logistic_map");
  ExprPtr l = variable(var);
  for (int k = 1; k < n; ++k) {
    // l_{k+1} = 4 * l_k * (1 - l_k): the same node l twice, as the formula reads.
    l = binary(ExprKind::multiply, binary(ExprKind::multiply, number(4), l),
               binary(ExprKind::subtract, number(1), l));
  }
  return l;
}

std::uint64_t unique_node_count(const ExprPtr& e) {
  if (!e) throw Error("unique_node_count", "an expression", "a null ExprPtr");
  std::unordered_set<const Expr*> seen;
  visit(e.get(), seen);
  return seen.size();
}

std::vector<SwellRow> expression_swell(int max_n) {
  check_n(max_n, "expression_swell");
  std::vector<SwellRow> rows;
  for (int n = 1; n <= max_n; ++n) {
    const ExprPtr l = logistic_map(n);
    rows.push_back({n, node_count(l), node_count(differentiate(l, "x", false)),
                    node_count(differentiate(l, "x", true)), unique_node_count(l)});
  }
  return rows;
}

}  // namespace gb::autodiff
