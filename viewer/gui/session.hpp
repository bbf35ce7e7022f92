// session.hpp: the lesson being viewed: its Recording, a Player over it, the current step, stepping by level.
//
// Nothing here draws; the ImGui panels read a Session and call its methods. Every method that can
// fail throws gb::Error (the caller shows the message), and a failed load or re-run keeps what was
// shown before.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gb/lessons/registry.hpp"
#include "gb/trace/recording.hpp"
#include "gb/trace/replay.hpp"

namespace gb::viewer {

class Session {
 public:
  // Loads lesson `id` (empty = the first lesson of the catalogue) with its default parameters.
  void load(const std::string& id);
  // Runs the current lesson again with params() as edited in the parameters panel.
  void rerun();
  // Moves to step k (-1 = before the first step); throws gb::Error outside -1..steps()-1.
  void seek(std::int64_t k);

  // Stepping at a granularity: the next/previous step whose level is `finest` or coarser
  // (pass < op < tile < element), so choosing "op" skips tile and element steps.
  // next_step returns step() when there is none after it; previous_step returns -1 when there is none.
  std::int64_t next_step(trace::Level finest) const;
  std::int64_t previous_step(trace::Level finest) const;

  bool loaded() const { return recording_ != nullptr; }
  const lessons::Lesson& lesson() const;     // requires loaded()
  lessons::Params& params() { return params_; }  // the parameters panel edits these
  const trace::Recording& recording() const;  // requires loaded()
  const trace::State& state() const;          // the state at step()
  const trace::State& final_state() const;    // the state after the last step (stable axis ranges)
  const trace::Step* current_step() const;    // nullptr at step -1
  std::int64_t step() const { return step_; }
  std::int64_t steps() const;
  // Bumped on every load/re-run, so panels can drop caches tied to the old Recording.
  std::uint64_t generation() const { return generation_; }

 private:
  void install(const lessons::Lesson& lesson, trace::Recording recording);

  const lessons::Lesson* lesson_ = nullptr;
  lessons::Params params_;
  // The Player keeps a pointer to the Recording, so both live on the heap and move together.
  std::unique_ptr<trace::Recording> recording_;
  std::unique_ptr<trace::Player> player_;
  const trace::State* state_ = nullptr;  // owned by player_
  trace::State final_;
  std::int64_t step_ = -1;
  std::uint64_t generation_ = 0;
};

}  // namespace gb::viewer
