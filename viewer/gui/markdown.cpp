// markdown.cpp: a line-based parser for lesson.md (headings, paragraphs, lists, fenced and indented
// code, tables).
#include "markdown.hpp"

#include <cctype>

namespace gb::viewer {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Inline marks to plain text: **x** / __x__ / *x* -> x, `x` -> x, $x$ -> x, [text](url) -> text.
std::string plain_inline(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if ((c == '*' || c == '_') && i + 1 < s.size() && s[i + 1] == c) { ++i; continue; }
    if (c == '`' || c == '$') continue;
    if (c == '*') {  // *emphasis*: a '*' that opens or closes a word; "i * j" keeps its '*'
      bool word_before = i > 0 && std::isalnum(static_cast<unsigned char>(s[i - 1]));
      bool word_after = i + 1 < s.size() && std::isalnum(static_cast<unsigned char>(s[i + 1]));
      if (word_before != word_after) continue;
    }
    if (c == '[') {
      auto close = s.find("](", i);
      auto end = close == std::string_view::npos ? close : s.find(')', close);
      if (end != std::string_view::npos) {
        out += plain_inline(s.substr(i + 1, close - i - 1));
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

// "- x", "* x", "+ x", "12. x" -> the marker and the rest; false if the line is not a list item.
bool list_item(std::string_view line, std::string& marker, std::string_view& rest) {
  if (line.size() >= 2 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ') {
    marker = "-";
    rest = line.substr(2);
    return true;
  }
  std::size_t digits = 0;
  while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
  if (digits > 0 && digits + 1 < line.size() && line[digits] == '.' && line[digits + 1] == ' ') {
    marker = std::string(line.substr(0, digits + 1));
    rest = line.substr(digits + 2);
    return true;
  }
  return false;
}

// "| a | `b` |" -> {"a", "b"}; a separator row ("|---|:--:|") -> {}.
std::vector<std::string> table_cells(std::string_view line) {
  if (line.front() == '|') line.remove_prefix(1);
  if (!line.empty() && line.back() == '|') line.remove_suffix(1);
  std::vector<std::string> cells;
  bool separator = true;
  std::size_t start = 0;
  while (start <= line.size()) {
    auto bar = line.find('|', start);
    std::string_view cell = trim(line.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (cell.find_first_not_of("-: ") != std::string_view::npos) separator = false;
    cells.push_back(plain_inline(cell));
    if (bar == std::string_view::npos) break;
    start = bar + 1;
  }
  if (separator) cells.clear();
  return cells;
}

}  // namespace

std::vector<Block> parse_markdown(std::string_view text) {
  std::vector<Block> blocks;
  bool in_code = false;
  bool code_first_line = true;
  bool open_table = false;
  bool open_paragraph = false;  // the last block is a paragraph or list item that may continue
  bool open_indented_code = false;  // the last block is an indented code block that may continue
  int pending_blank_lines = 0;      // blank lines seen inside it, kept if it continues
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = trim(raw);

    if (in_code) {
      if (starts_with(line, "```")) { in_code = false; continue; }
      auto& code = blocks.back().text;
      if (!code_first_line) code += '\n';
      code += raw;
      code_first_line = false;
      continue;
    }
    if (starts_with(line, "```")) {
      blocks.push_back({BlockKind::code, 0, "", "", {}});
      in_code = true;
      code_first_line = true;
      open_paragraph = false;
      continue;
    }
    // An indented code block (CommonMark): lines indented by 4 spaces that do not continue a paragraph
    // or list item. Blank lines inside it are kept; it ends at the first line indented less.
    if (!open_paragraph && starts_with(raw, "    ") && !line.empty()) {
      if (blocks.empty() || blocks.back().kind != BlockKind::code || !open_indented_code) {
        blocks.push_back({BlockKind::code, 0, "", "", {}});
        open_indented_code = true;
        pending_blank_lines = 0;
      } else {
        for (; pending_blank_lines > 0; --pending_blank_lines) blocks.back().text += '\n';
        blocks.back().text += '\n';
      }
      blocks.back().text += std::string(raw.substr(4));
      open_table = false;
      continue;
    }
    if (line.empty()) {
      open_paragraph = open_table = false;
      if (open_indented_code) ++pending_blank_lines;
      continue;
    }
    open_indented_code = false;
    if (line[0] == '#') {
      int level = 0;
      while (level < static_cast<int>(line.size()) && line[static_cast<std::size_t>(level)] == '#') ++level;
      if (level <= 6 && (level == static_cast<int>(line.size()) || line[static_cast<std::size_t>(level)] == ' ')) {
        blocks.push_back({BlockKind::heading, level, plain_inline(trim(line.substr(static_cast<std::size_t>(level)))), "", {}});
        open_paragraph = false;
        continue;
      }
    }
    if (line == "---" || line == "***" || line == "___") {
      blocks.push_back({BlockKind::rule, 0, "", "", {}});
      open_paragraph = false;
      continue;
    }
    if (line[0] == '|') {  // a pipe-table row; the |---|---| row under the header is dropped
      if (blocks.empty() || blocks.back().kind != BlockKind::table || !open_table) {
        blocks.push_back({BlockKind::table, 0, "", "", {}});
      }
      open_table = true;
      std::vector<std::string> cells = table_cells(line);
      if (!cells.empty()) blocks.back().rows.push_back(std::move(cells));
      open_paragraph = false;
      continue;
    }
    open_table = false;
    std::string marker;
    std::string_view rest;
    if (list_item(line, marker, rest)) {
      std::size_t indent = raw.find_first_not_of(" \t");
      blocks.push_back({BlockKind::bullet, static_cast<int>(indent / 2), plain_inline(trim(rest)), marker, {}});
      open_paragraph = true;
      continue;
    }
    if (line[0] == '>') line = trim(line.substr(1));  // a quote reads as a paragraph
    if (open_paragraph && !blocks.empty()) {
      blocks.back().text += ' ';
      blocks.back().text += plain_inline(line);
    } else {
      blocks.push_back({BlockKind::paragraph, 0, plain_inline(line), "", {}});
      open_paragraph = true;
    }
  }
  return blocks;
}

std::string section_key(std::string_view heading) {
  std::string_view s = trim(heading);
  while (!s.empty() && s.front() == '#') s.remove_prefix(1);
  std::string plain = plain_inline(trim(s));
  std::string key;
  for (char c : plain) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::string(trim(key));
}

int find_section(const std::vector<Block>& blocks, std::string_view section) {
  std::string key = section_key(section);
  if (key.empty()) return -1;
  int prefix_match = -1;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i].kind != BlockKind::heading) continue;
    std::string heading = section_key(blocks[i].text);
    if (heading == key) return static_cast<int>(i);
    if (prefix_match < 0 && starts_with(heading, key)) prefix_match = static_cast<int>(i);
  }
  return prefix_match;
}

int section_end(const std::vector<Block>& blocks, int first) {
  int level = blocks[static_cast<std::size_t>(first)].level;
  for (std::size_t i = static_cast<std::size_t>(first) + 1; i < blocks.size(); ++i) {
    if (blocks[i].kind == BlockKind::heading && blocks[i].level <= level) return static_cast<int>(i);
  }
  return static_cast<int>(blocks.size());
}

}  // namespace gb::viewer
