// recording.cpp: the Recording model's lookups and its deep comparison.
//
// Equality is field by field. Doubles compare by value with two exceptions that make a recording
// equal to its own JSON round trip: NaN equals NaN, and 0.0 differs from -0.0 (JSON keeps the sign).
#include <cmath>
#include <vector>

#include "gb/trace/recording.hpp"

namespace gb::trace {
namespace {

bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

bool same(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

// The structs without doubles compare with their defaulted meaning, spelled out here so the
// public header stays a plain list of fields.
bool same(const GraphGroup& a, const GraphGroup& b) { return a.id == b.id && a.label == b.label; }
bool same(const Lane& a, const Lane& b) { return a.id == b.id && a.label == b.label; }
bool same(const Flow& a, const Flow& b) {
  return a.id == b.id && a.from_span == b.from_span && a.to_span == b.to_span;
}
bool same(const CounterPoint& a, const CounterPoint& b) {
  return a.counter == b.counter && same(a.time, b.time) && same(a.value, b.value);
}
bool same(const Series& a, const Series& b) {
  return a.name == b.name && a.kind == b.kind && same(a.x, b.x) && same(a.y, b.y);
}
bool same(const Threshold& a, const Threshold& b) { return a.label == b.label && same(a.x, b.x); }
bool same(const SourceLocation& a, const SourceLocation& b) { return a.file == b.file && a.line == b.line; }

template <class T>
bool same_list(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if constexpr (requires { same(a[i], b[i]); }) {
      if (!same(a[i], b[i])) return false;
    } else {
      if (!(a[i] == b[i])) return false;
    }
  }
  return true;
}

bool same(const GraphScene& a, const GraphScene& b) {
  return same_list(a.nodes, b.nodes) && same_list(a.edges, b.edges) && same_list(a.groups, b.groups);
}
bool same(const TensorScene& a, const TensorScene& b) {
  return a.rows == b.rows && a.cols == b.cols && same(a.values, b.values) && a.dtype == b.dtype &&
         a.shape == b.shape;
}
bool same(const TimelineScene& a, const TimelineScene& b) {
  return a.unit == b.unit && same_list(a.lanes, b.lanes) && same_list(a.spans, b.spans) &&
         same_list(a.counters, b.counters) && same_list(a.flows, b.flows);
}
bool same(const PlotScene& a, const PlotScene& b) {
  return a.x_label == b.x_label && a.y_label == b.y_label && same_list(a.series, b.series) &&
         same_list(a.thresholds, b.thresholds);
}
bool same(const TableScene& a, const TableScene& b) { return a.columns == b.columns && a.rows == b.rows; }
bool same(const TextScene& a, const TextScene& b) {
  return a.file == b.file && a.language == b.language && a.first_line == b.first_line && a.lines == b.lines &&
         a.cursor == b.cursor;
}

}  // namespace

const Scene* Recording::find_scene(const std::string& id) const {
  for (const Scene& scene : scenes)
    if (scene.id == id) return &scene;
  return nullptr;
}

bool operator==(const GraphNode& a, const GraphNode& b) {
  return a.id == b.id && a.label == b.label && a.op == b.op && a.group == b.group && a.shape == b.shape &&
         a.dtype == b.dtype && a.state == b.state && a.value == b.value && a.gradient == b.gradient;
}

bool operator==(const GraphEdge& a, const GraphEdge& b) {
  return a.id == b.id && a.from == b.from && a.to == b.to && a.label == b.label;
}

bool operator==(const Span& a, const Span& b) {
  return a.id == b.id && a.lane == b.lane && a.name == b.name && a.category == b.category &&
         same(a.start, b.start) && same(a.duration, b.duration);
}

// Every payload is compared, not only the one of `kind`: a round trip keeps them all.
bool operator==(const Scene& a, const Scene& b) {
  return a.id == b.id && a.title == b.title && a.kind == b.kind && same(a.graph, b.graph) &&
         same(a.tensor, b.tensor) && same(a.timeline, b.timeline) && same(a.plot, b.plot) &&
         same(a.table, b.table) && same(a.text, b.text);
}

bool operator==(const Change& a, const Change& b) {
  return a.kind == b.kind && a.scene == b.scene && a.target == b.target && a.text == b.text &&
         a.cells == b.cells && same(a.values, b.values) && same(a.xs, b.xs) && same(a.x, b.x) &&
         same(a.y, b.y) && a.line == b.line && a.node == b.node && a.edge == b.edge && a.span == b.span &&
         same(a.counter, b.counter) && same(a.flow, b.flow) && a.row == b.row;
}

bool operator==(const Step& a, const Step& b) {
  if (a.source.has_value() != b.source.has_value()) return false;
  if (a.source && !same(*a.source, *b.source)) return false;
  return a.caption == b.caption && a.level == b.level && a.section == b.section && same_list(a.changes, b.changes);
}

bool operator==(const Recording& a, const Recording& b) {
  return a.lesson == b.lesson && a.title == b.title && a.parameters == b.parameters &&
         same_list(a.scenes, b.scenes) && same_list(a.steps, b.steps);
}

}  // namespace gb::trace
