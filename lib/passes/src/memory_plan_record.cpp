// memory_plan_record.cpp: the "memory" timeline that run_with_plan records (lesson 17).
//
// Time is the execution step (unit "step"), not the clock, so a recording is the same on every machine.
// One lane per arena offset in use ("@ 8192"): the spans on a lane are the values that lived at that
// offset one after the other, which is the picture of buffer sharing; an in-place chain is a row of
// spans that touch. Each span is one value over its live steps [first, last], labelled with its name,
// size and offset. The counter "live bytes" gives the bytes live at each step; its maximum is the plan's
// peak, the lower bound that no placement can beat. One recorded step per execution step.
#include <set>

#include "memory_plan_internal.hpp"

namespace gb::passes::detail {

namespace {

std::string fresh_scene_id(trace::Recorder& rec, const std::string& id) {
  if (rec.recording().find_scene(id) == nullptr) return id;
  for (int k = 2;; ++k) {
    const std::string candidate = id + "_" + std::to_string(k);
    if (rec.recording().find_scene(candidate) == nullptr) return candidate;
  }
}

std::string bytes_text(std::int64_t bytes) { return std::to_string(bytes) + " B"; }

}  // namespace

MemoryTrace::MemoryTrace(trace::Recorder& rec, const Graph& graph, const MemoryPlan& plan)
    : rec_(rec), graph_(graph), plan_(plan) {
  std::set<std::int64_t> offsets;
  for (const LiveInterval& interval : plan.intervals) offsets.insert(interval.offset);
  std::vector<trace::Lane> lanes;
  for (std::int64_t offset : offsets) lanes.push_back({lane_of(offset), "@ " + std::to_string(offset)});
  scene_ = fresh_scene_id(rec, "memory");
  trace::Scene scene = trace::timeline_scene(
      scene_,
      "Memory plan: arena " + bytes_text(plan.arena_bytes) + " for " + bytes_text(plan.naive_bytes) + " of values (peak live " +
          bytes_text(plan.peak_live_bytes) + ", " + std::to_string(plan.in_place_count) + " in place)",
      lanes);
  scene.timeline.unit = "step";
  rec.add_scene(std::move(scene));
}

std::string MemoryTrace::lane_of(std::int64_t offset) const { return "offset" + std::to_string(offset); }

void MemoryTrace::ran(int step) {
  const graph::Node& node = graph_.node(plan_.order[static_cast<std::size_t>(step)]);
  std::set<ValueId> overwritten;  // inputs whose bytes a value written at this step takes over
  for (const LiveInterval& interval : plan_.intervals) {
    if (interval.first == step && interval.in_place_of != -1) overwritten.insert(interval.in_place_of);
  }
  std::string wrote, freed;
  std::vector<trace::Span> spans;
  for (const LiveInterval& interval : plan_.intervals) {
    if (interval.first == step) {
      wrote += (wrote.empty() ? "" : ", ") + value_label(interval.value) + " " + interval.name + " (" +
               bytes_text(interval.bytes) + " @ " + std::to_string(interval.offset) +
               (interval.in_place_of != -1 ? ", in place over " + value_label(interval.in_place_of) : "") + ")";
      trace::Span span;
      span.id = scene_ + ":" + value_label(interval.value);
      span.lane = lane_of(interval.offset);
      span.name = value_label(interval.value) + " " + interval.name + " " + bytes_text(interval.bytes) + " @ " +
                  std::to_string(interval.offset);
      span.category = interval.in_place_of != -1 ? "in place" : "buffer";
      span.start = interval.first;
      span.duration = interval.last - interval.first + 1;
      spans.push_back(span);
    }
    const bool last_step = step + 1 == static_cast<int>(plan_.order.size());
    if (interval.last == step && !last_step && overwritten.count(interval.value) == 0) {
      freed += (freed.empty() ? "" : ", ") + value_label(interval.value);
    }
  }
  const std::int64_t live = live_bytes_at(plan_, step);
  trace::StepBuilder builder = rec_.step(
      "Step " + std::to_string(step) + ": n" + std::to_string(node.id) + " (" + node.name + ") writes " +
          (wrote.empty() ? "nothing" : wrote) + (freed.empty() ? "" : "; last read of " + freed + ", its bytes free up") +
          ". Live: " + bytes_text(live) + " of the " + bytes_text(plan_.arena_bytes) + " arena.",
      trace::Level::op);
  for (const trace::Span& span : spans) builder.add_span(scene_, span);
  builder.add_counter(scene_, {"live bytes", static_cast<double>(step), static_cast<double>(live)});
}

}  // namespace gb::passes::detail
