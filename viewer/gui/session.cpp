// session.cpp: loading and re-running a lesson, seeking with trace::Player, stepping by granularity level.
#include "session.hpp"

#include <utility>

#include "gb/core/error.hpp"

namespace gb::viewer {

void Session::load(const std::string& id) {
  const auto& catalogue = lessons::all();
  if (catalogue.empty()) throw Error("viewer", "at least one registered lesson", "an empty catalogue");
  const lessons::Lesson& lesson = id.empty() ? catalogue.front() : lessons::find(id);
  trace::Recording recording = lessons::run(lesson.id, {});
  install(lesson, std::move(recording));
  // The parameters panel starts from the values the Recording was made with (defaults filled in).
  params_.clear();
  for (const auto& p : lesson.parameters) params_[p.name] = p.default_value;
  for (const auto& [name, value] : recording_->parameters) {
    if (params_.count(name)) params_[name] = value;  // only names the lesson declares can be re-run
  }
}

void Session::rerun() {
  if (!lesson_) throw Error("viewer", "a loaded lesson to re-run", "none loaded");
  trace::Recording recording = lessons::run(lesson_->id, params_);
  install(*lesson_, std::move(recording));
}

void Session::install(const lessons::Lesson& lesson, trace::Recording recording) {
  auto owned = std::make_unique<trace::Recording>(std::move(recording));
  auto steps = static_cast<std::int64_t>(owned->steps.size());
  // Replaying every step once validates the Recording (throws on a bad change) and gives the final
  // state, whose extents keep axes and color scales still while the learner steps.
  trace::State final_state = trace::replay(*owned, steps - 1);
  auto player = std::make_unique<trace::Player>(*owned);
  const trace::State* state = &player->seek(-1);
  // Nothing above threw: commit.
  lesson_ = &lesson;
  recording_ = std::move(owned);
  player_ = std::move(player);
  state_ = state;
  final_ = std::move(final_state);
  step_ = -1;
  ++generation_;
}

void Session::seek(std::int64_t k) {
  if (!player_) throw Error("viewer", "a loaded lesson", "no lesson loaded");
  if (k < -1 || k >= steps()) {
    throw Error("seek", "a step in -1.." + std::to_string(steps() - 1), std::to_string(k));
  }
  state_ = &player_->seek(k);
  step_ = k;
}

std::int64_t Session::next_step(trace::Level finest) const {
  if (!recording_) return step_;
  for (std::int64_t k = step_ + 1; k < steps(); ++k) {
    if (recording_->steps[static_cast<std::size_t>(k)].level <= finest) return k;
  }
  return step_;
}

std::int64_t Session::previous_step(trace::Level finest) const {
  if (!recording_) return -1;
  for (std::int64_t k = step_ - 1; k >= 0; --k) {
    if (recording_->steps[static_cast<std::size_t>(k)].level <= finest) return k;
  }
  return -1;
}

const lessons::Lesson& Session::lesson() const {
  if (!lesson_) throw Error("viewer", "a loaded lesson", "none loaded");
  return *lesson_;
}

const trace::Recording& Session::recording() const {
  if (!recording_) throw Error("viewer", "a loaded lesson", "none loaded");
  return *recording_;
}

const trace::State& Session::state() const {
  if (!state_) throw Error("viewer", "a loaded lesson", "none loaded");
  return *state_;
}

const trace::State& Session::final_state() const { return final_; }

const trace::Step* Session::current_step() const {
  if (!recording_ || step_ < 0) return nullptr;
  return &recording_->steps[static_cast<std::size_t>(step_)];
}

std::int64_t Session::steps() const {
  return recording_ ? static_cast<std::int64_t>(recording_->steps.size()) : 0;
}

}  // namespace gb::viewer
