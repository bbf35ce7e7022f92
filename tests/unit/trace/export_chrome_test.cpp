// export_chrome_test.cpp: the Chrome/Perfetto trace, parsed back and checked field by field.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "gb/trace/export.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/replay.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

using Json = nlohmann::json;

std::vector<Json> events_with(const Json& trace, const std::string& ph) {
  std::vector<Json> found;
  for (const Json& e : trace.at("traceEvents"))
    if (e.at("ph") == ph) found.push_back(e);
  return found;
}

// (pid, tid) of each lane, read back from the thread_name metadata; pid of each process name.
struct Tracks {
  std::map<std::string, std::int64_t> pid_of_process;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> tid_of_thread;  // (pid, name) -> tid
};

Tracks tracks_of(const Json& trace) {
  Tracks t;
  for (const Json& e : events_with(trace, "M")) {
    const std::string name = e.at("name");
    if (name == "process_name") t.pid_of_process[e.at("args").at("name")] = e.at("pid");
    if (name == "thread_name") t.tid_of_thread[{e.at("pid"), e.at("args").at("name")}] = e.at("tid");
  }
  return t;
}

class ChromeTrace : public ::testing::Test {
 protected:
  Recording recording = testing::long_recording(120);
  State final_state = replay(recording, 119);
  Json trace = Json::parse(to_chrome_trace(recording));
  const TimelineScene& timeline() { return final_state.find("tl")->scene.timeline; }
};

TEST_F(ChromeTrace, TopLevelAndPhases) {
  ASSERT_TRUE(trace.is_object());
  ASSERT_TRUE(trace.at("traceEvents").is_array());
  const std::string unit = trace.at("displayTimeUnit");
  EXPECT_TRUE(unit == "ms" || unit == "ns");
  const std::set<std::string> phases = {"M", "X", "C", "s", "f", "i"};
  for (const Json& e : trace.at("traceEvents")) {
    ASSERT_TRUE(phases.count(e.at("ph").get<std::string>())) << e;
    EXPECT_TRUE(e.at("pid").is_number_integer()) << e;
    EXPECT_TRUE(e.at("name").is_string()) << e;
    if (e.at("ph") != "M") {
      EXPECT_TRUE(e.at("ts").is_number()) << e;
    }
  }
  EXPECT_EQ(trace.at("otherData").at("lesson"), "98-long");
}

TEST_F(ChromeTrace, EveryLaneHasAThreadName) {
  const Tracks tracks = tracks_of(trace);
  ASSERT_EQ(tracks.pid_of_process.count("timeline"), 1u);
  const std::int64_t pid = tracks.pid_of_process.at("timeline");
  for (const Lane& lane : timeline().lanes) EXPECT_EQ(tracks.tid_of_thread.count({pid, lane.id}), 1u) << lane.id;
  // Lanes are distinct threads.
  EXPECT_NE(tracks.tid_of_thread.at({pid, "l0"}), tracks.tid_of_thread.at({pid, "l1"}));
}

TEST_F(ChromeTrace, SpansAreCompleteEventsOnTheirLanes) {
  const Tracks tracks = tracks_of(trace);
  const std::int64_t pid = tracks.pid_of_process.at("timeline");
  const auto spans = events_with(trace, "X");
  ASSERT_EQ(spans.size(), timeline().spans.size());
  ASSERT_GT(spans.size(), 10u);  // the spans come from steps: the final state is exported
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const Span& span = timeline().spans[i];
    const Json& e = spans[i];
    EXPECT_EQ(e.at("name"), span.name);
    EXPECT_EQ(e.at("cat"), span.category);
    EXPECT_EQ(e.at("ts").get<double>(), span.start);
    EXPECT_EQ(e.at("dur").get<double>(), span.duration);
    EXPECT_EQ(e.at("pid"), pid);
    EXPECT_EQ(e.at("tid"), tracks.tid_of_thread.at({pid, span.lane}));
    EXPECT_EQ(e.at("args").at("id"), span.id);
  }
}

TEST_F(ChromeTrace, CountersCarryTheirValue) {
  const auto counters = events_with(trace, "C");
  ASSERT_EQ(counters.size(), timeline().counters.size());
  for (std::size_t i = 0; i < counters.size(); ++i) {
    const CounterPoint& p = timeline().counters[i];
    EXPECT_EQ(counters[i].at("name"), p.counter);
    EXPECT_EQ(counters[i].at("ts").get<double>(), p.time);
    EXPECT_EQ(counters[i].at("args").at(p.counter).get<double>(), p.value);
  }
}

