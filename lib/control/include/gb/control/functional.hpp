// functional.hpp: functional control flow in the graph (lesson 08): If and While are ops whose
// attributes are subgraphs, like JAX's lax.cond / lax.while_loop, ONNX's If / Loop and TF2's
// functional If / While.
//
//   If     inputs [cond, args...]; attrs "then_branch", "else_branch" (GraphPtr): each branch has one
//          placeholder per arg and the same number of outputs with the same infos. cond is a scalar
//          (any dtype; nonzero = true). Runs exactly one branch.
//   While  inputs [carried...] (loop-carried values); attrs "cond" (GraphPtr: carried -> one scalar),
//          "body" (GraphPtr: carried -> carried, same infos), "max_iterations" (int; exceeding it is a
//          gb::Error naming the loop). Outputs: the carried values after the last iteration.
// Gradients: If differentiates through the branch that was taken (the VJP emits an If over the two
// branches' backward graphs); While stores the carried values of every iteration in the forward pass
// and runs the body's backward graph in reverse, iteration by iteration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::control {

using graph::Graph;
using graph::GraphPtr;
using graph::ValueId;

// Registers If, While and the ops their gradients need into the graph registry. Idempotent; the
// functions below call it, so users rarely need to.
void register_ops();

std::vector<ValueId> make_if(Graph& graph, ValueId cond, const std::vector<ValueId>& args, GraphPtr then_branch,
                             GraphPtr else_branch, const std::string& name = "if");
std::vector<ValueId> make_while(Graph& graph, const std::vector<ValueId>& carried, GraphPtr cond, GraphPtr body,
                                std::int64_t max_iterations = 100000, const std::string& name = "while");

}  // namespace gb::control
