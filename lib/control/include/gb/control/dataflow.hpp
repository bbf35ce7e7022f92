// dataflow.hpp: TensorFlow 1's dataflow control flow (lesson 08; Yu et al., "Dynamic Control Flow in
// Large-Scale Machine Learning", EuroSys 2018). If and While are lowered to five primitives, and a
// dataflow executor moves tagged tokens through them:
//   Switch(data, pred)   -> (out_false, out_true): forwards data to one side, a dead token to the other
//   Merge(a, b, ...)     -> (out, value_index): forwards the first live input (dead only if all are dead)
//   Enter(data)          enters the frame named by attr "frame" (iteration 0); loop invariants too
//   Exit(data)           leaves the frame: the value goes back to the parent frame
//   NextIteration(data)  moves a token to the next iteration of its frame
// A token carries (frame, iteration): a node fires when all its inputs hold tokens with the same tag.
// Dead tokens propagate through ordinary ops (an op with a dead input outputs dead), so the untaken
// branch of an If does no work.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gb/graph/executor.hpp"
#include "gb/graph/graph.hpp"

namespace gb::control {

// The graph IR is a DAG, so the back edge of a loop (NextIteration -> Merge) is not an input edge:
// NextIteration holds attr "merge" (the Merge's node id) and the executor delivers its token to that
// Merge's second input slot. Ops of the lowered graph (all registered by register_ops()):
//   Switch         inputs [data, pred]; outputs (out_false, out_true)
//   Merge          inputs [a, b, ...] (a loop Merge: [from Enter], attr "frame"); outputs (out, value_index i64)
//   Enter          attrs "frame", "is_constant" (0/1), "loop" (the While's name)
//   Exit           attr "frame"
//   NextIteration  attrs "frame", "merge", "max_iterations", "loop"
//   FrameConstant  input [pivot]; attr "value": a constant inside a branch or loop body; it fires when
//                  the pivot does (TF1 gives such constants a control edge from the pivot), so it is
//                  dead in an untaken branch and present once per iteration.

// A token: a value, or a dead token (the value of an untaken branch), carried along an edge.
struct Token {
  Tensor value;
  bool dead = false;
};

// The token rules of Switch and Merge (exercise control.switch_merge).
//   Switch: inputs [data, pred] (both present): outputs {out_false, out_true}; the side pred picks
//           gets data, the other a dead token; both dead if data or pred is dead.
//   Merge:  inputs as arrived so far (nullopt = not yet): the first live input (lowest index) and its
//           index as an i64 scalar; two dead tokens once every input arrived dead; {} = not ready yet.
std::vector<Token> fire_switch_or_merge(const graph::Node& node, const std::vector<std::optional<Token>>& inputs);

// A new graph in which every If and While (recursively, subgraphs inlined) is replaced by the five
// primitives. Same inputs and outputs as `functional`.
graph::Graph lower_to_dataflow(const graph::Graph& functional);

// Runs a lowered graph. Recording (when trace::active()): a graph scene of the lowered graph and one
// step per token (node fired, frame, iteration, value or dead), plus a table of live tokens.
// RunResult::order lists a node once per firing (a loop's nodes once per iteration); values (with
// keep_values) holds the live values of the root frame. gb::Error when a fetched value is dead or never
// produced, on a bad feed, and when a loop exceeds its max_iterations.
graph::RunResult run_dataflow(const graph::Graph& lowered, const graph::Feeds& feeds,
                              const graph::RunOptions& options = {});

}  // namespace gb::control
