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

// The marks of the last few steps on this scene: cells read and written by step k - age, for age 1..kFade.
// They fade, so the learner sees where the computation just was (DESIGN: "highlighted and fading").
constexpr int kFade = 3;
struct PastMarks {
  int age = 0;
  std::vector<std::int64_t> read, written;
};

std::vector<PastMarks> past_marks(const Session& session, const std::string& scene_id) {
  std::vector<PastMarks> marks;
  if (!session.loaded()) return marks;
  const auto& steps = session.recording().steps;
  for (int age = kFade; age >= 1; --age) {  // oldest first, so newer marks draw on top
    const std::int64_t k = session.step() - age;
    if (k < 0) continue;
    PastMarks m;
    m.age = age;
    for (const auto& c : steps[static_cast<std::size_t>(k)].changes) {
      if (c.scene != scene_id) continue;
      if (c.kind == trace::ChangeKind::read_cells) m.read.insert(m.read.end(), c.cells.begin(), c.cells.end());
      if (c.kind == trace::ChangeKind::write_cells) m.written.insert(m.written.end(), c.cells.begin(), c.cells.end());
    }
    if (!m.read.empty() || !m.written.empty()) marks.push_back(std::move(m));
  }
  return marks;
}

ImU32 with_alpha(ImU32 color, float alpha) {
  ImVec4 c = ImGui::ColorConvertU32ToFloat4(color);
  c.w = alpha;
  return ImGui::ColorConvertFloat4ToU32(c);
}

}  // namespace

