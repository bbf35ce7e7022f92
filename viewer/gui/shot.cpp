// shot.cpp: `glassbox shot`: the viewer rendered in a hidden window and written to a PNG, with --stats:
// a JSON file saying what each panel drew (the viewer tests compare it with the Recording).
#include <stb_image_write.h>  // Debian's libstb-dev ships the implementation in libstb.so

#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "app.hpp"
#include "gb/core/error.hpp"
#include "viewer.hpp"
#include "window.hpp"

namespace gb::viewer {

void write_window_png(Window& window, const std::string& path) {
  if (path.empty()) throw Error("writing a PNG", "an output path", "an empty path");
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels = window.read_back_buffer(width, height);
  if (width <= 0 || height <= 0) throw Error("writing a PNG", "a framebuffer to read", "an empty window");
  // ImGui blends into the alpha channel too; a screenshot is opaque.
  for (std::size_t i = 3; i < pixels.size(); i += 4) pixels[i] = 255;
  stbi_flip_vertically_on_write(1);  // OpenGL rows start at the bottom
  if (!stbi_write_png(path.c_str(), width, height, 4, pixels.data(), width * 4)) {
    throw Error("writing a PNG", "a writable PNG path", "'" + path + "'");
  }
}

namespace {

void write_stats(const App& app, int frames, const std::string& path) {
  nlohmann::ordered_json out;
  const Session& s = app.session;
  out["source"] = !s.loaded() ? "none" : s.from_file() ? "recording" : "lesson";
  out["lesson"] = s.loaded() ? s.recording().lesson : "";
  out["origin"] = s.origin();
  out["step"] = s.step() + 1;  // as on screen
  out["steps"] = s.steps();
  out["level"] = trace::level_name(app.playback.level);
  out["frames"] = frames;
  out["error_panel"] = app.error.shown();
  out["error"] = app.error.shown() ? app.error.title + ": " + app.error.message : "";
  out["search"] = {{"query", app.playback.search}, {"note", app.playback.search_note}};
  nlohmann::ordered_json scenes = nlohmann::ordered_json::object();
  for (const auto& [id, entry] : app.stats.scenes) {
    nlohmann::ordered_json scene = {{"kind", entry.first}};
    for (const auto& [what, n] : entry.second) scene[what] = n;
    scenes[id] = scene;
  }
  out["scenes"] = scenes;
  std::ofstream file(path, std::ios::binary);
  file << out.dump(1) << "\n";
  file.close();
  if (!file) throw Error("shot --stats", "a writable file", "'" + path + "'");
}

}  // namespace

void shot(const ViewerOptions& options, const std::string& png_path) {
  if (png_path.empty()) throw Error("shot", "an output path (-o F.png)", "an empty path");
  App app;
  prepare(app, options);  // unknown lessons and bad steps fail before any window opens
  app.layouts.set_synchronous(true);  // a screenshot shows laid-out graphs, never "laying out..."
  Window window(options.width, options.height, /*visible=*/false, "glassbox shot");
  app.fonts = window.fonts();
  // Frames until the layout settles: the first frame measures windows and fonts, the next ones apply
  // scroll requests (the lit lesson section, the table's newest row, the source cursor).
  constexpr int kFrames = 4;
  for (int frame = 0; frame < kFrames; ++frame) {
    window.begin_frame();
    draw_app(app);
    window.render();
    if (frame == kFrames - 1) write_window_png(window, png_path);  // before the swap
    window.swap();
  }
  if (!options.stats_path.empty()) write_stats(app, kFrames, options.stats_path);
}

}  // namespace gb::viewer
