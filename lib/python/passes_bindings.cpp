// passes_bindings.cpp: glassbox._glassbox.passes, graph optimisation and memory planning (lesson 17).
//
//   r = gb.passes.optimize(graph)          # the default pipeline to a fixed point
//   r["graph"], r["log"], r["ops_before"], r["ops_after"]     # one log row per rule that fired
//   plan = gb.passes.plan_memory(graph)    # liveness, in place, greedy-by-size arena: a dict
//   gb.passes.run_with_plan(graph, plan, x=...)   # every value inside the planned arena
//
// Plans travel as dicts both ways: plan_memory writes one, run_with_plan reads one back, so a student can
// edit an offset and watch the outputs go wrong (run_with_plan checks the plan's bounds, not its liveness).
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/memory_plan.hpp"
#include "gb/passes/pass_manager.hpp"
#include "gb/passes/passes.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::python {

namespace {

namespace g = gb::graph;
namespace p = gb::passes;
using GraphHandle = std::shared_ptr<g::Graph>;

py::dict pass_dict(const p::Pass& pass) {
  py::dict d;
  d["name"] = pass.name;
  d["stage"] = pass.stage;
  d["doc"] = pass.doc;
  return d;
}

py::list pass_list(const std::vector<p::Pass>& passes) {
  py::list list;
  for (const p::Pass& pass : passes) list.append(pass_dict(pass));
  return list;
}

// The manager's records as a flat log (one row per rewrite) and one summary row per pass run.
void add_records(const p::PassManager& manager, py::dict& result) {
  py::list log, runs;
  for (const p::PassRecord& r : manager.records()) {
    py::dict run;
    run["pass"] = r.pass;
    run["rewrites"] = r.rewrites.size();
    run["ops_before"] = p::op_count(r.before);
    run["ops_after"] = p::op_count(r.after);
    runs.append(run);
    for (const p::Rewrite& w : r.rewrites) {
      py::dict row;
      row["pass"] = r.pass;
      row["rule"] = w.rule;
      row["detail"] = w.detail;
      row["before"] = w.before;
      row["after"] = w.after;
      log.append(row);
    }
  }
  result["log"] = log;
  result["runs"] = runs;
  result["log_text"] = manager.log_text();
}

py::dict optimize(const GraphHandle& graph, const std::optional<std::vector<std::string>>& names, bool fixed_point,
                  int max_rounds, bool record) {
  if (!graph) throw Error("gb.passes.optimize", "a Graph", "None");
  if (max_rounds < 1 || max_rounds > 64) throw Error("gb.passes.optimize", "max_rounds in 1..64", std::to_string(max_rounds));
  p::PassManagerOptions options;
  options.max_rounds = max_rounds;
  p::PassManager manager(options);
  if (names) {
    for (const std::string& name : *names) manager.add(p::pass_by_name(name));
  } else {
    for (p::Pass& pass : p::default_pipeline()) manager.add(std::move(pass));
  }
  trace::Recorder rec("17-graph-optimization", "gb.passes.optimize");
  g::Graph optimized;
  {
    std::optional<trace::ScopedRecorder> attach;
    if (record) attach.emplace(rec);
    optimized = fixed_point ? manager.run_to_fixed_point(*graph) : manager.run(*graph);
  }
  py::dict result;
  result["ops_before"] = p::op_count(*graph);
  result["ops_after"] = p::op_count(optimized);
  result["graph"] = std::make_shared<g::Graph>(std::move(optimized));
  add_records(manager, result);
  if (record) result["recording"] = trace::to_json(rec.take(), -1);
  return result;
}

bool has_dynamic_dims(const g::Graph& graph) {
  for (const g::Value& v : graph.values()) {
    for (std::int64_t d : v.info.shape) {
      if (d < 0) return true;
    }
  }
  return false;
}

// plan_memory from the static shapes, or with the sizes of one run (keep_values) when feeds are given:
// how a dimension that is dynamic (-1) gets a size.
p::MemoryPlan make_plan(const g::Graph& graph, bool in_place, bool share, const g::Feeds* feeds) {
  p::MemoryPlanOptions options;
  options.in_place = in_place;
  options.share = share;
  if (feeds == nullptr) return p::plan_memory(graph, options);
  g::RunOptions run_options;
  run_options.keep_values = true;
  const std::map<g::ValueId, Tensor> known = g::run_fifo(graph, *feeds, run_options).values;
  return p::plan_memory(graph, options, &known);
}

py::dict plan_dict(const g::Graph& graph, const p::MemoryPlan& plan) {
  py::dict d;
  d["naive_bytes"] = plan.naive_bytes;
  d["peak_live_bytes"] = plan.peak_live_bytes;
  d["arena_bytes"] = plan.arena_bytes;
  d["in_place_count"] = plan.in_place_count;
  py::list order;
  for (g::NodeId id : plan.order) {
    py::dict step;
    step["node"] = id;
    step["op"] = graph.node(id).op;
    step["name"] = graph.node(id).name;
    order.append(step);
  }
  d["order"] = order;
  py::list intervals;
  for (const p::LiveInterval& i : plan.intervals) {
    py::dict row;
    row["value"] = i.value;
    row["name"] = i.name;
    row["bytes"] = i.bytes;
    row["first"] = i.first;
    row["last"] = i.last;
    row["offset"] = i.offset;
    row["in_place_of"] = i.in_place_of;
    intervals.append(row);
  }
  d["intervals"] = intervals;
  d["text"] = plan.str();
  return d;
}

// The inverse of plan_dict (the totals, the order's node ids and the intervals; text is ignored). A dict
// that lacks a key or holds a value of the wrong type is a gb::Error; run_with_plan checks the rest.
p::MemoryPlan plan_from(const py::dict& d) {
  p::MemoryPlan plan;
  try {
    plan.naive_bytes = py::cast<std::int64_t>(d["naive_bytes"]);
    plan.peak_live_bytes = py::cast<std::int64_t>(d["peak_live_bytes"]);
    plan.arena_bytes = py::cast<std::int64_t>(d["arena_bytes"]);
    if (d.contains("in_place_count")) plan.in_place_count = py::cast<int>(d["in_place_count"]);
    for (py::handle step : py::cast<py::list>(d["order"])) plan.order.push_back(py::cast<g::NodeId>(step["node"]));
    for (py::handle row : py::cast<py::list>(d["intervals"])) {
      p::LiveInterval i;
      i.value = py::cast<g::ValueId>(row["value"]);
      i.name = py::cast<std::string>(row["name"]);
      i.bytes = py::cast<std::int64_t>(row["bytes"]);
      i.first = py::cast<int>(row["first"]);
      i.last = py::cast<int>(row["last"]);
      i.offset = py::cast<std::int64_t>(row["offset"]);
      i.in_place_of = py::cast<g::ValueId>(row["in_place_of"]);
      plan.intervals.push_back(i);
    }
  } catch (const py::error_already_set& e) {
    throw Error("gb.passes.run_with_plan", "a plan dict as plan_memory returns it", e.what());
  } catch (const py::cast_error& e) {
    throw Error("gb.passes.run_with_plan", "a plan dict as plan_memory returns it", e.what());
  }
  return plan;
}

}  // namespace

