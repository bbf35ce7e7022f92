// pipeline_record.cpp: the Gantt chart of a pipeline run (lesson 14; see pipeline_record.hpp).
#include "gb/parallel/pipeline_record.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "record_text.hpp"

namespace gb::parallel {

namespace {

using detail::num;

std::string lane(int stage) { return "stage" + std::to_string(stage); }

std::string counter(int stage) { return "stage " + std::to_string(stage) + " activations (MiB)"; }

}  // namespace

std::string pipeline_span_id(int stage, const Operation& op, int chunks) {
  return "s" + std::to_string(stage) + "." + operation_name(op, chunks);
}

void record_pipeline_timeline(trace::Recorder& rec, const PipelineRun& run, const std::string& scene_id, const std::string& title) {
  const int p = run.spec.stages, v = run.spec.chunks;
  if (static_cast<int>(run.busy.size()) != p || run.events.empty()) {
    throw Error("record_pipeline_timeline", "a PipelineRun from run_pipeline", "an empty or inconsistent run");
  }
  std::vector<trace::Lane> lanes;
  for (int s = 0; s < p; ++s) lanes.push_back({lane(s), "stage " + std::to_string(s) + " (device " + std::to_string(s) + ")"});
  rec.add_scene(trace::timeline_scene(scene_id, title, lanes));
  rec.recording().scenes.back().timeline.unit = "s";
  for (int s = 0; s < p; ++s) {  // every counter starts at 0
    rec.recording().scenes.back().timeline.counters.push_back({counter(s), 0, 0});
  }

  // The message that each operation waited for, if any: its sender's span.
  auto sender_of = [&](int stage, const Operation& op) -> std::string {
    for (const MessageEvent& m : run.messages) {
      if (m.to_stage != stage || m.op.phase != op.phase || m.op.microbatch != op.microbatch) continue;
      // The piece before (forward) or after (backward) this one sent it.
      const int piece = op.chunk * p + stage, from_piece = op.phase == Phase::forward ? piece - 1 : piece + 1;
      if (from_piece % p == m.from_stage && from_piece / p == m.op.chunk) return pipeline_span_id(m.from_stage, m.op, v);
    }
    return "";
  };

  std::size_t sample = 0;
  auto add_memory_until = [&](trace::StepBuilder& step, double time) {
    for (; sample < run.memory.size() && run.memory[sample].time <= time; ++sample) {
      const MemorySample& m = run.memory[sample];
      step.add_counter(scene_id, {counter(m.device), m.time, static_cast<double>(m.bytes) / (1 << 20)});
    }
  };

  for (std::size_t e = 0; e < run.events.size();) {
    const double t = run.events[e].start;
    std::string started;
    std::vector<const PipelineEvent*> now;
    for (; e < run.events.size() && run.events[e].start == t; ++e) {
      now.push_back(&run.events[e]);
      started += (started.empty() ? "" : ", ") + ("stage " + std::to_string(run.events[e].stage) + " " +
                                                   operation_name(run.events[e].op, v));
    }
    auto step = rec.step("At t = " + num(t) + " s: " + started + ".", trace::Level::tile);
    for (const PipelineEvent* ev : now) {
      const std::string id = pipeline_span_id(ev->stage, ev->op, v);
      step.add_span(scene_id, {id, lane(ev->stage), operation_name(ev->op, v), ev->op.phase == Phase::forward ? "forward" : "backward",
                               ev->start, ev->end - ev->start});
      const std::string from = sender_of(ev->stage, ev->op);
      if (!from.empty()) step.add_flow(scene_id, {from + "->" + id, from, id});
    }
    add_memory_until(step, t);
  }

  // The gaps: where each device waited.
  auto closing = rec.step("Every stage is idle " + num(run.bubble * 100) + "% of the makespan of " + num(run.makespan) +
                              " s on average: the measured bubble.",
                          trace::Level::op);
  for (int s = 0; s < p; ++s) {
    double free_from = 0;
    int gap = 0;
    auto add_gap = [&](double until) {
      if (until > free_from + 1e-12) {
        closing.add_span(scene_id, {"idle.s" + std::to_string(s) + "." + std::to_string(gap++), lane(s), "bubble", "idle", free_from,
                                    until - free_from});
      }
    };
    for (const PipelineEvent& ev : run.events) {
      if (ev.stage != s) continue;
      add_gap(ev.start);
      free_from = ev.end;
    }
    add_gap(run.makespan);
  }
  add_memory_until(closing, run.makespan);
}

}  // namespace gb::parallel