TEST_F(ChromeTrace, FlowsAreMatchedPairsBoundToTheirSpans) {
  const Tracks tracks = tracks_of(trace);
  const std::int64_t pid = tracks.pid_of_process.at("timeline");
  const auto starts = events_with(trace, "s");
  const auto finishes = events_with(trace, "f");
  ASSERT_EQ(starts.size(), timeline().flows.size());
  ASSERT_EQ(finishes.size(), starts.size());
  ASSERT_GT(starts.size(), 0u);
  std::map<std::string, const Span*> span_of;
  for (const Span& s : timeline().spans) span_of[s.id] = &s;
  std::set<std::int64_t> ids;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const Flow& flow = timeline().flows[i];
    const Json& s = starts[i];
    const Json& f = finishes[i];
    EXPECT_EQ(s.at("id"), f.at("id"));
    EXPECT_TRUE(ids.insert(s.at("id").get<std::int64_t>()).second) << "flow ids are unique";
    EXPECT_EQ(s.at("cat"), f.at("cat"));
    EXPECT_EQ(f.at("bp"), "e");
    EXPECT_EQ(s.at("ts").get<double>(), span_of.at(flow.from_span)->start);
    EXPECT_EQ(f.at("ts").get<double>(), span_of.at(flow.to_span)->start);
    EXPECT_EQ(s.at("tid"), tracks.tid_of_thread.at({pid, span_of.at(flow.from_span)->lane}));
    EXPECT_EQ(f.at("tid"), tracks.tid_of_thread.at({pid, span_of.at(flow.to_span)->lane}));
  }
}

TEST_F(ChromeTrace, StepsAreGlobalInstantsOnTheirOwnProcess) {
  const Tracks tracks = tracks_of(trace);
  ASSERT_EQ(tracks.pid_of_process.count("steps"), 1u);
  const auto instants = events_with(trace, "i");
  ASSERT_EQ(instants.size(), recording.steps.size());
  for (std::size_t k = 0; k < instants.size(); ++k) {
    EXPECT_EQ(instants[k].at("ts").get<double>(), static_cast<double>(k));
    EXPECT_EQ(instants[k].at("s"), "g");
    EXPECT_EQ(instants[k].at("pid"), tracks.pid_of_process.at("steps"));
    EXPECT_EQ(instants[k].at("name"), recording.steps[k].caption);
    EXPECT_EQ(instants[k].at("cat"), level_name(recording.steps[k].level));
  }
}

TEST(ChromeTraceUnits, ConvertedToMicroseconds) {
  Recorder rec("x", "units");
  Scene ms = timeline_scene("ms", "in ms", {{"l", "lane"}});
  ms.timeline.unit = "ms";
  ms.timeline.spans = {{"a", "l", "a", "", 1.5, 2}};
  ms.timeline.counters = {{"c", 3, 7}};
  rec.add_scene(ms);
  Scene ns = timeline_scene("ns", "in ns", {{"l", "lane"}});
  ns.timeline.unit = "ns";
  ns.timeline.spans = {{"a", "l", "a", "", 1500, 500}};
  rec.add_scene(ns);
  const Json trace = Json::parse(to_chrome_trace(rec.recording()));
  const auto spans = events_with(trace, "X");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].at("ts").get<double>(), 1500);
  EXPECT_EQ(spans[0].at("dur").get<double>(), 2000);
  EXPECT_EQ(spans[1].at("ts").get<double>(), 1.5);
  EXPECT_EQ(spans[1].at("dur").get<double>(), 0.5);
  EXPECT_NE(spans[0].at("pid"), spans[1].at("pid"));  // one process per timeline scene
  EXPECT_EQ(events_with(trace, "C")[0].at("ts").get<double>(), 3000);
  EXPECT_TRUE(events_with(trace, "i").empty());
}

TEST(ChromeTraceErrors, SpanOnAMissingLaneOrDanglingFlow) {
  Recording r;
  Scene tl = timeline_scene("tl", "t", {{"l", ""}});
  tl.timeline.spans = {{"a", "nowhere", "a", "", 0, 1}};
  r.scenes.push_back(tl);
  EXPECT_TRUE(testing::throws_error_with([&] { to_chrome_trace(r); }, {"to_chrome_trace", "'nowhere'"}));
  r.scenes[0].timeline.spans[0].lane = "l";
  r.scenes[0].timeline.flows = {{"f", "a", "zz"}};
  EXPECT_TRUE(testing::throws_error_with([&] { to_chrome_trace(r); }, {"to_chrome_trace", "'zz'"}));
}

TEST(ChromeTraceDeterminism, SameRecordingSameBytes) {
  EXPECT_EQ(to_chrome_trace(testing::every_kind_recording()), to_chrome_trace(testing::every_kind_recording()));
  EXPECT_TRUE(Json::parse(to_chrome_trace(testing::every_kind_recording())).is_object());
}

}  // namespace
}  // namespace gb::trace
