// script_parser_test.cpp: the script language's first two stages (lesson 09): tokens with
// INDENT/DEDENT and line:column, the syntax tree, and every syntax error with its exact position.
#include <gtest/gtest.h>

#include <string>
#include <vector>

// The tokenizer and the syntax tree are internal to gb_control: the test reads them from the source.
#include "../../../lib/control/src/script/ast.hpp"
#include "gb/core/error.hpp"

namespace script = gb::control::script;
using script::TokenKind;

namespace {

std::vector<TokenKind> kinds(const std::string& text) {
  std::vector<TokenKind> out;
  for (const script::Token& token : script::tokenize(text)) out.push_back(token.kind);
  return out;
}

std::string parse_error(const std::string& text) {
  try {
    script::parse_program(text);
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(ScriptTokens, CarryLineAndColumn) {
  const auto tokens = script::tokenize("y = 2.5e-1\nif y >= 1: z = y ** 2");
  ASSERT_EQ(tokens.size(), 16u);
  EXPECT_EQ(tokens[0].kind, TokenKind::name);
  EXPECT_EQ(tokens[0].text, "y");
  EXPECT_EQ(tokens[2].kind, TokenKind::number);
  EXPECT_DOUBLE_EQ(tokens[2].number, 0.25);
  EXPECT_EQ(tokens[2].pos.column, 5);
  EXPECT_EQ(tokens[3].kind, TokenKind::newline);
  EXPECT_EQ(tokens[4].kind, TokenKind::kw_if);
  EXPECT_EQ(tokens[4].pos.line, 2);
  EXPECT_EQ(tokens[6].kind, TokenKind::greater_equal);
  EXPECT_EQ(tokens[6].pos.column, 6);
  EXPECT_EQ(tokens[8].kind, TokenKind::colon);
  EXPECT_EQ(tokens[12].kind, TokenKind::caret);  // ** is ^
  EXPECT_EQ(tokens[12].text, "**");
  EXPECT_EQ(tokens[15].kind, TokenKind::end);
}

TEST(ScriptTokens, IndentationBecomesIndentAndDedent) {
  const std::string text =
      "while x < 10:\n"
      "    if x > 1:\n"
      "        x = x * 2\n"
      "\n"
      "        # a comment line is no line\n"
      "    x = x + 1\n"
      "return x";
  using K = TokenKind;
  const std::vector<K> expected = {
      K::kw_while, K::name, K::less, K::number, K::colon, K::newline,
      K::indent, K::kw_if, K::name, K::greater, K::number, K::colon, K::newline,
      K::indent, K::name, K::assign, K::name, K::star, K::number, K::newline,
      K::dedent, K::name, K::assign, K::name, K::plus, K::number, K::newline,
      K::dedent, K::kw_return, K::name, K::newline, K::end};
  EXPECT_EQ(kinds(text), expected);
  // Two blocks closed at once give two DEDENTs, at the first token of the line that closes them.
  const auto tokens = script::tokenize("if a:\n  if b:\n    c = 1\nreturn c\n");
  std::size_t dedents = 0;
  for (const auto& token : tokens) {
    if (token.kind != K::dedent) continue;
    ++dedents;
    EXPECT_EQ(script::to_string(token.pos), "4:1");
  }
  EXPECT_EQ(dedents, 2u);
}

TEST(ScriptTokens, LineBreaksInsideParenthesesAreNotNewlines) {
  using K = TokenKind;
  const std::vector<K> expected = {K::name, K::assign, K::open, K::name, K::plus,
                                   K::name, K::close, K::newline, K::end};
  EXPECT_EQ(kinds("y = (a +\n        b)\n"), expected);
  EXPECT_EQ(kinds(""), std::vector<K>{K::end});
  EXPECT_EQ(kinds("\n\n   \n# only a comment"), std::vector<K>{K::end});
}

TEST(ScriptParser, StatementsAndPrecedence) {
  const script::Program program = script::parse_program(
      "y = -x ^ 2 + 3 * x\n"
      "if y > 1 and not y == 4: z = 1; w = 2\n"
      "elif y < 0:\n"
      "    z = 0\n"
      "else:\n"
      "    pass\n"
      "for i in range(3):\n"
      "    z = 4 * z * (1 - z)\n"
      "return z");
  const script::Block& s = program.statements;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].kind, script::Stmt::Kind::assign);
  EXPECT_EQ(s[0].value->op, "add");                 // (-(x^2)) + (3*x)
  EXPECT_EQ(s[0].value->operands[0]->op, "neg");
  EXPECT_EQ(s[0].value->operands[0]->operands[0]->op, "pow");
  ASSERT_EQ(s[1].kind, script::Stmt::Kind::if_else);
  EXPECT_EQ(s[1].value->op, "logical_and");
  EXPECT_EQ(s[1].value->operands[1]->op, "logical_not");
  EXPECT_EQ(s[1].body.size(), 2u);                  // z = 1; w = 2 after the ':' on the same line
  ASSERT_EQ(s[1].orelse.size(), 1u);                // the elif: an if alone in the else-branch
  EXPECT_EQ(s[1].orelse[0].kind, script::Stmt::Kind::if_else);
  EXPECT_EQ(s[1].orelse[0].orelse[0].kind, script::Stmt::Kind::pass);
  EXPECT_EQ(s[2].kind, script::Stmt::Kind::for_range);
  EXPECT_EQ(s[2].target, "i");
  EXPECT_EQ(s[2].value->number, 3);
  EXPECT_EQ(s[3].kind, script::Stmt::Kind::return_value);
  EXPECT_EQ(script::to_string(s[3].pos), "9:1");
}

TEST(ScriptParser, FunctionsBecomeGraphOps) {
  const auto program = script::parse_program("return matmul(a, transpose(b)) + ln(sum(c)) + 2 ^ 3 ^ 2");
  const script::Expr& e = *program.statements[0].value;
  EXPECT_EQ(e.operands[0]->operands[0]->op, "matmul");
  EXPECT_EQ(e.operands[0]->operands[0]->operands[1]->op, "transpose");
  EXPECT_EQ(e.operands[0]->operands[1]->op, "log");  // ln is log
  EXPECT_EQ(e.operands[1]->op, "pow");                // 2 ^ (3 ^ 2)
  EXPECT_EQ(e.operands[1]->operands[1]->op, "pow");
}

TEST(ScriptParser, EveryErrorNamesItsLineAndColumn) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"y = 1\nif y > 1\n    y = 2\nreturn y", "script: expected ':' at 2:9, given the end of the line"},
      {"if x > 1: y\nreturn y", "script: expected '=' at 1:12, given the end of the line"},
      {"y = (x + 1\nreturn y", "script: expected ')' at 2:1, given 'return'"},
      {"y = x $ 2\nreturn y", "script: expected a number, a name, an operator (+ - * / ^ ** < <= > >= == != =) "
                              "or one of ( ) , : ; at 1:7, given '$'"},
      {"y = 1\n  z = 2\nreturn z", "script: expected a statement without indentation (no block is open) at 2:3, "
                                  "given an indented line"},
      {"if x:\n    y = 1\n  z = 2\nreturn z", "script: expected an indentation of 0 spaces (an enclosing block) at "
                                            "3:3, given 2 spaces"},
      {"if x:\ny = 1\nreturn y", "script: expected an indented block at 2:1, given 'y'"},
      {"if x:\n\ty = 1\nreturn y", "script: expected spaces for indentation at 2:1, given a tab"},
      {"y = x\n", "script: expected a 'return' statement as the last statement of the script at 2:1, given the end "
                  "of the text"},
      {"", "script: expected a 'return' statement as the last statement of the script at 1:1, given the end of the "
           "text"},
      {"return x\ny = 1", "script: expected the end of the script after the 'return' at 1:1, given a statement at 2:1"},
      {"if x:\n    return x\nreturn x", "script: expected 'return' only as the last statement of the script, not "
                                       "inside a block at 2:5, given 'return'"},
      {"y = foo(x)\nreturn y", "script: expected a known function (cos exp ln log matmul mean relu sigmoid sin sqrt "
                               "sum tanh transpose) at 1:5, given 'foo'"},
      {"y = matmul(x)\nreturn y", "script: expected 2 arguments for matmul at 1:5, given 1 (the call ends at 1:13)"},
      {"y = 1 < x < 3\nreturn y", "script: expected one comparison (write a < b and b < c for a chain) at 1:11, "
                                  "given '<'"},
      {"for i in range(3, 4): y = i\nreturn y", "script: expected ')' (range takes one argument) at 1:17, given ','"},
      {"for i in xrange(3): y = i\nreturn y", "script: expected 'range' (the only loop is for i in range(n)) at 1:10, "
                                              "given 'xrange'"},
      {"for 3 in range(3): y = 1\nreturn y", "script: expected the name of the loop counter at 1:5, given '3'"},
      {"if x: while x: x = 1\nreturn x", "script: expected a simple statement after ':' on the same line (if, while "
                                         "and for start a new line) at 1:7, given 'while'"},
      {"y = 1e+\nreturn y", "script: expected digits after the exponent 'e' at 1:8, given '1e+\n'"},
      {"y = 1e999\nreturn y", "script: expected a number that fits a double at 1:5, given '1e999'"},
      {"3 = y\nreturn y", "script: expected a statement (an assignment, if, while, for, return or pass) at 1:1, "
                          "given '3'"},
      {"y = 1 +\nreturn y", "script: expected a number, a name or '(' at 1:8, given the end of the line"},
      {"y = x; ; z = 1\nreturn y", "script: expected a statement (an assignment, if, while, for, return or pass) at "
                                   "1:8, given ';'"},
      {"else: y = 1\nreturn y", "script: expected a statement (an assignment, if, while, for, return or pass) at "
                                "1:1, given 'else'"},
      {"y = \xc3\xa9\nreturn y", "script: expected a number, a name, an operator (+ - * / ^ ** < <= > >= == != =) or "
                                 "one of ( ) , : ; at 1:5, given the byte 195"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(parse_error(text), message) << text;
}

