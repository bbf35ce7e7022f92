// plot_panel.cpp: a Plot scene: axes with tick labels, line series as polylines, scatter as dots,
// histograms as bars, thresholds as dashed vertical lines, and a legend. Axis ranges span the lesson.
#include <imgui.h>

#include <algorithm>
#include <map>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {
namespace {

void add_series(Range& x, Range& y, const trace::Series& s) {
  for (double v : s.x) x.add(v);
  for (double v : s.y) y.add(v);
  if (s.kind == trace::SeriesKind::histogram) y.add(0);  // bars stand on zero
}

void axes(ImDrawList* draw, const Axis& x, const Axis& y, const trace::PlotScene& plot) {
  const float line = ImGui::GetTextLineHeight();
  for (double t : nice_ticks(x.lo, x.hi, std::max(2, static_cast<int>((x.p1 - x.p0) / 80)))) {
    float px = x(t);
    draw->AddLine(ImVec2(px, y.p1), ImVec2(px, y.p0), colors::grid);
    draw->AddLine(ImVec2(px, y.p0), ImVec2(px, y.p0 + 4), colors::axis);
    std::string label = format_number(t);
    draw->AddText(ImVec2(px - ImGui::CalcTextSize(label.c_str()).x * 0.5f, y.p0 + 5), colors::faint, label.c_str());
  }
  for (double t : nice_ticks(y.lo, y.hi, std::max(2, static_cast<int>((y.p0 - y.p1) / 40)))) {
    float py = y(t);
    draw->AddLine(ImVec2(x.p0, py), ImVec2(x.p1, py), colors::grid);
    draw->AddLine(ImVec2(x.p0 - 4, py), ImVec2(x.p0, py), colors::axis);
    std::string label = format_number(t);
    draw->AddText(ImVec2(x.p0 - 6 - ImGui::CalcTextSize(label.c_str()).x, py - line * 0.5f), colors::faint, label.c_str());
  }
  draw->AddLine(ImVec2(x.p0, y.p0), ImVec2(x.p1, y.p0), colors::axis);
  draw->AddLine(ImVec2(x.p0, y.p0), ImVec2(x.p0, y.p1), colors::axis);
  if (!plot.x_label.empty()) {
    ImVec2 extent = ImGui::CalcTextSize(plot.x_label.c_str());
    draw->AddText(ImVec2(x.p1 - extent.x, y.p0 + line + 6), colors::label, plot.x_label.c_str());
  }
  if (!plot.y_label.empty()) draw->AddText(ImVec2(x.p0 + 4, y.p1 - line - 2), colors::label, plot.y_label.c_str());
}

void draw_series(ImDrawList* draw, const Axis& x, const Axis& y, const trace::Series& s, ImU32 color) {
  switch (s.kind) {
    case trace::SeriesKind::line: {
      std::vector<ImVec2> points;
      for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) points.emplace_back(x(s.x[i]), y(s.y[i]));
      if (points.size() >= 2) draw->AddPolyline(points.data(), static_cast<int>(points.size()), color, 0, 2.0f);
      if (!points.empty()) draw->AddCircleFilled(points.back(), 3.5f, color);  // the newest point
      break;
    }
    case trace::SeriesKind::scatter:
      for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) draw->AddCircleFilled(ImVec2(x(s.x[i]), y(s.y[i])), 3.0f, color);
      break;
    case trace::SeriesKind::histogram: {
      ImVec4 c = ImGui::ColorConvertU32ToFloat4(color);
      c.w = 0.55f;
      ImU32 fill = ImGui::ColorConvertFloat4ToU32(c);
      // Bin i spans [x[i], x[i+1]) with count y[i].
      for (std::size_t i = 0; i < s.y.size() && i + 1 < s.x.size(); ++i) {
        ImVec2 a(x(s.x[i]), y(s.y[i])), b(x(s.x[i + 1]), y(0));
        draw->AddRectFilled(ImVec2(a.x, std::min(a.y, b.y)), ImVec2(b.x, std::max(a.y, b.y)), fill);
        draw->AddRect(ImVec2(a.x, std::min(a.y, b.y)), ImVec2(b.x, std::max(a.y, b.y)), color);
      }
      break;
    }
  }
}

