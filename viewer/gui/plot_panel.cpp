// plot_panel.cpp: a Plot scene: axes with tick labels, line series as polylines, scatter as dots,
// histograms as bars, thresholds as dashed vertical lines, a legend, and log scales (x, y) on request.
// Axis ranges span the lesson.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {
namespace {

// Data -> the coordinate that is drawn: itself, or log10 on a log axis (values <= 0 have no place there
// and come out NaN, which Range skips and drawing leaves out).
struct Scales {
  bool log_x = false, log_y = false;
  static double apply(bool log, double v) { return !log ? v : v > 0 ? std::log10(v) : std::nan(""); }
  double x(double v) const { return apply(log_x, v); }
  double y(double v) const { return apply(log_y, v); }
};

void add_series(Range& x, Range& y, const trace::Series& s, const Scales& sc) {
  for (double v : s.x) x.add(sc.x(v));
  for (double v : s.y) y.add(sc.y(v));
  if (s.kind == trace::SeriesKind::histogram && !sc.log_y) y.add(0);  // bars stand on zero
}

// Tick values in drawn coordinates and their labels: 1-2-5 steps, or the powers of ten on a log axis.
std::vector<double> ticks_for(bool log, double lo, double hi, int target) {
  if (!log || hi - lo < 1) return nice_ticks(lo, hi, target);
  std::vector<double> ticks;
  for (double e = std::ceil(lo); e <= hi && ticks.size() < 60; e += 1) ticks.push_back(e);
  return ticks;
}
std::string tick_label(bool log, double t) { return format_number(log ? std::pow(10.0, t) : t); }

void axes(ImDrawList* draw, const Axis& x, const Axis& y, const trace::PlotScene& plot, const Scales& sc) {
  const float line = ImGui::GetTextLineHeight();
  for (double t : ticks_for(sc.log_x, x.lo, x.hi, std::max(2, static_cast<int>((x.p1 - x.p0) / 80)))) {
    float px = x(t);
    draw->AddLine(ImVec2(px, y.p1), ImVec2(px, y.p0), colors::grid);
    draw->AddLine(ImVec2(px, y.p0), ImVec2(px, y.p0 + 4), colors::axis);
    std::string label = tick_label(sc.log_x, t);
    draw->AddText(ImVec2(px - ImGui::CalcTextSize(label.c_str()).x * 0.5f, y.p0 + 5), colors::faint, label.c_str());
  }
  for (double t : ticks_for(sc.log_y, y.lo, y.hi, std::max(2, static_cast<int>((y.p0 - y.p1) / 40)))) {
    float py = y(t);
    draw->AddLine(ImVec2(x.p0, py), ImVec2(x.p1, py), colors::grid);
    draw->AddLine(ImVec2(x.p0 - 4, py), ImVec2(x.p0, py), colors::axis);
    std::string label = tick_label(sc.log_y, t);
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

// Returns how many points (or bars) it drew.
std::int64_t draw_series(ImDrawList* draw, const Axis& x, const Axis& y, const trace::Series& s, ImU32 color, const Scales& sc) {
  auto finite = [&](std::size_t i) { return std::isfinite(sc.x(s.x[i])) && std::isfinite(sc.y(s.y[i])); };
  std::int64_t drawn = 0;
  switch (s.kind) {
    case trace::SeriesKind::line: {
      std::vector<ImVec2> points;
      for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
        if (finite(i)) points.emplace_back(x(sc.x(s.x[i])), y(sc.y(s.y[i])));
      }
      drawn = static_cast<std::int64_t>(points.size());
      if (points.size() >= 2) draw->AddPolyline(points.data(), static_cast<int>(points.size()), color, 0, 2.0f);
      if (!points.empty()) draw->AddCircleFilled(points.back(), 3.5f, color);  // the newest point
      break;
    }
    case trace::SeriesKind::scatter:
      for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
        if (!finite(i)) continue;
        draw->AddCircleFilled(ImVec2(x(sc.x(s.x[i])), y(sc.y(s.y[i]))), 3.0f, color);
        ++drawn;
      }
      break;
    case trace::SeriesKind::histogram: {
      ImVec4 c = ImGui::ColorConvertU32ToFloat4(color);
      c.w = 0.55f;
      ImU32 fill = ImGui::ColorConvertFloat4ToU32(c);
      // Bin i spans [x[i], x[i+1]) with count y[i].
      // On a log y axis a bar stands on the bottom of the axis (0 has no place there).
      const float floor_y = sc.log_y ? y.p0 : y(0);
      for (std::size_t i = 0; i < s.y.size() && i + 1 < s.x.size(); ++i) {
        const double x0 = sc.x(s.x[i]), x1 = sc.x(s.x[i + 1]), top = sc.y(s.y[i]);
        if (!std::isfinite(x0) || !std::isfinite(x1) || !std::isfinite(top)) continue;
        ImVec2 a(x(x0), y(top)), b(x(x1), floor_y);
        ++drawn;
        draw->AddRectFilled(ImVec2(a.x, std::min(a.y, b.y)), ImVec2(b.x, std::max(a.y, b.y)), fill);
        draw->AddRect(ImVec2(a.x, std::min(a.y, b.y)), ImVec2(b.x, std::max(a.y, b.y)), color);
      }
      break;
    }
  }
  return drawn;
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
  const trace::PlotScene& plot = now.scene.plot;
  const trace::PlotScene& all = final.scene.plot;
  PlotView& view = app.plot_views[now.scene.id];
  title_toolbar(ImGui::CalcTextSize("lin x lin y").x + ImGui::GetStyle().FramePadding.x * 4 + 12);
  if (small_button(view.log_x ? "log x" : "lin x", "The x axis: linear or log10 (values <= 0 are left out on a log axis)")) view.log_x = !view.log_x;
  ImGui::SameLine();
  if (small_button(view.log_y ? "log y" : "lin y", "The y axis: linear or log10 (values <= 0 are left out on a log axis)")) view.log_y = !view.log_y;
  const Scales sc{view.log_x, view.log_y};
  Range xr, yr;
  for (const auto* p : {&plot, &all}) {
    for (const auto& s : p->series) add_series(xr, yr, s, sc);
    for (const auto& t : p->thresholds) xr.add(sc.x(t.x));
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
  for (double t : ticks_for(sc.log_y, yr.lo, yr.hi, 6)) left = std::max(left, ImGui::CalcTextSize(tick_label(sc.log_y, t).c_str()).x);
  Axis x{xr.lo, xr.hi, origin.x + left + 10, origin.x + size.x - 8};
  const float text_h = ImGui::GetTextLineHeight();
  Axis y{yr.lo, yr.hi, origin.y + size.y - 2 * text_h - 8, origin.y + text_h + 6};

  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), true);
  axes(draw, x, y, plot, sc);

