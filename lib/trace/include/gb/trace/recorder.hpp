// recorder.hpp: building a Recording while the real library code runs.
//
// Recording is off unless a Recorder is attached: library code asks trace::active() and records
// only when it is non-null, so an unrecorded kernel pays one predictable branch per call site.
//   gb::trace::Recorder rec("00-tour", "A tour of glassbox");
//   gb::trace::ScopedRecorder attach(rec);         // trace::active() == &rec until scope ends
//   rec.add_scene(...); rec.step("Added a and b.", Level::op).highlight("g", "add");
#pragma once

#include <string>

#include "gb/trace/recording.hpp"

namespace gb::trace {

class Recorder;

// The fluent handle of the step being written: each call appends one Change.
class StepBuilder {
 public:
  StepBuilder(Recorder& recorder, std::size_t index) : recorder_(&recorder), index_(index) {}
  StepBuilder& highlight(const std::string& scene, const std::string& target);
  StepBuilder& node_state(const std::string& scene, const std::string& node, NodeState state);
  StepBuilder& set_value(const std::string& scene, const std::string& node, const std::string& value);
  StepBuilder& set_gradient(const std::string& scene, const std::string& node, const std::string& gradient);
  StepBuilder& add_node(const std::string& scene, const GraphNode& node);
  StepBuilder& add_edge(const std::string& scene, const GraphEdge& edge);
  StepBuilder& read_cells(const std::string& scene, const std::vector<std::int64_t>& cells);
  StepBuilder& write_cells(const std::string& scene, const std::vector<std::int64_t>& cells,
                           const std::vector<double>& values);
  StepBuilder& add_span(const std::string& scene, const Span& span);
  StepBuilder& add_counter(const std::string& scene, const CounterPoint& point);
  StepBuilder& add_flow(const std::string& scene, const Flow& flow);
  StepBuilder& add_point(const std::string& scene, const std::string& series, double x, double y);
  StepBuilder& set_series(const std::string& scene, const std::string& series, const std::vector<double>& xs,
                          const std::vector<double>& ys);
  StepBuilder& add_row(const std::string& scene, const std::vector<std::string>& row);
  StepBuilder& set_cursor(const std::string& scene, std::int64_t line);
  Step& get();

 private:
  StepBuilder& push(Change change);
  Recorder* recorder_;
  std::size_t index_;
};

class Recorder {
 public:
  Recorder(std::string lesson, std::string title);
  // Adds a scene; throws gb::Error if the id is taken. Returns the stored scene.
  Scene& add_scene(Scene scene);
  // Sets the lesson.md section that the next steps explain.
  void section(const std::string& heading) { section_ = heading; }
  // Starts a step. The source location defaults to the caller (file made relative to the repo root).
  // (__builtin_FILE/__builtin_LINE rather than std::source_location: clang 14, which builds the
  // fuzzers, cannot compile libstdc++ 12's std::source_location.)
  StepBuilder step(const std::string& caption, Level level = Level::op, const char* file = __builtin_FILE(),
                   int line = __builtin_LINE());
  void set_parameter(const std::string& name, const std::string& value);
  Recording& recording() { return recording_; }
  Recording take() { return std::move(recording_); }

 private:
  friend class StepBuilder;
  Recording recording_;
  std::string section_;
};

// The recorder library code reports to, or nullptr when nobody records.
Recorder* active();
// Attaches a recorder for the lifetime of this object (restores the previous one after). Per thread.
class ScopedRecorder {
 public:
  explicit ScopedRecorder(Recorder& recorder);
  ~ScopedRecorder();
  ScopedRecorder(const ScopedRecorder&) = delete;
  ScopedRecorder& operator=(const ScopedRecorder&) = delete;

 private:
  Recorder* previous_;
};

// Turns recording off for its lifetime (active() == nullptr), then restores the recorder: a lesson
// uses it around library calls whose own recording it does not want to show. Per thread.
class ScopedPause {
 public:
  ScopedPause();
  ~ScopedPause();
  ScopedPause(const ScopedPause&) = delete;
  ScopedPause& operator=(const ScopedPause&) = delete;

 private:
  Recorder* previous_;
};

// Scene constructors for the common cases.
Scene graph_scene(const std::string& id, const std::string& title);
Scene text_scene(const std::string& id, const std::string& title, const std::string& file,
                 std::int64_t first_line, const std::vector<std::string>& lines, const std::string& language = "cpp");
Scene timeline_scene(const std::string& id, const std::string& title, const std::vector<Lane>& lanes);
Scene plot_scene(const std::string& id, const std::string& title, const std::string& x_label,
                 const std::string& y_label);
Scene table_scene(const std::string& id, const std::string& title, const std::vector<std::string>& columns);

}  // namespace gb::trace
