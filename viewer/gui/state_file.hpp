// state_file.hpp: the viewer's whole state (lesson or Recording file, parameters, step, level) as a small
// text file a teacher can hand out: `glassbox view --state F`, `glassbox shot --state F`, Save/Load in the window.
//
//   # glassbox viewer state
//   lesson = 00-tour
//   param.seed = 3
//   step = 12        (as on screen: the state after 12 steps; 0 = before the first)
//   level = op
//
// `recording = FILE.json` replaces `lesson` for a Recording file. Blank lines and # comments are ignored.
#pragma once

#include <cstdint>
#include <string>

#include "gb/lessons/registry.hpp"
#include "gb/trace/recording.hpp"

namespace gb::viewer {

struct ViewState {
  std::string lesson;     // a registered lesson id, or empty when `recording` is set
  std::string recording;  // a Recording JSON file instead of a lesson
  lessons::Params params;
  std::int64_t step = 0;  // on-screen step number: the state after `step` steps
  trace::Level level = trace::Level::element;
};

// Throws gb::Error naming `origin` and the line for anything it cannot read.
ViewState parse_state(const std::string& text, const std::string& origin);
std::string format_state(const ViewState& state);
ViewState read_state_file(const std::string& path);
void write_state_file(const std::string& path, const ViewState& state);

// The whole of a small file as text; throws gb::Error naming `op` when it cannot be read.
std::string read_text_file(const std::string& path, const std::string& op);

}  // namespace gb::viewer
