// fuzz_glassbox_format.cpp: libFuzzer harness for glassbox's FlatBuffers format (gb::convert, lesson 16).
//
// Property: any byte string is either rejected by load_glassbox with gb::Error, or loads to a graph whose
// saved bytes load again and save to the same bytes (the format's fixed point). flatbuffer_layout
// accepts exactly the buffers the verifier accepts and lists regions inside the buffer. A crash, a
// sanitizer report, a hang or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gb/convert/glassbox_format.hpp"
#include "gb/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    for (const gb::convert::FlatBufferRegion& r : gb::convert::flatbuffer_layout(bytes)) {
      if (r.offset < 0 || r.size < 0 || static_cast<std::size_t>(r.offset + r.size) > size) std::abort();
    }
  } catch (const gb::Error&) {
  }
  gb::graph::Graph graph;
  try {
    graph = gb::convert::load_glassbox(bytes);
  } catch (const gb::Error&) {
    return 0;  // rejected with a clear error: fine
  }
  const std::string saved = gb::convert::save_glassbox(graph);
  if (gb::convert::save_glassbox(gb::convert::load_glassbox(saved)) != saved) std::abort();
  return 0;
}
