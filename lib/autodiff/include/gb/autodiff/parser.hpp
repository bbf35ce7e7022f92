// parser.hpp: text -> expression tree, in two stages a compiler would recognise.
//
//   tokenize  "log(x1) + 2.5e-1"  ->  name(log) '(' name(x1) ')' '+' number(0.25) end
//   parse     recursive descent over the grammar below, one function per rule:
//     expression := term (('+' | '-') term)*
//     term       := unary (('*' | '/') unary)*
//     unary      := '-' unary | power                 so -x^2 = -(x^2)
//     power      := primary ('^' unary)?              right-associative: 2^3^2 = 2^(3^2)
//     primary    := number | name '(' expression ')' | name | '(' expression ')'
// Every token and node carries its line:column, so errors point at the text:
//   parse: expected ')' at 1:7, given '+'
// The control-flow lessons extend the language with statements: a new rule above `expression`.
#pragma once

#include <string>
#include <vector>

#include "gb/autodiff/expression.hpp"

namespace gb::autodiff {

enum class TokenKind { number, name, plus, minus, star, slash, caret, open, close, comma, end };

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;  // as written ("2.5e-1", "x1", "+"); empty for end
  double number = 0;  // kind == number
  SourcePos pos;
};

// What a token is, for messages: "'+'", "'x1'", "the end of the text".
std::string describe(const Token& token);

// Splits the text into tokens (ending with one `end` token); gb::Error at an unknown character.
std::vector<Token> tokenize(const std::string& text);

// Parses one expression that must use the whole text; gb::Error with line:column otherwise.
ExprPtr parse(const std::string& text);

}  // namespace gb::autodiff
