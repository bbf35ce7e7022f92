// parser_test.cpp: the expression language: tokens, precedence, printing, and errors with line:column.
#include <gtest/gtest.h>

#include <cmath>

#include "gb/autodiff/evaluate.hpp"
#include "gb/autodiff/parser.hpp"
#include "gb/core/error.hpp"

namespace ad = gb::autodiff;

namespace {

double eval(const std::string& text, const ad::Environment<double>& env = {}) {
  return ad::evaluate(*ad::parse(text), env);
}

std::string error_of(const std::string& text, const ad::Environment<double>& env = {}) {
  try {
    eval(text, env);
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(ExpressionLanguage, TokensCarryLineAndColumn) {
  const auto tokens = ad::tokenize("log(x1)\n  + 2.5e-1");
  ASSERT_EQ(tokens.size(), 7u);
  EXPECT_EQ(tokens[0].kind, ad::TokenKind::name);
  EXPECT_EQ(tokens[0].text, "log");
  EXPECT_EQ(tokens[2].text, "x1");
  EXPECT_EQ(tokens[2].pos.column, 5);
  EXPECT_EQ(tokens[4].kind, ad::TokenKind::plus);
  EXPECT_EQ(tokens[4].pos.line, 2);
  EXPECT_EQ(tokens[4].pos.column, 3);
  EXPECT_EQ(tokens[5].kind, ad::TokenKind::number);
  EXPECT_DOUBLE_EQ(tokens[5].number, 0.25);
  EXPECT_EQ(tokens[6].kind, ad::TokenKind::end);
}

TEST(ExpressionLanguage, PrecedenceAndAssociativity) {
  EXPECT_DOUBLE_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_DOUBLE_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_DOUBLE_EQ(eval("8 - 3 - 2"), 3);    // left-associative
  EXPECT_DOUBLE_EQ(eval("16 / 4 / 2"), 2);
  EXPECT_DOUBLE_EQ(eval("2 ^ 3 ^ 2"), 512);  // right-associative
  EXPECT_DOUBLE_EQ(eval("-2 ^ 2"), -4);      // -(2^2), as in mathematics and Python
  EXPECT_DOUBLE_EQ(eval("2 ^ -1"), 0.5);
  EXPECT_DOUBLE_EQ(eval("--3"), 3);
  EXPECT_DOUBLE_EQ(eval("x * y", {{"x", 3}, {"y", 4}}), 12);
  EXPECT_NEAR(eval("log(x1) + x1*x2 - sin(x2)", {{"x1", 2}, {"x2", 5}}), 11.652071, 1e-6);
}

TEST(ExpressionLanguage, EveryFunction) {
  EXPECT_DOUBLE_EQ(eval("sin(1)"), std::sin(1.0));
  EXPECT_DOUBLE_EQ(eval("cos(1)"), std::cos(1.0));
  EXPECT_DOUBLE_EQ(eval("tan(1)"), std::tan(1.0));
  EXPECT_DOUBLE_EQ(eval("exp(1)"), std::exp(1.0));
  EXPECT_DOUBLE_EQ(eval("log(2)"), std::log(2.0));
  EXPECT_DOUBLE_EQ(eval("sqrt(2)"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(eval("tanh(1)"), std::tanh(1.0));
  EXPECT_DOUBLE_EQ(eval("sigmoid(1)"), 1 / (1 + std::exp(-1.0)));
  EXPECT_DOUBLE_EQ(eval("sigmoid(-800)"), 0.0);  // no overflow in exp(800)
  EXPECT_DOUBLE_EQ(eval("relu(-2) + relu(3)"), 3);
  EXPECT_DOUBLE_EQ(eval("abs(-2)"), 2);
}

TEST(ExpressionLanguage, PrintsWithTheParenthesesItNeeds) {
  for (const char* text : {"a - (b - c)", "a - b - c", "(a + b) * c", "a / (b * c)", "-(a + b)", "(-a) ^ 2",
                           "a ^ b ^ c", "(a ^ b) ^ c", "log(x1) + x1 * x2 - sin(x2)", "-a ^ 2"}) {
    EXPECT_EQ(ad::to_string(ad::parse(text)), text);
  }
  EXPECT_EQ(ad::to_string(ad::parse("((x))*(2)")), "x * 2");
}

TEST(ExpressionLanguage, VariablesInOrderOfFirstAppearance) {
  EXPECT_EQ(ad::variables(ad::parse("b * a + sin(c) - b")), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_TRUE(ad::variables(ad::parse("2 + 3")).empty());
  EXPECT_EQ(ad::node_count(ad::parse("log(x1) + x1*x2 - sin(x2)")), 9u);  // log x1 + * x1 x2 - sin x2
}

TEST(ExpressionLanguage, ParseErrorsNameLineAndColumn) {
  EXPECT_EQ(error_of("(x1 + 2"), "parse: expected ')' at 1:8, given the end of the text");
  EXPECT_EQ(error_of("sin(x1 + 2 x2"), "parse: expected ')' at 1:12, given 'x2'");
  EXPECT_EQ(error_of("x1 +"), "parse: expected a number, a name or '(' at 1:5, given the end of the text");
  EXPECT_EQ(error_of("x1 + * 2"), "parse: expected a number, a name or '(' at 1:6, given '*'");
  EXPECT_EQ(error_of("x1 2"), "parse: expected an operator or the end of the text at 1:4, given '2'");
  EXPECT_EQ(error_of("1 +\n  x # 2"),
            "parse: expected a number, a name, an operator (+ - * / ^) or a parenthesis at 2:5, given '#'");
  EXPECT_NE(error_of("foo(2)").find("a known function (sin, cos"), std::string::npos);
  EXPECT_NE(error_of("foo(2)").find("at 1:1, given 'foo'"), std::string::npos);
  EXPECT_NE(error_of("1e+").find("digits after the exponent"), std::string::npos);
  EXPECT_NE(error_of("").find("given the end of the text"), std::string::npos);
  EXPECT_NE(error_of(std::string(600, '(') + "x" + std::string(600, ')')).find("nested"), std::string::npos);
  std::string long_sum = "x";
  for (int i = 0; i < 1500; ++i) long_sum += "+x";
  EXPECT_NE(error_of(long_sum).find("tokens"), std::string::npos);
}

TEST(ExpressionLanguage, UnknownVariablesAndDomainErrorsAtEvaluation) {
  EXPECT_EQ(error_of("x1 + x3", {{"x1", 1}, {"x2", 2}}),
            "evaluate: expected a value for the variable 'x3' (at 1:6), given values for x1, x2");
  EXPECT_EQ(error_of("log(x)", {{"x", -2}}), "log: expected a positive argument (at 1:1), given -2");
  EXPECT_EQ(error_of("log(0)"), "log: expected a positive argument (at 1:1), given 0");
  EXPECT_EQ(error_of("1 + sqrt(x)", {{"x", -0.5}}), "sqrt: expected an argument >= 0 (at 1:5), given -0.5");
  EXPECT_EQ(error_of("1 / (x - 1)", {{"x", 1}}), "/: expected a nonzero divisor (at 1:3), given 0");
  EXPECT_NE(error_of("x ^ 0.5", {{"x", -1}}).find("^: expected a base >= 0"), std::string::npos);
  EXPECT_NE(error_of("x ^ -1", {{"x", 0}}).find("^: expected a nonzero base"), std::string::npos);
  EXPECT_NE(error_of("x ^ y", {{"x", -1}, {"y", 2}}).find("^: expected a positive base"), std::string::npos);
  EXPECT_NE(error_of("exp(x)", {{"x", 1000}}).find("exp: expected a finite result"), std::string::npos);
  EXPECT_DOUBLE_EQ(eval("x ^ 2", {{"x", -3}}), 9);  // an integer power of a negative base is fine
}

namespace {

// ln is the lesson's spelling of the natural logarithm; it reads as log.
TEST(ExpressionLanguage, LnIsTheNaturalLogarithm) {
  EXPECT_DOUBLE_EQ(eval("ln(x)", {{"x", 2.0}}), std::log(2.0));
  EXPECT_DOUBLE_EQ(eval("ln(x) - log(x)", {{"x", 7.0}}), 0.0);
}

}  // namespace
