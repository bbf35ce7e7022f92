// markdown.hpp: the small subset of Markdown that lesson.md uses, parsed into blocks the text panel draws.
//
// Headings, paragraphs, bullet and numbered lists, fenced code, pipe tables, rules. Inline marks (**bold**, `code`, $formula$, [link](url)) are reduced to their text: the viewer
// shows formulas "just as text".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gb::viewer {

enum class BlockKind { heading, paragraph, bullet, code, table, rule };

struct Block {
  BlockKind kind = BlockKind::paragraph;
  int level = 0;     // heading: 1..6; bullet: nesting depth from 0
  std::string text;  // inline marks removed; code: the lines joined by '\n'
  std::string marker;  // bullet: "-" or "3." (numbered)
  std::vector<std::vector<std::string>> rows;  // table: the header row first, cells as plain text
};

std::vector<Block> parse_markdown(std::string_view text);

// The key a Step's `section` is matched with: heading text without '#', marks, case or outer spaces.
std::string section_key(std::string_view heading);

// The index of the heading block that `section` names (exact key first, then a heading that starts
// with it), or -1.
int find_section(const std::vector<Block>& blocks, std::string_view section);

// One past the last block of the section that starts at heading block `first`: the next heading of
// the same or a higher level, or the end.
int section_end(const std::vector<Block>& blocks, int first);

}  // namespace gb::viewer
