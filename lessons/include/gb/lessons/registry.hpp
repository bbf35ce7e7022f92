// registry.hpp: the lesson catalogue. A lesson is an id (shared LESSONS.md), a title, its part of the
// course, its parameters with defaults, the text of its lesson.md, and a scenario function that runs
// the real library code and returns the Recording (DESIGN.md section 4).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gb/trace/recording.hpp"

namespace gb::lessons {

using Params = std::map<std::string, std::string>;

struct Parameter {
  std::string name;
  std::string default_value;
  std::string help;  // one line, shown beside the control in the viewer and by `glassbox list`
};

struct Lesson {
  std::string id;     // "00-tour"
  std::string title;  // "A tour of glassbox"
  std::string part;   // "Part 0, getting started"
  std::vector<Parameter> parameters;
  std::string text;   // lesson.md, embedded at build time
  // Runs the scenario with complete parameters (defaults filled in) and returns its Recording.
  std::function<trace::Recording(const Params&)> scenario;
};

// Every lesson, in id order (the course order).
const std::vector<Lesson>& all();
// The lesson with this id; throws gb::Error naming the known ids when there is none.
const Lesson& find(const std::string& id);
// Fills defaults, rejects unknown parameter names (gb::Error), runs the scenario.
trace::Recording run(const std::string& id, const Params& overrides = {});

// Parameter helpers for scenarios: parse with a clear gb::Error naming the lesson and parameter.
std::int64_t param_int(const Params& params, const std::string& name);
double param_double(const Params& params, const std::string& name);

}  // namespace gb::lessons
