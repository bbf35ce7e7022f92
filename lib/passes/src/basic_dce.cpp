// basic_dce.cpp: dead-code elimination (lesson 17, basic stage).
//
// A node is live when some graph output depends on it: walk backwards from the outputs over the
// producers of every input (the same walk as the executor's "only the needed nodes run", lesson 07).
// Everything else is dead: the Conv a fusion rule replaced, the constants a folding made unread, a
// branch nobody fetches. The rebuild copies only the live nodes; placeholders always survive, even
// unread ones, because they are the graph's signature (a caller feeds them by name and position).
//
// The other basic passes leave dead nodes behind on purpose (each does one thing); this pass runs last
// in every pipeline. It logs one Rewrite listing every node it dropped.
#include <map>
#include <set>

#include "basic_internal.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace {

Graph eliminate_dead_code(const Graph& g, std::vector<Rewrite>& log) {
  std::set<NodeId> live;
  for (NodeId id : g.topological_order(true)) live.insert(id);
  Rewriter rw(g);
  Rewrite w{"dead_code_elimination", {}, {}, ""};
  std::map<std::string, int> dropped_ops;  // "Conv" -> 1, "constant" -> 2: the detail's census
  for (NodeId id : rw.order()) {
    const Node& n = g.node(id);
    if (live.count(id) != 0 || n.op == "placeholder") {
      rw.copy(id);
    } else {
      w.before.push_back(id);
      ++dropped_ops[n.op];
    }
  }
  if (!w.before.empty()) {
    std::string census;
    for (const auto& [op, count] : dropped_ops) census += (census.empty() ? "" : ", ") + std::to_string(count) + " " + op;
    w.detail = "removed " + std::to_string(w.before.size()) + " of " + std::to_string(g.size()) +
               " nodes that no output depends on (" + census + ")";
    log.push_back(std::move(w));
  }
  return rw.finish();
}

}  // namespace

Pass dead_code_elimination() {
  return Pass{"dead_code_elimination", "basic",
              "keeps only the nodes some graph output depends on (and every placeholder)", eliminate_dead_code};
}

}  // namespace gb::passes
