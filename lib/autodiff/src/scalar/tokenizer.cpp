// tokenizer.cpp: the first stage of the parser: characters -> tokens with line:column.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "gb/autodiff/parser.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

std::string describe(const Token& token) {
  if (token.kind == TokenKind::end) return "the end of the text";
  return "'" + token.text + "'";
}

std::vector<Token> tokenize(const std::string& text) {
  std::vector<Token> tokens;
  int line = 1, column = 1;
  std::size_t i = 0;
  auto is_digit = [&](std::size_t k) { return k < text.size() && std::isdigit(static_cast<unsigned char>(text[k])); };
  while (i < text.size()) {
    const char ch = text[i];
    if (ch == '\n') { ++line; column = 1; ++i; continue; }
    if (std::isspace(static_cast<unsigned char>(ch))) { ++column; ++i; continue; }
    Token token;
    token.pos = {line, column};
    std::size_t start = i;
    if (is_digit(i) || (ch == '.' && is_digit(i + 1))) {
      // digits [. digits] [e [+-] digits]
      while (is_digit(i)) ++i;
      if (i < text.size() && text[i] == '.') { ++i; while (is_digit(i)) ++i; }
      if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        std::size_t k = i + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
        if (!is_digit(k)) {
          throw Error("parse", "digits after the exponent 'e' at " + std::to_string(line) + ":" +
                                   std::to_string(column + static_cast<int>(k - start)),
                      "'" + text.substr(start, k - start + 1) + "'");
        }
        i = k;
        while (is_digit(i)) ++i;
      }
      token.kind = TokenKind::number;
      token.text = text.substr(start, i - start);
      errno = 0;
      token.number = std::strtod(token.text.c_str(), nullptr);
      if (errno == ERANGE && std::isinf(token.number)) {
        throw Error("parse", "a number that fits a double at " + to_string(token.pos), "'" + token.text + "'");
      }
    } else if (std::isalpha(static_cast<unsigned char>(ch)) || ch == '_') {
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) ++i;
      token.kind = TokenKind::name;
      token.text = text.substr(start, i - start);
    } else {
      switch (ch) {
        case '+': token.kind = TokenKind::plus; break;
        case '-': token.kind = TokenKind::minus; break;
        case '*': token.kind = TokenKind::star; break;
        case '/': token.kind = TokenKind::slash; break;
        case '^': token.kind = TokenKind::caret; break;
        case '(': token.kind = TokenKind::open; break;
        case ')': token.kind = TokenKind::close; break;
        case ',': token.kind = TokenKind::comma; break;
        default: {
          const bool printable = std::isprint(static_cast<unsigned char>(ch));
          throw Error("parse", "a number, a name, an operator (+ - * / ^) or a parenthesis at " + to_string(token.pos),
                      printable ? "'" + std::string(1, ch) + "'"
                                : "the byte " + std::to_string(static_cast<unsigned char>(ch)));
        }
      }
      token.text = std::string(1, ch);
      ++i;
    }
    column += static_cast<int>(i - start);
    tokens.push_back(std::move(token));
  }
  Token end;
  end.pos = {line, column};
  tokens.push_back(end);
  return tokens;
}

}  // namespace gb::autodiff
