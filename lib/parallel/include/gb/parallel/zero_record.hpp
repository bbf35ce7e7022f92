// zero_record.hpp: drawing a simulated ZeRO step (lesson 12): a Timeline with one lane per device,
// a span per task (forward, backward, optimizer, each message of the collectives) and each device's
// memory as a counter, read off the Execution.
#pragma once

#include <string>

#include "gb/parallel/zero.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::parallel {

// Adds the timeline scene `scene_id` and one step that draws the whole step (times in microseconds,
// memory in MiB). Returns the step's builder so the caller can add more changes.
trace::StepBuilder record_zero_step(trace::Recorder& rec, const std::string& scene_id, const std::string& title,
                                    const ZeroStep& step, const std::string& caption);

}  // namespace gb::parallel
