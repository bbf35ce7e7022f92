// control_internal.hpp: helpers shared by the If/While ops, their gradients and the lowering.
#pragma once

#include <string>
#include <vector>

#include "gb/graph/executor.hpp"
#include "gb/graph/graph.hpp"

namespace gb::control::detail {

// Registration of each family of ops (called once by register_ops()).
void register_if_op();
void register_while_ops();
void register_dataflow_ops();

// Same dtype and rank, and every dimension equal or dynamic (-1) on either side.
bool compatible(const graph::ValueInfo& a, const graph::ValueInfo& b);
std::string infos_str(const std::vector<graph::ValueInfo>& infos);  // "(f64[], f32[2])"
std::vector<graph::ValueInfo> input_infos(const graph::Graph& g);   // of its placeholders, in order
std::vector<graph::ValueInfo> output_infos(const graph::Graph& g);

// The subgraph attribute `key` of `node`, checked to be non-null.
const graph::Graph& subgraph(const graph::Node& node, const std::string& key);

// Checks that `given` (the op's inputs) can feed the placeholders of `g`; gb::Error(op, ...) otherwise.
void check_feeds(const std::string& op, const std::string& what, const graph::Graph& g,
                 const std::vector<graph::ValueInfo>& given);

// Runs a subgraph with positional inputs. Recording is muted inside: the If/While node is the step
// the learner sees, not the steps of the executor running its body.
std::vector<Tensor> run_subgraph(const graph::Graph& g, const std::vector<Tensor>& inputs);
bool run_condition(const graph::Graph& cond, const std::vector<Tensor>& carried);

// The backward graph of a subgraph f (lesson 06's gradients() on f alone):
//   inputs:  f's placeholders, then one adjoint placeholder per entry of `outputs` (its info)
//   outputs: sum over i in `outputs` of (d f.outputs()[i] / d placeholder[j])^T adjoint_i, for j in `wrt`
// The forward part of f is copied in, so running it recomputes f's forward values (rematerialisation).
graph::GraphPtr gradient_graph(const graph::Graph& f, const std::vector<std::size_t>& outputs,
                               const std::vector<std::size_t>& wrt);

// Indices of the floating values among `infos` (the differentiable ones).
std::vector<std::size_t> floating_indices(const std::vector<graph::ValueInfo>& infos);

// The While loop itself, shared by While and WhileGrad: runs body while cond holds, at most
// max_iterations times (gb::Error naming `loop` beyond). When `history` is not null it receives the
// carried values before every iteration and after the last one (T + 1 entries for T iterations).
std::vector<Tensor> run_loop(const graph::Node& node, std::vector<Tensor> carried,
                             std::vector<std::vector<Tensor>>* history);

// Copies the nodes of `src` into `dst` (a "call" inlined): placeholder i of src becomes inputs[i];
// every other node is re-added with the same op, attributes, name (prefixed) and group. Returns the
// values of src.outputs() in dst.
std::vector<graph::ValueId> inline_graph(graph::Graph& dst, const graph::Graph& src,
                                         const std::vector<graph::ValueId>& inputs, const std::string& prefix);

}  // namespace gb::control::detail
