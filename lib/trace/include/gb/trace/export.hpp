// export.hpp: writing a Recording for other tools.
//  - to_dot: every graph scene as a Graphviz digraph (clusters per scene and group), node ids kept
//    stable and quoted, final node states and values in the labels; accepted by `dot`.
//  - to_chrome_trace: the Chrome/Perfetto "Trace Event Format" JSON (chrome://tracing, ui.perfetto.dev):
//    one pid per timeline scene, one tid per lane (with thread_name metadata), complete events ("X")
//    for spans, counter events ("C"), flow events ("s"/"f") for flows, and the steps as instant
//    events ("i") on a "steps" track. Times in microseconds.
#pragma once

#include <string>

#include "gb/trace/recording.hpp"

namespace gb::trace {

std::string to_dot(const Recording& recording);
std::string to_chrome_trace(const Recording& recording);

}  // namespace gb::trace
