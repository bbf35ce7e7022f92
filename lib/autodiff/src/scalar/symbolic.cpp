// symbolic.cpp: the differentiation rules and the simplification rules, on expression trees.
#include "gb/autodiff/symbolic.hpp"

#include <cmath>
#include <unordered_map>

#include "gb/autodiff/evaluate.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

bool is_number(const ExprPtr& e, double v) { return e->kind == ExprKind::number && e->number == v; }
bool is_number(const ExprPtr& e) { return e->kind == ExprKind::number; }

// Builds nodes; with `simplify` it applies the local rules of algebra as it goes.
struct Builder {
  bool simplify = true;

  // A node whose operands are all numbers becomes its value (when that is finite).
  ExprPtr fold(ExprPtr e) const {
    if (!simplify) return e;
    for (const ExprPtr& operand : e->operands) if (!is_number(operand)) return e;
    try {
      return number(evaluate(*e, Environment<double>{}));
    } catch (const Error&) {
      return e;  // e.g. 1/0 or log(-1): keep the node, evaluation will report it
    }
  }
  ExprPtr neg(ExprPtr a) const {
    if (simplify && a->kind == ExprKind::negate) return a->operands[0];  // --x = x
    return fold(negate(std::move(a)));
  }
  ExprPtr add(ExprPtr a, ExprPtr b) const {
    if (simplify && is_number(a, 0)) return b;
    if (simplify && is_number(b, 0)) return a;
    return fold(binary(ExprKind::add, std::move(a), std::move(b)));
  }
  ExprPtr sub(ExprPtr a, ExprPtr b) const {
    if (simplify && is_number(b, 0)) return a;
    if (simplify && is_number(a, 0)) return neg(std::move(b));
    if (simplify && a == b) return number(0);  // the same node: x - x = 0
    return fold(binary(ExprKind::subtract, std::move(a), std::move(b)));
  }
  ExprPtr mul(ExprPtr a, ExprPtr b) const {
    if (simplify && (is_number(a, 0) || is_number(b, 0))) return number(0);
    if (simplify && is_number(a, 1)) return b;
    if (simplify && is_number(b, 1)) return a;
    if (simplify && is_number(a, -1)) return neg(std::move(b));
    if (simplify && is_number(b, -1)) return neg(std::move(a));
    return fold(binary(ExprKind::multiply, std::move(a), std::move(b)));
  }
  ExprPtr div(ExprPtr a, ExprPtr b) const {
    if (simplify && is_number(b, 1)) return a;
    if (simplify && is_number(a, 0) && !is_number(b, 0)) return number(0);
    return fold(binary(ExprKind::divide, std::move(a), std::move(b)));
  }
  ExprPtr pow(ExprPtr a, ExprPtr b) const {
    if (simplify && is_number(b, 1)) return a;
    if (simplify && is_number(b, 0)) return number(1);
    return fold(binary(ExprKind::power, std::move(a), std::move(b)));
  }
  ExprPtr apply(Function f, ExprPtr a) const { return fold(call(f, std::move(a))); }

  // The same node kind over new operands.
  ExprPtr rebuild(const Expr& e, const std::vector<ExprPtr>& ops) const {
    switch (e.kind) {
      case ExprKind::number: return number(e.number, e.pos);
      case ExprKind::variable: return variable(e.name, e.pos);
      case ExprKind::negate: return neg(ops[0]);
      case ExprKind::add: return add(ops[0], ops[1]);
      case ExprKind::subtract: return sub(ops[0], ops[1]);
      case ExprKind::multiply: return mul(ops[0], ops[1]);
      case ExprKind::divide: return div(ops[0], ops[1]);
      case ExprKind::power: return pow(ops[0], ops[1]);
      case ExprKind::call: return apply(e.function, ops[0]);
    }
    return nullptr;
  }
};

bool depends(const Expr* e, const std::string& var, std::unordered_map<const Expr*, bool>& memo) {
  if (e->kind == ExprKind::variable) return e->name == var;
  if (auto it = memo.find(e); it != memo.end()) return it->second;
  bool found = false;
  for (const ExprPtr& child : e->operands) found = found || depends(child.get(), var, memo);
  memo[e] = found;
  return found;
}

class Differentiator {
 public:
  Differentiator(std::string var, bool simplify) : var_(std::move(var)), b_{simplify} {}

