// fuzz_onnx_optimize.cpp: libFuzzer harness for the optimisation passes (lib/passes, lesson 17) on whatever
// graph the ONNX importer accepts.
//
// Property: every model parse_onnx accepts goes through the default pipeline (run to a fixed point) and the
// memory planner without a crash: a pass either rewrites or leaves a node, and a malformed graph is at most
// a gb::Error. The optimised graph keeps the inputs and the number of outputs. A crash, a sanitizer report,
// a hang or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gb/convert/onnx_import.hpp"
#include "gb/passes/memory_plan.hpp"
#include "gb/passes/pass_manager.hpp"
#include "gb/passes/passes.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  gb::convert::OnnxModel model;
  try {
    model = gb::convert::parse_onnx(bytes);
  } catch (const gb::Error&) {
    return 0;  // not a model glassbox imports: the importer's harness covers that
  }
  try {
    gb::passes::PassManager manager({false, 4});
    for (gb::passes::Pass& p : gb::passes::default_pipeline()) manager.add(std::move(p));
    const gb::graph::Graph out = manager.run_to_fixed_point(model.graph);
    if (out.inputs().size() != model.graph.inputs().size() || out.outputs().size() != model.graph.outputs().size()) {
      std::abort();
    }
    gb::passes::plan_memory(out);  // dynamic dimensions are a gb::Error here
  } catch (const gb::Error&) {
  }
  return 0;
}
