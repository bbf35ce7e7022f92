// parser.cpp: recursive descent over the tokens, one function per grammar rule of ast.hpp.
//
// Recursion is bounded: every nested block, parenthesis, sign and `not` counts against max_nesting,
// and every expression node against max_expression_depth (a long chain "a + a + ... + a" is a deep
// tree even without parentheses), so no input can exhaust the stack here or in the lowering.
#include <map>
#include <utility>

#include "ast.hpp"
#include "gb/core/error.hpp"

namespace gb::control::script {

namespace {

// The functions of the language: the graph op each becomes and how many arguments it takes.
struct Function {
  std::string op;
  std::size_t arity;
};
const std::map<std::string, Function>& functions() {
  static const std::map<std::string, Function> table = {
      {"sin", {"sin", 1}},         {"cos", {"cos", 1}},   {"exp", {"exp", 1}},
      {"log", {"log", 1}},         {"ln", {"log", 1}},    {"tanh", {"tanh", 1}},
      {"sigmoid", {"sigmoid", 1}}, {"relu", {"relu", 1}}, {"sqrt", {"sqrt", 1}},
      {"matmul", {"matmul", 2}},   {"transpose", {"transpose", 1}},
      {"sum", {"sum", 1}},         {"mean", {"mean", 1}}};
  return table;
}
std::string function_names() {
  std::string names;
  for (const auto& [name, f] : functions()) names += (names.empty() ? "" : " ") + name;
  return names;
}

const std::map<TokenKind, std::string>& comparison_ops() {
  static const std::map<TokenKind, std::string> table = {
      {TokenKind::less, "lt"},  {TokenKind::less_equal, "le"}, {TokenKind::greater, "gt"},
      {TokenKind::greater_equal, "ge"}, {TokenKind::equal, "eq"}, {TokenKind::not_equal, "ne"}};
  return table;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // script := statement* end, and the last statement is the only `return`.
  Program script() {
    Program program;
    while (peek().kind != TokenKind::end) {
      if (peek().kind == TokenKind::indent) fail("a statement without indentation (no block is open)");
      statement(program.statements);
    }
    const Block& all = program.statements;
    for (std::size_t k = 0; k + 1 < all.size(); ++k) {
      if (all[k].kind == Stmt::Kind::return_value) {
        throw Error("script", "the end of the script after the 'return' at " + to_string(all[k].pos),
                    "a statement at " + to_string(all[k + 1].pos));
      }
    }
    if (program.statements.empty() || program.statements.back().kind != Stmt::Kind::return_value) {
      fail("a 'return' statement as the last statement of the script");
    }
    return program;
  }

 private:
  // statement := if | while | for | simple_line  (appends to `block`: a line may hold several)
  void statement(Block& block) {
    switch (peek().kind) {
      case TokenKind::kw_if: block.push_back(if_statement()); break;
      case TokenKind::kw_while: block.push_back(while_statement()); break;
      case TokenKind::kw_for: block.push_back(for_statement()); break;
      default: simple_line(block);
    }
  }

  // simple_line := simple (';' simple)* [';'] NEWLINE
  void simple_line(Block& block) {
    block.push_back(simple());
    while (peek().kind == TokenKind::semicolon) {
      next();
      if (peek().kind == TokenKind::newline) break;
      block.push_back(simple());
    }
    expect(TokenKind::newline, "';' or the end of the line");
  }

  // simple := name '=' expression | 'return' expression | 'pass'
  Stmt simple() {
    Stmt stmt;
    stmt.pos = peek().pos;
    switch (peek().kind) {
      case TokenKind::kw_pass:
        next();
        stmt.kind = Stmt::Kind::pass;
        return stmt;
      case TokenKind::kw_return:
        if (nesting_ > 0) fail("'return' only as the last statement of the script, not inside a block");
        next();
        stmt.kind = Stmt::Kind::return_value;
        stmt.value = expression();
        return stmt;
      case TokenKind::name:
        stmt.kind = Stmt::Kind::assign;
        stmt.target = next().text;
        expect(TokenKind::assign, "'='");
        stmt.value = expression();
        return stmt;
      default:
        fail("a statement (an assignment, if, while, for, return or pass)");
    }
  }

  // if := 'if' expression ':' block ('elif' expression ':' block)* ['else' ':' block]
  // An elif is an if alone in the else-branch of the one before.
  Stmt if_statement() {
    Stmt stmt;
    stmt.kind = Stmt::Kind::if_else;
    stmt.pos = next().pos;  // 'if' or 'elif'
    stmt.value = expression();
    expect(TokenKind::colon, "':'");
    stmt.body = block();
    if (peek().kind == TokenKind::kw_elif) {
      enter(peek().pos);
      stmt.orelse.push_back(if_statement());
      leave();
    } else if (peek().kind == TokenKind::kw_else) {
      next();
      expect(TokenKind::colon, "':'");
      stmt.orelse = block();
    }
    return stmt;
  }

  // while := 'while' expression ':' block
  Stmt while_statement() {
    Stmt stmt;
    stmt.kind = Stmt::Kind::while_loop;
    stmt.pos = next().pos;
    stmt.value = expression();
    expect(TokenKind::colon, "':'");
    stmt.body = block();
    return stmt;
  }

  // for := 'for' name 'in' 'range' '(' expression ')' ':' block
  Stmt for_statement() {
    Stmt stmt;
    stmt.kind = Stmt::Kind::for_range;
    stmt.pos = next().pos;
    if (peek().kind != TokenKind::name) fail("the name of the loop counter");
    stmt.target = next().text;
    expect(TokenKind::kw_in, "'in'");
    if (peek().kind != TokenKind::name || peek().text != "range") fail("'range' (the only loop is for i in range(n))");
    next();
    expect(TokenKind::open, "'('");
    stmt.value = nested(tokens_[index_ - 1].pos);
    expect(TokenKind::close, "')' (range takes one argument)");
    expect(TokenKind::colon, "':'");
    stmt.body = block();
    return stmt;
  }

  // block := simple_line | NEWLINE INDENT statement+ DEDENT
  Block block() {
    enter(peek().pos);
    Block body;
    if (peek().kind != TokenKind::newline) {
      if (peek().kind == TokenKind::kw_if || peek().kind == TokenKind::kw_while || peek().kind == TokenKind::kw_for) {
        fail("a simple statement after ':' on the same line (if, while and for start a new line)");
      }
      simple_line(body);
    } else {
      next();
      expect(TokenKind::indent, "an indented block");
      while (peek().kind != TokenKind::dedent && peek().kind != TokenKind::end) statement(body);
      expect(TokenKind::dedent, "the end of the block");
    }
    leave();
    return body;
  }

  // expression := conjunction ('or' conjunction)*
  ExprPtr expression() {
    ExprPtr left = conjunction();
    while (peek().kind == TokenKind::kw_or) {
      const Token op = next();
      left = make_op("logical_or", op, {left, conjunction()});
    }
    return left;
  }

  // conjunction := negation ('and' negation)*
  ExprPtr conjunction() {
    ExprPtr left = negation();
    while (peek().kind == TokenKind::kw_and) {
      const Token op = next();
      left = make_op("logical_and", op, {left, negation()});
    }
    return left;
  }

  // negation := 'not' negation | comparison
  ExprPtr negation() {
    if (peek().kind != TokenKind::kw_not) return comparison();
    const Token op = next();
    enter(op.pos);
    ExprPtr operand = negation();
    leave();
    return make_op("logical_not", op, {operand});
  }

  // comparison := sum [compare sum]; a second comparison (a chain) is refused.
  ExprPtr comparison() {
    ExprPtr left = sum();
    auto found = comparison_ops().find(peek().kind);
    if (found == comparison_ops().end()) return left;
    const Token op = next();
    ExprPtr e = make_op(found->second, op, {left, sum()});
    if (comparison_ops().count(peek().kind) != 0) {
      fail("one comparison (write a < b and b < c for a chain)");
    }
    return e;
  }

  // sum := term (('+' | '-') term)*
  ExprPtr sum() {
    ExprPtr left = term();
    while (peek().kind == TokenKind::plus || peek().kind == TokenKind::minus) {
      const Token op = next();
      left = make_op(op.kind == TokenKind::plus ? "add" : "sub", op, {left, term()});
    }
    return left;
  }

  // term := unary (('*' | '/') unary)*
  ExprPtr term() {
    ExprPtr left = unary();
    while (peek().kind == TokenKind::star || peek().kind == TokenKind::slash) {
      const Token op = next();
      left = make_op(op.kind == TokenKind::star ? "mul" : "div", op, {left, unary()});
    }
    return left;
  }

  // unary := '-' unary | power     so -x^2 = -(x^2); a negative literal stays a number
  ExprPtr unary() {
    if (peek().kind != TokenKind::minus) return power();
    const Token op = next();
    enter(op.pos);
    ExprPtr operand = unary();
    leave();
    if (operand->kind == Expr::Kind::number) {
      auto negative = std::make_shared<Expr>(*operand);
      negative->number = -operand->number;
      negative->text = "-" + operand->text;
      negative->pos = op.pos;
      return negative;
    }
    return make_op("neg", op, {operand});
  }

  // power := primary [('^' | '**') unary]    right-associative: 2^3^2 = 2^(3^2)
  ExprPtr power() {
    ExprPtr base = primary();
    if (peek().kind != TokenKind::caret) return base;
    const Token op = next();
    enter(op.pos);
    ExprPtr exponent = unary();
    leave();
    return make_op("pow", op, {base, exponent});
  }

  // primary := number | name '(' expression (',' expression)* ')' | name | '(' expression ')'
  ExprPtr primary() {
    const Token token = peek();
    switch (token.kind) {
      case TokenKind::number: {
        next();
        auto e = std::make_shared<Expr>();
        e->kind = Expr::Kind::number;
        e->number = token.number;
        e->text = token.text;
        e->pos = token.pos;
        return e;
      }
      case TokenKind::name: {
        next();
        if (peek().kind != TokenKind::open) {
          auto e = std::make_shared<Expr>();
          e->kind = Expr::Kind::name;
          e->name = e->text = token.text;
          e->pos = token.pos;
          return e;
        }
        return call(token);
      }
      case TokenKind::open: {
        next();
        ExprPtr inner = nested(token.pos);
        expect(TokenKind::close, "')'");
        return inner;
      }
      default:
        fail("a number, a name or '('");
    }
  }

  // name '(' expression (',' expression)* ')', with the function's arity checked here.
  ExprPtr call(const Token& name) {
    const auto found = functions().find(name.text);
    if (found == functions().end()) {
      throw Error("script", "a known function (" + function_names() + ") at " + to_string(name.pos),
                  "'" + name.text + "'");
    }
    const Token open = next();
    std::vector<ExprPtr> arguments{nested(open.pos)};
    while (peek().kind == TokenKind::comma) {
      next();
      arguments.push_back(nested(open.pos));
    }
    const Token close = peek();
    expect(TokenKind::close, "',' or ')'");
    if (arguments.size() != found->second.arity) {
      throw Error("script",
                  std::to_string(found->second.arity) + " argument" + (found->second.arity == 1 ? "" : "s") +
                      " for " + name.text + " at " + to_string(name.pos),
                  std::to_string(arguments.size()) + " (the call ends at " + to_string(close.pos) + ")");
    }
    return make_op(found->second.op, name, std::move(arguments));
  }

  // A parenthesised sub-expression: one more level of nesting, opened at `open`.
  ExprPtr nested(SourcePos open) {
    enter(open);
    ExprPtr e = expression();
    leave();
    return e;
  }

  ExprPtr make_op(const std::string& op, const Token& token, std::vector<ExprPtr> operands) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::op;
    e->op = op;
    e->text = token.text;
    e->pos = token.pos;
    for (const ExprPtr& operand : operands) e->depth = std::max(e->depth, operand->depth + 1);
    e->operands = std::move(operands);
    if (e->depth > max_expression_depth) {
      throw Error("script",
                  "an expression at most " + std::to_string(max_expression_depth) + " operations deep at " +
                      to_string(token.pos),
                  "a deeper one (split it with assignments)");
    }
    return e;
  }

  // One more level of nesting, opened by the token at `pos`.
  void enter(SourcePos pos) {
    if (++nesting_ > max_nesting) {
      throw Error("script",
                  "at most " + std::to_string(max_nesting) + " nested blocks, parentheses or signs at " +
                      to_string(pos),
                  "deeper nesting");
    }
  }
  void leave() { --nesting_; }

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
    throw Error("script", expected + " at " + to_string(peek().pos), describe(peek()));
  }

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  int nesting_ = 0;
};

}  // namespace

Program parse_program(const std::string& text) { return Parser(tokenize(text)).script(); }

}  // namespace gb::control::script
