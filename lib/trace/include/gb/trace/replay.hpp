// replay.hpp: the state of every scene after step k.
//
// State at step k = the initial scenes with the changes of steps 0..k applied, in order. Transient
// marks (highlights, cells read or written) belong to step k alone. A Player keeps a snapshot every
// `snapshot_every` steps, so stepping back and scrubbing cost at most that many step applications.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gb/trace/recording.hpp"

namespace gb::trace {

struct SceneState {
  Scene scene;                          // persistent content after the replayed steps
  std::set<std::string> highlighted;    // node/edge ids lit by the current step
  std::set<std::int64_t> cells_read;    // tensor cells read by the current step
  std::set<std::int64_t> cells_written; // tensor cells written by the current step
};

struct State {
  std::int64_t step = -1;  // -1 = before the first step
  std::vector<SceneState> scenes;  // in Recording::scenes order
  const SceneState* find(const std::string& scene_id) const;
};

bool operator==(const SceneState&, const SceneState&);
bool operator==(const State&, const State&);  // same step, same scenes, same marks

// How much apply_change checks. all: every id, index and value (gb::Error on the first problem). none: for
// a Recording that validate() or a Player has already accepted: the searches that grow with the scene (a
// span or node id not used yet, a highlighted node that exists) are skipped, so a step costs the same on
// the 10,000th span as on the first; the cheap checks that keep indices in range stay.
enum class Checks { all, none };
// Applies one change; throws gb::Error when it names a missing scene, node or series, or does not
// fit the scene's kind (e.g. write_cells on a graph, a cell index outside the tensor).
void apply_change(State& state, const Change& change, Checks checks = Checks::all);
// The state after steps 0..k (k = -1: the initial scenes). Throws gb::Error if k is out of range.
State replay(const Recording& recording, std::int64_t k);
// Throws gb::Error describing the first invalid change (replays every step).
void validate(const Recording& recording);

class Player {
 public:
  explicit Player(const Recording& recording, std::int64_t snapshot_every = 32);
  const State& seek(std::int64_t k);  // -1 .. steps-1
  std::int64_t steps() const;

 private:
  const Recording* recording_;
  std::int64_t every_;
  std::vector<State> snapshots_;  // snapshots_[i] = state after step i*every_ - 1
  State current_;
};

}  // namespace gb::trace
