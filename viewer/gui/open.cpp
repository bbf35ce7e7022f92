// open.cpp: what the viewer shows: a lesson run, a Recording JSON file, a saved state file; and the error
// panel that replaces the scenes when a file cannot be shown (the viewer keeps running).
#include <imgui.h>

#include <exception>

#include "app.hpp"
#include "gb/core/error.hpp"
#include "gb/trace/json.hpp"
#include "state_file.hpp"

namespace gb::viewer {
namespace {

// Per-lesson view state goes when another Recording comes in.
void reset_views(App& app) {
  app.layouts.clear();
  app.graph_views.clear();
  app.tensor_views.clear();
  app.plot_views.clear();
  app.scrolled_step.clear();
  app.scrolled_section = -2;
  app.load_error.clear();
  app.step_error.clear();
  app.error = {};
  app.playback.playing = false;
}

}  // namespace

void show_error(App& app, const std::string& title, const std::string& message) {
  app.error = {title, message};
  app.playback.playing = false;
}

void load_lesson(App& app, const std::string& id, const lessons::Params& params) {
  app.session.load(id, params);
  reset_views(app);
}

bool open_recording_file(App& app, const std::string& path) {
  try {
    trace::Recording recording = trace::from_json(read_text_file(path, "reading a Recording file"));
    app.session.load_recording(std::move(recording), path);
    reset_views(app);
    app.status = "opened " + path;
    return true;
  } catch (const std::exception& e) {
    show_error(app, "Could not open the Recording file '" + path + "'", e.what());
    return false;
  }
}

namespace {

// Shows `state`: its lesson or Recording, parameters, step and level. Throws gb::Error.
void apply_state(App& app, const ViewState& state, const std::string& origin) {
  if (!state.recording.empty()) {
    if (!open_recording_file(app, state.recording)) return;
  } else {
    load_lesson(app, state.lesson, state.params);
  }
  if (state.step > app.session.steps()) {
    throw Error(origin, "a step in [0, " + std::to_string(app.session.steps()) + "]", std::to_string(state.step));
  }
  app.session.seek(state.step - 1);
  app.playback.level = state.level;
}

}  // namespace

bool open_state_file(App& app, const std::string& path) {
  try {
    apply_state(app, read_state_file(path), "state file '" + path + "'");
    if (app.error.shown()) return false;
    app.status = "loaded state " + path;
    return true;
  } catch (const std::exception& e) {
    show_error(app, "Could not load the state file '" + path + "'", e.what());
    return false;
  }
}

void save_state_file(App& app, const std::string& path) {
  if (!app.session.loaded()) throw Error("saving the state", "a lesson or Recording shown", "nothing shown");
  ViewState state;
  if (app.session.from_file()) {
    state.recording = app.session.origin();
  } else {
    state.lesson = app.session.lesson()->id;
    state.params = app.session.params();
  }
  state.step = app.session.step() + 1;
  state.level = app.playback.level;
  write_state_file(path, state);
}

void prepare(App& app, const ViewerOptions& options) {
  // A state file first; the command line's own options then override what it says.
  ViewState state;
  const bool from_state = !options.state_path.empty();
  if (from_state) {
    try {
      state = read_state_file(options.state_path);
    } catch (const std::exception& e) {
      show_error(app, "Could not load the state file '" + options.state_path + "'", e.what());
      return;
    }
  }
  if (!options.lesson.empty()) state = ViewState{options.lesson, "", state.params, state.step, state.level};
  if (!options.recording_path.empty()) state = ViewState{"", options.recording_path, {}, state.step, state.level};
  for (const auto& [name, value] : options.params) state.params[name] = value;
  if (!state.recording.empty()) {
    if (!open_recording_file(app, state.recording)) return;
  } else if (from_state) {
    try {
      load_lesson(app, state.lesson, state.params);
    } catch (const std::exception& e) {
      show_error(app, "Could not show the state file '" + options.state_path + "'", e.what());
      return;
    }
  } else {
    load_lesson(app, state.lesson, state.params);  // an unknown lesson or parameter: exit 1
  }
  const std::int64_t steps = app.session.steps();
  if (options.step) {
    if (*options.step < -1 || *options.step >= steps) {
      throw Error("glassbox", "--step in [0, " + std::to_string(steps) + "] (0 = before the first step)",
                  std::to_string(*options.step + 1));
    }
    app.session.seek(*options.step);
  } else if (from_state) {
    if (state.step > steps) {
      show_error(app, "Could not show the state file '" + options.state_path + "'",
                 "state file: expected a step in [0, " + std::to_string(steps) + "], given " + std::to_string(state.step));
      return;
    }
    app.session.seek(state.step - 1);
  }
  app.playback.level = options.level ? *options.level : state.level;
  if (!options.search.empty()) {
    app.playback.search = options.search;
    search_next(app);
  }
}

void draw_error_panel(App& app) {
  ImGui::PushStyleColor(ImGuiCol_Border, IM_COL32(230, 60, 60, 255));
  ImGui::PushStyleColor(ImGuiCol_ChildBg, IM_COL32(48, 22, 24, 255));
  ImGui::BeginChild("error panel", ImVec2(0, 0), true);
  ImGui::PushFont(app.fonts.large);
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 120, 120, 255));
  ImGui::TextWrapped("%s", app.error.title.c_str());
  ImGui::PopStyleColor();
  ImGui::PopFont();
  ImGui::Spacing();
  ImGui::PushFont(app.fonts.mono);
  ImGui::TextWrapped("%s", app.error.message.c_str());
  ImGui::PopFont();
  ImGui::Spacing();
  ImGui::TextWrapped("The viewer keeps running: pick a lesson on the left, or open another file below the parameters.");
  if (small_button("Dismiss", "Hide this message and show what was shown before (if anything)")) app.error = {};
  if (!app.session.loaded()) {
    ImGui::SameLine();
    if (small_button("Open the first lesson", "Load the first lesson of the catalogue")) {
      try {
        load_lesson(app, "");
      } catch (const std::exception& e) {
        app.error.message = e.what();
      }
    }
  }
  ImGui::EndChild();
  ImGui::PopStyleColor(2);
}

}  // namespace gb::viewer
