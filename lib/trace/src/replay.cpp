// replay.cpp: the state of every scene after step k, and the Player that scrubs through it.
//
// A step's application has two parts: first the transient marks of the previous step (highlights,
// cells read or written) are cleared, then each change is applied in order. Persistent content
// (values, spans, points, rows...) accumulates. The state after step k therefore depends only on
// steps 0..k, which is what lets the Player restart from any snapshot.
#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/trace/replay.hpp"

namespace gb::trace {
namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Each check below throws Error(op, expected, given); `op` says which change failed
// ("apply_change(write_cells)" or "replay step 4, change 1 (write_cells)").

SceneState& scene_for(State& state, const Change& change, SceneKind kind, const std::string& op) {
  for (SceneState& s : state.scenes) {
    if (s.scene.id != change.scene) continue;
    if (s.scene.kind != kind)
      throw Error(op, std::string("a ") + scene_kind_name(kind) + " scene",
                  std::string(scene_kind_name(s.scene.kind)) + " scene " + quoted(change.scene));
    return s;
  }
  throw Error(op, "the id of a scene in the recording", quoted(change.scene));
}

GraphNode* find_node(GraphScene& graph, const std::string& id) {
  for (GraphNode& node : graph.nodes)
    if (node.id == id) return &node;
  return nullptr;
}

bool has_edge(const GraphScene& graph, const std::string& id) {
  return std::any_of(graph.edges.begin(), graph.edges.end(), [&](const GraphEdge& e) { return e.id == id; });
}

GraphNode& node_for(SceneState& s, const std::string& id, const std::string& op) {
  if (GraphNode* node = find_node(s.scene.graph, id)) return *node;
  throw Error(op, "the id of a node in graph scene " + quoted(s.scene.id), quoted(id));
}

const Span* find_span(const TimelineScene& timeline, const std::string& id) {
  for (const Span& span : timeline.spans)
    if (span.id == id) return &span;
  return nullptr;
}

// Cells index the row-major rows x cols view; the values must already fill it.
void check_cells(const SceneState& s, const std::vector<std::int64_t>& cells, const std::string& op) {
  const TensorScene& t = s.scene.tensor;
  const std::int64_t count = t.rows * t.cols;
  if (static_cast<std::int64_t>(t.values.size()) != count)
    throw Error(op, "tensor scene " + quoted(s.scene.id) + " to hold rows * cols = " + std::to_string(count) + " values",
                std::to_string(t.values.size()) + " values");
  for (std::int64_t cell : cells)
    if (cell < 0 || cell >= count)
      throw Error(op, "cell indices in [0, " + std::to_string(count) + ") of tensor scene " + quoted(s.scene.id),
                  std::to_string(cell));
}

void apply_graph(SceneState& s, const Change& c, const std::string& op, bool check) {
  GraphScene& graph = s.scene.graph;
  switch (c.kind) {
    case ChangeKind::highlight:
      if (check && find_node(graph, c.target) == nullptr && !has_edge(graph, c.target))
        throw Error(op, "the id of a node or edge in graph scene " + quoted(s.scene.id), quoted(c.target));
      s.highlighted.insert(c.target);
      return;
    case ChangeKind::node_state: {
      GraphNode& node = node_for(s, c.target, op);
      try {
        node.state = node_state_from_name(c.text);
      } catch (const Error& e) {
        throw Error(op, "a node state: " + e.expected(), e.given());
      }
      return;
    }
    case ChangeKind::set_value: node_for(s, c.target, op).value = c.text; return;
    case ChangeKind::set_gradient: node_for(s, c.target, op).gradient = c.text; return;
    case ChangeKind::add_node:
      if (c.node.id.empty()) throw Error(op, "a node with a non-empty id", "an empty id");
      if (check && find_node(graph, c.node.id) != nullptr)
        throw Error(op, "a node id not used yet in graph scene " + quoted(s.scene.id), quoted(c.node.id));
      graph.nodes.push_back(c.node);
      return;
    case ChangeKind::add_edge:
      if (c.edge.id.empty()) throw Error(op, "an edge with a non-empty id", "an empty id");
      if (check) {
        if (has_edge(graph, c.edge.id))
          throw Error(op, "an edge id not used yet in graph scene " + quoted(s.scene.id), quoted(c.edge.id));
        node_for(s, c.edge.from, op);
        node_for(s, c.edge.to, op);
      }
      graph.edges.push_back(c.edge);
      return;
    default: return;
  }
}

void apply_tensor(SceneState& s, const Change& c, const std::string& op) {
  check_cells(s, c.cells, op);
  if (c.kind == ChangeKind::read_cells) {
    s.cells_read.insert(c.cells.begin(), c.cells.end());
    return;
  }
  if (c.values.size() != c.cells.size())
    throw Error(op, "one value per cell (" + std::to_string(c.cells.size()) + ")",
                std::to_string(c.values.size()) + " values");
  for (std::size_t i = 0; i < c.cells.size(); ++i) {
    s.scene.tensor.values[static_cast<std::size_t>(c.cells[i])] = c.values[i];
    s.cells_written.insert(c.cells[i]);
  }
}

// The span ids of each scene (by index into State::scenes) during a whole checked replay, so that
// "a span id not used yet" is a lookup, not a search of every span before it (a replay of n add_span
// steps was O(n^2): 10,000 spans took 0.28 s to validate, 20,000 0.76 s). Empty ids are not indexed.
struct SpanIds {
  std::vector<std::unordered_set<std::string>> of_scene;
  explicit SpanIds(const State& state) : of_scene(state.scenes.size()) {
    for (std::size_t i = 0; i < state.scenes.size(); ++i)
      for (const Span& span : state.scenes[i].scene.timeline.spans)
        if (!span.id.empty()) of_scene[i].insert(span.id);
  }
};

// ids: the scene's span ids when a SpanIds index is kept (nullptr: search the spans).
void apply_timeline(SceneState& s, const Change& c, const std::string& op, bool check,
                    std::unordered_set<std::string>* ids) {
  TimelineScene& timeline = s.scene.timeline;
  const auto used = [&](const std::string& id) {
    return ids != nullptr && !id.empty() ? ids->count(id) > 0 : find_span(timeline, id) != nullptr;
  };
  switch (c.kind) {
    case ChangeKind::add_span: {
      const Span& span = c.span;
      const bool lane_known = std::any_of(timeline.lanes.begin(), timeline.lanes.end(),
                                          [&](const Lane& lane) { return lane.id == span.lane; });
      if (!lane_known) throw Error(op, "the id of a lane of timeline scene " + quoted(s.scene.id), quoted(span.lane));
      if (check && !span.id.empty() && used(span.id))
        throw Error(op, "a span id not used yet in timeline scene " + quoted(s.scene.id), quoted(span.id));
      if (!std::isfinite(span.start) || !std::isfinite(span.duration) || span.duration < 0)
        throw Error(op, "a finite start and a finite duration >= 0",
                    "start " + std::to_string(span.start) + ", duration " + std::to_string(span.duration));
      timeline.spans.push_back(span);
      if (ids != nullptr && !span.id.empty()) ids->insert(span.id);
      return;
    }
    case ChangeKind::add_counter: timeline.counters.push_back(c.counter); return;
    case ChangeKind::add_flow:
      for (const std::string* end : {&c.flow.from_span, &c.flow.to_span})
        if (check && !used(*end))
          throw Error(op, "the id of a span of timeline scene " + quoted(s.scene.id), quoted(*end));
      timeline.flows.push_back(c.flow);
      return;
    default: return;
  }
}

Series& series_for(PlotScene& plot, const std::string& name) {
  for (Series& series : plot.series)
    if (series.name == name) return series;
  Series added;  // a new series is a line until told otherwise
  added.name = name;
  plot.series.push_back(std::move(added));
  return plot.series.back();
}

void apply_plot(SceneState& s, const Change& c, const std::string& op) {
  if (c.kind == ChangeKind::add_point) {
    Series& series = series_for(s.scene.plot, c.target);
    if (series.kind == SeriesKind::histogram)
      throw Error(op, "a line or scatter series (use set_series for a histogram)", "histogram " + quoted(c.target));
    series.x.push_back(c.x);
    series.y.push_back(c.y);
    return;
  }
  // set_series: check everything before touching the scene, so a failed change changes nothing.
  SeriesKind kind = SeriesKind::line;
  for (const Series& existing : s.scene.plot.series)
    if (existing.name == c.target) kind = existing.kind;
  if (!c.text.empty()) {
    try {
      kind = series_kind_from_name(c.text);
    } catch (const Error& e) {
      throw Error(op, "a series kind: " + e.expected(), e.given());
    }
  }
  const std::size_t xs_needed = c.values.size() + (kind == SeriesKind::histogram ? 1 : 0);
  if (c.xs.size() != xs_needed)
    throw Error(op, std::string(kind == SeriesKind::histogram ? "values + 1 bin edges" : "one x per value") + " (" +
                        std::to_string(xs_needed) + " xs)",
                std::to_string(c.xs.size()) + " xs");
  Series& series = series_for(s.scene.plot, c.target);
  series.kind = kind;
  series.x = c.xs;
  series.y = c.values;
}

void apply_table(SceneState& s, const Change& c, const std::string& op) {
  const auto& columns = s.scene.table.columns;
  if (!columns.empty() && c.row.size() != columns.size())
    throw Error(op, std::to_string(columns.size()) + " cells per row in table scene " + quoted(s.scene.id),
                std::to_string(c.row.size()));
  s.scene.table.rows.push_back(c.row);
}

void apply_text(SceneState& s, const Change& c, const std::string& op) {
  TextScene& text = s.scene.text;
  const std::int64_t last = text.first_line + static_cast<std::int64_t>(text.lines.size()) - 1;
  if (c.line != 0 && (c.line < text.first_line || c.line > last))
    throw Error(op,
                "0 or a line in [" + std::to_string(text.first_line) + ", " + std::to_string(last) +
                    "] of text scene " + quoted(s.scene.id),
                std::to_string(c.line));
  text.cursor = c.line;
}

SceneKind scene_kind_of(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::highlight:
    case ChangeKind::node_state:
    case ChangeKind::set_value:
    case ChangeKind::set_gradient:
    case ChangeKind::add_node:
    case ChangeKind::add_edge: return SceneKind::graph;
    case ChangeKind::read_cells:
    case ChangeKind::write_cells: return SceneKind::tensor;
    case ChangeKind::add_span:
    case ChangeKind::add_counter:
    case ChangeKind::add_flow: return SceneKind::timeline;
    case ChangeKind::add_point:
    case ChangeKind::set_series: return SceneKind::plot;
    case ChangeKind::add_row: return SceneKind::table;
    case ChangeKind::set_cursor: return SceneKind::text;
  }
  return SceneKind::text;  // unreachable
}

