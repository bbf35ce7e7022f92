// fuzz_script.cpp: libFuzzer harness for the script frontend (gb::control::parse_script, lesson 09).
//
// Property: any byte string either is rejected with gb::Error (a syntax or lowering error with its
// line:column) or becomes a Graph with one output. A crash, a sanitizer report, a hang, a stack
// overflow or another exception is a bug. The tokenizer, parser and lowering all run; the graph is
// not executed (a fuzzed while loop may legitimately run up to its iteration limit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gb/control/script.hpp"
#include "gb/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  gb::control::Script script;
  try {
    script = gb::control::parse_script(text);
  } catch (const gb::Error&) {
    return 0;  // rejected with a clear error: fine
  }
  if (script.graph.outputs().size() != 1 || script.graph.inputs().size() != script.inputs.size()) std::abort();
  return 0;
}
