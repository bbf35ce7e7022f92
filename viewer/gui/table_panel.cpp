// table_panel.cpp: a Table scene as an ImGui table with the rows added so far, the newest row lit.
#include <imgui.h>

#include <algorithm>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {

void draw_table_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  (void)final;
  const trace::TableScene& table = now.scene.table;
  app.stats.add(now.scene.id, "table", "rows_in_scene", static_cast<std::int64_t>(table.rows.size()));
  if (table.columns.empty()) {
    ImGui::TextDisabled("(no columns)");
    return;
  }
  const int columns = static_cast<int>(std::min<std::size_t>(table.columns.size(), 64));  // ImGui's limit
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("table", columns, flags, ImGui::GetContentRegionAvail())) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (int c = 0; c < columns; ++c) ImGui::TableSetupColumn(table.columns[static_cast<std::size_t>(c)].c_str());
  ImGui::TableHeadersRow();
  const bool scroll = step_changed_for(app, now.scene.id);
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    ImGui::TableNextRow();
    const bool newest = r + 1 == table.rows.size();
    if (newest) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(255, 140, 0, 70));
    for (int c = 0; c < columns && c < static_cast<int>(table.rows[r].size()); ++c) {
      ImGui::TableSetColumnIndex(c);
      ImGui::TextUnformatted(table.rows[r][static_cast<std::size_t>(c)].c_str());
    }
    if (newest && scroll) ImGui::SetScrollHereY(1.0f);
  }
  ImGui::EndTable();
  app.stats.add(now.scene.id, "table", "rows_drawn", static_cast<std::int64_t>(table.rows.size()));
  app.stats.add(now.scene.id, "table", "columns", columns);
  if (table.rows.empty()) ImGui::TextDisabled("(no rows yet)");
}

}  // namespace gb::viewer
