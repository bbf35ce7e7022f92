// tokenizer.cpp: the first stage of the script parser: characters -> tokens with line:column.
//
// Python's rule for blocks: at the start of every line that holds a token, the number of leading
// spaces is compared with a stack of the enclosing blocks' indentations. More spaces open a block
// (INDENT), fewer close blocks (one DEDENT per popped level) and must land exactly on an enclosing
// level. Blank lines, comment lines and line breaks inside parentheses are not lines at all.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

#include "ast.hpp"
#include "gb/core/error.hpp"

namespace gb::control::script {

std::string to_string(SourcePos pos) { return std::to_string(pos.line) + ":" + std::to_string(pos.column); }

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::newline: return "the end of the line";
    case TokenKind::indent: return "an indented line";
    case TokenKind::dedent: return "the end of the block";
    case TokenKind::end: return "the end of the text";
    default: return "'" + token.text + "'";
  }
}

namespace {

const std::map<std::string, TokenKind>& keywords() {
  static const std::map<std::string, TokenKind> table = {
      {"if", TokenKind::kw_if},         {"elif", TokenKind::kw_elif}, {"else", TokenKind::kw_else},
      {"while", TokenKind::kw_while},   {"for", TokenKind::kw_for},   {"in", TokenKind::kw_in},
      {"return", TokenKind::kw_return}, {"pass", TokenKind::kw_pass}, {"and", TokenKind::kw_and},
      {"or", TokenKind::kw_or},         {"not", TokenKind::kw_not}};
  return table;
}

// Operators, longest first so "<=" wins over "<" and "**" over "*".
struct Operator {
  const char* text;
  TokenKind kind;
};
constexpr Operator operators[] = {
    {"**", TokenKind::caret}, {"<=", TokenKind::less_equal}, {">=", TokenKind::greater_equal},
    {"==", TokenKind::equal}, {"!=", TokenKind::not_equal},  {"+", TokenKind::plus},
    {"-", TokenKind::minus},  {"*", TokenKind::star},        {"/", TokenKind::slash},
    {"^", TokenKind::caret},  {"(", TokenKind::open},        {")", TokenKind::close},
    {",", TokenKind::comma},  {":", TokenKind::colon},       {";", TokenKind::semicolon},
    {"=", TokenKind::assign}, {"<", TokenKind::less},        {">", TokenKind::greater}};

class Tokenizer {
 public:
  explicit Tokenizer(const std::string& text) : text_(text) {}

  std::vector<Token> run() {
    while (i_ < text_.size()) {
      if (at_line_start_ && parens_ == 0) {
        indentation();
        continue;
      }
      const char ch = text_[i_];
      if (ch == '\n') {
        if (parens_ == 0) {
          emit(TokenKind::newline, "", here());
          at_line_start_ = true;
        }
        advance_line();
      } else if (ch == ' ' || ch == '\t' || ch == '\r') {
        advance(1);
      } else if (ch == '#') {
        skip_comment();
      } else if (is_digit(i_) || (ch == '.' && is_digit(i_ + 1))) {
        number();
      } else if (std::isalpha(static_cast<unsigned char>(ch)) || ch == '_') {
        name();
      } else {
        punctuation();
      }
    }
    // The text ends: close the last line and every open block, as Python does.
    if (!tokens_.empty() && tokens_.back().kind != TokenKind::newline) emit(TokenKind::newline, "", here());
    while (indents_.size() > 1) {
      indents_.pop_back();
      emit(TokenKind::dedent, "", here());
    }
    emit(TokenKind::end, "", here());
    return std::move(tokens_);
  }

 private:
  // At the start of a line: count its spaces; a line with a token compares them with the block stack.
  void indentation() {
    int spaces = 0;
    while (i_ < text_.size() && text_[i_] == ' ') {
      ++spaces;
      advance(1);
    }
    if (i_ >= text_.size()) return;  // trailing spaces: no line
    const char ch = text_[i_];
    if (ch == '\t') {
      throw Error("script", "spaces for indentation at " + to_string(here()), "a tab");
    }
    if (ch == '\n' || ch == '\r' || ch == '#') {  // blank or comment line: not a line of the program
      if (ch == '#') skip_comment();
      if (i_ < text_.size() && text_[i_] == '\r') advance(1);
      if (i_ < text_.size() && text_[i_] == '\n') advance_line();
      return;
    }
    at_line_start_ = false;
    if (spaces > indents_.back()) {
      indents_.push_back(spaces);
      emit(TokenKind::indent, "", here());
      return;
    }
    while (spaces < indents_.back()) {
      indents_.pop_back();
      emit(TokenKind::dedent, "", here());
    }
    if (spaces != indents_.back()) {
      throw Error("script",
                  "an indentation of " + std::to_string(indents_.back()) + " spaces (an enclosing block) at " +
                      to_string(here()),
                  std::to_string(spaces) + " spaces");
    }
  }

