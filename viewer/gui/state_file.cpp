// state_file.cpp: reading and writing the viewer state file (see state_file.hpp for the format).
#include "state_file.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include "gb/core/error.hpp"

namespace gb::viewer {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

std::string read_text_file(const std::string& path, const std::string& op) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(op, "a readable file", "'" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(op, "a readable file", "'" + path + "' (read failed)");
  return text.str();
}

ViewState parse_state(const std::string& text, const std::string& origin) {
  ViewState state;
  bool has_step = false, has_source = false;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    const std::string where = "state file " + origin + " line " + std::to_string(number);
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) throw Error(where, "KEY = VALUE", "'" + line + "'");
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (key == "lesson" || key == "recording") {
      if (value.empty()) throw Error(where, "a " + key + " after '" + key + " ='", "nothing");
      (key == "lesson" ? state.lesson : state.recording) = value;
      has_source = true;
    } else if (key.rfind("param.", 0) == 0 && key.size() > 6) {
      state.params[key.substr(6)] = value;
    } else if (key == "step") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), state.step);
      if (ec != std::errc() || end != value.data() + value.size() || state.step < 0) {
        throw Error(where, "step = a whole number >= 0", "'" + value + "'");
      }
      has_step = true;
    } else if (key == "level") {
      try {
        state.level = trace::level_from_name(value);
      } catch (const Error& e) {
        throw Error(where, "level = pass, op, tile or element", "'" + value + "'");
      }
    } else {
      throw Error(where, "one of the keys lesson, recording, param.NAME, step, level", "'" + key + "'");
    }
  }
  if (!has_source) throw Error("state file " + origin, "a line 'lesson = ID' or 'recording = FILE'", "neither");
  if (!state.lesson.empty() && !state.recording.empty()) {
    throw Error("state file " + origin, "either 'lesson' or 'recording'", "both");
  }
  if (!has_step) state.step = 0;
  return state;
}

std::string format_state(const ViewState& state) {
  std::string text = "# glassbox viewer state: open with `glassbox view --state FILE` (or Load state in the viewer)\n";
  if (!state.recording.empty()) text += "recording = " + state.recording + "\n";
  else text += "lesson = " + state.lesson + "\n";
  for (const auto& [name, value] : state.params) text += "param." + name + " = " + value + "\n";
  text += "# the state after this many steps (0 = before the first), as the viewer shows it\n";
  text += "step = " + std::to_string(state.step) + "\n";
  text += "level = " + std::string(trace::level_name(state.level)) + "\n";
  return text;
}

ViewState read_state_file(const std::string& path) {
  return parse_state(read_text_file(path, "reading a state file"), "'" + path + "'");
}

void write_state_file(const std::string& path, const ViewState& state) {
  std::ofstream out(path, std::ios::binary);
  out << format_state(state);
  out.close();
  if (!out) throw Error("writing a state file", "a writable path", "'" + path + "'");
}

}  // namespace gb::viewer
