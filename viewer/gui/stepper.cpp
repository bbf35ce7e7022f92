// stepper.cpp: stepping forward with an undo record per step, and back by undoing it (see stepper.hpp).
#include "stepper.hpp"

#include <algorithm>

#include "gb/core/error.hpp"

namespace gb::viewer {
namespace {

constexpr std::int64_t kMaxWalk = 256;  // farther than this, a seek jumps through the Player

}  // namespace

Stepper::Stepper(const trace::Recording& recording) : recording_(&recording), player_(recording) {
  for (std::size_t i = 0; i < recording.scenes.size(); ++i) scene_index_.emplace(recording.scenes[i].id, i);
  // One pass over the Recording makes every step's undo record; then back to the start.
  current_ = player_.seek(-1);
  undo_.resize(recording.steps.size());
  for (StepUndo& u : undo_) forward(&u);
  current_ = player_.seek(-1);
}

trace::GraphNode& Stepper::node(std::size_t scene, const std::string& id) {
  for (trace::GraphNode& n : current_.scenes[scene].scene.graph.nodes) {
    if (n.id == id) return n;
  }
  throw Error("viewer step", "a node id of the graph", "'" + id + "'");  // replay would have refused it first
}

Stepper::Undo Stepper::record(const trace::Change& c) {
  Undo u;
  u.change = &c;
  auto it = scene_index_.find(c.scene);
  if (it == scene_index_.end()) return u;  // apply_change throws just after this
  u.scene = it->second;
  trace::SceneState& s = current_.scenes[u.scene];
  switch (c.kind) {
    case trace::ChangeKind::node_state: u.old_state = node(u.scene, c.target).state; break;
    case trace::ChangeKind::set_value: u.old_text = node(u.scene, c.target).value; break;
    case trace::ChangeKind::set_gradient: u.old_text = node(u.scene, c.target).gradient; break;
    case trace::ChangeKind::write_cells:
      for (std::int64_t cell : c.cells) {
        const auto i = static_cast<std::size_t>(cell);
        u.old_values.push_back(i < s.scene.tensor.values.size() ? s.scene.tensor.values[i] : 0.0);
      }
      break;
    case trace::ChangeKind::add_point:
    case trace::ChangeKind::set_series: {
      const auto& series = s.scene.plot.series;
      auto found = std::find_if(series.begin(), series.end(), [&](const trace::Series& x) { return x.name == c.target; });
      if (found != series.end()) {
        u.series_index = static_cast<std::size_t>(found - series.begin());
        if (c.kind == trace::ChangeKind::set_series) u.old_series = *found;
        else u.old_series = trace::Series{};  // existed: add_point only appends, so pop the point
      }
      break;
    }
    case trace::ChangeKind::set_cursor: u.old_line = s.scene.text.cursor; break;
    default: break;  // appends are popped; highlights and reads are marks, restored wholesale
  }
  return u;
}

void Stepper::forward(StepUndo* record_into) {
  const std::int64_t k = current_.step + 1;
  if (record_into != nullptr) {  // loading: keep the marks of step k - 1 in the undo record of step k
    for (std::size_t i = 0; i < current_.scenes.size(); ++i) {
      trace::SceneState& s = current_.scenes[i];
      if (!s.highlighted.empty() || !s.cells_read.empty() || !s.cells_written.empty()) {
        record_into->marks.push_back({i, std::move(s.highlighted), std::move(s.cells_read), std::move(s.cells_written)});
      }
    }
  }
  clear_marks();
  for (const trace::Change& change : recording_->steps[static_cast<std::size_t>(k)].changes) {
    if (record_into != nullptr) record_into->changes.push_back(record(change));
    trace::apply_change(current_, change, trace::Checks::none);  // the Player validated the Recording
  }
  current_.step = k;
}

// The marks on screen: given back to the undo record they were lent from, or cleared.
void Stepper::clear_marks() {
  if (lent_ >= 0) {
    for (Marks& m : undo_[static_cast<std::size_t>(lent_)].marks) {
      trace::SceneState& s = current_.scenes[m.scene];
      m.highlighted = std::move(s.highlighted);
      m.read = std::move(s.cells_read);
      m.written = std::move(s.cells_written);
    }
    lent_ = -1;
  }
  for (trace::SceneState& s : current_.scenes) {
    s.highlighted.clear();
    s.cells_read.clear();
    s.cells_written.clear();
  }
}

void Stepper::undo(const Undo& u) {
  const trace::Change& c = *u.change;
  trace::SceneState& s = current_.scenes[u.scene];
  switch (c.kind) {
    case trace::ChangeKind::node_state: node(u.scene, c.target).state = u.old_state; break;
    case trace::ChangeKind::set_value: node(u.scene, c.target).value = u.old_text; break;
    case trace::ChangeKind::set_gradient: node(u.scene, c.target).gradient = u.old_text; break;
    case trace::ChangeKind::add_node: s.scene.graph.nodes.pop_back(); break;
    case trace::ChangeKind::add_edge: s.scene.graph.edges.pop_back(); break;
    case trace::ChangeKind::write_cells:
      for (std::size_t i = c.cells.size(); i-- > 0;) {  // backwards: a cell written twice gets its first old value
        s.scene.tensor.values[static_cast<std::size_t>(c.cells[i])] = u.old_values[i];
      }
      break;
    case trace::ChangeKind::add_span: s.scene.timeline.spans.pop_back(); break;
    case trace::ChangeKind::add_counter: s.scene.timeline.counters.pop_back(); break;
    case trace::ChangeKind::add_flow: s.scene.timeline.flows.pop_back(); break;
    case trace::ChangeKind::add_point:
      if (!u.old_series) {
        s.scene.plot.series.pop_back();  // the point made the series
      } else {
        trace::Series& series = s.scene.plot.series[u.series_index];
        series.x.pop_back();
        series.y.pop_back();
      }
      break;
    case trace::ChangeKind::set_series:
      if (u.old_series) s.scene.plot.series[u.series_index] = *u.old_series;
      else s.scene.plot.series.pop_back();
      break;
    case trace::ChangeKind::add_row: s.scene.table.rows.pop_back(); break;
    case trace::ChangeKind::set_cursor: s.scene.text.cursor = u.old_line; break;
    case trace::ChangeKind::highlight:
    case trace::ChangeKind::read_cells: break;
  }
}

void Stepper::back() {
  const auto k = static_cast<std::size_t>(current_.step);
  for (auto it = undo_[k].changes.rbegin(); it != undo_[k].changes.rend(); ++it) undo(*it);
  clear_marks();
  // The marks of step k - 1 are lent from the undo record (moved, not copied: no allocation) and
  // given back by the next clear_marks().
  for (Marks& m : undo_[k].marks) {
    trace::SceneState& s = current_.scenes[m.scene];
    s.highlighted = std::move(m.highlighted);
    s.cells_read = std::move(m.read);
    s.cells_written = std::move(m.written);
  }
  lent_ = current_.step;
  --current_.step;
}

const trace::State& Stepper::seek(std::int64_t k) {
  const auto steps = static_cast<std::int64_t>(recording_->steps.size());
  if (k < -1 || k >= steps) throw Error("viewer seek", "a step index in [-1, " + std::to_string(steps - 1) + "]", std::to_string(k));
  if (k > current_.step && k - current_.step <= kMaxWalk) {
    while (current_.step < k) forward(nullptr);
  } else if (k < current_.step && current_.step - k <= kMaxWalk) {
    while (current_.step > k) back();
  } else if (k != current_.step) {
    clear_marks();               // give back any lent marks before the state is replaced
    current_ = player_.seek(k);  // a jump: the Player's nearest snapshot and at most 31 steps
  }
  return current_;
}

}  // namespace gb::viewer
