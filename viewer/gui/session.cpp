// session.cpp: loading and re-running a lesson, opening a Recording, seeking (with the Stepper), stepping by
// level, and search.
#include "session.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "gb/core/error.hpp"

namespace gb::viewer {
namespace {


std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void Session::load(const std::string& id, const lessons::Params& params) {
  const auto& catalogue = lessons::all();
  if (catalogue.empty()) throw Error("viewer", "at least one registered lesson", "an empty catalogue");
  const lessons::Lesson& lesson = id.empty() ? catalogue.front() : lessons::find(id);
  trace::Recording recording = lessons::run(lesson.id, params);
  install(&lesson, std::move(recording), "");
}

void Session::load_recording(trace::Recording recording, const std::string& origin) {
  trace::validate(recording);  // a file may hold changes that do not fit its scenes
  const lessons::Lesson* lesson = nullptr;
  for (const lessons::Lesson& l : lessons::all()) {
    if (l.id == recording.lesson) lesson = &l;  // its text can be shown beside it
  }
  install(lesson, std::move(recording), origin.empty() ? "(a recording)" : origin);
}

void Session::rerun() {
  if (!lesson_) throw Error("viewer", "a loaded lesson to re-run", "none loaded");
  trace::Recording recording = lessons::run(lesson_->id, params_);
  install(lesson_, std::move(recording), "");
}

void Session::install(const lessons::Lesson* lesson, trace::Recording recording, const std::string& origin) {
  auto owned = std::make_unique<trace::Recording>(std::move(recording));
  auto steps = static_cast<std::int64_t>(owned->steps.size());
  // Replaying every step once validates the Recording (throws on a bad change) and gives the final
  // state, whose extents keep axes and color scales still while the learner steps.
  trace::State final_state = trace::replay(*owned, steps - 1);
  auto stepper = std::make_unique<Stepper>(*owned);
  const trace::State* state = &stepper->state();
  // Nothing above threw: commit.
  lesson_ = lesson;
  origin_ = origin;
  // The parameters panel starts from the values the Recording was made with (defaults filled in).
  params_.clear();
  if (lesson) {
    for (const auto& p : lesson->parameters) params_[p.name] = p.default_value;
    for (const auto& [name, value] : owned->parameters) {
      if (params_.count(name)) params_[name] = value;  // only names the lesson declares can be re-run
    }
  }
  recording_ = std::move(owned);
  stepper_ = std::move(stepper);
  state_ = state;
  final_ = std::move(final_state);
  step_ = -1;
  ++generation_;
}

void Session::seek(std::int64_t k) {
  if (!stepper_) throw Error("viewer", "a loaded lesson", "no lesson loaded");
  if (k < -1 || k >= steps()) {
    throw Error("seek", "a step in -1.." + std::to_string(steps() - 1), std::to_string(k));
  }
  state_ = &stepper_->seek(k);
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

std::int64_t Session::find_step(const std::string& query, std::int64_t from) const {
  if (!recording_ || query.empty() || steps() == 0) return -2;
  const std::string q = lower(query);
  // Every node of every graph scene, by (scene, id), with its final label and op.
  std::map<std::pair<std::string, std::string>, bool> matches;
  for (const auto& scene : final_.scenes) {
    if (scene.scene.kind != trace::SceneKind::graph) continue;
    for (const auto& n : scene.scene.graph.nodes) {
      bool hit = lower(n.id).find(q) != std::string::npos || lower(n.label).find(q) != std::string::npos ||
                 lower(n.op).find(q) != std::string::npos;
      matches[{scene.scene.id, n.id}] = hit;
    }
  }
  auto step_matches = [&](const trace::Step& step) {
    for (const auto& c : step.changes) {
      switch (c.kind) {
        case trace::ChangeKind::highlight:
        case trace::ChangeKind::node_state:
        case trace::ChangeKind::set_value:
        case trace::ChangeKind::set_gradient: {
          auto it = matches.find({c.scene, c.target});
          if (it != matches.end() && it->second) return true;
          break;
        }
        case trace::ChangeKind::add_node: {
          auto it = matches.find({c.scene, c.node.id});
          if (it != matches.end() && it->second) return true;
          break;
        }
        default: break;
      }
    }
    return false;
  };
  const std::int64_t n = steps();
  for (std::int64_t i = 1; i <= n; ++i) {
    // from + i, wrapping over 0..n-1 (from may be -1).
    std::int64_t k = ((from + i) % n + n) % n;
    if (step_matches(recording_->steps[static_cast<std::size_t>(k)])) return k;
  }
  return -2;
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
