// viewer.hpp: the ImGui + GLFW viewer's two entry points, called by viewer/main.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace gb::viewer {

struct ViewerOptions {
  std::string lesson = "";  // empty = the first lesson of the catalogue
  std::int64_t step = -1;   // step to open at (-1 = before the first step)
  int width = 1280, height = 800;
};

// Opens a window and runs until it is closed. Returns the process exit code.
// Throws gb::Error when no window can be created (no display); main.cpp reports it.
int open_viewer(const ViewerOptions& options);

// Renders the viewer for `lesson` at `step` off-screen-ish (a hidden GLFW window) and writes a PNG.
// Needs a display (or Xvfb). Throws gb::Error on failure.
void shot(const ViewerOptions& options, const std::string& png_path);

}  // namespace gb::viewer
