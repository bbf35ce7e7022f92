// fuzz_onnx_import.cpp: libFuzzer harness for the ONNX importer (gb::convert, lesson 16).
//
// Property: any byte string is either rejected by parse_onnx with gb::Error (gb::convert::Unsupported
// is one: an op, dtype or opset glassbox does not run), or imports to a graph whose outputs are listed
// by name, one name per output. A crash, a sanitizer report, a hang or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gb/convert/onnx_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const gb::convert::OnnxModel model = gb::convert::parse_onnx(bytes);
    if (model.output_names.size() != model.graph.outputs().size()) std::abort();
    if (model.input_names.size() != model.graph.inputs().size()) std::abort();
  } catch (const gb::Error&) {
    // rejected with a clear error (or Unsupported): fine
  }
  return 0;
}
