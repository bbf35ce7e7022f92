// recording.hpp: the Recording, the one contract between the library and everything that shows it.
//
// Running a lesson scenario produces a Recording: Scenes (what can be drawn, in their initial state)
// and Steps (what happens, in order). Each Step has one caption sentence, the Changes it makes to the
// scenes, an optional source location, and a granularity Level (pass > op > tile > element).
// The state after step k is the replay of steps 0..k over the initial scenes (replay.hpp).
// The viewer draws it, the CLI narrates it, notebooks plot it, tests assert on it, exporters write it.
// See DESIGN.md section 3 and docs/architecture.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gb::trace {

// --- scenes: what can be drawn ------------------------------------------------------------------

enum class SceneKind { graph, tensor, timeline, plot, table, text };
const char* scene_kind_name(SceneKind kind);  // "graph", "tensor", ...
SceneKind scene_kind_from_name(const std::string& name);  // throws gb::Error for an unknown name

enum class NodeState { none, pending, running, done };
const char* node_state_name(NodeState state);  // "none", "pending", "running", "done"
NodeState node_state_from_name(const std::string& name);  // throws gb::Error for an unknown name

struct GraphNode {
  std::string id;     // stable: the same node has the same id in every run
  std::string label;  // what is drawn ("add", "x = 2")
  std::string op;     // the operation, searchable ("matmul"); empty for inputs
  std::string group;  // id of a GraphGroup, or empty
  std::string shape, dtype;  // shown on hover, e.g. "[2, 3]", "f32"
  // dynamic state, set by changes
  NodeState state = NodeState::none;
  std::string value;     // value badge ("3.0", or a short tensor summary)
  std::string gradient;  // gradient badge
};
struct GraphEdge {
  std::string id;  // stable, e.g. "a->add"
  std::string from, to, label;
};
struct GraphGroup {
  std::string id, label;
};
struct GraphScene {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  std::vector<GraphGroup> groups;
};

// A 2-D view of a tensor: rows x cols values in row-major order (a 1-D tensor is one row).
struct TensorScene {
  std::int64_t rows = 0, cols = 0;
  std::vector<double> values;
  std::string dtype;  // of the tensor it shows
  std::string shape;  // its full shape, e.g. "[2, 3]"
};

struct Lane {
  std::string id, label;  // a device, thread or rank
};
struct Span {
  std::string id;  // stable, used by flows
  std::string lane, name, category;
  double start = 0, duration = 0;  // in the timeline's unit (microseconds by convention)
};
struct CounterPoint {
  std::string counter;  // e.g. "memory (bytes)"
  double time = 0, value = 0;
};
struct Flow {  // an arrow from one span to another (a message, a dependency)
  std::string id, from_span, to_span;
};
struct TimelineScene {
  std::string unit = "us";
  std::vector<Lane> lanes;
  std::vector<Span> spans;
  std::vector<CounterPoint> counters;
  std::vector<Flow> flows;
};

enum class SeriesKind { line, scatter, histogram };
const char* series_kind_name(SeriesKind kind);  // "line", "scatter", "histogram"
SeriesKind series_kind_from_name(const std::string& name);  // throws gb::Error for an unknown name
struct Series {
  std::string name;
  SeriesKind kind = SeriesKind::line;
  // line/scatter: points (x[i], y[i]). histogram: bin i spans [x[i], x[i+1]) with count y[i],
  // so x.size() == y.size() + 1.
  std::vector<double> x, y;
};
struct Threshold {  // a vertical marker, e.g. a clipping range
  std::string label;
  double x = 0;
};
struct PlotScene {
  std::string x_label, y_label;
  std::vector<Series> series;
  std::vector<Threshold> thresholds;
};