  // Memoised by node: a subtree shared in the input is differentiated once (the result is a DAG).
  ExprPtr d(const ExprPtr& e) {
    if (auto it = memo_.find(e.get()); it != memo_.end()) return it->second;
    ExprPtr result = rule(e);
    memo_[e.get()] = result;
    return result;
  }

 private:
  ExprPtr rule(const ExprPtr& e) {
    const Builder& b = b_;
    switch (e->kind) {
      case ExprKind::number: return number(0);
      case ExprKind::variable: return number(e->name == var_ ? 1 : 0);
      case ExprKind::negate: return b.neg(d(e->operands[0]));
      case ExprKind::add: return b.add(d(e->operands[0]), d(e->operands[1]));
      case ExprKind::subtract: return b.sub(d(e->operands[0]), d(e->operands[1]));
      default: break;
    }
    const ExprPtr& u = e->operands[0];
    if (e->kind == ExprKind::call) return b.mul(outer_derivative(e, u), d(u));  // chain rule
    const ExprPtr& v = e->operands[1];
    switch (e->kind) {
      case ExprKind::multiply: return b.add(b.mul(d(u), v), b.mul(u, d(v)));  // product rule
      case ExprKind::divide:                                                   // quotient rule
        return b.div(b.sub(b.mul(d(u), v), b.mul(u, d(v))), b.pow(v, number(2)));
      case ExprKind::power:
        if (!depends(v.get(), var_, depends_memo_)) {  // d u^c = c u^(c-1) du
          // A number c gets the number c - 1, so u^(c-1) keeps u's domain (negative u, integer c).
          const ExprPtr c_minus_1 = is_number(v) ? number(v->number - 1) : b.sub(v, number(1));
          return b.mul(b.mul(v, b.pow(u, c_minus_1)), d(u));
        }
        // d u^v = u^v (dv log u + v du / u)
        return b.mul(e, b.add(b.mul(d(v), b.apply(Function::log, u)), b.div(b.mul(v, d(u)), u)));
      default: throw Error("differentiate", "a known kind of node", op_name(*e));
    }
  }

  // f'(u) for e = f(u).
  ExprPtr outer_derivative(const ExprPtr& e, const ExprPtr& u) const {
    const Builder& b = b_;
    switch (e->function) {
      case Function::sin: return b.apply(Function::cos, u);
      case Function::cos: return b.neg(b.apply(Function::sin, u));
      case Function::tan: return b.add(number(1), b.pow(e, number(2)));  // 1 + tan^2 u
      case Function::exp: return e;                                       // exp' = exp
      case Function::log: return b.div(number(1), u);
      case Function::sqrt: return b.div(number(1), b.mul(number(2), e));
      case Function::tanh: return b.sub(number(1), b.pow(e, number(2)));
      case Function::sigmoid: return b.mul(e, b.sub(number(1), e));
      case Function::relu: return b.apply(Function::step, u);
      case Function::abs: return b.apply(Function::sign, u);
      case Function::step: case Function::sign: return number(0);
    }
    return number(0);
  }

  std::string var_;
  Builder b_;
  std::unordered_map<const Expr*, ExprPtr> memo_;
  std::unordered_map<const Expr*, bool> depends_memo_;
};

ExprPtr simplified(const ExprPtr& e, const Builder& b, std::unordered_map<const Expr*, ExprPtr>& memo) {
  if (auto it = memo.find(e.get()); it != memo.end()) return it->second;
  std::vector<ExprPtr> ops;
  for (const ExprPtr& child : e->operands) ops.push_back(simplified(child, b, memo));
  ExprPtr result = b.rebuild(*e, ops);
  memo[e.get()] = result;
  return result;
}

}  // namespace

bool depends_on(const ExprPtr& e, const std::string& var) {
  if (!e) throw Error("depends_on", "an expression", "a null ExprPtr");
  std::unordered_map<const Expr*, bool> memo;
  return depends(e.get(), var, memo);
}

ExprPtr differentiate(const ExprPtr& f, const std::string& var, bool simplify) {
  if (!f) throw Error("differentiate", "an expression", "a null ExprPtr");
  if (var.empty()) throw Error("differentiate", "the name of a variable", "an empty name");
  return Differentiator(var, simplify).d(f);
}

ExprPtr simplify(const ExprPtr& e) {
  if (!e) throw Error("simplify", "an expression", "a null ExprPtr");
  std::unordered_map<const Expr*, ExprPtr> memo;
  return simplified(e, Builder{true}, memo);
}

}  // namespace gb::autodiff
