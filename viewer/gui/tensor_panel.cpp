// tensor_panel.cpp: a Tensor scene as a heatmap (blue-white-red), values in cells when they fit, cells the
// current step read outlined blue and cells it wrote outlined red.
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {
namespace {

// The color scale: symmetric around 0 when values have both signs (white = 0), else min..max.
struct ColorScale {
  double lo = 0, hi = 1;
  double t(double v) const { return hi > lo ? (v - lo) / (hi - lo) : 0.5; }
};

ColorScale color_scale(const trace::TensorScene& now, const trace::TensorScene& final) {
  Range r;
  for (double v : now.values) r.add(v);
  for (double v : final.values) r.add(v);  // over the whole lesson, so a cell's color means one value
  if (r.empty()) return {};
  if (r.lo < 0 && r.hi > 0) {
    double m = std::max(-r.lo, r.hi);
    return {-m, m};
  }
  return {r.lo, r.hi};
}

void legend(ImDrawList* draw, ImVec2 at, float width, const ColorScale& scale) {
  const int steps = 32;
  float h = 8, w = width / steps;
  for (int i = 0; i < steps; ++i) {
    ImU32 c = diverging_color((i + 0.5) / steps);
    draw->AddRectFilled(ImVec2(at.x + i * w, at.y), ImVec2(at.x + (i + 1) * w + 0.5f, at.y + h), c);
  }
  draw->AddText(ImVec2(at.x, at.y + h + 1), colors::faint, format_number(scale.lo).c_str());
  std::string hi = format_number(scale.hi);
  draw->AddText(ImVec2(at.x + width - ImGui::CalcTextSize(hi.c_str()).x, at.y + h + 1), colors::faint, hi.c_str());
}

}  // namespace

void draw_tensor_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  const trace::TensorScene& t = now.scene.tensor;
  ImGui::TextDisabled("%s %s  (%lld x %lld view)", t.shape.c_str(), t.dtype.c_str(), static_cast<long long>(t.rows),
                      static_cast<long long>(t.cols));
  if (t.rows <= 0 || t.cols <= 0 || t.values.size() != static_cast<std::size_t>(t.rows * t.cols)) {
    ImGui::TextDisabled("(empty tensor)");
    return;
  }
  const ColorScale scale = color_scale(t, final.scene.tensor);
  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  const float legend_h = ImGui::GetTextLineHeight() + 12;
  avail.y -= legend_h;
  const float cell = std::min({std::max(avail.x, 1.0f) / static_cast<float>(t.cols),
                               std::max(avail.y, 1.0f) / static_cast<float>(t.rows), 64.0f});
  const ImVec2 grid_size(cell * static_cast<float>(t.cols), cell * static_cast<float>(t.rows));
  ImGui::InvisibleButton("heatmap", ImVec2(std::max(grid_size.x, 1.0f), std::max(grid_size.y, 1.0f)));
  const bool hovered = ImGui::IsItemHovered();

  ImDrawList* draw = ImGui::GetWindowDrawList();
  ImFont* mono = app.fonts.mono;
  const float text_size = std::min(mono->FontSize, cell * 0.42f);
  const bool numbers = cell >= 22.0f;
  auto cell_min = [&](std::int64_t i) {
    return ImVec2(origin.x + static_cast<float>(i % t.cols) * cell, origin.y + static_cast<float>(i / t.cols) * cell);
  };
  for (std::int64_t i = 0; i < t.rows * t.cols; ++i) {
    double v = t.values[static_cast<std::size_t>(i)];
    ImVec2 a = cell_min(i), b(a.x + cell, a.y + cell);
    ImU32 fill = diverging_color(scale.t(v));
    draw->AddRectFilled(a, b, fill);
    if (numbers) {
      std::string text = format_number(v);
      ImVec2 extent = mono->CalcTextSizeA(text_size, FLT_MAX, 0.0f, text.c_str());
      if (extent.x <= cell - 3) centered_text(draw, mono, text_size, ImVec2(a.x + cell * 0.5f, a.y + cell * 0.5f), text_on(fill), text);
    }
  }
  if (cell >= 6) {  // thin grid lines, when they do not swamp the colors
    for (std::int64_t r = 0; r <= t.rows; ++r) {
      float y = origin.y + static_cast<float>(r) * cell;
      draw->AddLine(ImVec2(origin.x, y), ImVec2(origin.x + grid_size.x, y), IM_COL32(0, 0, 0, 60));
    }
    for (std::int64_t c = 0; c <= t.cols; ++c) {
      float x = origin.x + static_cast<float>(c) * cell;
      draw->AddLine(ImVec2(x, origin.y), ImVec2(x, origin.y + grid_size.y), IM_COL32(0, 0, 0, 60));
    }
  }
  // Outlines last, on top of every cell: read in blue, written in red (a cell both read and written
  // shows both, the red inside).
  const float thick = std::clamp(cell * 0.08f, 1.5f, 3.0f);
  for (std::int64_t i : now.cells_read) {
    if (i < 0 || i >= t.rows * t.cols) continue;
    ImVec2 a = cell_min(i);
    draw->AddRect(a, ImVec2(a.x + cell, a.y + cell), colors::read, 0, 0, thick);
  }
  for (std::int64_t i : now.cells_written) {
    if (i < 0 || i >= t.rows * t.cols) continue;
    ImVec2 a = cell_min(i);
    float inset = now.cells_read.count(i) ? thick : 0;
    draw->AddRect(ImVec2(a.x + inset, a.y + inset), ImVec2(a.x + cell - inset, a.y + cell - inset), colors::written, 0, 0, thick);
  }
  if (hovered) {
    ImVec2 m = ImGui::GetIO().MousePos;
    auto r = static_cast<std::int64_t>((m.y - origin.y) / cell), c = static_cast<std::int64_t>((m.x - origin.x) / cell);
    if (r >= 0 && r < t.rows && c >= 0 && c < t.cols) {
      std::int64_t i = r * t.cols + c;
      ImGui::SetTooltip("[%lld, %lld] = %s%s%s", static_cast<long long>(r), static_cast<long long>(c),
                        format_number(t.values[static_cast<std::size_t>(i)]).c_str(),
                        now.cells_read.count(i) ? "\nread by this step" : "",
                        now.cells_written.count(i) ? "\nwritten by this step" : "");
    }
  }
  legend(draw, ImVec2(origin.x, origin.y + grid_size.y + 4), std::min(std::max(grid_size.x, 120.0f), avail.x), scale);
}

}  // namespace gb::viewer
