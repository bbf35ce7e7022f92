// text_panel.cpp: a Text scene: source lines with line numbers, the cursor line lit and kept in view.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {

void draw_text_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  (void)final;
  const trace::TextScene& text = now.scene.text;
  if (!text.file.empty() && text.file != now.scene.title) ImGui::TextDisabled("%s", text.file.c_str());
  ImGui::BeginChild("source", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar | ImGuiWindowFlags_NoBackground);
  ImGui::PushFont(app.fonts.mono);
  const bool scroll = step_changed_for(app, now.scene.id);
  const std::int64_t last = text.first_line + static_cast<std::int64_t>(text.lines.size()) - 1;
  const int digits = std::max(3, static_cast<int>(std::to_string(last).size()));
  ImDrawList* draw = ImGui::GetWindowDrawList();
  for (std::size_t i = 0; i < text.lines.size(); ++i) {
    const std::int64_t number = text.first_line + static_cast<std::int64_t>(i);
    const bool cursor = number == text.cursor;
    if (cursor) {
      // The lit band spans the visible width (the draw list clips it), with a bar in the gutter.
      ImVec2 p = ImGui::GetCursorScreenPos();
      float x0 = ImGui::GetWindowPos().x, x1 = x0 + ImGui::GetWindowWidth(), h = ImGui::GetTextLineHeight();
      draw->AddRectFilled(ImVec2(x0, p.y), ImVec2(x1, p.y + h), IM_COL32(255, 140, 0, 60));
      draw->AddRectFilled(ImVec2(x0, p.y), ImVec2(x0 + 3, p.y + h), colors::highlight);
      if (scroll) ImGui::SetScrollHereY(0.4f);
    }
    char gutter[32];
    std::snprintf(gutter, sizeof gutter, "%*lld ", digits, static_cast<long long>(number));
    ImGui::TextColored(cursor ? ImVec4(1.0f, 0.7f, 0.3f, 1.0f) : ImVec4(0.45f, 0.48f, 0.52f, 1.0f), "%s", gutter);
    ImGui::SameLine(0, 4);
    ImGui::TextUnformatted(text.lines[i].c_str());
  }
  ImGui::PopFont();
  ImGui::EndChild();
  app.stats.add(now.scene.id, "text", "lines_drawn", static_cast<std::int64_t>(text.lines.size()));
  app.stats.add(now.scene.id, "text", "cursor", text.cursor);
}

}  // namespace gb::viewer
