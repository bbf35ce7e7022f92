// json_read.cpp: JSON text -> Recording, validating as it goes (the writing side is json_write.cpp).
//
// Every value is checked against the expected type before it is used, and every error names the
// field by its path in the document:
//   from_json: expected a string at steps[3].changes[0].kind, given number
// Unknown keys are errors too (a misspelt "captoin" should not vanish silently). Missing optional
// fields take their defaults. The reader follows the schema, never the input, so it recurses only
// as deep as the schema does, whatever the nesting of the text.
#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gb/core/error.hpp"
#include "gb/trace/json.hpp"

namespace gb::trace {
namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& expected, const std::string& path, const std::string& given) {
  throw Error("from_json", expected + " at " + (path.empty() ? "the top level" : path), given);
}

std::string at_index(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string read_string(const Json& j, const std::string& path) {
  if (!j.is_string()) fail("a string", path, j.type_name());
  return j.get<std::string>();
}

double read_number(const Json& j, const std::string& path) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {  // the non-finite doubles, which JSON cannot write as numbers
    const auto& s = j.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    fail("a number or one of \"nan\", \"inf\", \"-inf\"", path, "the string \"" + s + "\"");
  }
  fail("a number", path, j.type_name());
}

std::int64_t read_integer(const Json& j, const std::string& path) {
  if (j.is_number_integer() && !j.is_number_unsigned()) return j.get<std::int64_t>();
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return static_cast<std::int64_t>(u);
    fail("an integer that fits in 64 bits", path, std::to_string(u));
  }
  fail("an integer", path, j.is_number_float() ? "a number with a fraction or exponent" : j.type_name());
}

template <class T, class F>
std::vector<T> read_list(const Json& j, const std::string& path, F read_item) {
  if (!j.is_array()) fail("an array", path, j.type_name());
  std::vector<T> items;
  items.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) items.push_back(read_item(j[i], at_index(path, i)));
  return items;
}

std::vector<double> read_numbers(const Json& j, const std::string& path) {
  return read_list<double>(j, path, read_number);
}
std::vector<std::string> read_strings(const Json& j, const std::string& path) {
  return read_list<std::string>(j, path, read_string);
}
std::vector<std::int64_t> read_integers(const Json& j, const std::string& path) {
  return read_list<std::int64_t>(j, path, read_integer);
}

// An enum stored by name: the table's own error ("one of pass, op, ...") gets the field's path.
template <class Enum>
Enum read_name(const Json& j, const std::string& path, Enum (*from_name)(const std::string&)) {
  const std::string name = read_string(j, path);
  try {
    return from_name(name);
  } catch (const Error& e) {
    fail(e.expected(), path, e.given());
  }
}

// One JSON object with a known set of keys. Reading a field converts it with the given reader;
// a missing field leaves the target untouched (its default), unless the field is required.
class Fields {
 public:
  Fields(const Json& j, std::string path, std::initializer_list<const char*> keys) : j_(j), path_(std::move(path)) {
    if (!j.is_object()) fail("an object", path_, j.type_name());
    for (const auto& item : j.items()) {
      bool known = false;
      for (const char* key : keys) known = known || item.key() == key;
      if (known) continue;
      std::string list;
      for (const char* key : keys) list += (list.empty() ? "" : ", ") + std::string(key);
      fail("one of the keys " + list, path_, "the key \"" + item.key() + "\"");
    }
  }

  template <class T, class F>
  void read(const char* key, T& target, F reader, bool required = false) const {
    const auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fail(std::string("the field \"") + key + "\"", path_, "an object without it");
      return;
    }
    target = reader(*it, path_of(key));
  }
  template <class T, class F>
  void require(const char* key, T& target, F reader) const {
    read(key, target, reader, true);
  }

  bool has(const char* key) const { return j_.contains(key); }
  const Json& operator[](const char* key) const { return j_.at(key); }
  std::string path_of(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  const Json& j_;
  std::string path_;
};

// --- scene content -----------------------------------------------------------------------------

NodeState read_state(const Json& j, const std::string& path) { return read_name(j, path, node_state_from_name); }

GraphNode read_node(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "label", "op", "group", "shape", "dtype", "state", "value", "gradient"});
  GraphNode n;
  f.require("id", n.id, read_string);
  f.read("label", n.label, read_string);
  f.read("op", n.op, read_string);
  f.read("group", n.group, read_string);
  f.read("shape", n.shape, read_string);
  f.read("dtype", n.dtype, read_string);
  f.read("state", n.state, read_state);
  f.read("value", n.value, read_string);
  f.read("gradient", n.gradient, read_string);
  return n;
}