void legend(ImDrawList* draw, const Axis& x, const Axis& y, const std::vector<std::pair<std::string, ImU32>>& entries) {
  if (entries.empty()) return;
  const float line = ImGui::GetTextLineHeight();
  float width = 0;
  for (const auto& e : entries) width = std::max(width, ImGui::CalcTextSize(e.first.c_str()).x);
  ImVec2 a(x.p1 - width - 34, y.p1 + 4), b(x.p1 - 4, y.p1 + 8 + line * static_cast<float>(entries.size()));
  draw->AddRectFilled(a, b, IM_COL32(20, 22, 26, 210), 4);
  draw->AddRect(a, b, IM_COL32(255, 255, 255, 40), 4);
  float yy = a.y + 2;
  for (const auto& [name, color] : entries) {
    draw->AddRectFilled(ImVec2(a.x + 6, yy + line * 0.5f - 2), ImVec2(a.x + 20, yy + line * 0.5f + 2), color);
    draw->AddText(ImVec2(a.x + 26, yy), colors::label, name.c_str());
    yy += line;
  }
}

}  // namespace

void draw_plot_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  (void)app;
  const trace::PlotScene& plot = now.scene.plot;
  const trace::PlotScene& all = final.scene.plot;
  Range xr, yr;
  for (const auto* p : {&plot, &all}) {
    for (const auto& s : p->series) add_series(xr, yr, s);
    for (const auto& t : p->thresholds) xr.add(t.x);
  }
  xr = xr.padded(0.03);
  yr = yr.padded(0.06);
  // Headroom above the data for the legend, about a line per series.
  const std::size_t legend_lines = std::max(all.series.size(), plot.series.size());
  if (legend_lines > 0) yr.hi += yr.span() * 0.05 * static_cast<double>(legend_lines + 1);

  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 80.0f);
  size.y = std::max(size.y, 60.0f);
  ImGui::InvisibleButton("plot", size);
  const bool hovered = ImGui::IsItemHovered();
  float left = 10;
  for (double t : nice_ticks(yr.lo, yr.hi, 6)) left = std::max(left, ImGui::CalcTextSize(format_number(t).c_str()).x);
  Axis x{xr.lo, xr.hi, origin.x + left + 10, origin.x + size.x - 8};
  const float text_h = ImGui::GetTextLineHeight();
  Axis y{yr.lo, yr.hi, origin.y + size.y - 2 * text_h - 8, origin.y + text_h + 6};

  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), true);
  axes(draw, x, y, plot);

  // Colors by a series' place in the final plot, so a series keeps its color when others appear.
  std::map<std::string, std::size_t> color_index;
  for (const auto& s : all.series) color_index.emplace(s.name, color_index.size());
  for (const auto& s : plot.series) color_index.emplace(s.name, color_index.size());
  std::vector<std::pair<std::string, ImU32>> entries;
  for (const auto& s : plot.series) {
    ImU32 color = series_color(color_index[s.name]);
    draw_series(draw, x, y, s, color);
    entries.emplace_back(s.name, color);
  }
  const float line = ImGui::GetTextLineHeight();
  for (std::size_t i = 0; i < plot.thresholds.size(); ++i) {
    const auto& t = plot.thresholds[i];
    float px = x(t.x);
    dashed_line(draw, ImVec2(px, y.p1), ImVec2(px, y.p0), IM_COL32(255, 200, 90, 230), 5, 1.5f);
    // Labels low in the plot, on alternating rows, clear of the legend and of each other.
    float ly = y.p0 - line * static_cast<float>(1 + i % 2) - 2;
    draw->AddText(ImVec2(px + 3, ly), IM_COL32(255, 200, 90, 255), t.label.c_str());
  }
  legend(draw, x, y, entries);
  draw->PopClipRect();
  if (hovered) {
    ImVec2 m = ImGui::GetIO().MousePos;
    if (m.x >= x.p0 && m.y <= y.p0) {
      ImGui::SetTooltip("%s = %s\n%s = %s", plot.x_label.empty() ? "x" : plot.x_label.c_str(),
                        format_number(x.inverse(m.x)).c_str(), plot.y_label.empty() ? "y" : plot.y_label.c_str(),
                        format_number(y.inverse(m.y)).c_str());
    }
  }
}

}  // namespace gb::viewer
