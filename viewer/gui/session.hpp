// session.hpp: what is being viewed (a lesson run or a Recording file), a Stepper over it, the current step,
// stepping by level, and search by node name (no ImGui here).
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
#include "stepper.hpp"

namespace gb::viewer {

class Session {
 public:
  // Loads lesson `id` (empty = the first lesson of the catalogue), its defaults overridden by `params`.
  void load(const std::string& id, const lessons::Params& params = {});
  // Shows a Recording that did not come from running a lesson now (a file): validates it first.
  // `origin` says where it came from (the file name), shown in the window.
  void load_recording(trace::Recording recording, const std::string& origin);
  // Runs the current lesson again with params() as edited in the parameters panel.
  void rerun();
  // Moves to step k (-1 = before the first step); throws gb::Error outside -1..steps()-1.
  void seek(std::int64_t k);

  // Stepping at a granularity: the next/previous step whose level is `finest` or coarser
  // (pass < op < tile < element), so choosing "op" skips tile and element steps.
  // next_step returns step() when there is none after it; previous_step returns -1 when there is none.
  std::int64_t next_step(trace::Level finest) const;
  std::int64_t previous_step(trace::Level finest) const;
  // The first step after `from` (wrapping around to the start) that lights or changes a graph node
  // whose id, label or op contains `query` (case-insensitive); -2 when no step does.
  std::int64_t find_step(const std::string& query, std::int64_t from) const;

  bool loaded() const { return recording_ != nullptr; }
  // The lesson shown: the one run, or the registered lesson a Recording file names; nullptr for none.
  const lessons::Lesson* lesson() const { return lesson_; }
  bool from_file() const { return !origin_.empty(); }
  const std::string& origin() const { return origin_; }  // the file a Recording came from, or ""
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
  void install(const lessons::Lesson* lesson, trace::Recording recording, const std::string& origin);

  const lessons::Lesson* lesson_ = nullptr;
  lessons::Params params_;
  std::string origin_;
  // The Stepper keeps a pointer to the Recording, so both live on the heap and move together. It
  // steps back by undoing (stepper.hpp), so stepping back costs what stepping forward does.
  std::unique_ptr<trace::Recording> recording_;
  std::unique_ptr<Stepper> stepper_;
  const trace::State* state_ = nullptr;  // owned by stepper_
  trace::State final_;
  std::int64_t step_ = -1;
  std::uint64_t generation_ = 0;
};

}  // namespace gb::viewer
