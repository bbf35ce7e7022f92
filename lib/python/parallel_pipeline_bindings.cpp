// parallel_pipeline_bindings.cpp: gb.parallel's pipeline half (lesson 14): the schedules' operation
// orders and their simulated execution, measured.
//
//   gb.parallel.pipeline_order("1f1b", stage=0, stages=4, microbatches=8)   # [("F", 0), ("F", 1), ...]
//   r = gb.parallel.pipeline_schedule("gpipe", stages=4, microbatches=16)
//   r["bubble"], r["makespan"], r["peak_in_flight"], r["events"]   # events: (stage, mb, "F"|"B", start, end)
// For kind="interleaved" every event and order entry carries the stage's model chunk last:
// (stage, mb, phase, start, end, chunk) and (phase, mb, chunk); chunk c of stage r is model chunk c p + r.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "gb/parallel/pipeline.hpp"

namespace gb::python {

namespace {

namespace pp = gb::parallel;

const char* phase_letter(pp::Phase phase) { return phase == pp::Phase::forward ? "F" : "B"; }

py::list order_list(const std::vector<pp::Operation>& order, bool with_chunk) {
  py::list out;
  for (const pp::Operation& op : order) {
    if (with_chunk) out.append(py::make_tuple(phase_letter(op.phase), op.microbatch, op.chunk));
    else out.append(py::make_tuple(phase_letter(op.phase), op.microbatch));
  }
  return out;
}

}  // namespace

void bind_parallel_pipeline(py::module_& parallel) {
  parallel.def(
      "pipeline_order",
      [](const std::string& kind, int stage, int stages, int microbatches, int chunks) {
        const pp::Schedule s = pp::schedule_from_name(kind);
        const auto orders = pp::schedule_orders(s, stages, microbatches, chunks);
        if (stage < 0 || stage >= stages) {
          throw Error("pipeline_order", "a stage in [0, " + std::to_string(stages) + ")", std::to_string(stage));
        }
        return order_list(orders[static_cast<std::size_t>(stage)], s == pp::Schedule::interleaved);
      },
      py::arg("kind"), py::arg("stage"), py::arg("stages"), py::arg("microbatches"), py::arg("chunks") = 1,
      "The operations stage `stage` runs, in order: (\"F\"|\"B\", micro-batch) tuples, (phase, micro-batch, chunk) "
      "for kind=\"interleaved\". kind: naive, gpipe, 1f1b or interleaved.");

  parallel.def(
      "pipeline_schedule",
      [](const std::string& kind, int stages, int microbatches, int chunks, double fwd_time, double bwd_time, bool recompute,
         double message_time) {
        pp::PipelineSpec spec;
        spec.schedule = pp::schedule_from_name(kind);
        spec.stages = stages;
        spec.microbatches = microbatches;
        spec.chunks = chunks;
        spec.forward_seconds = fwd_time;
        spec.backward_seconds = bwd_time;
        spec.recompute = recompute;
        spec.link = {message_time, 0};
        const pp::PipelineRun run = pp::run_pipeline(spec);
        const bool with_chunk = spec.schedule == pp::Schedule::interleaved;
        py::list events, messages;
        for (const pp::PipelineEvent& e : run.events) {
          if (with_chunk) events.append(py::make_tuple(e.stage, e.op.microbatch, phase_letter(e.op.phase), e.start, e.end, e.op.chunk));
          else events.append(py::make_tuple(e.stage, e.op.microbatch, phase_letter(e.op.phase), e.start, e.end));
        }
        for (const pp::MessageEvent& m : run.messages) {
          messages.append(py::make_tuple(m.from_stage, m.to_stage, m.op.microbatch, phase_letter(m.op.phase), m.start, m.end));
        }
        py::dict d;
        d["events"] = events;
        d["messages"] = messages;
        d["bubble"] = run.bubble;
        d["makespan"] = run.makespan;
        d["busy"] = run.busy;
        d["idle"] = run.idle;
        d["peak_in_flight"] = run.peak_in_flight;
        d["peak_activation_bytes"] = run.peak_activation_bytes;
        d["activation_bytes"] = spec.activation_bytes;
        d["boundary_bytes"] = spec.boundary_bytes;
        return d;
      },
      py::arg("kind"), py::arg("stages"), py::arg("microbatches"), py::arg("chunks") = 1, py::arg("fwd_time") = 1.0,
      py::arg("bwd_time") = 2.0, py::arg("recompute") = false, py::arg("message_time") = 0.0,
      "Runs a pipeline schedule on the simulator (one device per stage) and returns what it measured: events "
      "(stage, micro-batch, \"F\"|\"B\", start, end[, chunk for interleaved]), messages (from, to, micro-batch, "
      "phase, start, end), bubble (idle / (p x makespan)), makespan, busy and idle per stage, peak_in_flight "
      "and peak_activation_bytes per stage. message_time: seconds per message between stages.");
}

}  // namespace gb::python