TEST(ScriptParser, NestingAndSizeAreBounded) {
  // 65 nested parentheses, 65 nested blocks, a 300-term chain, 100001 characters: errors, not crashes.
  EXPECT_EQ(parse_error("return " + std::string(65, '(') + "x" + std::string(65, ')')),
            "script: expected at most 64 nested blocks, parentheses or signs at 1:72, given deeper nesting");
  std::string blocks;
  for (int depth = 0; depth < 65; ++depth) blocks += std::string(static_cast<std::size_t>(depth), ' ') + "if x:\n";
  blocks += std::string(65, ' ') + "x = 1\nreturn x";
  EXPECT_NE(parse_error(blocks).find("expected at most 64 nested blocks, parentheses or signs at 65:"),
            std::string::npos);
  std::string chain = "return x";
  for (int k = 0; k < 300; ++k) chain += " + x";
  EXPECT_EQ(parse_error(chain), "script: expected an expression at most 256 operations deep at 1:1030, given a deeper "
                                "one (split it with assignments)");
  EXPECT_EQ(parse_error(std::string(100001, ' ')),
            "script: expected a script of at most 100000 characters, given 100001 characters");
  EXPECT_EQ(parse_error("return " + std::string(200, '-') + "x"),
            "script: expected at most 64 nested blocks, parentheses or signs at 1:72, given deeper nesting");
  EXPECT_EQ(parse_error("return " + std::string(100, '(') + "x"),
            "script: expected at most 64 nested blocks, parentheses or signs at 1:72, given deeper nesting");
}
