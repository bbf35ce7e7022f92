// stepper.hpp: the state at one step, moved one step forward or back in place, so stepping back costs
// what stepping forward costs (the benchmark: "stepping back as fast as stepping forward").
//
// trace::Player seeks by copying its nearest snapshot and replaying up to 32 steps: cheap forward,
// but every step back copies a whole State (10,000 spans, say). The Stepper instead keeps, for every
// step, an undo record of what its changes overwrote (a node's old state, a cell's old value, "pop the
// span that was appended", the marks of the step before): they are made once, when the Recording is
// loaded, by one pass over it, so a step back anywhere undoes those few things and never replays. Only
// jumps (more than 256 steps away) go through the Player. Changes are applied with trace::Checks::none:
// the Player validated the Recording, and the check that a span id is new would search every span (a
// step on a 10,000-span timeline took 35 us with it, under 1 without). The records cost memory of the
// order of the Recording itself (each overwritten value once; lessons have at most a few thousand changes).
#pragma once

#include <cstdint>
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

  void forward(StepUndo* record_into);  // apply step current_.step + 1 (and record its undo)
  void back();
  void clear_marks();
  Undo record(const trace::Change& change);
  void undo(const Undo& u);
  trace::GraphNode& node(std::size_t scene, const std::string& id);

  const trace::Recording* recording_;
  trace::Player player_;
  std::map<std::string, std::size_t> scene_index_;
  trace::State current_;
  std::vector<StepUndo> undo_;  // undo_[k] takes the state after step k back to the state after step k-1
  std::int64_t lent_ = -1;      // the undo record whose marks are on screen (moved into current_), or -1
};

}  // namespace gb::viewer