struct TableScene {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// A source excerpt: lines[i] is line first_line + i of `file`; `cursor` is the current line (0 = none).
struct TextScene {
  std::string file, language;
  std::int64_t first_line = 1;
  std::vector<std::string> lines;
  std::int64_t cursor = 0;
};

struct Scene {
  std::string id;     // stable id, referenced by changes
  std::string title;  // shown above the panel
  SceneKind kind = SceneKind::text;
  GraphScene graph;        // used when kind == graph
  TensorScene tensor;      // kind == tensor
  TimelineScene timeline;  // kind == timeline
  PlotScene plot;          // kind == plot
  TableScene table;        // kind == table
  TextScene text;          // kind == text
};

// --- steps: what happens ----------------------------------------------------------------------

enum class Level { pass = 0, op = 1, tile = 2, element = 3 };  // coarse to fine
const char* level_name(Level level);
Level level_from_name(const std::string& name);  // throws gb::Error for an unknown name

// One change to one scene. Which fields matter depends on the kind:
//  highlight         graph: target = node or edge id (transient: lit during this step only)
//  node_state        graph: target = node id, text = "pending" | "running" | "done" | "none"
//  set_value         graph: target = node id, text = value badge
//  set_gradient      graph: target = node id, text = gradient badge
//  add_node          graph: node
//  add_edge          graph: edge
//  read_cells        tensor: cells = flat row-major cell indices (transient)
//  write_cells       tensor: cells, values = new values (persistent; the cells are lit this step)
//  add_span          timeline: span
//  add_counter       timeline: counter point
//  add_flow          timeline: flow
//  add_point         plot: target = series name, x, y (appends one point)
//  set_series        plot: target = series name, xs, values (replaces the data; adds the series if new;
//                    text, when not empty, names its SeriesKind: "line" | "scatter" | "histogram")
//  add_row           table: row
//  set_cursor        text: line
enum class ChangeKind {
  highlight, node_state, set_value, set_gradient, add_node, add_edge,
  read_cells, write_cells,
  add_span, add_counter, add_flow,
  add_point, set_series,
  add_row,
  set_cursor,
};
const char* change_kind_name(ChangeKind kind);
ChangeKind change_kind_from_name(const std::string& name);  // throws gb::Error

struct Change {
  ChangeKind kind = ChangeKind::highlight;
  std::string scene;   // scene id
  std::string target;  // node/edge id, series name
  std::string text;
  std::vector<std::int64_t> cells;
  std::vector<double> values;  // write_cells values, set_series y values
  std::vector<double> xs;      // set_series x values
  double x = 0, y = 0;         // add_point
  std::int64_t line = 0;       // set_cursor
  GraphNode node;              // add_node
  GraphEdge edge;              // add_edge
  Span span;                   // add_span
  CounterPoint counter;        // add_counter
  Flow flow;                   // add_flow
  std::vector<std::string> row;  // add_row
};

struct SourceLocation {
  std::string file;  // relative to the repository root
  std::int64_t line = 0;
};

struct Step {
  std::string caption;  // one sentence: what happened and why
  Level level = Level::op;
  std::string section;  // the lesson.md section (heading text) this step belongs to, or empty
  std::optional<SourceLocation> source;
  std::vector<Change> changes;
};

struct Recording {
  std::string lesson;  // lesson id, e.g. "00-tour"
  std::string title;
  std::map<std::string, std::string> parameters;  // the lesson parameters it was made with
  std::vector<Scene> scenes;
  std::vector<Step> steps;

  const Scene* find_scene(const std::string& id) const;  // nullptr when absent
};

bool operator==(const GraphNode&, const GraphNode&);
bool operator==(const GraphEdge&, const GraphEdge&);
bool operator==(const Span&, const Span&);
bool operator==(const Scene&, const Scene&);
bool operator==(const Change&, const Change&);
bool operator==(const Step&, const Step&);
// Deep comparison (used by round-trip tests). Doubles compare by value, except that NaN equals NaN
// and 0.0 differs from -0.0, so a recording equals what it reads back as from its JSON.
bool operator==(const Recording& a, const Recording& b);

}  // namespace gb::trace
