// timeline_panel.cpp: a Timeline scene: one row per lane, spans colored by kind (a fixed palette with a legend;
// idle and bubbles hatched), flows as arrows, a time cursor at the end of the latest span, counters (memory
// per device) as area charts under the lanes; the time axis spans the whole lesson.
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <map>
#include <set>

#include "app.hpp"
#include "draw_util.hpp"

namespace gb::viewer {
namespace {

// The time range of everything the timeline will ever show, so the axis stays still while stepping.
Range time_range(const trace::TimelineScene& now, const trace::TimelineScene& final) {
  Range r;
  for (const auto* t : {&now, &final}) {
    for (const auto& s : t->spans) { r.add(s.start); r.add(s.start + s.duration); }
    for (const auto& c : t->counters) r.add(c.time);
  }
  return r.padded(0.02);
}

// Ticks along the top; the unit sits in the lane-label column on the same row.
void time_axis(ImDrawList* draw, const Axis& x, float left, float y, float bottom, const std::string& unit) {
  const float line = ImGui::GetTextLineHeight();
  for (double tick : nice_ticks(x.lo, x.hi, std::max(2, static_cast<int>((x.p1 - x.p0) / 70)))) {
    float px = x(tick);
    draw->AddLine(ImVec2(px, y), ImVec2(px, bottom), colors::grid);
    draw->AddText(ImVec2(px + 2, y - line), colors::faint, format_number(tick).c_str());
  }
  ImVec4 clip(left, y - line, x.p0 - 4, y);
  draw->AddText(ImGui::GetFont(), ImGui::GetFontSize(), ImVec2(left + 2, y - line), colors::faint, unit.c_str(), nullptr, 0, &clip);
}

// Counters as area charts (one per counter name) in the box [top, bottom], each scaled to its own max.
void counters_plot(ImDrawList* draw, const Axis& x, float left, float top, float bottom,
                   const trace::TimelineScene& now, const trace::TimelineScene& final, std::int64_t* points) {
  std::map<std::string, Range> ranges;  // over the whole lesson
  for (const auto& c : final.counters) ranges[c.counter].add(c.value);
  for (const auto& c : now.counters) ranges[c.counter].add(c.value);
  std::map<std::string, std::vector<ImVec2>> lines;
  std::map<std::string, float> base;  // the pixel row of 0 (or of the lowest value) per counter
  for (const auto& c : now.counters) {
    Range r = ranges[c.counter];
    double lo = std::min(0.0, r.lo), hi = r.hi > lo ? r.hi : lo + 1;
    Axis y{lo, hi, bottom, top + 2};
    lines[c.counter].push_back(ImVec2(x(c.time), y(c.value)));
    base[c.counter] = y(lo);
  }
  draw->AddLine(ImVec2(x.p0, bottom), ImVec2(x.p1, bottom), colors::axis);
  float legend_x = left;
  for (const auto& [name, range] : ranges) {
    ImU32 color = category_color(name);
    auto it = lines.find(name);
    if (it != lines.end()) {
      // The area under the curve, one trapezoid per segment (each convex, as ImDrawList needs).
      ImVec4 fill = ImGui::ColorConvertU32ToFloat4(color);
      fill.w = 0.3f;
      const ImU32 fill_color = ImGui::ColorConvertFloat4ToU32(fill);
      const auto& p = it->second;
      for (std::size_t i = 0; i + 1 < p.size(); ++i) {
        draw->AddQuadFilled(p[i], p[i + 1], ImVec2(p[i + 1].x, base[name]), ImVec2(p[i].x, base[name]), fill_color);
      }
      draw->AddPolyline(p.data(), static_cast<int>(p.size()), color, 0, 1.8f);
      for (const auto& q : p) draw->AddCircleFilled(q, 2.0f, color);
      *points += static_cast<std::int64_t>(p.size());
    }
    std::string label = name + " (max " + format_number(range.hi) + ")";
    draw->AddText(ImVec2(legend_x, top), color, label.c_str());
    legend_x += ImGui::CalcTextSize(label.c_str()).x + 12;
  }
}

// The kinds of span this timeline holds, with their colors, in one row.
void kinds_legend(ImDrawList* draw, ImVec2 at, float right, const trace::TimelineScene& all) {
  std::vector<std::pair<std::string, ImU32>> kinds;
  for (const auto& span : all.spans) {
    std::string name;
    ImU32 color = span_kind_color(span.category.empty() ? span.name : span.category, &name);
    if (std::none_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.first == name; })) kinds.emplace_back(name, color);
  }
  for (const auto& [name, color] : kinds) {
    const float w = ImGui::CalcTextSize(name.c_str()).x;
    if (at.x + 16 + w > right) break;
    draw->AddRectFilled(ImVec2(at.x, at.y + 3), ImVec2(at.x + 11, at.y + 14), color, 2);
    draw->AddText(ImVec2(at.x + 15, at.y), colors::faint, name.c_str());
    at.x += 27 + w;
  }
}

