// stepper.hpp: the state at one step, moved one step forward or back in place, so stepping back costs
// what stepping forward costs (the benchmark: "stepping back as fast as stepping forward").
//
// trace::Player seeks by copying its nearest snapshot and replaying up to 32 steps: cheap forward,
// but every step back copies a whole State (10,000 spans, say). The Stepper applies a step with
// trace::apply_change and keeps an undo record of what each change overwrote (a node's old state,
// a cell's old value, "pop the span that was appended", the marks of the step before), so a step
// back undoes those few things. Jumps, and steps back past the undo log, go through the Player and
// replay a block forward, so the log is rebuilt once per block.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gb/trace/recording.hpp"
#include "gb/trace/replay.hpp"

namespace gb::viewer {

class Stepper {
 public:
  explicit Stepper(const trace::Recording& recording);
  // The state after steps 0..k (-1: before the first). Throws gb::Error outside -1..steps-1.
  const trace::State& seek(std::int64_t k);
  const trace::State& state() const { return current_; }

 private:
  struct Undo {  // what one change overwrote
    const trace::Change* change = nullptr;
    std::size_t scene = 0;                 // index into State::scenes
    trace::NodeState old_state = trace::NodeState::none;
    std::string old_text;                  // set_value, set_gradient
    std::vector<double> old_values;        // write_cells, in cell order
    std::optional<trace::Series> old_series;  // set_series / add_point: the series before (none: it was new)
    std::size_t series_index = 0;
    std::int64_t old_line = 0;             // set_cursor
  };
  struct Marks {  // the transient marks of one scene before a step cleared them
    std::size_t scene = 0;
    std::set<std::string> highlighted;
    std::set<std::int64_t> read, written;
  };
  struct StepUndo {
    std::vector<Undo> changes;
    std::vector<Marks> marks;
  };

  void forward();
  void back();
  Undo record(const trace::Change& change);
  void undo(const Undo& u);
  trace::GraphNode& node(std::size_t scene, const std::string& id);

  const trace::Recording* recording_;
  trace::Player player_;
  std::map<std::string, std::size_t> scene_index_;
  trace::State current_;
  std::deque<StepUndo> log_;  // log_.back() undoes the step current_ is at; log_[i] undoes step first_ + i
};

}  // namespace gb::viewer
