// json.hpp: Recording <-> JSON text. Writing is deterministic (same Recording, same bytes) and
// reading the written text gives back an equal Recording (round trip). Doubles are written with the
// shortest text that reads back to the same value. Bad JSON throws gb::Error naming the field.
#pragma once

#include <string>

#include "gb/trace/recording.hpp"

namespace gb::trace {

std::string to_json(const Recording& recording, int indent = 1);
Recording from_json(const std::string& text);

}  // namespace gb::trace
