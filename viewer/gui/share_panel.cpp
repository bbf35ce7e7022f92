// share_panel.cpp: the left column's bottom block: save and load the whole state (a small file a teacher hands
// out), open a Recording file, and export the window (PNG), the graphs (DOT), the timelines (Chrome trace)
// and the Recording (JSON), each into the current directory with a status line saying what was written.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <exception>
#include <fstream>

#include "app.hpp"
#include "gb/core/error.hpp"
#include "gb/trace/export.hpp"
#include "gb/trace/json.hpp"

namespace gb::viewer {
namespace {

// "00-tour" for a lesson, the file's stem for a Recording file: the start of every exported name.
std::string base_name(const App& app) {
  const std::string id = app.session.recording().lesson;
  return id.empty() ? std::string("recording") : id;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw Error("export", "a writable file in the current directory", "'" + path + "'");
}

enum class ExportKind { png, dot, chrome, json };

void export_now(App& app, ExportKind kind) {
  const std::string base = base_name(app);
  const std::string step = "-step" + std::to_string(app.session.step() + 1);
  const trace::Recording& r = app.session.recording();
  std::string path;
  switch (kind) {
    case ExportKind::png:
      app.png_request = base + step + ".png";  // written by the main loop after this frame renders
      return;
    case ExportKind::dot: write_text(path = base + ".dot", trace::to_dot(r)); break;
    case ExportKind::chrome: write_text(path = base + ".trace.json", trace::to_chrome_trace(r)); break;
    case ExportKind::json: write_text(path = base + ".json", trace::to_json(r)); break;
  }
  app.status = "wrote " + path;
}

}  // namespace

void draw_share(App& app) {
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##path", "state or recording file", &app.state_path);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("The file that Save state writes and Load state / Open recording read");
  const bool loaded = app.session.loaded();
  if (!loaded) ImGui::BeginDisabled();
  if (small_button("Save state", "Write the lesson, its parameters, the step and the level to the file above:\n"
                                 "`glassbox view --state FILE` opens the viewer exactly here")) {
    try {
      save_state_file(app, app.state_path);
      app.status = "wrote " + app.state_path;
    } catch (const std::exception& e) {
      app.status = e.what();
    }
  }
  if (!loaded) ImGui::EndDisabled();
  ImGui::SameLine();
  if (small_button("Load state", "Open the state file above (lesson, parameters, step, level)")) {
    if (open_state_file(app, app.state_path)) app.status = "loaded " + app.state_path;
  }
  if (small_button("Open recording", "Open the Recording JSON file above (written by `glassbox export` or Export JSON)")) {
    open_recording_file(app, app.state_path);
  }
  ImGui::SameLine();
  ImGui::TextDisabled("Export:");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Files go to the current directory; the line below says which");
  if (!loaded) ImGui::BeginDisabled();
  struct Button {
    const char* label;
    const char* tooltip;
    ExportKind kind;
  };
  static constexpr Button buttons[] = {
      {"PNG", "The window as it is now, to LESSON-stepN.png in the current directory", ExportKind::png},
      {"DOT", "Every graph scene as Graphviz DOT (final states), to LESSON.dot", ExportKind::dot},
      {"Trace", "The timelines as a Chrome/Perfetto trace (chrome://tracing, ui.perfetto.dev), to LESSON.trace.json",
       ExportKind::chrome},
      {"JSON", "The whole Recording as JSON (`glassbox view --recording FILE` reopens it), to LESSON.json",
       ExportKind::json},
  };
  for (const Button& b : buttons) {
    if (&b != &buttons[0]) ImGui::SameLine();
    if (small_button(b.label, b.tooltip)) {
      try {
        export_now(app, b.kind);
      } catch (const std::exception& e) {
        app.status = e.what();
      }
    }
  }
  if (!loaded) ImGui::EndDisabled();
  if (!app.status.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped("%s", app.status.c_str());
    ImGui::PopStyleColor();
  }
}

}  // namespace gb::viewer
