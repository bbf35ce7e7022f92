// window.cpp: GLFW + OpenGL 3 + Dear ImGui setup (backends from Debian's libimgui), fonts and style.
#include "window.hpp"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <filesystem>
#include <string>

#include "gb/core/error.hpp"

namespace gb::viewer {
namespace {

std::string last_glfw_error;  // filled by the callback, quoted in the gb::Error

void on_glfw_error(int code, const char* description) {
  last_glfw_error = std::string(description ? description : "") + " (GLFW error " + std::to_string(code) + ")";
}

// DejaVu (Debian's fonts-dejavu-core) reads well at these sizes; without it, ImGui's built-in
// bitmap-style font is scaled, which still works.
ImFont* add_font(const char* file, float size) {
  ImGuiIO& io = ImGui::GetIO();
  std::string path = std::string("/usr/share/fonts/truetype/dejavu/") + file;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (ImFont* font = io.Fonts->AddFontFromFileTTF(path.c_str(), size)) return font;
  }
  ImFontConfig config;
  config.SizePixels = size;
  return io.Fonts->AddFontDefault(&config);
}

void set_style() {
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowRounding = 0;
  style.ChildRounding = 4;
  style.FrameRounding = 3;
  style.GrabRounding = 3;
  style.WindowPadding = ImVec2(8, 8);
  style.ItemSpacing = ImVec2(8, 5);
  style.Colors[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1.0f);
  style.Colors[ImGuiCol_ChildBg] = ImVec4(0.12f, 0.13f, 0.15f, 1.0f);
}

}  // namespace

Window::Window(int width, int height, bool visible, const char* title) {
  if (width < 64 || height < 64 || width > 16384 || height > 16384) {
    throw Error("viewer", "a window size from 64x64 to 16384x16384",
                std::to_string(width) + "x" + std::to_string(height));
  }
  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    throw Error("viewer", "a display (set DISPLAY, or run under xvfb-run)", "glfwInit failed: " + last_glfw_error);
  }
  // OpenGL 3.0 + GLSL 130: what ImGui's OpenGL 3 backend needs; Mesa (llvmpipe under Xvfb) offers it.
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
  window_ = glfwCreateWindow(width, height, title, nullptr, nullptr);
  if (!window_) {
    glfwTerminate();
    throw Error("viewer", "an OpenGL 3.0 window", "glfwCreateWindow failed: " + last_glfw_error);
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(visible ? 1 : 0);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // never write imgui.ini: the layout is computed every frame
  io.LogFilename = nullptr;
  set_style();
  fonts_.body = add_font("DejaVuSans.ttf", 15.0f);  // the first font added is ImGui's default
  fonts_.mono = add_font("DejaVuSansMono.ttf", 14.0f);
  fonts_.heading = add_font("DejaVuSans-Bold.ttf", 17.0f);
  fonts_.large = add_font("DejaVuSans.ttf", 21.0f);
  ImGui_ImplGlfw_InitForOpenGL(window_, true);
  ImGui_ImplOpenGL3_Init("#version 130");
}

Window::~Window() {
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window_);
  glfwTerminate();
}

bool Window::should_close() const { return glfwWindowShouldClose(window_) != 0; }

void Window::wait_events(bool animating) {
  if (animating) glfwPollEvents();
  else glfwWaitEventsTimeout(0.25);
}

void Window::begin_frame() {
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  if (scripting_) {
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(scripted_.x, scripted_.y);
    io.MouseDown[ImGuiMouseButton_Left] = scripted_.left_down;
  }
  ImGui::NewFrame();
}

void Window::render() {
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  glClearColor(bg.x, bg.y, bg.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

std::vector<std::uint8_t> Window::read_back_buffer(int& width, int& height) {
  glfwGetFramebufferSize(window_, &width, &height);
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4);
  glFinish();
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  return pixels;
}

void Window::swap() { glfwSwapBuffers(window_); }

}  // namespace gb::viewer