GraphEdge read_edge(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "from", "to", "label"});
  GraphEdge e;
  f.require("id", e.id, read_string);
  f.require("from", e.from, read_string);
  f.require("to", e.to, read_string);
  f.read("label", e.label, read_string);
  return e;
}

GraphGroup read_group(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "label"});
  GraphGroup g;
  f.require("id", g.id, read_string);
  f.read("label", g.label, read_string);
  return g;
}

Lane read_lane(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "label"});
  Lane l;
  f.require("id", l.id, read_string);
  f.read("label", l.label, read_string);
  return l;
}

Span read_span(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "lane", "name", "category", "start", "duration"});
  Span s;
  f.require("id", s.id, read_string);
  f.require("lane", s.lane, read_string);
  f.read("name", s.name, read_string);
  f.read("category", s.category, read_string);
  f.read("start", s.start, read_number);
  f.read("duration", s.duration, read_number);
  return s;
}

CounterPoint read_counter(const Json& j, const std::string& path) {
  Fields f(j, path, {"counter", "time", "value"});
  CounterPoint c;
  f.require("counter", c.counter, read_string);
  f.require("time", c.time, read_number);
  f.require("value", c.value, read_number);
  return c;
}

Flow read_flow(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "from_span", "to_span"});
  Flow flow;
  f.require("id", flow.id, read_string);
  f.require("from_span", flow.from_span, read_string);
  f.require("to_span", flow.to_span, read_string);
  return flow;
}

Series read_series(const Json& j, const std::string& path) {
  Fields f(j, path, {"name", "kind", "x", "y"});
  Series s;
  f.require("name", s.name, read_string);
  f.read("kind", s.kind, [](const Json& v, const std::string& p) { return read_name(v, p, series_kind_from_name); });
  f.read("x", s.x, read_numbers);
  f.read("y", s.y, read_numbers);
  return s;
}

Threshold read_threshold(const Json& j, const std::string& path) {
  Fields f(j, path, {"label", "x"});
  Threshold t;
  f.read("label", t.label, read_string);
  f.require("x", t.x, read_number);
  return t;
}

template <class T, T (*read_item)(const Json&, const std::string&)>
std::vector<T> list_reader(const Json& j, const std::string& path) {
  return read_list<T>(j, path, read_item);
}

GraphScene read_graph(const Json& j, const std::string& path) {
  Fields f(j, path, {"nodes", "edges", "groups"});
  GraphScene g;
  f.read("nodes", g.nodes, list_reader<GraphNode, read_node>);
  f.read("edges", g.edges, list_reader<GraphEdge, read_edge>);
  f.read("groups", g.groups, list_reader<GraphGroup, read_group>);
  return g;
}

TensorScene read_tensor(const Json& j, const std::string& path) {
  Fields f(j, path, {"rows", "cols", "values", "dtype", "shape"});
  TensorScene t;
  f.read("rows", t.rows, read_integer);
  f.read("cols", t.cols, read_integer);
  f.read("values", t.values, read_numbers);
  f.read("dtype", t.dtype, read_string);
  f.read("shape", t.shape, read_string);
  return t;
}

TimelineScene read_timeline(const Json& j, const std::string& path) {
  Fields f(j, path, {"unit", "lanes", "spans", "counters", "flows"});
  TimelineScene t;
  f.read("unit", t.unit, read_string);
  f.read("lanes", t.lanes, list_reader<Lane, read_lane>);
  f.read("spans", t.spans, list_reader<Span, read_span>);
  f.read("counters", t.counters, list_reader<CounterPoint, read_counter>);
  f.read("flows", t.flows, list_reader<Flow, read_flow>);
  return t;
}

PlotScene read_plot(const Json& j, const std::string& path) {
  Fields f(j, path, {"x_label", "y_label", "series", "thresholds"});
  PlotScene p;
  f.read("x_label", p.x_label, read_string);
  f.read("y_label", p.y_label, read_string);
  f.read("series", p.series, list_reader<Series, read_series>);
  f.read("thresholds", p.thresholds, list_reader<Threshold, read_threshold>);
  return p;
}

