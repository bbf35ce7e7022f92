// export_chrome.cpp: the timeline scenes of a Recording as a Chrome/Perfetto trace
// (the "Trace Event Format", open it in chrome://tracing or ui.perfetto.dev).
//
// Mapping (what is drawn is the final state, the replay of every step, so spans that steps added
// are included):
//   timeline scene i (in recording order)  -> pid i + 1, with "process_name" metadata = its title
//   lane j of that scene                   -> tid j + 1, with "thread_name" and "thread_sort_index"
//   span                                   -> "X" complete event (ts = start, dur = duration)
//   counter point                          -> "C" counter event, args {counter: value}
//   flow n (numbered across all scenes)    -> "s" at the start of its from-span, "f" with "bp":"e" at
//                                             the start of its to-span, both with id n + 1
//   step k                                 -> "i" instant event, global scope ("s":"g"), on its own
//                                             process "steps" (pid = timelines + 1) at ts = k
// Steps carry no time of their own, so ts = k only keeps them in order; they are not aligned with
// the spans. Trace Event times are microseconds: a timeline in "ns", "ms" or "s" is converted, any
// other unit is taken as microseconds. Non-finite counter values are written as null.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "gb/core/error.hpp"
#include "gb/trace/export.hpp"
#include "gb/trace/replay.hpp"

namespace gb::trace {
namespace {

using Json = nlohmann::ordered_json;

double microseconds_per(const std::string& unit) {
  if (unit == "ns") return 1e-3;
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1e6;
  return 1;
}

Json metadata(const char* name, std::int64_t pid, std::int64_t tid, const char* arg, const Json& value) {
  return {{"name", name}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{arg, value}}}};
}

// Appends the events of one timeline scene; `flow_id` numbers flows across scenes.
void write_timeline(Json& events, const Scene& scene, std::int64_t pid, std::int64_t& flow_id) {
  const TimelineScene& t = scene.timeline;
  const double scale = microseconds_per(t.unit);
  events.push_back(metadata("process_name", pid, 0, "name", scene.title.empty() ? scene.id : scene.title));
  events.push_back(metadata("process_sort_index", pid, 0, "sort_index", pid));

  std::map<std::string, std::int64_t> tid_of;  // lane id -> tid
  for (std::size_t j = 0; j < t.lanes.size(); ++j) {
    const Lane& lane = t.lanes[j];
    const auto tid = static_cast<std::int64_t>(j) + 1;
    tid_of.emplace(lane.id, tid);
    events.push_back(metadata("thread_name", pid, tid, "name", lane.label.empty() ? lane.id : lane.label));
    events.push_back(metadata("thread_sort_index", pid, tid, "sort_index", tid));
  }

  std::map<std::string, const Span*> span_of;  // span id -> span, for the flows
  for (const Span& span : t.spans) {
    const auto lane = tid_of.find(span.lane);
    if (lane == tid_of.end())
      throw Error("to_chrome_trace", "spans on lanes of timeline scene '" + scene.id + "'",
                  "span '" + span.id + "' on lane '" + span.lane + "'");
    span_of.emplace(span.id, &span);
    events.push_back({{"name", span.name},
                      {"cat", span.category},
                      {"ph", "X"},
                      {"ts", span.start * scale},
                      {"dur", span.duration * scale},
                      {"pid", pid},
                      {"tid", lane->second},
                      {"args", {{"id", span.id}, {"lane", span.lane}}}});
  }

  for (const CounterPoint& point : t.counters)
    events.push_back({{"name", point.counter},
                      {"ph", "C"},
                      {"ts", point.time * scale},
                      {"pid", pid},
                      {"args", {{point.counter, point.value}}}});

  for (const Flow& flow : t.flows) {
    const auto from = span_of.find(flow.from_span);
    const auto to = span_of.find(flow.to_span);
    if (from == span_of.end() || to == span_of.end())
      throw Error("to_chrome_trace", "flows between spans of timeline scene '" + scene.id + "'",
                  "flow '" + flow.id + "' from '" + flow.from_span + "' to '" + flow.to_span + "'");
    const std::int64_t id = ++flow_id;
    const std::string name = flow.id.empty() ? "flow" : flow.id;
    events.push_back({{"name", name},
                      {"cat", "flow"},
                      {"ph", "s"},
                      {"id", id},
                      {"ts", from->second->start * scale},
                      {"pid", pid},
                      {"tid", tid_of.at(from->second->lane)}});
    events.push_back({{"name", name},
                      {"cat", "flow"},
                      {"ph", "f"},
                      {"bp", "e"},
                      {"id", id},
                      {"ts", to->second->start * scale},
                      {"pid", pid},
                      {"tid", tid_of.at(to->second->lane)}});
  }
}

void write_steps(Json& events, const Recording& recording, std::int64_t pid) {
  events.push_back(metadata("process_name", pid, 0, "name", "steps"));
  events.push_back(metadata("process_sort_index", pid, 0, "sort_index", pid));
  events.push_back(metadata("thread_name", pid, 1, "name", "steps"));
  for (std::size_t k = 0; k < recording.steps.size(); ++k) {
    const Step& step = recording.steps[k];
    Json args = {{"step", k}, {"level", level_name(step.level)}};
    if (!step.section.empty()) args["section"] = step.section;
    if (step.source) args["source"] = step.source->file + ":" + std::to_string(step.source->line);
    events.push_back({{"name", step.caption},
                      {"cat", level_name(step.level)},
                      {"ph", "i"},
                      {"s", "g"},
                      {"ts", k},
                      {"pid", pid},
                      {"tid", 1},
                      {"args", args}});
  }
}

}  // namespace

std::string to_chrome_trace(const Recording& recording) {
  const State final_state = replay(recording, static_cast<std::int64_t>(recording.steps.size()) - 1);
  Json events = Json::array();
  std::int64_t pid = 0, flow_id = 0;
  for (const SceneState& s : final_state.scenes)
    if (s.scene.kind == SceneKind::timeline) write_timeline(events, s.scene, ++pid, flow_id);
  if (!recording.steps.empty()) write_steps(events, recording, ++pid);

  // One event per line: readable, diffable, and still small.
  const auto dump = [](const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  std::string out = "{\"traceEvents\": [\n";
  for (std::size_t i = 0; i < events.size(); ++i) out += (i == 0 ? "" : ",\n") + dump(events[i]);
  out += "\n],\n\"displayTimeUnit\": \"ms\",\n";
  out += "\"otherData\": " + dump(Json{{"lesson", recording.lesson}, {"title", recording.title}}) + "}\n";
  return out;
}

}  // namespace gb::trace