// Diagonal lines over an idle or bubble span: time the device waits, not works.
void hatch(ImDrawList* draw, ImVec2 a, ImVec2 b) {
  draw->PushClipRect(a, b, true);
  for (float x = a.x - (b.y - a.y); x < b.x; x += 7) {
    draw->AddLine(ImVec2(x, b.y), ImVec2(x + (b.y - a.y), a.y), IM_COL32(255, 255, 255, 70), 1.0f);
  }
  draw->PopClipRect();
}

}  // namespace

void draw_timeline_panel(App& app, const trace::SceneState& now, const trace::SceneState& final) {
  const trace::TimelineScene& tl = now.scene.timeline;
  const trace::TimelineScene& all = final.scene.timeline;
  const auto& lanes = all.lanes.size() >= tl.lanes.size() ? all.lanes : tl.lanes;
  ImVec2 origin = ImGui::GetCursorScreenPos();
  ImVec2 size = ImGui::GetContentRegionAvail();
  size.x = std::max(size.x, 60.0f);
  size.y = std::max(size.y, 60.0f);
  ImGui::InvisibleButton("timeline", size);
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  draw->PushClipRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), true);

  float label_w = 40;
  for (const auto& lane : lanes) label_w = std::max(label_w, ImGui::CalcTextSize((lane.label.empty() ? lane.id : lane.label).c_str()).x + 10);
  label_w = std::min(label_w, size.x * 0.3f);
  const float line = ImGui::GetTextLineHeight();
  const bool has_counters = !all.counters.empty() || !tl.counters.empty();
  const float counter_h = has_counters ? std::clamp(size.y * 0.28f, 40.0f, 110.0f) : 0;
  const float axis_h = line + 4;
  const float legend_h = all.spans.empty() && tl.spans.empty() ? 0 : line + 4;
  const float lanes_top = origin.y + axis_h;
  const float lanes_h = size.y - axis_h - legend_h - counter_h - (has_counters ? 6 : 0);
  const float row_h = lanes.empty() ? 0 : std::clamp(lanes_h / static_cast<float>(lanes.size()), line + 4, 64.0f);

  Range range = time_range(tl, all);
  Axis x{range.lo, range.hi, origin.x + label_w, origin.x + size.x - 4};
  time_axis(draw, x, origin.x, lanes_top, lanes_top + row_h * static_cast<float>(lanes.size()), all.unit);

  std::map<std::string, std::size_t> lane_row;
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    lane_row.emplace(lanes[i].id, i);
    float y = lanes_top + row_h * static_cast<float>(i);
    if (i % 2 == 0) draw->AddRectFilled(ImVec2(origin.x, y), ImVec2(origin.x + size.x, y + row_h), IM_COL32(255, 255, 255, 8));
    draw->AddText(ImVec2(origin.x + 2, y + (row_h - line) * 0.5f), colors::label,
                  (lanes[i].label.empty() ? lanes[i].id : lanes[i].label).c_str());
  }

  // Spans: a rectangle per span in its lane's row, colored by category, named when the name fits.
  std::map<std::string, std::pair<ImVec2, ImVec2>> span_boxes;  // for flows
  const trace::Span* hovered_span = nullptr;
  std::int64_t spans_drawn = 0, flows_drawn = 0, counter_points = 0;
  std::set<std::string> added_now;  // spans the current step added: outlined like every lit element
  if (const trace::Step* step = app.session.current_step()) {
    for (const auto& change : step->changes) {
      if (change.kind == trace::ChangeKind::add_span && change.scene == now.scene.id) added_now.insert(change.span.id);
    }
  }
  for (const auto& span : tl.spans) {
    auto row = lane_row.find(span.lane);
    if (row == lane_row.end()) continue;
    float y = lanes_top + row_h * static_cast<float>(row->second);
    ImVec2 a(x(span.start), y + 2), b(std::max(x(span.start + span.duration), x(span.start) + 2), y + row_h - 2);
    const std::string& kind = span.category.empty() ? span.name : span.category;
    ImU32 fill = span_kind_color(kind);
    draw->AddRectFilled(a, b, fill, 3);
    if (is_idle_kind(kind)) hatch(draw, a, b);
    ++spans_drawn;
    if (added_now.count(span.id)) draw->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), colors::highlight, 3, 0, 2.5f);
    ImVec2 extent = ImGui::CalcTextSize(span.name.c_str());
    if (extent.x + 6 <= b.x - a.x) {
      draw->AddText(ImVec2(a.x + 3, a.y + (b.y - a.y - extent.y) * 0.5f), text_on(fill), span.name.c_str());
    }
    span_boxes[span.id] = {a, b};
    if (hovered && mouse_in(a, b)) hovered_span = &span;
  }
  for (const auto& flow : tl.flows) {  // from the end of one span to the start of another
    auto from = span_boxes.find(flow.from_span), to = span_boxes.find(flow.to_span);
    if (from == span_boxes.end() || to == span_boxes.end()) continue;
    ImVec2 p(from->second.second.x, (from->second.first.y + from->second.second.y) * 0.5f);
    ImVec2 q(to->second.first.x, (to->second.first.y + to->second.second.y) * 0.5f);
    float dx = std::max(20.0f, (q.x - p.x) * 0.5f);
    draw->AddBezierCubic(p, ImVec2(p.x + dx, p.y), ImVec2(q.x - dx, q.y), q, IM_COL32(230, 230, 230, 200), 1.5f);
    arrow_head(draw, ImVec2(q.x - 8, q.y), q, 8, IM_COL32(230, 230, 230, 200));
    ++flows_drawn;
  }
  const float lanes_bottom = lanes_top + row_h * static_cast<float>(lanes.size());
  // The time cursor: where the work recorded so far ends (the end of the latest span added).
  bool cursor = false;
  if (app.session.step() >= 0 && !tl.spans.empty()) {
    const trace::Span& latest = tl.spans.back();
    const float cx = x(latest.start + latest.duration);
    draw->AddLine(ImVec2(cx, lanes_top - 2), ImVec2(cx, lanes_bottom), colors::highlight, 2.0f);
    draw->AddTriangleFilled(ImVec2(cx - 5, lanes_top - 7), ImVec2(cx + 5, lanes_top - 7), ImVec2(cx, lanes_top - 1), colors::highlight);
    cursor = true;
  }
  if (legend_h > 0) kinds_legend(draw, ImVec2(origin.x + label_w, lanes_bottom + 2), origin.x + size.x, all.spans.empty() ? tl : all);
  if (has_counters) {
    float top = origin.y + size.y - counter_h;
    counters_plot(draw, x, origin.x + label_w, top, origin.y + size.y - 2, tl, all, &counter_points);
  }
  draw->PopClipRect();
  const std::string& id = now.scene.id;
  app.stats.add(id, "timeline", "spans_in_scene", static_cast<std::int64_t>(tl.spans.size()));
  app.stats.add(id, "timeline", "spans_drawn", spans_drawn);
  app.stats.add(id, "timeline", "lanes", static_cast<std::int64_t>(lanes.size()));
  app.stats.add(id, "timeline", "flows_drawn", flows_drawn);
  app.stats.add(id, "timeline", "counter_points_drawn", counter_points);
  app.stats.add(id, "timeline", "counter_points_in_scene", static_cast<std::int64_t>(tl.counters.size()));
  app.stats.add(id, "timeline", "cursor", cursor ? 1 : 0);
  if (hovered_span) {
    ImGui::SetTooltip("%s\nlane: %s\ncategory: %s\nstart: %s %s\nduration: %s %s", hovered_span->name.c_str(),
                      hovered_span->lane.c_str(), hovered_span->category.c_str(),
                      format_number(hovered_span->start).c_str(), all.unit.c_str(),
                      format_number(hovered_span->duration).c_str(), all.unit.c_str());
  }
}

}  // namespace gb::viewer
