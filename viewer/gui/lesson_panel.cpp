// lesson_panel.cpp: the left column: the lesson catalogue grouped by part, and the parameters panel.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <exception>

#include "app.hpp"

namespace gb::viewer {

void draw_lesson_list(App& app) {
  ImGui::PushFont(app.fonts.heading);
  ImGui::TextUnformatted("Lessons");
  ImGui::PopFont();
  const auto& catalogue = lessons::all();
  if (catalogue.empty()) {
    ImGui::TextDisabled("No lessons are registered.");
    return;
  }
  const std::string current =
      app.session.loaded() && app.session.lesson() && !app.session.from_file() ? app.session.lesson()->id : "";
  // Lessons come in course order, so a part's lessons are consecutive.
  for (std::size_t i = 0; i < catalogue.size();) {
    const std::string& part = catalogue[i].part;
    std::size_t end = i;
    while (end < catalogue.size() && catalogue[end].part == part) ++end;
    bool open = ImGui::TreeNodeEx(part.empty() ? "Lessons" : part.c_str(), ImGuiTreeNodeFlags_DefaultOpen);
    for (std::size_t k = i; open && k < end; ++k) {
      const auto& lesson = catalogue[k];
      std::string label = lesson.id + "  " + lesson.title;
      if (ImGui::Selectable(label.c_str(), lesson.id == current) && lesson.id != current) {
        try {
          load_lesson(app, lesson.id);
        } catch (const std::exception& e) {
          app.load_error = e.what();
        }
      }
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\n%s", lesson.id.c_str(), lesson.title.c_str());
    }
    if (open) ImGui::TreePop();
    i = end;
  }
}

void draw_parameters(App& app) {
  ImGui::PushFont(app.fonts.heading);
  ImGui::TextUnformatted("Parameters");
  ImGui::PopFont();
  bool rerun = false;
  if (app.session.loaded() && app.session.from_file()) {
    // A Recording file is shown as recorded: its parameters cannot be re-run from here.
    ImGui::TextDisabled("From %s:", app.session.origin().c_str());
    for (const auto& [name, value] : app.session.recording().parameters) ImGui::BulletText("%s = %s", name.c_str(), value.c_str());
    if (app.session.recording().parameters.empty()) ImGui::TextDisabled("(no parameters recorded)");
    if (app.session.lesson() && small_button("Run the lesson", "Run this lesson now with these parameters")) {
      try {
        load_lesson(app, app.session.lesson()->id, app.session.recording().parameters);
      } catch (const std::exception& e) {
        app.load_error = e.what();
      }
    }
  } else if (app.session.loaded() && app.session.lesson()) {
    const auto& lesson = *app.session.lesson();
    if (lesson.parameters.empty()) ImGui::TextDisabled("This lesson has no parameters.");
    for (const auto& p : lesson.parameters) {
      ImGui::PushID(p.name.c_str());
      ImGui::TextUnformatted(p.name.c_str());
      ImGui::SetNextItemWidth(-1);
      // Enter in a field re-runs, like the button.
      if (ImGui::InputText("##value", &app.session.params()[p.name], ImGuiInputTextFlags_EnterReturnsTrue)) {
        rerun = true;
      }
      if (ImGui::IsItemHovered()) {
        ImGui::SetTooltip("%s\ndefault: %s", p.help.c_str(), p.default_value.c_str());
      }
      if (!p.help.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
        ImGui::TextWrapped("%s", p.help.c_str());
        ImGui::PopStyleColor();
      }
      ImGui::PopID();
    }
    if (ImGui::Button("Re-run")) rerun = true;
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Run the lesson's scenario again with these parameters");
    ImGui::SameLine();
    if (ImGui::Button("Defaults")) {
      for (const auto& p : lesson.parameters) app.session.params()[p.name] = p.default_value;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Put every parameter back to its default (then Re-run)");
  }
  if (rerun) {
    try {
      app.session.rerun();
      app.layouts.clear();
      app.graph_views.clear();
      app.scrolled_step.clear();
      app.error = {};
      app.load_error.clear();
      app.step_error.clear();
      app.playback.playing = false;
    } catch (const std::exception& e) {
      app.load_error = e.what();  // the previous Recording stays on screen
    }
  }
  if (!app.load_error.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 90, 90, 255));
    ImGui::TextWrapped("%s", app.load_error.c_str());
    ImGui::PopStyleColor();
  }
}

}  // namespace gb::viewer