// check = false skips the searches that grow with the scene (is this id new, does that node exist) for a
// Recording already validated; the cheap checks that keep indices in range stay.
// span_ids: kept by a replay of many steps (see SpanIds); nullptr for a single change.
void apply(State& state, const Change& change, const std::string& op, bool check = true, SpanIds* span_ids = nullptr) {
  const SceneKind kind = scene_kind_of(change.kind);
  SceneState& s = scene_for(state, change, kind, op);
  switch (kind) {
    case SceneKind::graph: apply_graph(s, change, op, check); return;
    case SceneKind::tensor: apply_tensor(s, change, op); return;
    case SceneKind::timeline:
      apply_timeline(s, change, op, check,
                     span_ids != nullptr ? &span_ids->of_scene[static_cast<std::size_t>(&s - state.scenes.data())] : nullptr);
      return;
    case SceneKind::plot: apply_plot(s, change, op); return;
    case SceneKind::table: apply_table(s, change, op); return;
    case SceneKind::text: apply_text(s, change, op); return;
  }
}

State initial_state(const Recording& recording) {
  State state;
  state.scenes.reserve(recording.scenes.size());
  for (const Scene& scene : recording.scenes) {
    state.scenes.emplace_back();
    state.scenes.back().scene = scene;
  }
  return state;
}

