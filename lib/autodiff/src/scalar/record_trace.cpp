// record_trace.cpp: the evaluation trace as a table, a graph and a tape listing, step by step.
#include <algorithm>

#include "gb/autodiff/recordings.hpp"
#include "gb/core/error.hpp"

namespace gb::autodiff {

namespace {

std::string edge_id(const TraceRow& from, const TraceRow& to) { return from.name + "->" + to.name; }

std::string row_text(const TraceRow& row) {
  return row.name + " = " + row.definition + " = " + short_number(row.value);
}

void require_rows(const EvaluationTrace& t, const char* op) {
  if (t.rows.empty()) throw Error(op, "an evaluation trace with rows", "an empty trace");
}

}  // namespace

trace::Scene trace_graph_scene(const std::string& id, const std::string& title, const EvaluationTrace& t) {
  require_rows(t, "trace_graph_scene");
  trace::Scene scene = trace::graph_scene(id, title);
  for (const TraceRow& row : t.rows) {
    const bool leaf = row.inputs.empty();
    const std::string label = row.name + " = " + row.definition;
    scene.graph.nodes.push_back({row.name, label, leaf ? "" : row.op, "", "", "f64", trace::NodeState::pending, "", ""});
    for (std::size_t input : row.inputs) {
      const std::string eid = edge_id(t.rows[input], row);
      const bool seen = std::any_of(scene.graph.edges.begin(), scene.graph.edges.end(),
                                    [&](const trace::GraphEdge& e) { return e.id == eid; });
      if (!seen) scene.graph.edges.push_back({eid, t.rows[input].name, row.name, ""});  // x * x: one edge
    }
  }
  return scene;
}

trace::Scene tape_text_scene(const std::string& id, const std::string& title, const EvaluationTrace& t) {
  require_rows(t, "tape_text_scene");
  std::vector<std::string> lines;
  for (const TraceRow& row : t.rows) {
    std::string partials;
    for (std::size_t input : row.inputs) {
      for (const auto& [consumer, partial] : t.rows[input].uses) {
        if (&t.rows[consumer] == &row) partials += " d/d" + t.rows[input].name + " = " + short_number(partial) + ";";
      }
    }
    lines.push_back(row.name + " = " + row.definition + "    value " + short_number(row.value) +
                    (partials.empty() ? "" : "    saved:" + partials));
  }
  return trace::text_scene(id, title, "the tape", 1, lines, "text");
}

void record_primal_rows(trace::Recorder& rec, const EvaluationTrace& t, const std::string& table,
                        const std::string& graph, bool with_tangent) {
  require_rows(t, "record_primal_rows");
  std::vector<std::string> columns = {"node", "definition", "value"};
  if (with_tangent) columns.push_back("tangent (d/d" + t.variables.at(t.seed) + ")");
  rec.add_scene(trace::table_scene(table, with_tangent ? "Forward primal and tangent trace" : "Forward primal trace", columns));
  for (const TraceRow& row : t.rows) {
    std::vector<std::string> cells = {row.name, row.definition, short_number(row.value)};
    std::string caption = row_text(row);
    if (with_tangent) {
      cells.push_back(short_number(row.tangent));
      caption += ", tangent " + row.name + "' = " + short_number(row.tangent);
    }
    std::string badge = short_number(row.value) + (with_tangent ? " (' " + short_number(row.tangent) + ")" : "");
    auto step = rec.step(caption + ".", trace::Level::element);
    step.add_row(table, cells).node_state(graph, row.name, trace::NodeState::done).set_value(graph, row.name, badge)
        .highlight(graph, row.name);
    for (std::size_t input : row.inputs) step.highlight(graph, edge_id(t.rows[input], row));
  }
}

void record_adjoint_rows(trace::Recorder& rec, const EvaluationTrace& t, const std::string& table,
                         const std::string& graph, const std::string& tape) {
  require_rows(t, "record_adjoint_rows");
  rec.add_scene(trace::table_scene(table, "Reverse adjoint trace (bottom up)", {"node", "path products", "adjoint"}));
  for (std::size_t k = t.rows.size(); k-- > 0;) {
    const TraceRow& row = t.rows[k];
    std::string caption = k + 1 == t.rows.size() ? "Seed: " + row.name + "bar = 1, the derivative of the output by itself."
                                                 : row.adjoint_formula + ".";
    if (row.uses.size() > 1) caption = row.adjoint_formula + ": " + std::to_string(row.uses.size()) + " uses, so " +
                                       std::to_string(row.uses.size()) + " contributions summed with +=.";
    auto step = rec.step(caption, trace::Level::element);
    step.add_row(table, {row.name + "bar", row.adjoint_formula, short_number(row.adjoint)})
        .set_gradient(graph, row.name, short_number(row.adjoint))
        .highlight(graph, row.name);
    for (const auto& use : row.uses) step.highlight(graph, edge_id(row, t.rows[use.first]));
    if (!tape.empty()) step.set_cursor(tape, static_cast<std::int64_t>(k + 1));
  }
}

}  // namespace gb::autodiff
