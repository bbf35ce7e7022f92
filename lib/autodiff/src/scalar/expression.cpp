// expression.cpp: building, printing and measuring expression trees.
#include "gb/autodiff/expression.hpp"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

constexpr Function all_functions[] = {Function::sin,  Function::cos,     Function::tan,  Function::exp,
                                      Function::log,  Function::sqrt,    Function::tanh, Function::sigmoid,
                                      Function::relu, Function::abs,     Function::step, Function::sign};

void require(const ExprPtr& e, const char* op) {
  if (!e) throw Error(op, "an operand expression", "a null ExprPtr");
}

// Binding strength, for printing: + - bind loosest, then * /, then unary minus, then ^.
int precedence(const Expr& e) {
  switch (e.kind) {
    case ExprKind::add: case ExprKind::subtract: return 1;
    case ExprKind::multiply: case ExprKind::divide: return 2;
    case ExprKind::negate: return 3;
    case ExprKind::power: return 4;
    case ExprKind::number: return e.number < 0 ? 3 : 5;  // "-2" prints like a negation
    default: return 5;
  }
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  // The shortest text that reads back to the same double.
  for (int digits = 1; digits <= 17; ++digits) {
    char shorter[32];
    std::snprintf(shorter, sizeof shorter, "%.*g", digits, v);
    if (std::strtod(shorter, nullptr) == v) return shorter;
  }
  return buf;
}

std::string print(const Expr& e);

std::string wrapped(const ExprPtr& child, bool parens) {
  return parens ? "(" + print(*child) + ")" : print(*child);
}

std::string print(const Expr& e) {
  switch (e.kind) {
    case ExprKind::number: return format_number(e.number);
    case ExprKind::variable: return e.name;
    case ExprKind::negate: return "-" + wrapped(e.operands[0], precedence(*e.operands[0]) < 4);
    case ExprKind::call: return std::string(function_name(e.function)) + "(" + print(*e.operands[0]) + ")";
    default: break;
  }
  const int p = precedence(e);
  const Expr& right = *e.operands[1];
  // Left operands need parentheses only when they bind looser; right operands also when equal,
  // since - and / are not associative (a - (b - c)). ^ is right-associative: the reverse.
  const bool power = e.kind == ExprKind::power;
  const bool left_parens = power ? precedence(*e.operands[0]) <= p : precedence(*e.operands[0]) < p;
  const bool right_parens = power ? precedence(right) < p : precedence(right) <= p &&
                                    !(precedence(right) == p && (e.kind == ExprKind::add || e.kind == ExprKind::multiply) &&
                                      right.kind == e.kind);
  return wrapped(e.operands[0], left_parens) + " " + op_name(e) + " " + wrapped(e.operands[1], right_parens);
}

std::uint64_t count(const Expr* e, std::unordered_map<const Expr*, std::uint64_t>& memo) {
  if (auto it = memo.find(e); it != memo.end()) return it->second;
  std::uint64_t n = 1;
  for (const ExprPtr& child : e->operands) n += count(child.get(), memo);
  memo[e] = n;
  return n;
}

// Left to right, visiting a shared subtree once (its variables were seen the first time).
void collect(const Expr& e, std::vector<std::string>& out, std::unordered_set<const Expr*>& seen) {
  if (!seen.insert(&e).second) return;
  if (e.kind == ExprKind::variable) {
    for (const std::string& name : out) if (name == e.name) return;
    out.push_back(e.name);
  }
  for (const ExprPtr& child : e.operands) collect(*child, out, seen);
}

}  // namespace

const char* function_name(Function f) {
  switch (f) {
    case Function::sin: return "sin";
    case Function::cos: return "cos";
    case Function::tan: return "tan";
    case Function::exp: return "exp";
    case Function::log: return "log";
    case Function::sqrt: return "sqrt";
    case Function::tanh: return "tanh";
    case Function::sigmoid: return "sigmoid";
    case Function::relu: return "relu";
    case Function::abs: return "abs";
    case Function::step: return "step";
    case Function::sign: return "sign";
  }
  return "?";
}

std::optional<Function> function_from_name(const std::string& name) {
  if (name == "ln") return Function::log;  // the lesson text writes ln(x1); both spellings read the same
  for (Function f : all_functions) if (name == function_name(f)) return f;
  return std::nullopt;
}

std::string function_names() {
  std::string out;
  for (Function f : all_functions) out += (out.empty() ? "" : ", ") + std::string(function_name(f));
  return out;
}

std::string to_string(SourcePos pos) { return std::to_string(pos.line) + ":" + std::to_string(pos.column); }

ExprPtr number(double value, SourcePos pos) {
  return std::make_shared<const Expr>(Expr{ExprKind::number, value, "", Function::sin, {}, pos});
}

ExprPtr variable(const std::string& name, SourcePos pos) {
  if (name.empty()) throw Error("variable", "a name", "an empty string");
  return std::make_shared<const Expr>(Expr{ExprKind::variable, 0, name, Function::sin, {}, pos});
}

ExprPtr negate(ExprPtr a, SourcePos pos) {
  require(a, "negate");
  return std::make_shared<const Expr>(Expr{ExprKind::negate, 0, "", Function::sin, {std::move(a)}, pos});
}

ExprPtr binary(ExprKind kind, ExprPtr a, ExprPtr b, SourcePos pos) {
  require(a, "binary");
  require(b, "binary");
  if (kind < ExprKind::add || kind > ExprKind::power) {
    throw Error("binary", "one of add, subtract, multiply, divide, power", "another ExprKind");
  }
  return std::make_shared<const Expr>(Expr{kind, 0, "", Function::sin, {std::move(a), std::move(b)}, pos});
}

ExprPtr call(Function f, ExprPtr a, SourcePos pos) {
  require(a, "call");
  return std::make_shared<const Expr>(Expr{ExprKind::call, 0, "", f, {std::move(a)}, pos});
}

std::string op_name(const Expr& e) {
  switch (e.kind) {
    case ExprKind::number: return "const";
    case ExprKind::variable: return "input";
    case ExprKind::negate: return "neg";
    case ExprKind::add: return "+";
    case ExprKind::subtract: return "-";
    case ExprKind::multiply: return "*";
    case ExprKind::divide: return "/";
    case ExprKind::power: return "^";
    case ExprKind::call: return function_name(e.function);
  }
  return "?";
}

std::string to_string(const ExprPtr& e) {
  require(e, "to_string");
  return print(*e);
}

std::uint64_t node_count(const ExprPtr& e) {
  require(e, "node_count");
  std::unordered_map<const Expr*, std::uint64_t> memo;
  return count(e.get(), memo);
}

std::vector<std::string> variables(const ExprPtr& e) {
  require(e, "variables");
  std::vector<std::string> out;
  std::unordered_set<const Expr*> seen;
  collect(*e, out, seen);
  return out;
}

bool same(const ExprPtr& a, const ExprPtr& b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind || a->operands.size() != b->operands.size()) return false;
  if (a->kind == ExprKind::number && a->number != b->number) return false;
  if (a->kind == ExprKind::variable && a->name != b->name) return false;
  if (a->kind == ExprKind::call && a->function != b->function) return false;
  for (std::size_t i = 0; i < a->operands.size(); ++i) {
    if (!same(a->operands[i], b->operands[i])) return false;
  }
  return true;
}

}  // namespace gb::autodiff
