// json_write.cpp: Recording -> JSON text (the reading side is json_read.cpp).
//
// The document is deterministic: keys are written in a fixed order (nlohmann::ordered_json keeps
// insertion order, parameters come from a sorted std::map), and doubles use nlohmann's shortest text
// that reads back to the same value. JSON has no NaN or infinity, so non-finite doubles are written
// as the strings "nan", "inf" and "-inf". Fields equal to their default are left out to keep files
// small, except the required ones (ids, kinds, captions), which are always written. Every payload of
// a scene that differs from its default is written, the one named by its kind always.
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gb/core/error.hpp"
#include "gb/trace/json.hpp"

namespace gb::trace {
namespace {

using Json = nlohmann::ordered_json;

constexpr int format_version = 1;

Json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

Json numbers(const std::vector<double>& values) {
  Json list = Json::array();
  for (double v : values) list.push_back(number(v));
  return list;
}

// put(object, key, value, default) writes the field only when it differs from its default.
void put(Json& o, const char* key, const std::string& v, const std::string& fallback = "") {
  if (v != fallback) o[key] = v;
}
void put(Json& o, const char* key, std::int64_t v, std::int64_t fallback = 0) {
  if (v != fallback) o[key] = v;
}
void put(Json& o, const char* key, double v) {
  if (v != 0 || std::signbit(v) || std::isnan(v)) o[key] = number(v);  // -0.0 is not the default
}
void put(Json& o, const char* key, const std::vector<double>& v) {
  if (!v.empty()) o[key] = numbers(v);
}
void put(Json& o, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) o[key] = v;
}
void put(Json& o, const char* key, const std::vector<std::int64_t>& v) {
  if (!v.empty()) o[key] = v;
}
void put(Json& o, const char* key, const Json& v) {  // a nested object or list, when not empty
  if (!v.empty()) o[key] = v;
}

template <class T, class F>
Json list_of(const std::vector<T>& items, F write) {
  Json list = Json::array();
  for (const T& item : items) list.push_back(write(item));
  return list;
}

// --- scene content -----------------------------------------------------------------------------

Json write_node(const GraphNode& n) {
  Json o = {{"id", n.id}};
  put(o, "label", n.label);
  put(o, "op", n.op);
  put(o, "group", n.group);
  put(o, "shape", n.shape);
  put(o, "dtype", n.dtype);
  if (n.state != NodeState::none) o["state"] = node_state_name(n.state);
  put(o, "value", n.value);
  put(o, "gradient", n.gradient);
  return o;
}

Json write_edge(const GraphEdge& e) {
  Json o = {{"id", e.id}, {"from", e.from}, {"to", e.to}};
  put(o, "label", e.label);
  return o;
}

Json write_group(const GraphGroup& g) {
  Json o = {{"id", g.id}};
  put(o, "label", g.label);
  return o;
}

Json write_lane(const Lane& l) {
  Json o = {{"id", l.id}};
  put(o, "label", l.label);
  return o;
}

Json write_span(const Span& s) {
  Json o = {{"id", s.id}, {"lane", s.lane}};
  put(o, "name", s.name);
  put(o, "category", s.category);
  put(o, "start", s.start);
  put(o, "duration", s.duration);
  return o;
}

Json write_counter(const CounterPoint& c) {
  return {{"counter", c.counter}, {"time", number(c.time)}, {"value", number(c.value)}};
}

Json write_flow(const Flow& f) { return {{"id", f.id}, {"from_span", f.from_span}, {"to_span", f.to_span}}; }

Json write_series(const Series& s) {
  Json o = {{"name", s.name}};
  if (s.kind != SeriesKind::line) o["kind"] = series_kind_name(s.kind);
  put(o, "x", s.x);
  put(o, "y", s.y);
  return o;
}

Json write_threshold(const Threshold& t) {
  Json o;
  put(o, "label", t.label);
  o["x"] = number(t.x);
  return o;
}

Json write_graph(const GraphScene& g) {
  Json o = Json::object();
  put(o, "nodes", list_of(g.nodes, write_node));
  put(o, "edges", list_of(g.edges, write_edge));
  put(o, "groups", list_of(g.groups, write_group));
  return o;
}

Json write_tensor(const TensorScene& t) {
  Json o = Json::object();
  put(o, "rows", t.rows);
  put(o, "cols", t.cols);
  put(o, "values", t.values);
  put(o, "dtype", t.dtype);
  put(o, "shape", t.shape);
  return o;
}

Json write_timeline(const TimelineScene& t) {
  Json o = Json::object();
  put(o, "unit", t.unit, "us");
  put(o, "lanes", list_of(t.lanes, write_lane));
  put(o, "spans", list_of(t.spans, write_span));
  put(o, "counters", list_of(t.counters, write_counter));
  put(o, "flows", list_of(t.flows, write_flow));
  return o;
}

Json write_plot(const PlotScene& p) {
  Json o = Json::object();
  put(o, "x_label", p.x_label);
  put(o, "y_label", p.y_label);
  put(o, "series", list_of(p.series, write_series));
  put(o, "thresholds", list_of(p.thresholds, write_threshold));
  return o;
}

Json write_table(const TableScene& t) {
  Json o = Json::object();
  put(o, "columns", t.columns);
  put(o, "rows", list_of(t.rows, [](const std::vector<std::string>& row) { return Json(row); }));
  return o;
}

Json write_text(const TextScene& t) {
  Json o = Json::object();
  put(o, "file", t.file);
  put(o, "language", t.language);
  put(o, "first_line", t.first_line, 1);
  put(o, "lines", t.lines);
  put(o, "cursor", t.cursor);
  return o;
}

Json write_scene(const Scene& s) {
  Json o = {{"id", s.id}, {"title", s.title}, {"kind", scene_kind_name(s.kind)}};
  const std::pair<SceneKind, Json> payloads[] = {
      {SceneKind::graph, write_graph(s.graph)},          {SceneKind::tensor, write_tensor(s.tensor)},
      {SceneKind::timeline, write_timeline(s.timeline)}, {SceneKind::plot, write_plot(s.plot)},
      {SceneKind::table, write_table(s.table)},          {SceneKind::text, write_text(s.text)},
  };
  for (const auto& [kind, payload] : payloads)
    if (kind == s.kind || !payload.empty()) o[scene_kind_name(kind)] = payload;
  return o;
}

// --- steps -------------------------------------------------------------------------------------

Json write_change(const Change& c) {
  Json o = {{"kind", change_kind_name(c.kind)}, {"scene", c.scene}};
  put(o, "target", c.target);
  put(o, "text", c.text);
  put(o, "cells", c.cells);
  put(o, "values", c.values);
  put(o, "xs", c.xs);
  put(o, "x", c.x);
  put(o, "y", c.y);
  put(o, "line", c.line);
  if (!(c.node == GraphNode{})) o["node"] = write_node(c.node);
  if (!(c.edge == GraphEdge{})) o["edge"] = write_edge(c.edge);
  if (!(c.span == Span{})) o["span"] = write_span(c.span);
  const CounterPoint& p = c.counter;
  if (!p.counter.empty() || p.time != 0 || p.value != 0 || std::signbit(p.time) || std::signbit(p.value) ||
      std::isnan(p.time) || std::isnan(p.value))
    o["counter"] = write_counter(p);
  if (!c.flow.id.empty() || !c.flow.from_span.empty() || !c.flow.to_span.empty()) o["flow"] = write_flow(c.flow);
  put(o, "row", c.row);
  return o;
}

Json write_step(const Step& s) {
  Json o = {{"caption", s.caption}};
  if (s.level != Level::op) o["level"] = level_name(s.level);
  put(o, "section", s.section);
  if (s.source) o["source"] = {{"file", s.source->file}, {"line", s.source->line}};
  o["changes"] = list_of(s.changes, write_change);
  return o;
}

}  // namespace

std::string to_json(const Recording& recording, int indent) {
  Json doc = {{"version", format_version}, {"lesson", recording.lesson}, {"title", recording.title}};
  if (!recording.parameters.empty()) doc["parameters"] = recording.parameters;
  doc["scenes"] = list_of(recording.scenes, write_scene);
  doc["steps"] = list_of(recording.steps, write_step);
  try {
    return doc.dump(indent < 0 ? -1 : indent) + "\n";
  } catch (const Json::type_error& e) {  // nlohmann refuses to write a string that is not UTF-8
    throw Error("to_json", "UTF-8 text in every string of the recording", e.what());
  }
}

}  // namespace gb::trace
