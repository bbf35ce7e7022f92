// pipeline_record.hpp: the Gantt chart of a pipeline run, as lesson 14 draws it. Everything drawn comes
// from the PipelineRun passed in (the simulated execution's task times and memory), nothing is made up.
#pragma once

#include <string>

#include "gb/parallel/pipeline.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::parallel {

// Adds a Timeline scene `scene_id` (unit "s", one lane "stage<r>" per stage) and steps through the run
// under the recorder's current section:
//   one step per instant at which operations start (Level::tile): their spans, named like "F3" / "B3"
//   ("F3.1": chunk 1) with category "forward" or "backward"; a flow from each message's sending span
//   to the span that waits for it; each stage's activation memory ("stage r activations (MiB)"
//   counters) up to that instant;
//   one closing step (Level::op): the idle gaps of every stage as spans "bubble" of category "idle",
//   and the measured bubble in the caption.
void record_pipeline_timeline(trace::Recorder& rec, const PipelineRun& run, const std::string& scene_id, const std::string& title);

// "F3" on stage 1 -> "s1.F3": the span id record_pipeline_timeline gives an operation.
std::string pipeline_span_id(int stage, const Operation& op, int chunks);

}  // namespace gb::parallel
