// app.hpp: the viewer's state (one App per window) and the functions that draw each part of the window.
//
// Index of the parts, one file each (like imgui_demo.cpp, one function per topic):
//   app.cpp            draw_app: the layout (lessons | scenes | lesson text, step controls below)
//   open.cpp           what to show: a lesson, a Recording file, a state file; the error panel
//   lesson_panel.cpp   draw_lesson_list, draw_parameters: pick a lesson, edit parameters, re-run
//   share_panel.cpp    draw_share: save/load the state, export PNG, DOT, Chrome trace, Recording JSON
//   controls.cpp       draw_controls, handle_shortcuts, advance_playback: stepping, search
//   lesson_text.cpp    draw_lesson_text: lesson.md with the current step's section lit
//   graph_panel.cpp, tensor_panel.cpp, timeline_panel.cpp, plot_panel.cpp, table_panel.cpp,
//   text_panel.cpp     draw_*_panel: one Scene kind each, at the current step
//   window.cpp         Window: GLFW + OpenGL 3 + ImGui setup; shot.cpp: the PNG screenshot and --stats
#pragma once

#include <imgui.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "graph_layout.hpp"
#include "markdown.hpp"
#include "session.hpp"
#include "viewer.hpp"

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
  std::string search;        // the "find node or op" field
  std::string search_note;   // "no step lights 'foo'"
};

struct GraphView {  // per graph scene: zoom and pan on top of fit-to-panel, minimap, collapsed groups
  float zoom = 1;
  ImVec2 pan{0, 0};
  bool minimap = true;               // shown for graphs of more than kMinimapNodes nodes
  std::set<std::string> collapsed;   // GraphGroup ids drawn as one box
  bool dragging_minimap = false;     // the mouse went down in the minimap: drags move the view there
  // Edge id -> its path in the layout, built once per layout (not every frame).
  const void* edge_index_of = nullptr;
  std::unordered_map<std::string, std::size_t> edge_index;
};
inline constexpr std::size_t kMinimapNodes = 50;

struct TensorView {  // per tensor scene: zoom and pan over the heatmap
  float zoom = 1;
  ImVec2 pan{0, 0};
};

struct PlotView {  // per plot scene
  bool log_x = false, log_y = false;
};

// What each panel drew in the last frame, by scene id (`glassbox shot --stats F.json` writes it, the
// viewer tests compare it with the Recording): "nodes_drawn", "cells_drawn", "spans_drawn", ...
struct FrameStats {
  std::map<std::string, std::pair<std::string, std::map<std::string, std::int64_t>>> scenes;  // id -> kind, counts
  void add(const std::string& scene, const char* kind, const char* what, std::int64_t n) {
    auto& entry = scenes[scene];
    entry.first = kind;
    entry.second[what] += n;
  }
};

struct ErrorPanel {  // shown in the center instead of the scenes when a file could not be shown
  std::string title;    // "Could not open the Recording file 'x.json'"
  std::string message;  // the gb::Error text
  bool shown() const { return !title.empty(); }
};

struct App {
  Session session;
  Playback playback;
  Fonts fonts;
  LayoutCache layouts;
  std::map<std::string, GraphView> graph_views;    // by scene id
  std::map<std::string, TensorView> tensor_views;  // by scene id
  std::map<std::string, PlotView> plot_views;      // by scene id
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
  ErrorPanel error;                   // a corrupt Recording or state file
  std::string state_path = "glassbox-state.txt";  // the Save/Load state field
  std::string status;                 // what the last save/export did ("wrote tour.dot")
  std::string png_request;            // a PNG of the window to write after this frame (the main loop does it)
  FrameStats stats;                   // filled while drawing a frame
};

// --- open.cpp: what to show ------------------------------------------------------------------------
// Loads a lesson into the app, resetting per-lesson view state. Throws gb::Error.
void load_lesson(App& app, const std::string& id, const lessons::Params& params = {});
// Opens a Recording JSON file; on any gb::Error shows the error panel instead (returns false).
bool open_recording_file(App& app, const std::string& path);
// Loads a state file (lesson or recording, parameters, step, level); on error shows the error panel.
bool open_state_file(App& app, const std::string& path);
// The current state as a ViewState file; throws gb::Error when it cannot write.
void save_state_file(App& app, const std::string& path);
// What the command line asks for: a lesson, --recording, --state, --param, --step, --level, --search.
// Mistakes on the command line throw gb::Error; a file that cannot be shown opens the error panel.
void prepare(App& app, const ViewerOptions& options);
void show_error(App& app, const std::string& title, const std::string& message);
void draw_error_panel(App& app);

// Seeks, catching gb::Error into app.step_error (the UI never throws out of a frame).
void seek_to(App& app, std::int64_t step);
// Jumps to the next step (after the current one, wrapping) that lights a node matching the search.
void search_next(App& app);

// One whole frame of the viewer's UI, filling the display.
void draw_app(App& app);

void draw_lesson_list(App& app);
void draw_parameters(App& app);
void draw_share(App& app);
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

// Puts the next items on the scene title's line, right-aligned so that `width` pixels of small buttons
// fit (over the end of a long title, whose whole text is in its tooltip).
void title_toolbar(float width);
// A small button with its tooltip beside it (every control explains itself on hover).
bool small_button(const char* label, const char* tooltip);

}  // namespace gb::viewer
