// fuzz_recording_json.cpp: libFuzzer harness for the Recording JSON reader (gb::trace::from_json).
//
// Property: any byte string either is rejected with gb::Error, or reads into a Recording that
// validates-or-throws gb::Error and writes back to JSON that reads into an equal Recording.
// Anything else (a crash, a sanitizer report, another exception, a broken round trip) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gb/core/error.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/replay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gb::trace::Recording recording;
  try {
    recording = gb::trace::from_json(text);
  } catch (const gb::Error&) {
    return 0;  // rejected with a clear error: fine
  }
  try {
    gb::trace::validate(recording);
  } catch (const gb::Error&) {
    // structurally fine, semantically not: still must round-trip
  }
  std::string written;
  try {
    written = gb::trace::to_json(recording);
  } catch (const gb::Error&) {
    return 0;  // e.g. invalid UTF-8 in a caption: refused with a clear error
  }
  if (!(gb::trace::from_json(written) == recording)) std::abort();
  return 0;
}