  // Colors by a series' place in the final plot, so a series keeps its color when others appear.
  std::map<std::string, std::size_t> color_index;
  for (const auto& s : all.series) color_index.emplace(s.name, color_index.size());
  for (const auto& s : plot.series) color_index.emplace(s.name, color_index.size());
  std::vector<std::pair<std::string, ImU32>> entries;
  std::int64_t points = 0, thresholds = 0;
  for (const auto& s : plot.series) {
    ImU32 color = series_color(color_index[s.name]);
    points += draw_series(draw, x, y, s, color, sc);
    entries.emplace_back(s.name, color);
  }
  const float line = ImGui::GetTextLineHeight();
  for (std::size_t i = 0; i < plot.thresholds.size(); ++i) {
    const auto& t = plot.thresholds[i];
    if (!std::isfinite(sc.x(t.x))) continue;
    float px = x(sc.x(t.x));
    ++thresholds;
    dashed_line(draw, ImVec2(px, y.p1), ImVec2(px, y.p0), IM_COL32(255, 200, 90, 230), 5, 1.5f);
    // Labels low in the plot, on alternating rows, clear of the legend and of each other.
    float ly = y.p0 - line * static_cast<float>(1 + i % 2) - 2;
    draw->AddText(ImVec2(px + 3, ly), IM_COL32(255, 200, 90, 255), t.label.c_str());
  }
  legend(draw, x, y, entries);
  draw->PopClipRect();
  app.stats.add(now.scene.id, "plot", "series_drawn", static_cast<std::int64_t>(plot.series.size()));
  app.stats.add(now.scene.id, "plot", "points_drawn", points);
  app.stats.add(now.scene.id, "plot", "thresholds_drawn", thresholds);
  if (hovered) {
    ImVec2 m = ImGui::GetIO().MousePos;
    if (m.x >= x.p0 && m.y <= y.p0) {
      ImGui::SetTooltip("%s = %s\n%s = %s", plot.x_label.empty() ? "x" : plot.x_label.c_str(),
                        tick_label(sc.log_x, x.inverse(m.x)).c_str(), plot.y_label.empty() ? "y" : plot.y_label.c_str(),
                        tick_label(sc.log_y, y.inverse(m.y)).c_str());
    }
  }
}

}  // namespace gb::viewer
