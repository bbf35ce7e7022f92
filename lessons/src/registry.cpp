// registry.cpp: the lesson catalogue, its lookup and the parameter checks around a scenario run.
#include "gb/lessons/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "gb/core/error.hpp"

namespace gb::lessons {

// Each lesson folder defines one of these (lessons/NN-slug/scenario.cpp); catalogue.cpp lists them.
std::vector<Lesson> catalogue();

const std::vector<Lesson>& all() {
  static const std::vector<Lesson> lessons = [] {
    std::vector<Lesson> list = catalogue();
    std::sort(list.begin(), list.end(), [](const Lesson& a, const Lesson& b) { return a.id < b.id; });
    return list;
  }();
  return lessons;
}

const Lesson& find(const std::string& id) {
  for (const Lesson& lesson : all()) {
    if (lesson.id == id) return lesson;
  }
  std::string known;
  for (const Lesson& lesson : all()) known += (known.empty() ? "" : ", ") + lesson.id;
  throw Error("lessons::find", "a lesson id (" + known + ")", "'" + id + "'");
}

trace::Recording run(const std::string& id, const Params& overrides) {
  const Lesson& lesson = find(id);
  Params params;
  for (const Parameter& p : lesson.parameters) params[p.name] = p.default_value;
  for (const auto& [name, value] : overrides) {
    if (!params.count(name)) {
      std::string known;
      for (const Parameter& p : lesson.parameters) known += (known.empty() ? "" : ", ") + p.name;
      throw Error("lessons::run " + id, "a parameter of this lesson (" + (known.empty() ? "none" : known) + ")",
                  "'" + name + "'");
    }
    params[name] = value;
  }
  trace::Recording recording = lesson.scenario(params);
  recording.lesson = lesson.id;
  recording.title = lesson.title;
  recording.parameters = params;
  return recording;
}

std::int64_t param_int(const Params& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) throw Error("lesson parameter", "a parameter named '" + name + "'", "none");
  const std::string& text = it->second;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error("lesson parameter " + name, "an integer", "'" + text + "'");
  }
  return value;
}

double param_double(const Params& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) throw Error("lesson parameter", "a parameter named '" + name + "'", "none");
  const std::string& text = it->second;
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) {
    throw Error("lesson parameter " + name, "a finite number", "'" + text + "'");
  }
  return value;
}

}  // namespace gb::lessons
