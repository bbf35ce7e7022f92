// shot.cpp: `glassbox shot`: the viewer rendered in a hidden window at one step and written to a PNG.
#include <stb_image_write.h>  // Debian's libstb-dev ships the implementation in libstb.so

#include <exception>
#include <string>

#include "app.hpp"
#include "gb/core/error.hpp"
#include "viewer.hpp"
#include "window.hpp"

namespace gb::viewer {

void shot(const ViewerOptions& options, const std::string& png_path) {
  if (png_path.empty()) throw Error("shot", "an output path (-o F.png)", "an empty path");
  App app;
  load_lesson(app, options.lesson);  // unknown lessons and bad steps fail before any window opens
  app.session.seek(options.step);
  Window window(options.width, options.height, /*visible=*/false, "glassbox shot");
  app.fonts = window.fonts();
  // Frames until the layout settles: the first frame measures windows and fonts, the next ones apply
  // scroll requests (the lit lesson section, the table's newest row, the source cursor).
  constexpr int kFrames = 4;
  std::vector<std::uint8_t> pixels;
  int width = 0, height = 0;
  for (int frame = 0; frame < kFrames; ++frame) {
    window.begin_frame();
    draw_app(app);
    window.render();
    if (frame == kFrames - 1) pixels = window.read_back_buffer(width, height);  // before the swap
    window.swap();
  }
  if (width <= 0 || height <= 0) throw Error("shot", "a framebuffer to read", "an empty window");
  // ImGui blends into the alpha channel too; a screenshot is opaque.
  for (std::size_t i = 3; i < pixels.size(); i += 4) pixels[i] = 255;
  stbi_flip_vertically_on_write(1);  // OpenGL rows start at the bottom
  if (!stbi_write_png(png_path.c_str(), width, height, 4, pixels.data(), width * 4)) {
    throw Error("shot", "a writable PNG path", png_path);
  }
}

}  // namespace gb::viewer
