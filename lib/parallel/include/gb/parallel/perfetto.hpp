// perfetto.hpp: a simulated Execution as a Chrome / Perfetto trace (lesson 15): open the file in
// https://ui.perfetto.dev or chrome://tracing to scroll through a step as if it had been profiled.
//
// The Trace Event Format (Google's "Trace Event Format" document): a JSON object whose "traceEvents"
// list holds events with a phase "ph". Here: one process ("pid") per node, one thread ("tid") per
// device stream (2 d for device d's compute stream, 2 d + 1 for its communication stream), named by "M"
// metadata events; one "X" (complete) event per task, with "ts" and "dur" in microseconds; one "C"
// (counter) event per memory change, the device's bytes in use. Zero-length tasks (a collective's "done"
// markers, a free optimizer step) are kept, with dur 0, so the events are exactly the tasks.
#pragma once

#include <string>
#include <vector>

#include "gb/parallel/sim.hpp"

namespace gb::parallel {

struct PerfettoOptions {
  int devices_per_node = 8;             // which process (node) a device's threads belong to
  std::vector<std::string> categories;  // per task id: its "cat" (e.g. "TP"); empty: the task kind's name
};

// tasks: the simulator's tasks by id (their names; communication tasks go on the device's comm stream,
// every other kind on its compute stream). Throws gb::Error when tasks or categories do not match the
// Execution's tasks, or devices_per_node < 1.
std::string perfetto_json(const Execution& execution, const std::vector<Task>& tasks, const PerfettoOptions& options = {});

}  // namespace gb::parallel
