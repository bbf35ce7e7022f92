// expression.hpp: the expression tree (AST) of the small language of scalar functions.
//
//   f = log(x1) + x1*x2 - sin(x2)      numbers, variables, + - * / ^, unary minus, parentheses,
//                                       sin cos tan exp log sqrt tanh sigmoid relu abs (step sign)
// A node is immutable and shared (ExprPtr), so a derivative can reuse the subtrees of its function:
// the tree a reader sees is the same, but equal subtrees cost memory once. node_count() counts the
// tree as printed (a shared subtree once per use), which is what "expression swell" measures.
// parser.hpp builds trees from text; symbolic.hpp differentiates and simplifies them; evaluate.hpp
// evaluates them on any number type (double, Dual<T>, Var<T>).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gb::autodiff {

enum class ExprKind { number, variable, negate, add, subtract, multiply, divide, power, call };
// The functions of the language. step and sign are the derivatives of relu and abs; they exist so
// that symbolic derivatives of relu and abs can be written down (their own derivative is 0).
enum class Function { sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu, abs, step, sign };

const char* function_name(Function f);                              // "sin", ...
std::optional<Function> function_from_name(const std::string& name);  // nullopt when unknown
std::string function_names();                                        // "sin, cos, ..., sign"

// Where a node came from in the source text (1-based; 0:0 for nodes made by code).
struct SourcePos {
  int line = 0, column = 0;
};
std::string to_string(SourcePos pos);  // "1:7"

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  ExprKind kind = ExprKind::number;
  double number = 0;              // kind == number
  std::string name;               // kind == variable
  Function function = Function::sin;  // kind == call
  std::vector<ExprPtr> operands;  // 1 for negate and call, 2 for the binary operators
  SourcePos pos;
};

// Plain constructors: they build exactly the node asked for (symbolic.hpp has the simplifying ones).
ExprPtr number(double value, SourcePos pos = {});
ExprPtr variable(const std::string& name, SourcePos pos = {});
ExprPtr negate(ExprPtr a, SourcePos pos = {});
ExprPtr binary(ExprKind kind, ExprPtr a, ExprPtr b, SourcePos pos = {});  // add ... power
ExprPtr call(Function f, ExprPtr a, SourcePos pos = {});

// The operator's name for messages and traces: "+", "-", "*", "/", "^", "neg", or the function name.
std::string op_name(const Expr& e);

// The expression as text, with the parentheses that precedence needs (and no others).
std::string to_string(const ExprPtr& e);
// Nodes of the tree as printed: a subtree used twice counts twice (memoised, so fast on DAGs).
std::uint64_t node_count(const ExprPtr& e);
// The variables in the order they first appear, reading the text left to right.
std::vector<std::string> variables(const ExprPtr& e);
// Structural equality (same kinds, numbers, names and functions; positions ignored).
bool same(const ExprPtr& a, const ExprPtr& b);

}  // namespace gb::autodiff