// Applies step k to the state after step k-1: clear the marks of step k-1, apply the changes
// (check = false: the Recording was validated, see apply()).
void apply_step(State& state, const Recording& recording, std::int64_t k, bool check = true, SpanIds* span_ids = nullptr) {
  for (SceneState& s : state.scenes) {
    s.highlighted.clear();
    s.cells_read.clear();
    s.cells_written.clear();
  }
  const Step& step = recording.steps[static_cast<std::size_t>(k)];
  for (std::size_t i = 0; i < step.changes.size(); ++i) {
    const Change& change = step.changes[i];
    if (!check) {
      static const std::string op = "replay";
      apply(state, change, op, false);
      continue;
    }
    apply(state, change, "replay step " + std::to_string(k) + ", change " + std::to_string(i) + " (" +
                             change_kind_name(change.kind) + ")",
          true, span_ids);
  }
  state.step = k;
}

void check_step_index(const Recording& recording, std::int64_t k, const char* op) {
  const auto count = static_cast<std::int64_t>(recording.steps.size());
  if (k < -1 || k >= count)
    throw Error(op, "a step index in [-1, " + std::to_string(count - 1) + "]", std::to_string(k));
}

}  // namespace

bool operator==(const SceneState& a, const SceneState& b) {
  return a.scene == b.scene && a.highlighted == b.highlighted && a.cells_read == b.cells_read &&
         a.cells_written == b.cells_written;
}