  // digits [. digits] [e [+-] digits], as in lesson 02's expression language.
  void number() {
    const SourcePos pos = here();
    const std::size_t start = i_;
    std::size_t k = i_;
    while (is_digit(k)) ++k;
    if (k < text_.size() && text_[k] == '.') {
      ++k;
      while (is_digit(k)) ++k;
    }
    if (k < text_.size() && (text_[k] == 'e' || text_[k] == 'E')) {
      std::size_t e = k + 1;
      if (e < text_.size() && (text_[e] == '+' || text_[e] == '-')) ++e;
      if (!is_digit(e)) {
        throw Error("script",
                    "digits after the exponent 'e' at " + std::to_string(pos.line) + ":" +
                        std::to_string(pos.column + static_cast<int>(e - start)),
                    "'" + text_.substr(start, e - start + (e < text_.size() ? 1 : 0)) + "'");
      }
      k = e;
      while (is_digit(k)) ++k;
    }
    Token token;
    token.kind = TokenKind::number;
    token.text = text_.substr(start, k - start);
    token.pos = pos;
    errno = 0;
    token.number = std::strtod(token.text.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(token.number)) {
      throw Error("script", "a number that fits a double at " + to_string(pos), "'" + token.text + "'");
    }
    advance(k - start);
    tokens_.push_back(std::move(token));
  }

  void name() {
    const SourcePos pos = here();
    std::size_t k = i_;
    while (k < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[k])) || text_[k] == '_')) ++k;
    std::string word = text_.substr(i_, k - i_);
    advance(k - i_);
    const auto keyword = keywords().find(word);
    emit(keyword == keywords().end() ? TokenKind::name : keyword->second, std::move(word), pos);
  }

  void punctuation() {
    const SourcePos pos = here();
    for (const Operator& op : operators) {
      const std::string text = op.text;
      if (text_.compare(i_, text.size(), text) != 0) continue;
      if (op.kind == TokenKind::open) ++parens_;
      if (op.kind == TokenKind::close && parens_ > 0) --parens_;
      advance(text.size());
      emit(op.kind, text, pos);
      return;
    }
    const unsigned char ch = static_cast<unsigned char>(text_[i_]);
    throw Error("script",
                "a number, a name, an operator (+ - * / ^ ** < <= > >= == != =) or one of ( ) , : ; at " +
                    to_string(pos),
                std::isprint(ch) ? "'" + std::string(1, static_cast<char>(ch)) + "'"
                                 : "the byte " + std::to_string(static_cast<int>(ch)));
  }

  void skip_comment() {
    while (i_ < text_.size() && text_[i_] != '\n') advance(1);
  }

  bool is_digit(std::size_t k) const {
    return k < text_.size() && std::isdigit(static_cast<unsigned char>(text_[k]));
  }
  SourcePos here() const { return {line_, column_}; }
  void advance(std::size_t n) {
    i_ += n;
    column_ += static_cast<int>(n);
  }
  void advance_line() {
    ++i_;
    ++line_;
    column_ = 1;
  }
  void emit(TokenKind kind, std::string text, SourcePos pos) {
    Token token;
    token.kind = kind;
    token.text = std::move(text);
    token.pos = pos;
    tokens_.push_back(std::move(token));
  }

  const std::string& text_;
  std::size_t i_ = 0;
  int line_ = 1, column_ = 1;
  bool at_line_start_ = true;
  int parens_ = 0;               // inside parentheses line breaks and indentation do not count
  std::vector<int> indents_{0};  // the indentation of every open block, outermost first
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(const std::string& text) {
  if (text.size() > max_script_chars) {
    throw Error("script", "a script of at most " + std::to_string(max_script_chars) + " characters",
                std::to_string(text.size()) + " characters");
  }
  return Tokenizer(text).run();
}

}  // namespace gb::control::script
