// controls.cpp: the bottom bar (start, back, play, forward, end, scrubber, speed, level, jump), the keyboard
// shortcuts, playback timing, and the current step's caption with its source file:line.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

#include "app.hpp"

namespace gb::viewer {
namespace {

constexpr trace::Level kLevels[] = {trace::Level::pass, trace::Level::op, trace::Level::tile, trace::Level::element};

void step_forward(App& app) { seek_to(app, app.session.next_step(app.playback.level)); }
void step_back(App& app) { seek_to(app, app.session.previous_step(app.playback.level)); }
void go_to_start(App& app) { seek_to(app, -1); }
void go_to_end(App& app) { seek_to(app, app.session.steps() - 1); }

void toggle_play(App& app) {
  Playback& p = app.playback;
  p.playing = !p.playing;
  p.due = 0;
  // Play at the last step starts over, as a media player does.
  if (p.playing && app.session.next_step(p.level) == app.session.step()) go_to_start(app);
}

bool button(const char* label, const char* tooltip, float width = 0) {
  bool pressed = ImGui::Button(label, ImVec2(width, 0));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
  return pressed;
}

}  // namespace

void search_next(App& app) {
  Playback& p = app.playback;
  const std::int64_t found = app.session.find_step(p.search, app.session.step());
  if (found < -1) {
    p.search_note = p.search.empty() ? "" : "no step lights a node matching '" + p.search + "'";
    return;
  }
  p.search_note = "'" + p.search + "': step " + std::to_string(found + 1);
  seek_to(app, found);
}

// Teaching shortcuts, declared openly (also listed in viewer/README.md): Space plays or pauses,
// Left/Right step at the chosen level, Home/End jump to the ends. Not while typing in a field.
void handle_shortcuts(App& app) {
  if (ImGui::GetIO().WantTextInput || !app.session.loaded()) return;
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false)) toggle_play(app);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) step_forward(app);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) step_back(app);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home), false)) go_to_start(app);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End), false)) go_to_end(app);
}

void advance_playback(App& app, double seconds) {
  Playback& p = app.playback;
  if (!p.playing || !app.session.loaded()) return;
  // A long frame (a slow re-run, a dragged window) must not fast-forward through the lesson.
  p.due = std::min(p.due + std::clamp(seconds, 0.0, 0.25) * p.speed, 16.0);
  while (p.playing && p.due >= 1.0) {
    p.due -= 1.0;
    std::int64_t next = app.session.next_step(p.level);
    if (next == app.session.step()) {
      p.playing = false;  // reached the last step of this level
      break;
    }
    seek_to(app, next);
  }
}

void draw_controls(App& app) {
  if (!app.session.loaded()) {
    ImGui::TextDisabled("No lesson loaded.");
    return;
  }
  Playback& p = app.playback;
  Session& s = app.session;
  const float button_w = ImGui::GetFrameHeight() * 1.4f;

  // --- row 1: transport, scrubber, speed, level, jump -------------------------------------------
  if (button("|<", "Start: before the first step (Home)", button_w)) go_to_start(app);
  ImGui::SameLine();
  if (button("<", "Back one step at the chosen level (Left arrow)", button_w)) step_back(app);
  ImGui::SameLine();
  if (button(p.playing ? "Pause" : "Play", "Play or pause (Space)", button_w * 2.2f)) toggle_play(app);
  ImGui::SameLine();
  if (button(">", "Forward one step at the chosen level (Right arrow)", button_w)) step_forward(app);
  ImGui::SameLine();
  if (button(">|", "End: the last step (End)", button_w)) go_to_end(app);

  ImGui::SameLine();
  // Steps are counted from 1 on screen, as in `glassbox run` ("[3/35]"): step n is the state after
  // n steps, step 0 the state before the first. The Player counts from 0 (index n - 1).
  int shown = static_cast<int>(s.step()) + 1;
  const int total = static_cast<int>(s.steps());
  ImGui::SetNextItemWidth(std::max(120.0f, ImGui::GetContentRegionAvail().x - 660.0f));
  std::string format = "step %d of " + std::to_string(total);
  if (ImGui::SliderInt("##scrubber", &shown, 0, total, format.c_str())) seek_to(app, shown - 1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Scrub through every step (0 = before the first)");

  ImGui::SameLine();
  ImGui::SetNextItemWidth(110);
  ImGui::DragFloat("##speed", &p.speed, 0.05f, 0.25f, 60.0f, "%.2g steps/s", ImGuiSliderFlags_AlwaysClamp);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Playback speed in steps per second (drag)");

  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  if (ImGui::BeginCombo("##level", trace::level_name(p.level))) {
    for (trace::Level level : kLevels) {
      if (ImGui::Selectable(trace::level_name(level), level == p.level)) p.level = level;
    }
    ImGui::EndCombo();
  }
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Granularity: stepping and playing skip steps finer than this\n(pass > op > tile > element)");
  }

  ImGui::SameLine();
  ImGui::SetNextItemWidth(70);
  bool jump = ImGui::InputInt("##jump", &p.jump_to, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Jump to step (0 .. %d), Enter or Go", total);
  ImGui::SameLine();
  if (ImGui::Button("Go") || jump) seek_to(app, std::clamp(p.jump_to, 0, total) - 1);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Jump to the step number typed on the left");

  ImGui::SameLine();
  ImGui::SetNextItemWidth(130);
  bool find = ImGui::InputTextWithHint("##search", "node or op", &p.search, ImGuiInputTextFlags_EnterReturnsTrue);
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Search: the next step that lights or changes a graph node\nwhose id, label or op contains this text (Enter or Find)");
  }
  ImGui::SameLine();
  if (ImGui::Button("Find") || find) search_next(app);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Jump to the next step that lights a matching node (wraps around)");

  // --- row 2: the caption, what happened and why ----------------------------------------------------
  const trace::Step* current = s.current_step();
  ImGui::PushFont(app.fonts.large);
  if (current) {
    ImGui::TextWrapped("%s", current->caption.c_str());
  } else {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped("Before the first step: press Space to play, or the Right arrow to step.");
    ImGui::PopStyleColor();
  }
  ImGui::PopFont();

  // --- row 3: where the step comes from -----------------------------------------------------------------
  if (!p.search_note.empty()) {
    ImGui::TextColored(ImVec4(0.55f, 0.8f, 1.0f, 1.0f), "%s", p.search_note.c_str());
    ImGui::SameLine();
  }
  if (!app.step_error.empty()) {
    ImGui::TextColored(ImVec4(1.0f, 0.35f, 0.35f, 1.0f), "%s", app.step_error.c_str());
  } else if (current) {
    std::string where = "level " + std::string(trace::level_name(current->level));
    if (!current->section.empty()) where += "  \xC2\xB7  section: " + current->section;
    if (current->source) {
      where += "  \xC2\xB7  source: " + current->source->file + ":" + std::to_string(current->source->line);
    }
    ImGui::TextDisabled("%s", where.c_str());
  } else {
    ImGui::TextDisabled("%s: %lld steps%s%s", s.recording().title.c_str(), static_cast<long long>(s.steps()),
                        s.from_file() ? "  \xC2\xB7  from " : "", s.origin().c_str());
  }
}

}  // namespace gb::viewer