bool operator==(const State& a, const State& b) { return a.step == b.step && a.scenes == b.scenes; }

const SceneState* State::find(const std::string& scene_id) const {
  for (const SceneState& s : scenes)
    if (s.scene.id == scene_id) return &s;
  return nullptr;
}

void apply_change(State& state, const Change& change, Checks checks) {
  if (checks == Checks::none) {
    static const std::string op = "apply_change";
    apply(state, change, op, false);
    return;
  }
  apply(state, change, std::string("apply_change(") + change_kind_name(change.kind) + ")");
}

State replay(const Recording& recording, std::int64_t k) {
  check_step_index(recording, k, "replay");
  State state = initial_state(recording);
  SpanIds span_ids(state);
  for (std::int64_t i = 0; i <= k; ++i) apply_step(state, recording, i, true, &span_ids);
  return state;
}

void validate(const Recording& recording) {
  for (std::size_t i = 0; i < recording.scenes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (recording.scenes[i].id == recording.scenes[j].id)
        throw Error("validate", "unique scene ids", "'" + recording.scenes[i].id + "' twice");
  replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
}

// --- Player: snapshots every `every_` steps ----------------------------------------------------

Player::Player(const Recording& recording, std::int64_t snapshot_every)
    : recording_(&recording), every_(snapshot_every) {
  if (snapshot_every < 1) throw Error("Player", "snapshot_every >= 1", std::to_string(snapshot_every));
  // One pass over the recording stores snapshots_[i] = the state after step i*every_ - 1.
  current_ = initial_state(recording);
  snapshots_.push_back(current_);
  SpanIds span_ids(current_);
  for (std::int64_t k = 0; k < steps(); ++k) {
    apply_step(current_, recording, k, true, &span_ids);
    if ((k + 1) % every_ == 0) snapshots_.push_back(current_);
  }
}

std::int64_t Player::steps() const { return static_cast<std::int64_t>(recording_->steps.size()); }

const State& Player::seek(std::int64_t k) {
  check_step_index(*recording_, k, "Player::seek");
  // The nearest snapshot at or before k, unless the current state is already between it and k
  // (stepping forward by one then costs one application).
  const std::size_t nearest = static_cast<std::size_t>((k + 1) / every_);
  const std::int64_t snapshot_step = static_cast<std::int64_t>(nearest) * every_ - 1;
  if (current_.step > k || current_.step < snapshot_step) current_ = snapshots_[nearest];
  // The constructor replayed every step with every check: seeking needs none of them again.
  while (current_.step < k) apply_step(current_, *recording_, current_.step + 1, /*check=*/false);
  return current_;
}

}  // namespace gb::trace
