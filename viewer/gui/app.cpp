// app.cpp: the window layout (lessons | scene panels | lesson text, step controls below) and open_viewer's loop.
#include "app.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <set>
#include <vector>

#include "gb/core/error.hpp"
#include "viewer.hpp"
#include "window.hpp"

namespace gb::viewer {

void title_toolbar(float width) {
  ImGui::SameLine(std::max(0.0f, ImGui::GetWindowContentRegionMax().x - width));
  // Cover the end of a long title under the buttons so they read clearly.
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x - 4, p.y), ImVec2(p.x + width, p.y + ImGui::GetFrameHeight()),
                                            ImGui::GetColorU32(ImGuiCol_ChildBg));
}

// The border ImGui would draw around the current window (it draws none when the window has no
// background), clipped as ImGui clips a window's decorations: to the parent's clip rectangle.
struct ClipRect {
  ImVec2 min, max;
};
static ClipRect current_clip() {
  ImDrawList* draw = ImGui::GetWindowDrawList();
  return {draw->GetClipRectMin(), draw->GetClipRectMax()};
}
static void own_border(const ClipRect& parent_clip, float rounding, float thickness) {
  if (thickness <= 0) return;
  const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(parent_clip.min, parent_clip.max, false);
  draw->AddRect(pos, ImVec2(pos.x + size.x, pos.y + size.y), ImGui::GetColorU32(ImGuiCol_Border), rounding, 0, thickness);
  draw->PopClipRect();
}

bool small_button(const char* label, const char* tooltip) {
  bool pressed = ImGui::SmallButton(label);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
  return pressed;
}

void seek_to(App& app, std::int64_t step) {
  try {
    app.session.seek(step);
    app.step_error.clear();
  } catch (const std::exception& e) {
    app.step_error = e.what();
    app.playback.playing = false;
  }
}

bool step_changed_for(App& app, const std::string& scene_id) {
  auto [it, inserted] = app.scrolled_step.try_emplace(scene_id, app.session.step());
  if (inserted) return true;
  if (it->second == app.session.step()) return false;
  it->second = app.session.step();
  return true;
}

namespace {

// Panels that draw their own canvas do not scroll; table and text panels scroll inside.
bool draws_canvas(trace::SceneKind kind) {
  return kind != trace::SceneKind::table && kind != trace::SceneKind::text;
}

void draw_scene(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  const std::string& title = now.scene.title.empty() ? now.scene.id : now.scene.title;
  ImGui::PushFont(app.fonts.heading);
  ImGui::TextUnformatted(title.c_str());
  ImGui::PopFont();
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s\nscene \"%s\" (%s)", title.c_str(), now.scene.id.c_str(),
                                                trace::scene_kind_name(now.scene.kind));
  switch (now.scene.kind) {
    case trace::SceneKind::graph: draw_graph_panel(app, now, final); break;
    case trace::SceneKind::tensor: draw_tensor_panel(app, now, final); break;
    case trace::SceneKind::timeline: draw_timeline_panel(app, now, final); break;
    case trace::SceneKind::plot: draw_plot_panel(app, now, final); break;
    case trace::SceneKind::table: draw_table_panel(app, now, final); break;
    case trace::SceneKind::text: draw_text_panel(app, now, final); break;
  }
}

// The scenes that the current step's section works on (every step with that section), in Recording
// order; for a step without a section, the scenes it changes itself. Empty at step -1.
std::set<std::string> focus_scenes(App& app) {
  const trace::Step* step = app.session.current_step();
  std::set<std::string> focus;
  if (!step) return focus;
  if (step->section.empty()) {
    for (const auto& change : step->changes) focus.insert(change.scene);
    return focus;
  }
  if (app.section_scenes_generation != app.session.generation()) {
    app.section_scenes.clear();
    for (const auto& s : app.session.recording().steps) {
      auto& ids = app.section_scenes[s.section];
      for (const auto& change : s.changes) {
        if (std::find(ids.begin(), ids.end(), change.scene) == ids.end()) ids.push_back(change.scene);
      }
    }
    app.section_scenes_generation = app.session.generation();
  }
  const auto& ids = app.section_scenes[step->section];
  return {ids.begin(), ids.end()};
}