void bind_passes(py::module_& m) {
  m.def("all_passes", [] { return pass_list(p::all_passes()); }, "Every pass: [{name, stage, doc}]");
  m.def("default_pipeline", [] { return pass_list(p::default_pipeline()); }, "The passes of `glassbox infer --optimize`");
  m.def("op_count", [](const g::Graph& graph) { return p::op_count(graph); }, py::arg("graph"),
        "Nodes that compute something (not placeholders or constants)");
  m.def("optimize", &optimize, py::arg("graph"), py::arg("passes") = py::none(), py::arg("fixed_point") = true,
        py::arg("max_rounds") = 4, py::arg("record") = false,
        "Runs a pipeline (names, or None for the default one): {graph, ops_before, ops_after, log, runs, log_text, "
        "[recording: JSON text]}");
  m.def(
      "plan_memory",
      [](const g::Graph& graph, bool in_place, bool share, const py::object& feeds) {
        if (feeds.is_none()) return plan_dict(graph, make_plan(graph, in_place, share, nullptr));
        const g::Feeds fed = feeds_of(py::cast<py::dict>(feeds));
        return plan_dict(graph, make_plan(graph, in_place, share, &fed));
      },
      py::arg("graph"), py::arg("in_place") = true, py::arg("share") = true, py::arg("feeds") = py::none(),
      "Liveness, in place and greedy placement; feeds size the dynamic dimensions by running once");
  m.def(
      "run_with_plan",
      [](const g::Graph& graph, const py::dict& plan, const py::dict& feeds) {
        return arrays_of(p::run_with_plan(graph, plan_from(plan), feeds_of(feeds)));
      },
      py::arg("graph"), py::arg("plan"), py::arg("feeds"), "Runs the graph inside the arena of a plan dict");
  m.def(
      "run_planned",
      [](const g::Graph& graph, const py::dict& feeds, bool in_place, bool share) {
        const g::Feeds fed = feeds_of(feeds);
        const p::MemoryPlan plan = make_plan(graph, in_place, share, has_dynamic_dims(graph) ? &fed : nullptr);
        return arrays_of(p::run_with_plan(graph, plan, fed));
      },
      py::arg("graph"), py::arg("feeds"), py::arg("in_place") = true, py::arg("share") = true,
      "Plans the memory (sized by a first run when dimensions are dynamic) and runs inside the arena");
}

}  // namespace gb::python
