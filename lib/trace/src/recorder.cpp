// recorder.cpp: building a Recording while the real library code runs (see recorder.hpp).
//
// The active recorder is one thread_local pointer: library code checks trace::active() and records
// only when it is non-null, so a kernel nobody records pays one predictable branch.
#include <string_view>
#include <utility>

#include "gb/core/error.hpp"
#include "gb/trace/recorder.hpp"

#ifndef GB_SOURCE_ROOT
#define GB_SOURCE_ROOT ""
#endif

namespace gb::trace {
namespace {

thread_local Recorder* active_recorder = nullptr;

// Recordings are the same bytes on every machine, so a source file is stored relative to the
// repository root (GB_SOURCE_ROOT, set by lib/trace/CMakeLists.txt, ends with '/').
std::string relative_to_repository(std::string_view file) {
  const std::string_view root = GB_SOURCE_ROOT;
  if (!root.empty() && file.substr(0, root.size()) == root) file.remove_prefix(root.size());
  return std::string(file);
}

}  // namespace

// --- StepBuilder: one call, one Change ----------------------------------------------------------

Step& StepBuilder::get() { return recorder_->recording_.steps.at(index_); }

StepBuilder& StepBuilder::push(Change change) {
  get().changes.push_back(std::move(change));
  return *this;
}

namespace {
// A change of `kind` on `scene`; each builder call below fills the fields its kind uses.
Change change_on(ChangeKind kind, const std::string& scene) {
  Change change;
  change.kind = kind;
  change.scene = scene;
  return change;
}
}  // namespace

StepBuilder& StepBuilder::highlight(const std::string& scene, const std::string& target) {
  Change c = change_on(ChangeKind::highlight, scene);
  c.target = target;
  return push(std::move(c));
}

StepBuilder& StepBuilder::node_state(const std::string& scene, const std::string& node, NodeState state) {
  Change c = change_on(ChangeKind::node_state, scene);
  c.target = node;
  c.text = node_state_name(state);
  return push(std::move(c));
}

StepBuilder& StepBuilder::set_value(const std::string& scene, const std::string& node, const std::string& value) {
  Change c = change_on(ChangeKind::set_value, scene);
  c.target = node;
  c.text = value;
  return push(std::move(c));
}

StepBuilder& StepBuilder::set_gradient(const std::string& scene, const std::string& node,
                                       const std::string& gradient) {
  Change c = change_on(ChangeKind::set_gradient, scene);
  c.target = node;
  c.text = gradient;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_node(const std::string& scene, const GraphNode& node) {
  Change c = change_on(ChangeKind::add_node, scene);
  c.node = node;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_edge(const std::string& scene, const GraphEdge& edge) {
  Change c = change_on(ChangeKind::add_edge, scene);
  c.edge = edge;
  return push(std::move(c));
}

StepBuilder& StepBuilder::read_cells(const std::string& scene, const std::vector<std::int64_t>& cells) {
  Change c = change_on(ChangeKind::read_cells, scene);
  c.cells = cells;
  return push(std::move(c));
}

StepBuilder& StepBuilder::write_cells(const std::string& scene, const std::vector<std::int64_t>& cells,
                                      const std::vector<double>& values) {
  Change c = change_on(ChangeKind::write_cells, scene);
  c.cells = cells;
  c.values = values;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_span(const std::string& scene, const Span& span) {
  Change c = change_on(ChangeKind::add_span, scene);
  c.span = span;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_counter(const std::string& scene, const CounterPoint& point) {
  Change c = change_on(ChangeKind::add_counter, scene);
  c.counter = point;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_flow(const std::string& scene, const Flow& flow) {
  Change c = change_on(ChangeKind::add_flow, scene);
  c.flow = flow;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_point(const std::string& scene, const std::string& series, double x, double y) {
  Change c = change_on(ChangeKind::add_point, scene);
  c.target = series;
  c.x = x;
  c.y = y;
  return push(std::move(c));
}

StepBuilder& StepBuilder::set_series(const std::string& scene, const std::string& series,
                                     const std::vector<double>& xs, const std::vector<double>& ys) {
  Change c = change_on(ChangeKind::set_series, scene);
  c.target = series;
  c.xs = xs;
  c.values = ys;
  return push(std::move(c));
}

StepBuilder& StepBuilder::add_row(const std::string& scene, const std::vector<std::string>& row) {
  Change c = change_on(ChangeKind::add_row, scene);
  c.row = row;
  return push(std::move(c));
}

StepBuilder& StepBuilder::set_cursor(const std::string& scene, std::int64_t line) {
  Change c = change_on(ChangeKind::set_cursor, scene);
  c.line = line;
  return push(std::move(c));
}

// --- Recorder ----------------------------------------------------------------------------------

Recorder::Recorder(std::string lesson, std::string title) {
  recording_.lesson = std::move(lesson);
  recording_.title = std::move(title);
}

Scene& Recorder::add_scene(Scene scene) {
  if (recording_.find_scene(scene.id) != nullptr)
    throw Error("Recorder::add_scene", "a scene id not used yet", "'" + scene.id + "', already taken");
  recording_.scenes.push_back(std::move(scene));
  return recording_.scenes.back();
}

StepBuilder Recorder::step(const std::string& caption, Level level, const char* file, int line) {
  Step step;
  step.caption = caption;
  step.level = level;
  step.section = section_;
  step.source = SourceLocation{relative_to_repository(file), static_cast<std::int64_t>(line)};
  recording_.steps.push_back(std::move(step));
  return StepBuilder(*this, recording_.steps.size() - 1);
}

void Recorder::set_parameter(const std::string& name, const std::string& value) {
  recording_.parameters[name] = value;
}

Recorder* active() { return active_recorder; }

ScopedRecorder::ScopedRecorder(Recorder& recorder) : previous_(active_recorder) { active_recorder = &recorder; }
ScopedRecorder::~ScopedRecorder() { active_recorder = previous_; }

ScopedPause::ScopedPause() : previous_(active_recorder) { active_recorder = nullptr; }
ScopedPause::~ScopedPause() { active_recorder = previous_; }

// --- scene constructors ------------------------------------------------------------------------

namespace {
Scene blank_scene(const std::string& id, const std::string& title, SceneKind kind) {
  Scene scene;
  scene.id = id;
  scene.title = title;
  scene.kind = kind;
  return scene;
}
}  // namespace

Scene graph_scene(const std::string& id, const std::string& title) {
  return blank_scene(id, title, SceneKind::graph);
}

Scene text_scene(const std::string& id, const std::string& title, const std::string& file, std::int64_t first_line,
                 const std::vector<std::string>& lines, const std::string& language) {
  Scene scene = blank_scene(id, title, SceneKind::text);
  scene.text.file = file;
  scene.text.first_line = first_line;
  scene.text.lines = lines;
  scene.text.language = language;
  return scene;
}

Scene timeline_scene(const std::string& id, const std::string& title, const std::vector<Lane>& lanes) {
  Scene scene = blank_scene(id, title, SceneKind::timeline);
  scene.timeline.lanes = lanes;
  return scene;
}

Scene plot_scene(const std::string& id, const std::string& title, const std::string& x_label,
                 const std::string& y_label) {
  Scene scene = blank_scene(id, title, SceneKind::plot);
  scene.plot.x_label = x_label;
  scene.plot.y_label = y_label;
  return scene;
}

Scene table_scene(const std::string& id, const std::string& title, const std::vector<std::string>& columns) {
  Scene scene = blank_scene(id, title, SceneKind::table);
  scene.table.columns = columns;
  return scene;
}

}  // namespace gb::trace