// Panels for the scenes `indices` on the grid whose cells come closest to a 4:3 landscape shape,
// filling `size`. Scenes the current step changes get an orange border.
void scene_grid(App& app, const std::vector<std::size_t>& indices, ImVec2 size, bool one_row = false) {
  if (indices.empty()) return;
  const auto& now = app.session.state().scenes;
  const auto& final = app.session.final_state().scenes;
  std::set<std::string> touched;
  if (const trace::Step* step = app.session.current_step()) {
    for (const auto& change : step->changes) touched.insert(change.scene);
  }
  const float gap = ImGui::GetStyle().ItemSpacing.x;
  const int n = static_cast<int>(indices.size());
  int best_cols = 1;
  double best_score = 1e30;
  for (int cols = one_row ? n : 1; cols <= n; ++cols) {
    int rows = (n + cols - 1) / cols;
    double aspect = (size.x / cols) / std::max(1.0f, size.y / rows);
    double score = std::abs(std::log(aspect / 1.33)) + 0.05 * (rows * cols - n);
    if (score < best_score) { best_score = score; best_cols = cols; }
  }
  const int rows = (n + best_cols - 1) / best_cols;
  const ImVec2 cell((size.x - gap * static_cast<float>(best_cols - 1)) / static_cast<float>(best_cols),
                    (size.y - gap * static_cast<float>(rows - 1)) / static_cast<float>(rows));
  for (int k = 0; k < n; ++k) {
    const std::size_t i = indices[static_cast<std::size_t>(k)];
    const auto& scene = now[i];
    if (k % best_cols != 0) ImGui::SameLine(0, gap);
    const bool lit = touched.count(scene.scene.id) > 0;
    if (lit) ImGui::PushStyleColor(ImGuiCol_Border, ImVec4(1.0f, 0.55f, 0.0f, 0.9f));
    // No background of its own: "scenes" below it is filled with the same color (see draw_app).
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoBackground;
    if (draws_canvas(scene.scene.kind)) flags |= ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse;
    const ClipRect clip = current_clip();
    ImGui::BeginChild(("scene:" + scene.scene.id).c_str(), cell, true, flags);
    own_border(clip, ImGui::GetStyle().ChildRounding, ImGui::GetStyle().ChildBorderSize);
    if (lit) ImGui::PopStyleColor();
    draw_scene(app, scene, i < final.size() ? final[i] : scene);
    ImGui::EndChild();
  }
}

// One panel per scene. With focus on, the scenes of the current section get the upper part of the
// center and the others a strip below; otherwise (or at step -1) all share one grid.
void draw_scenes(App& app) {
  if (app.error.shown()) {
    draw_error_panel(app);
    return;
  }
  if (!app.session.loaded()) {
    ImGui::TextDisabled("No lesson loaded. Pick one on the left.");
    return;
  }
  const auto& now = app.session.state().scenes;
  if (now.empty()) {
    ImGui::TextDisabled("This recording has no scenes.");
    return;
  }
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const std::set<std::string> focus = app.focus ? focus_scenes(app) : std::set<std::string>{};
  std::vector<std::size_t> focused, others;
  for (std::size_t i = 0; i < now.size(); ++i) (focus.count(now[i].scene.id) ? focused : others).push_back(i);
  if (focused.empty() || others.empty()) {
    std::vector<std::size_t> all(now.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    scene_grid(app, all, avail);
    return;
  }
  const float gap = ImGui::GetStyle().ItemSpacing.y;
  const float strip_h = std::clamp(avail.y * 0.28f, 90.0f, 220.0f);
  const ImVec2 top(avail.x, avail.y - strip_h - gap);
  ImGui::BeginChild("focused scenes", top, false, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoBackground);
  scene_grid(app, focused, top);
  ImGui::EndChild();
  // The strip: every other scene, small, so the whole recording stays in sight.
  ImGui::BeginChild("other scenes", ImVec2(avail.x, strip_h), false,
                    ImGuiWindowFlags_HorizontalScrollbar | ImGuiWindowFlags_NoBackground);
  const float row_h = ImGui::GetContentRegionAvail().y - ImGui::GetStyle().ScrollbarSize;
  const float cell_w = std::max(220.0f, (avail.x - gap * static_cast<float>(others.size() - 1)) / static_cast<float>(others.size()));
  scene_grid(app, others, ImVec2(cell_w * static_cast<float>(others.size()) + gap * static_cast<float>(others.size() - 1), row_h),
             /*one_row=*/true);
  ImGui::EndChild();
}

}  // namespace

