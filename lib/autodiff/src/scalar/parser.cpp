// parser.cpp: recursive descent, one function per grammar rule of parser.hpp.
#include "gb/autodiff/parser.hpp"

#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  ExprPtr whole_text() {
    ExprPtr e = expression();
    if (peek().kind != TokenKind::end) fail("an operator or the end of the text");
    return e;
  }

 private:
  // expression := term (('+' | '-') term)*
  ExprPtr expression() {
    ExprPtr left = term();
    while (peek().kind == TokenKind::plus || peek().kind == TokenKind::minus) {
      const Token op = next();
      left = binary(op.kind == TokenKind::plus ? ExprKind::add : ExprKind::subtract, left, term(), op.pos);
    }
    return left;
  }

  // term := unary (('*' | '/') unary)*
  ExprPtr term() {
    ExprPtr left = unary();
    while (peek().kind == TokenKind::star || peek().kind == TokenKind::slash) {
      const Token op = next();
      left = binary(op.kind == TokenKind::star ? ExprKind::multiply : ExprKind::divide, left, unary(), op.pos);
    }
    return left;
  }

  // unary := '-' unary | power
  ExprPtr unary() {
    if (peek().kind == TokenKind::minus) {
      const Token op = next();
      guard_depth();
      ExprPtr operand = unary();
      --depth_;
      // A negative literal is a number ("2 ^ -1" has a constant exponent), anything else a negation.
      if (operand->kind == ExprKind::number) return number(-operand->number, op.pos);
      return negate(operand, op.pos);
    }
    return power();
  }

  // power := primary ('^' unary)?
  ExprPtr power() {
    ExprPtr base = primary();
    if (peek().kind != TokenKind::caret) return base;
    const Token op = next();
    guard_depth();
    ExprPtr exponent = unary();
    --depth_;
    return binary(ExprKind::power, base, exponent, op.pos);
  }

  // primary := number | name '(' expression ')' | name | '(' expression ')'
  ExprPtr primary() {
    const Token token = next();
    switch (token.kind) {
      case TokenKind::number: return number(token.number, token.pos);
      case TokenKind::name: {
        if (peek().kind != TokenKind::open) return variable(token.text, token.pos);
        const auto f = function_from_name(token.text);
        if (!f) {
          throw Error("parse", "a known function (" + function_names() + ") at " + to_string(token.pos),
                      "'" + token.text + "'");
        }
        next();  // '('
        ExprPtr argument = nested();
        expect(TokenKind::close, "')'");
        return call(*f, argument, token.pos);
      }
      case TokenKind::open: {
        ExprPtr inner = nested();
        expect(TokenKind::close, "')'");
        return inner;
      }
      default:
        if (token.kind != TokenKind::end) --index_;  // report the token we could not use
        fail("a number, a name or '('");
    }
  }

  // A parenthesised sub-expression; the depth limit keeps "((((...))))" from exhausting the stack.
  ExprPtr nested() {
    guard_depth();
    ExprPtr e = expression();
    --depth_;
    return e;
  }

  void guard_depth() {
    if (++depth_ > max_depth) {
      throw Error("parse", "at most " + std::to_string(max_depth) + " nested parentheses or signs at " +
                               to_string(peek().pos), "deeper nesting");
    }
  }

  const Token& peek() const { return tokens_[index_]; }
  Token next() {
    const Token token = tokens_[index_];
    if (token.kind != TokenKind::end) ++index_;
    return token;
  }
  void expect(TokenKind kind, const std::string& what) {
    if (peek().kind != kind) fail(what);
    next();
  }
  [[noreturn]] void fail(const std::string& expected) const {
    throw Error("parse", expected + " at " + to_string(peek().pos), describe(peek()));
  }

  static constexpr int max_depth = 500;
  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  int depth_ = 0;
};

}  // namespace

ExprPtr parse(const std::string& text) {
  std::vector<Token> tokens = tokenize(text);
  // Evaluation and differentiation recurse over the tree: a bound on its size bounds their depth.
  constexpr std::size_t max_tokens = 2000;
  if (tokens.size() > max_tokens + 1) {
    throw Error("parse", "an expression of at most " + std::to_string(max_tokens) + " tokens",
                std::to_string(tokens.size() - 1) + " tokens");
  }
  return Parser(std::move(tokens)).whole_text();
}

}  // namespace gb::autodiff