TableScene read_table(const Json& j, const std::string& path) {
  Fields f(j, path, {"columns", "rows"});
  TableScene t;
  f.read("columns", t.columns, read_strings);
  f.read("rows", t.rows, list_reader<std::vector<std::string>, read_strings>);
  return t;
}

TextScene read_text(const Json& j, const std::string& path) {
  Fields f(j, path, {"file", "language", "first_line", "lines", "cursor"});
  TextScene t;
  f.read("file", t.file, read_string);
  f.read("language", t.language, read_string);
  f.read("first_line", t.first_line, read_integer);
  f.read("lines", t.lines, read_strings);
  f.read("cursor", t.cursor, read_integer);
  return t;
}

SceneKind read_scene_kind(const Json& j, const std::string& path) {
  return read_name(j, path, scene_kind_from_name);
}

Scene read_scene(const Json& j, const std::string& path) {
  Fields f(j, path, {"id", "title", "kind", "graph", "tensor", "timeline", "plot", "table", "text"});
  Scene s;
  f.require("id", s.id, read_string);
  f.read("title", s.title, read_string);
  f.require("kind", s.kind, read_scene_kind);
  f.read("graph", s.graph, read_graph);
  f.read("tensor", s.tensor, read_tensor);
  f.read("timeline", s.timeline, read_timeline);
  f.read("plot", s.plot, read_plot);
  f.read("table", s.table, read_table);
  f.read("text", s.text, read_text);
  return s;
}

// --- steps -------------------------------------------------------------------------------------

ChangeKind read_change_kind(const Json& j, const std::string& path) {
  return read_name(j, path, change_kind_from_name);
}

Change read_change(const Json& j, const std::string& path) {
  Fields f(j, path,
           {"kind", "scene", "target", "text", "cells", "values", "xs", "x", "y", "line", "node", "edge", "span",
            "counter", "flow", "row"});
  Change c;
  f.require("kind", c.kind, read_change_kind);
  f.require("scene", c.scene, read_string);
  f.read("target", c.target, read_string);
  f.read("text", c.text, read_string);
  f.read("cells", c.cells, read_integers);
  f.read("values", c.values, read_numbers);
  f.read("xs", c.xs, read_numbers);
  f.read("x", c.x, read_number);
  f.read("y", c.y, read_number);
  f.read("line", c.line, read_integer);
  f.read("node", c.node, read_node);
  f.read("edge", c.edge, read_edge);
  f.read("span", c.span, read_span);
  f.read("counter", c.counter, read_counter);
  f.read("flow", c.flow, read_flow);
  f.read("row", c.row, read_strings);
  return c;
}

SourceLocation read_source(const Json& j, const std::string& path) {
  Fields f(j, path, {"file", "line"});
  SourceLocation s;
  f.require("file", s.file, read_string);
  f.read("line", s.line, read_integer);
  return s;
}

Level read_level(const Json& j, const std::string& path) { return read_name(j, path, level_from_name); }

Step read_step(const Json& j, const std::string& path) {
  Fields f(j, path, {"caption", "level", "section", "source", "changes"});
  Step s;
  f.require("caption", s.caption, read_string);
  f.read("level", s.level, read_level);
  f.read("section", s.section, read_string);
  if (f.has("source")) s.source = read_source(f["source"], f.path_of("source"));
  f.read("changes", s.changes, list_reader<Change, read_change>);
  return s;
}

std::map<std::string, std::string> read_parameters(const Json& j, const std::string& path) {
  if (!j.is_object()) fail("an object", path, j.type_name());
  std::map<std::string, std::string> parameters;
  for (const auto& item : j.items()) parameters[item.key()] = read_string(item.value(), path + "." + item.key());
  return parameters;
}

}  // namespace

Recording from_json(const std::string& text) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::exception& e) {
    throw Error("from_json", "a JSON document", std::string("text that does not parse: ") + e.what());
  }
  Fields f(doc, "", {"version", "lesson", "title", "parameters", "scenes", "steps"});
  std::int64_t version = 1;
  f.read("version", version, read_integer);
  if (version != 1) fail("version 1", "version", std::to_string(version));
  Recording r;
  f.require("lesson", r.lesson, read_string);
  f.read("title", r.title, read_string);
  f.read("parameters", r.parameters, read_parameters);
  f.require("scenes", r.scenes, list_reader<Scene, read_scene>);
  f.require("steps", r.steps, list_reader<Step, read_step>);
  return r;
}

}  // namespace gb::trace
