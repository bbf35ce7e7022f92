// pass_manager.cpp: running a pipeline of passes with before/after snapshots and a log (pass_manager.hpp).
#include "gb/passes/pass_manager.hpp"

#include <sstream>

#include "gb/core/error.hpp"
#include "gb/graph/scene.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::passes {

namespace {

std::string node_list(const std::vector<NodeId>& ids) {
  std::string s;
  for (NodeId id : ids) s += (s.empty() ? "n" : ", n") + std::to_string(id);
  return s;
}

bool has_scene(trace::Recorder& rec, const std::string& id) {
  for (const trace::Scene& s : rec.recording().scenes) {
    if (s.id == id) return true;
  }
  return false;
}

// The record of one pass for the viewer: a before and an after graph scene, a row and a step per rewrite.
// Passes are numbered across the whole recording (a lesson may run several managers): pass-0, pass-1, ...
void record_pass(trace::Recorder& rec, const PassRecord& r) {
  if (!has_scene(rec, "pass-log")) {
    rec.add_scene(trace::table_scene("pass-log", "Pass log", {"pass", "rule", "consumed", "created", "detail"}));
  }
  std::size_t index = 0;
  while (has_scene(rec, "pass-" + std::to_string(index) + "-before")) ++index;
  const std::string prefix = "pass-" + std::to_string(index);
  rec.add_scene(graph::to_scene(r.before, prefix + "-before", r.pass + ": before"));
  rec.add_scene(graph::to_scene(r.after, prefix + "-after", r.pass + ": after"));
  rec.step("Pass " + std::to_string(index) + ", " + r.pass + ": " + std::to_string(r.rewrites.size()) +
               (r.rewrites.size() == 1 ? " rewrite; " : " rewrites; ") + std::to_string(op_count(r.before)) +
               " ops before, " + std::to_string(op_count(r.after)) + " after.",
           trace::Level::pass);
  for (const Rewrite& w : r.rewrites) {
    std::string caption = r.pass + " / " + w.rule + ": " + w.detail;
    if (caption.back() != '.') caption += '.';  // a caption is one sentence
    auto step = rec.step(caption, trace::Level::op);
    step.add_row("pass-log", {r.pass, w.rule, node_list(w.before), node_list(w.after), w.detail});
    for (NodeId id : w.before) step.highlight(prefix + "-before", "n" + std::to_string(id));
    for (NodeId id : w.after) step.highlight(prefix + "-after", "n" + std::to_string(id));
  }
}

}  // namespace

std::size_t op_count(const Graph& graph) {
  std::size_t n = 0;
  for (const graph::Node& node : graph.nodes()) {
    if (node.op != "placeholder" && node.op != "constant") ++n;
  }
  return n;
}

PassManager& PassManager::add(Pass pass) {
  if (!pass.run) throw Error("PassManager::add", "a pass with a run function", "'" + pass.name + "' without one");
  passes_.push_back(std::move(pass));
  return *this;
}

Graph PassManager::run(const Graph& graph) {
  trace::Recorder* rec = trace::active();
  Graph current = graph;
  for (const Pass& pass : passes_) {
    PassRecord r;
    r.pass = pass.name;
    Graph next;
    {
      trace::ScopedPause quiet;  // constant folding runs kernels: their own recordings are not the lesson
      next = pass.run(current, r.rewrites);
    }
    if (options_.snapshots || rec != nullptr) {
      r.before = current;
      r.after = next;
    }
    if (rec != nullptr) record_pass(*rec, r);
    if (!options_.snapshots) r.before = r.after = Graph();
    records_.push_back(std::move(r));
    current = std::move(next);
  }
  return current;
}

Graph PassManager::run_to_fixed_point(const Graph& graph) {
  Graph current = graph;
  for (int round = 0; round < options_.max_rounds; ++round) {
    std::size_t first = records_.size();
    current = run(current);
    bool fired = false;
    for (std::size_t k = first; k < records_.size(); ++k) fired = fired || !records_[k].rewrites.empty();
    if (!fired) break;
  }
  return current;
}

std::string PassManager::log_text() const {
  std::ostringstream out;
  for (const PassRecord& r : records_) {
    for (const Rewrite& w : r.rewrites) {
      out << "[" << r.pass << "] " << w.rule << ": " << w.detail << " (";
      if (w.after.empty()) out << "removed " << node_list(w.before) << ")\n";
      else out << node_list(w.before) << " -> " << node_list(w.after) << ")\n";
    }
  }
  return out.str();
}

}  // namespace gb::passes
