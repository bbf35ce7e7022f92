// window.hpp: a GLFW window with an OpenGL 3 context and an ImGui context, set up and torn down together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app.hpp"

struct GLFWwindow;

namespace gb::viewer {

class Window {
 public:
  // Throws gb::Error when there is no display or no OpenGL 3 context. A hidden window (visible =
  // false) still renders: shot() draws into its back buffer and reads it back.
  Window(int width, int height, bool visible, const char* title);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  const Fonts& fonts() const { return fonts_; }
  bool should_close() const;
  // Polls input; when nothing animates, sleeps until an event (or a short timeout) to spare the CPU.
  void wait_events(bool animating);
  void begin_frame();
  // Scripted input (tests, demos): when set, the next frames see this mouse instead of the real one
  // (applied after the GLFW backend reads the device, before ImGui::NewFrame).
  struct Mouse {
    float x = 0, y = 0;
    bool left_down = false;
  };
  void script_mouse(const Mouse& mouse) { scripted_ = mouse; scripting_ = true; }
  void render();  // ImGui::Render and draw into the back buffer (no swap)
  // The back buffer as tightly packed RGBA rows, bottom row first (OpenGL's order).
  std::vector<std::uint8_t> read_back_buffer(int& width, int& height);
  void swap();

 private:
  GLFWwindow* window_ = nullptr;
  Fonts fonts_;
  Mouse scripted_;
  bool scripting_ = false;
};

}  // namespace gb::viewer

namespace gb::viewer {
// The back buffer (as the last render() drew it, before the swap) written as an opaque PNG. Throws gb::Error.
void write_window_png(Window& window, const std::string& path);
}  // namespace gb::viewer
