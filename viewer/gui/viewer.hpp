// viewer.hpp: the ImGui + GLFW viewer's entry points, called by viewer/main.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gb/lessons/registry.hpp"
#include "gb/trace/recording.hpp"

namespace gb::viewer {

struct ViewerOptions {
  std::string lesson = "";            // empty = the first lesson of the catalogue (or the state file's)
  std::optional<std::int64_t> step;   // step index to open at (-1 = before the first step); unset = the state's or -1
  std::optional<trace::Level> level;  // stepping granularity; unset = the state's or element
  lessons::Params params;             // overrides of the lesson's defaults (--param, --params F)
  std::string recording_path;         // --recording F.json: show this Recording instead of a lesson
  std::string state_path;             // --state F: a saved viewer state
  std::string search;                 // shot --search TEXT: jump to the next step lighting a matching node
  std::string stats_path;             // shot --stats F.json: what each panel drew
  int width = 1280, height = 800;
};

// Opens a window and runs until it is closed. Returns the process exit code.
// Throws gb::Error when no window can be created (no display); main.cpp reports it.
int open_viewer(const ViewerOptions& options);

// Renders the viewer (a hidden GLFW window) as `options` say and writes a PNG (and the stats file).
// Needs a display (or Xvfb). Throws gb::Error on command-line mistakes and when no window opens; a
// corrupt Recording or state file is drawn as the error panel, not thrown.
void shot(const ViewerOptions& options, const std::string& png_path);

}  // namespace gb::viewer
