// pass_manager.hpp: graph optimisation passes and the manager that runs them (lesson 17).
//
// A Pass turns a graph into a new graph (rewriter.hpp) and logs every rule that fired: the rule's
// name, the source nodes it consumed, the target nodes it made and a one-line explanation with the
// numbers ("W' = W * gamma / sqrt(var + eps): 16 output channels"). The PassManager runs a pipeline
// of passes and keeps, per pass, a snapshot of the graph before and after with the log: the viewer's
// before/after diff. With a Recorder attached (trace::active()) it records one graph scene per
// snapshot and a table scene "pass-log" with one row per rewrite, one step per rewrite.
//
// The stages follow lesson 17's catalogue (ONNX Runtime's levels):
//   basic     constant folding, dead-code elimination, CSE, identity/dropout/no-op removal, inverse pairs
//   fusion    Conv+BatchNormalization folding, Conv+Add (bias), Conv+Relu, MatMul+Add -> Gemm
//   layout    NC4HW4 regions with conversions only at their boundaries (layout_pass.hpp)
// Every pass keeps the graph's inputs (names and order) and its outputs (values equal within float
// rounding: folding BN into a convolution changes the order of the arithmetic, not the result).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::passes {

using graph::Graph;
using graph::NodeId;

// One rule firing.
struct Rewrite {
  std::string rule;                 // "constant_folding", "conv_bn_fold", "identity_removal", ...
  std::vector<NodeId> before;       // source-graph nodes the rule consumed (removed or replaced)
  std::vector<NodeId> after;        // target-graph nodes it created (empty when it only removed)
  std::string detail;               // one line with the numbers
};

struct Pass {
  std::string name;                 // "constant_folding"
  std::string stage;                // "basic", "fusion", "layout"
  std::string doc;                  // one line for `glassbox infer --passes` and the lesson
  // The pass: the new graph; appends one Rewrite per rule fired to `log`.
  std::function<Graph(const Graph&, std::vector<Rewrite>& log)> run;
};

// What one pass did.
struct PassRecord {
  std::string pass;
  Graph before, after;
  std::vector<Rewrite> rewrites;
};

struct PassManagerOptions {
  bool snapshots = true;            // keep before/after graphs in PassRecord (off: only the logs)
  int max_rounds = 4;               // run_to_fixed_point: rounds of the whole pipeline at most
};

class PassManager {
 public:
  explicit PassManager(PassManagerOptions options = {}) : options_(options) {}
  PassManager& add(Pass pass);
  const std::vector<Pass>& passes() const { return passes_; }

  // Runs every pass once, in order. Records (when a Recorder is attached): a graph scene per
  // snapshot ("pass-0-before", "pass-0-after", ...) and one step per rewrite on the "pass-log" table.
  Graph run(const Graph& graph);
  // Repeats the pipeline until a round fires no rule (or max_rounds).
  Graph run_to_fixed_point(const Graph& graph);

  const std::vector<PassRecord>& records() const { return records_; }
  // The log as text: one line per rewrite, "[pass] rule: detail (n3, n4 -> n7)".
  std::string log_text() const;

 private:
  PassManagerOptions options_;
  std::vector<Pass> passes_;
  std::vector<PassRecord> records_;
};

// Nodes that compute something: every node except placeholders and constants.
std::size_t op_count(const Graph& graph);

}  // namespace gb::passes