void draw_app(App& app) {
  app.stats = {};
  handle_shortcuts(app);
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  // Each pixel is filled once by glClear (the WindowBg color) and once by the panel over it; the windows
  // nested inside a panel draw no background of their own (the same color again). Under Mesa's software
  // rasterizer a frame is bound by the pixels it fills: five layers of background under the scenes cost
  // more than the 1,000-node graph (docs/viewer.md, "Performance"). ImGui draws no border around a window
  // without a background, so those with a border draw their own (own_border), exactly where ImGui would.
  ImGui::Begin("glassbox", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoBackground);
  own_border({ImVec2(0, 0), io.DisplaySize}, ImGui::GetStyle().WindowRounding, ImGui::GetStyle().WindowBorderSize);
  ImVec2 avail = ImGui::GetContentRegionAvail();
  ImGuiStyle& style = ImGui::GetStyle();
  float gap = style.ItemSpacing.x;
  // Step controls: one row of widgets, the caption (large, up to two lines) and its source line.
  float controls_h = ImGui::GetFrameHeightWithSpacing() + app.fonts.large->FontSize * 2 +
                     ImGui::GetTextLineHeightWithSpacing() + style.WindowPadding.y * 2 + style.ItemSpacing.y * 3;
  float top_h = std::max(100.0f, avail.y - controls_h - style.ItemSpacing.y);
  float left_w = std::clamp(avail.x * 0.17f, 190.0f, 280.0f);
  float right_w = std::clamp(avail.x * 0.30f, 260.0f, 520.0f);
  float center_w = std::max(100.0f, avail.x - left_w - right_w - 2 * gap);

  ImGui::BeginChild("left", ImVec2(left_w, top_h), true);
  ImGui::BeginChild("lessons", ImVec2(0, top_h * 0.38f), false, ImGuiWindowFlags_NoBackground);
  draw_lesson_list(app);
  ImGui::EndChild();
  ImGui::Separator();
  // Parameters scroll; the state and export block keeps its place at the bottom.
  const float share_h = ImGui::GetFrameHeightWithSpacing() * 4 + ImGui::GetTextLineHeightWithSpacing() * 3;
  ImGui::BeginChild("parameters", ImVec2(0, std::max(60.0f, ImGui::GetContentRegionAvail().y - share_h)), false,
                    ImGuiWindowFlags_NoBackground);
  draw_parameters(app);
  ImGui::Checkbox("Focus the section's scenes", &app.focus);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Large panels for the scenes the current lesson section works on,\na strip below for the others");
  }
  ImGui::EndChild();
  ImGui::Separator();
  draw_share(app);
  ImGui::EndChild();

  ImGui::SameLine(0, gap);
  ImGui::BeginChild("scenes", ImVec2(center_w, top_h), false);
  draw_scenes(app);
  ImGui::EndChild();

  ImGui::SameLine(0, gap);
  ImGui::BeginChild("lesson text", ImVec2(right_w, top_h), true);
  draw_lesson_text(app);
  ImGui::EndChild();

  ImGui::BeginChild("controls", ImVec2(0, 0), true, ImGuiWindowFlags_NoScrollbar);
  draw_controls(app);
  ImGui::EndChild();
  ImGui::End();
}

int open_viewer(const ViewerOptions& options) {
  App app;
  prepare(app, options);  // command-line mistakes fail here, before any window opens
  Window window(options.width, options.height, /*visible=*/true, "glassbox");
  app.fonts = window.fonts();
  double last = glfwGetTime();
  while (!window.should_close()) {
    window.wait_events(app.playback.playing || app.layouts.pending() > 0);
    double now = glfwGetTime();
    advance_playback(app, now - last);
    last = now;
    window.begin_frame();
    draw_app(app);
    window.render();
    if (!app.png_request.empty()) {  // the Export PNG button: this frame, as drawn
      try {
        write_window_png(window, app.png_request);
        app.status = "wrote " + app.png_request;
      } catch (const std::exception& e) {
        app.status = e.what();
      }
      app.png_request.clear();
    }
    window.swap();
  }
  return 0;
}

}  // namespace gb::viewer