void draw_tensor_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  const trace::TensorScene& t = now.scene.tensor;
  TensorView& view = app.tensor_views[now.scene.id];
  if (view.zoom != 1 || view.pan.x != 0 || view.pan.y != 0) {
    title_toolbar(ImGui::CalcTextSize("Fit").x + ImGui::GetStyle().FramePadding.x * 2 + 8);
    if (small_button("Fit", "Show the whole tensor again (or double-click it)")) view = TensorView{};
  }
  // What TensorScene records: the dtype and full shape of the tensor, and the 2-D view drawn
  // (strides are not part of the scene; the lesson text explains them where they matter).
  ImGui::TextDisabled("%s  shape %s  \xC2\xB7  %lld x %lld view", t.dtype.c_str(), t.shape.c_str(),
                      static_cast<long long>(t.rows), static_cast<long long>(t.cols));
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("dtype, the tensor's full shape, and the rows x cols 2-D view drawn below.\n"
                      "Wheel zooms (numbers appear when cells are large enough), drag pans, double-click fits.");
  }
  app.stats.add(now.scene.id, "tensor", "cells_in_scene", t.rows * t.cols);
  if (t.rows <= 0 || t.cols <= 0 || t.values.size() != static_cast<std::size_t>(t.rows * t.cols)) {
    ImGui::TextDisabled("(empty tensor)");
    return;
  }
  const ColorScale scale = color_scale(t, final.scene.tensor);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 avail = ImGui::GetContentRegionAvail();
  const float legend_h = ImGui::GetTextLineHeight() + 12;
  avail.x = std::max(avail.x, 8.0f);
  avail.y = std::max(avail.y - legend_h, 8.0f);
  const float fit = std::min({avail.x / static_cast<float>(t.cols), avail.y / static_cast<float>(t.rows), 64.0f});
  const ImVec2 area(std::min(avail.x, fit * static_cast<float>(t.cols)), std::min(avail.y, fit * static_cast<float>(t.rows)));
  ImGui::InvisibleButton("heatmap", ImVec2(std::max(area.x, 1.0f), std::max(area.y, 1.0f)));
  const bool hovered = ImGui::IsItemHovered();
  const ImGuiIO& io = ImGui::GetIO();
  if (hovered && io.MouseWheel != 0) {  // zoom around the pointer
    const float zoom = std::clamp(view.zoom * std::pow(1.2f, io.MouseWheel), 1.0f, 64.0f);
    const float ratio = zoom / view.zoom;
    view.pan.x = (io.MousePos.x - origin.x) - (io.MousePos.x - origin.x - view.pan.x) * ratio;
    view.pan.y = (io.MousePos.y - origin.y) - (io.MousePos.y - origin.y - view.pan.y) * ratio;
    view.zoom = zoom;
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    view.pan.x += io.MouseDelta.x;
    view.pan.y += io.MouseDelta.y;
  }
  if (hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) view = TensorView{};
  const float cell = fit * view.zoom;
  // Keep the grid on screen: pan only as far as the zoomed grid extends past the area.
  view.pan.x = std::clamp(view.pan.x, std::min(0.0f, area.x - cell * static_cast<float>(t.cols)), 0.0f);
  view.pan.y = std::clamp(view.pan.y, std::min(0.0f, area.y - cell * static_cast<float>(t.rows)), 0.0f);
  const ImVec2 grid0(origin.x + view.pan.x, origin.y + view.pan.y);

  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(origin, ImVec2(origin.x + area.x, origin.y + area.y), true);
  ImFont* mono = app.fonts.mono;
  const float text_size = std::min(mono->FontSize, cell * 0.42f);
  const bool numbers = cell >= 22.0f;
  auto cell_min = [&](std::int64_t i) {
    return ImVec2(grid0.x + static_cast<float>(i % t.cols) * cell, grid0.y + static_cast<float>(i / t.cols) * cell);
  };
  // Only the visible rows and columns (a zoomed-in view of a large tensor draws a few cells).
  auto first_last = [&](float offset, float extent, std::int64_t count) {
    auto first = static_cast<std::int64_t>(std::floor(-offset / cell));
    auto last = static_cast<std::int64_t>(std::ceil((extent - offset) / cell));
    return std::pair{std::clamp<std::int64_t>(first, 0, count), std::clamp<std::int64_t>(last, 0, count)};
  };
  const auto [r0, r1] = first_last(view.pan.y, area.y, t.rows);
  const auto [c0, c1] = first_last(view.pan.x, area.x, t.cols);
  std::int64_t drawn = 0;
  for (std::int64_t r = r0; r < r1; ++r) {
    for (std::int64_t c = c0; c < c1; ++c) {
      const std::int64_t i = r * t.cols + c;
      const double v = t.values[static_cast<std::size_t>(i)];
      ImVec2 a = cell_min(i), b(a.x + cell, a.y + cell);
      ImU32 fill = diverging_color(scale.t(v));
      draw->AddRectFilled(a, b, fill);
      ++drawn;
      if (numbers) {
        std::string text = format_number(v);
        ImVec2 extent = mono->CalcTextSizeA(text_size, FLT_MAX, 0.0f, text.c_str());
        if (extent.x <= cell - 3) centered_text(draw, mono, text_size, ImVec2(a.x + cell * 0.5f, a.y + cell * 0.5f), text_on(fill), text);
      }
    }
  }
  if (cell >= 6) {  // thin grid lines, when they do not swamp the colors
    for (std::int64_t r = r0; r <= r1; ++r) {
      float y = grid0.y + static_cast<float>(r) * cell;
      draw->AddLine(ImVec2(origin.x, y), ImVec2(origin.x + area.x, y), IM_COL32(0, 0, 0, 60));
    }
    for (std::int64_t c = c0; c <= c1; ++c) {
      float x = grid0.x + static_cast<float>(c) * cell;
      draw->AddLine(ImVec2(x, origin.y), ImVec2(x, origin.y + area.y), IM_COL32(0, 0, 0, 60));
    }
  }
  // Outlines on top of every cell: read in blue, written in red (a cell both read and written shows
  // both, the red inside). The last steps' marks first, fainter the older they are.
  const float thick = std::clamp(cell * 0.08f, 1.5f, 3.0f);
  auto outline = [&](std::int64_t i, ImU32 color, float inset) {
    if (i < 0 || i >= t.rows * t.cols) return;
    ImVec2 a = cell_min(i);
    draw->AddRect(ImVec2(a.x + inset, a.y + inset), ImVec2(a.x + cell - inset, a.y + cell - inset), color, 0, 0, thick);
  };
  std::int64_t faded = 0;
  for (const PastMarks& m : past_marks(app.session, now.scene.id)) {
    const float alpha = 0.6f / static_cast<float>(m.age + 1);  // 0.3, 0.2, 0.15
    for (std::int64_t i : m.read) outline(i, with_alpha(colors::read, alpha), 0);
    for (std::int64_t i : m.written) outline(i, with_alpha(colors::written, alpha), 0);
    faded += static_cast<std::int64_t>(m.read.size() + m.written.size());
  }
  for (std::int64_t i : now.cells_read) outline(i, colors::read, 0);
  for (std::int64_t i : now.cells_written) outline(i, colors::written, now.cells_read.count(i) ? thick : 0);
  draw->PopClipRect();
  if (hovered) {
    ImVec2 m = io.MousePos;
    auto r = static_cast<std::int64_t>(std::floor((m.y - grid0.y) / cell));
    auto c = static_cast<std::int64_t>(std::floor((m.x - grid0.x) / cell));
    if (r >= 0 && r < t.rows && c >= 0 && c < t.cols) {
      std::int64_t i = r * t.cols + c;
      ImGui::SetTooltip("[%lld, %lld] = %s%s%s", static_cast<long long>(r), static_cast<long long>(c),
                        format_number(t.values[static_cast<std::size_t>(i)]).c_str(),
                        now.cells_read.count(i) ? "\nread by this step" : "",
                        now.cells_written.count(i) ? "\nwritten by this step" : "");
    }
  }
  legend(draw, ImVec2(origin.x, origin.y + area.y + 4), std::min(std::max(area.x, 120.0f), avail.x), scale);
  app.stats.add(now.scene.id, "tensor", "cells_drawn", drawn);
  app.stats.add(now.scene.id, "tensor", "cells_read", static_cast<std::int64_t>(now.cells_read.size()));
  app.stats.add(now.scene.id, "tensor", "cells_written", static_cast<std::int64_t>(now.cells_written.size()));
  app.stats.add(now.scene.id, "tensor", "faded_marks", faded);
  app.stats.add(now.scene.id, "tensor", "numbers", numbers ? 1 : 0);
}

}  // namespace gb::viewer
