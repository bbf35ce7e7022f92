// narrate.hpp: a Recording told in the terminal: step number, level, caption, and what changed.
#pragma once

#include <iosfwd>
#include <string>

#include "gb/trace/recording.hpp"

namespace gb::cli {

// One line per change of a step, e.g. "c: cell 4 = 24" or "graph: node matmul = [1, 2] (done)".
std::string describe_change(const trace::Change& change);

// Prints every step whose level is at or above `finest` (pass is the coarsest).
void narrate(const trace::Recording& recording, trace::Level finest, std::ostream& out);

}  // namespace gb::cli
