// ast.hpp: the script language between its two stages: tokens (tokenizer.cpp) and the syntax tree
// the parser builds (parser.cpp), which the lowering (lower.cpp) turns into a graph::Graph.
//
//   tokenize  "if x > 1:\n    y = 2\n"  ->  if name(x) '>' number(1) ':' NEWLINE INDENT name(y) '='
//                                            number(2) NEWLINE DEDENT end
//   parse     recursive descent, one function per rule:
//     script      := statement* end                    (the last statement is the one `return`)
//     statement   := if | while | for | simple_line
//     simple_line := simple (';' simple)* [';'] NEWLINE
//     simple      := name '=' expression | 'return' expression | 'pass'
//     if          := 'if' expression ':' block ('elif' expression ':' block)* ['else' ':' block]
//     while       := 'while' expression ':' block
//     for         := 'for' name 'in' 'range' '(' expression ')' ':' block
//     block       := simple_line | NEWLINE INDENT statement+ DEDENT
//     expression  := conjunction ('or' conjunction)*
//     conjunction := negation ('and' negation)*
//     negation    := 'not' negation | comparison
//     comparison  := sum [('<' | '<=' | '>' | '>=' | '==' | '!=') sum]      (no chains: a < b < c)
//     sum         := term (('+' | '-') term)*
//     term        := unary (('*' | '/') unary)*
//     unary       := '-' unary | power
//     power       := primary [('^' | '**') unary]
//     primary     := number | name '(' expression (',' expression)* ')' | name | '(' expression ')'
// Like Python, the tokenizer turns indentation into INDENT/DEDENT tokens and ignores line breaks
// inside parentheses, blank lines and '#' comments. Every token and node carries its line:column.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace gb::control::script {

struct SourcePos {
  int line = 1, column = 1;
};
std::string to_string(SourcePos pos);  // "2:9"

// The size limits that keep every stage (and its recursion) bounded on any input.
constexpr std::size_t max_script_chars = 100000;
constexpr int max_nesting = 64;            // nested blocks, parentheses, signs and `not`s
constexpr int max_expression_depth = 256;  // operations on the longest path of one expression tree

// ---- tokens -------------------------------------------------------------------------------------
enum class TokenKind {
  number, name,
  kw_if, kw_elif, kw_else, kw_while, kw_for, kw_in, kw_return, kw_pass, kw_and, kw_or, kw_not,
  plus, minus, star, slash, caret, open, close, comma, colon, semicolon, assign,
  less, less_equal, greater, greater_equal, equal, not_equal,
  newline, indent, dedent, end
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;   // as written ("2.5", "x", "<="); empty for newline, indent, dedent, end
  double number = 0;  // kind == number
  SourcePos pos;
};

// What a token is, for messages: "'+'", "'x1'", "the end of the line", "the end of the text".
std::string describe(const Token& token);

// Splits the text into tokens ending with one `end`; gb::Error with line:column at an unknown
// character, a tab or a space count that matches no enclosing block.
std::vector<Token> tokenize(const std::string& text);

// ---- syntax tree -----------------------------------------------------------------------------------
struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

// An expression node. The parser already names the graph op an operation becomes ("add", "gt",
// "logical_and", "neg", "matmul", ...), so the lowering emits one node per Expr.
struct Expr {
  enum class Kind { number, name, op };
  Kind kind = Kind::number;
  double number = 0;             // number
  std::string name;              // name: the variable read
  std::string op;                // op: the graph op
  std::string text;              // as written: "3", "x", "+", "<=", "ln" (for messages and labels)
  std::vector<ExprPtr> operands; // op: its operands in order
  SourcePos pos;
  int depth = 1;                 // 1 + the deepest operand (bounded by max_expression_depth)
};

struct Stmt;
using Block = std::vector<Stmt>;

struct Stmt {
  enum class Kind { assign, if_else, while_loop, for_range, return_value, pass };
  Kind kind = Kind::pass;
  SourcePos pos;        // of its first token
  std::string target;   // assign: the variable; for_range: the counter
  ExprPtr value;        // assign, return: the value; if, while: the condition; for: the range bound
  Block body;           // if: the then-branch; while, for: the loop body
  Block orelse;         // if: the else-branch (an elif is an if alone in it); empty = no else
};

// The whole script: top-level statements, the last of which is the only `return`.
struct Program {
  Block statements;
};

// Tokenizes and parses; gb::Error with line:column for anything outside the grammar above.
Program parse_program(const std::string& text);

}  // namespace gb::control::script
