// lesson_text.cpp: the right column: lesson.md rendered (headings, paragraphs, lists, code boxes), with the
// section that the current step names lit by a background rectangle and scrolled into view.
#include <imgui.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {
namespace {

// Draw-list channels: the section highlight goes under the code boxes, which go under the text.
enum Channel { kSectionChannel = 0, kBoxChannel = 1, kTextChannel = 2 };

ImU32 heading_color(int level) {
  if (level <= 1) return IM_COL32(255, 200, 90, 255);
  if (level == 2) return IM_COL32(120, 190, 255, 255);
  return IM_COL32(170, 215, 255, 255);
}

void wrapped(const std::string& text, ImU32 color) {
  ImGui::PushStyleColor(ImGuiCol_Text, color);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}

void draw_block(App& app, const Block& block, bool first) {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const ImU32 body = ImGui::GetColorU32(ImGuiCol_Text);
  switch (block.kind) {
    case BlockKind::heading:
      if (!first) ImGui::Dummy(ImVec2(0, block.level <= 2 ? 8.0f : 4.0f));
      ImGui::PushFont(block.level <= 1 ? app.fonts.large : app.fonts.heading);
      wrapped(block.text, heading_color(block.level));
      ImGui::PopFont();
      if (block.level <= 2) ImGui::Separator();
      break;
    case BlockKind::paragraph:
      wrapped(block.text, body);
      ImGui::Dummy(ImVec2(0, 2));
      break;
    case BlockKind::bullet: {
      float indent = 14.0f * static_cast<float>(block.level);
      ImGui::Indent(indent + 1);  // Indent(0) would mean "the default indent"
      ImVec2 at = ImGui::GetCursorScreenPos();
      float line = ImGui::GetTextLineHeight();
      float marker_w = 14.0f;
      if (block.marker == "-") {
        draw->AddCircleFilled(ImVec2(at.x + 5, at.y + line * 0.5f), 2.5f, body);
      } else {
        marker_w = ImGui::CalcTextSize(block.marker.c_str()).x + 6;
        draw->AddText(at, body, block.marker.c_str());
      }
      ImGui::Indent(marker_w);
      wrapped(block.text, body);
      ImGui::Unindent(marker_w);
      ImGui::Unindent(indent + 1);
      break;
    }
    case BlockKind::code: {
      ImGui::Dummy(ImVec2(0, 2));
      ImVec2 top = ImGui::GetCursorScreenPos();
      float width = ImGui::GetContentRegionAvail().x;
      ImGui::Indent(8);
      ImGui::Dummy(ImVec2(0, 2));
      ImGui::PushFont(app.fonts.mono);
      ImGui::PushTextWrapPos(top.x + width - 8);
      wrapped(block.text, IM_COL32(200, 230, 200, 255));
      ImGui::PopTextWrapPos();
      ImGui::PopFont();
      ImGui::Unindent(8);
      float bottom = ImGui::GetCursorScreenPos().y;
      draw->ChannelsSetCurrent(kBoxChannel);
      draw->AddRectFilled(top, ImVec2(top.x + width, bottom), IM_COL32(0, 0, 0, 110), 4.0f);
      draw->AddRect(top, ImVec2(top.x + width, bottom), IM_COL32(255, 255, 255, 30), 4.0f);
      draw->ChannelsSetCurrent(kTextChannel);
      ImGui::Dummy(ImVec2(0, 2));
      break;
    }
    case BlockKind::table: {
      std::size_t columns = 0;
      for (const auto& row : block.rows) columns = std::max(columns, row.size());
      if (columns == 0 || columns > 64) break;
      ImGui::Dummy(ImVec2(0, 2));
      const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp;
      // Tables end on their own; the ID is the block's address so two tables never share state.
      if (ImGui::BeginTable(("##md" + std::to_string(reinterpret_cast<std::uintptr_t>(&block))).c_str(),
                            static_cast<int>(columns), flags)) {
        for (std::size_t r = 0; r < block.rows.size(); ++r) {
          ImGui::TableNextRow(r == 0 ? ImGuiTableRowFlags_Headers : 0);
          for (std::size_t c = 0; c < block.rows[r].size(); ++c) {
            ImGui::TableSetColumnIndex(static_cast<int>(c));
            if (r == 0) ImGui::PushFont(app.fonts.heading);
            ImGui::TextWrapped("%s", block.rows[r][c].c_str());
            if (r == 0) ImGui::PopFont();
          }
        }
        ImGui::EndTable();
      }
      ImGui::Dummy(ImVec2(0, 2));
      break;
    }
    case BlockKind::rule:
      ImGui::Separator();
      break;
  }
}

}  // namespace

void draw_lesson_text(App& app) {
  if (!app.session.loaded()) {
    ImGui::TextDisabled("No lesson loaded.");
    return;
  }
  if (app.document_generation != app.session.generation()) {
    // A Recording file shows the text of the registered lesson it names, when there is one.
    app.document = app.session.lesson() ? parse_markdown(app.session.lesson()->text) : std::vector<Block>{};
    app.document_generation = app.session.generation();
    app.scrolled_section = -2;
  }
  if (app.document.empty()) {
    ImGui::TextDisabled(app.session.lesson() ? "This lesson has no text."
                                             : "This Recording names no registered lesson, so there is no text to show.");
    return;
  }
  const trace::Step* step = app.session.current_step();
  const int lit = step ? find_section(app.document, step->section) : -1;
  const int lit_end = lit >= 0 ? section_end(app.document, lit) : -1;

  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->ChannelsSplit(3);
  draw->ChannelsSetCurrent(kTextChannel);
  float lit_top = 0, lit_bottom = 0;
  for (int i = 0; i < static_cast<int>(app.document.size()); ++i) {
    if (i == lit) {
      lit_top = ImGui::GetCursorScreenPos().y - 3;
      // Scroll when the section changes (repeated for a few frames while wrapping settles), so the
      // learner can still scroll away while it stays lit.
      if (app.scrolled_section != lit) app.scroll_frames = 3;
      if (app.scroll_frames > 0) {
        ImGui::SetScrollHereY(0.0f);
        --app.scroll_frames;
      }
    }
    if (i == lit_end) lit_bottom = ImGui::GetCursorScreenPos().y;
    draw_block(app, app.document[static_cast<std::size_t>(i)], i == 0);
  }
  if (lit_end == static_cast<int>(app.document.size())) lit_bottom = ImGui::GetCursorScreenPos().y;
  app.scrolled_section = lit;
  if (lit >= 0) {
    draw->ChannelsSetCurrent(kSectionChannel);
    ImVec2 window = ImGui::GetWindowPos();
    float x0 = window.x + 2, x1 = window.x + ImGui::GetWindowContentRegionMax().x + 4;
    draw->AddRectFilled(ImVec2(x0, lit_top), ImVec2(x1, lit_bottom), IM_COL32(255, 140, 0, 36), 4.0f);
    draw->AddRectFilled(ImVec2(x0, lit_top), ImVec2(x0 + 3, lit_bottom), colors::highlight);
  }
  draw->ChannelsMerge();
}

}  // namespace gb::viewer
