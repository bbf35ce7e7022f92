// app.hpp: the viewer's state (one App per window) and the functions that draw each part of the window.
//
// Index of the parts, one file each (like imgui_demo.cpp, one function per topic):
//   app.cpp            draw_app: the layout (lessons | scenes | lesson text, step controls below)
//   lesson_panel.cpp   draw_lesson_list, draw_parameters: pick a lesson, edit parameters, re-run
//   controls.cpp       draw_controls, handle_shortcuts, advance_playback: stepping through the Recording
//   lesson_text.cpp    draw_lesson_text: lesson.md with the current step's section lit
//   graph_panel.cpp, tensor_panel.cpp, timeline_panel.cpp, plot_panel.cpp, table_panel.cpp,
//   text_panel.cpp     draw_*_panel: one Scene kind each, at the current step
//   window.cpp         Window: GLFW + OpenGL 3 + ImGui setup; shot.cpp: the PNG screenshot
#pragma once

#include <imgui.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "graph_layout.hpp"
#include "markdown.hpp"
#include "session.hpp"

namespace gb::viewer {

struct Fonts {
  ImFont* body = nullptr;     // everything by default
  ImFont* mono = nullptr;     // code, source lines, tensor cell values
  ImFont* heading = nullptr;  // section headings, scene titles
  ImFont* large = nullptr;    // the step caption, top-level headings
};

struct Playback {
  bool playing = false;
  float speed = 2.0f;        // steps per second
  double due = 0;            // fraction of a step accumulated toward the next one
  trace::Level level = trace::Level::element;  // stepping stops at steps of this level or coarser
  int jump_to = 0;           // the "jump to step" field
};

struct GraphView {  // per graph scene: mouse-wheel zoom and drag pan on top of fit-to-panel
  float zoom = 1;
  ImVec2 pan{0, 0};
};

struct App {
  Session session;
  Playback playback;
  Fonts fonts;
  LayoutCache layouts;
  std::map<std::string, GraphView> graph_views;  // by scene id
  std::vector<Block> document;        // the parsed lesson.md of the loaded lesson
  std::uint64_t document_generation = 0;
  int scrolled_section = -2;          // heading block the lesson text last scrolled to (-2: none yet)
  int scroll_frames = 0;              // frames left to repeat that scroll (the first frame's layout may move)
  std::map<std::string, std::int64_t> scrolled_step;  // per table/text scene: step it last scrolled for
  bool focus = true;                  // give the scenes of the current step's section the large panels
  std::map<std::string, std::vector<std::string>> section_scenes;  // section -> scene ids its steps change
  std::uint64_t section_scenes_generation = 0;
  std::string load_error;             // from loading or re-running a lesson (shown in the left column)
  std::string step_error;             // from seeking (shown in the step controls)
};

// Loads a lesson into the app, resetting per-lesson view state. Throws gb::Error.
void load_lesson(App& app, const std::string& id);
// Seeks, catching gb::Error into app.step_error (the UI never throws out of a frame).
void seek_to(App& app, std::int64_t step);

// One whole frame of the viewer's UI, filling the display.
void draw_app(App& app);

void draw_lesson_list(App& app);
void draw_parameters(App& app);
void draw_controls(App& app);
void handle_shortcuts(App& app);
void advance_playback(App& app, double seconds);
void draw_lesson_text(App& app);

// Scene panels: `now` is the state at the current step, `final` the state after the last step
// (used for ranges that should not move while stepping, and for stable graph layouts).
void draw_graph_panel(App& app, const trace::SceneState& now, const trace::SceneState& final);
void draw_tensor_panel(App& app, const trace::SceneState& now, const trace::SceneState& final);
void draw_timeline_panel(App& app, const trace::SceneState& now, const trace::SceneState& final);
void draw_plot_panel(App& app, const trace::SceneState& now, const trace::SceneState& final);
void draw_table_panel(App& app, const trace::SceneState& now, const trace::SceneState& final);
void draw_text_panel(App& app, const trace::SceneState& now, const trace::SceneState& final);

// True once per step for `scene_id`: panels use it to scroll their cursor into view on a new step.
bool step_changed_for(App& app, const std::string& scene_id);

}  // namespace gb::viewer
