// fusion_internal.hpp: what the fusion rules (fusion_passes*.cpp) share: the rewrite loop, reading
// constants, and emitting a node in place of a pattern's root.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gb/passes/pass_manager.hpp"
#include "gb/passes/rewriter.hpp"

namespace gb::passes::detail {

// A rule looks at one source node (the root of its pattern). When it matches it emits the replacement
// into rw, appends its Rewrite to log and returns true; otherwise it returns false and the node is copied.
using Rule = std::function<bool(Rewriter& rw, const Node& root, std::vector<Rewrite>& log)>;

// The rebuild loop every fusion pass runs: each op node in rw.order() is offered to `rule`, else copied.
Graph rewrite_with(const Graph& source, const Rule& rule, std::vector<Rewrite>& log);
// A Pass running rewrite_with(rule) (and register_fused_ops() first, like every pass factory).
Pass rule_pass(const std::string& name, const std::string& stage, const std::string& doc, Rule rule);

// The f32 constant behind source value v, or nullptr (not a constant, or another dtype).
const Tensor* f32_constant(const Rewriter& rw, ValueId v);

// Shape with every size known (no -1).
bool is_static(const Shape& shape);

// Emits `op` in place of `root`: its output stands for the root's first output from now on (rw.replace)
// and takes that output's name. Returns the new node's id in the target graph.
NodeId emit_for(Rewriter& rw, const Node& root, const std::string& op, const std::vector<ValueId>& inputs,
                Attributes attrs, const std::string& name);

// A constant in the target graph; returns its node id in `made` (the Rewrite's "after" list).
ValueId emit_constant(Rewriter& rw, const Tensor& value, const std::string& name, std::vector<NodeId>& made);

// f32 tensor of `shape` from doubles (the rules compute in double and store f32).
Tensor f32_tensor(const std::vector<double>& values, const Shape& shape);

// The Conv node producing source value v when v has no other reader (the inner node of a pattern),
// with a 4-D or 3-D f32 output; nullptr otherwise. `ops` lists the accepted op names.
const Node* single_use_producer(const Rewriter& rw, ValueId v, const std::vector<std::string>& ops);

// The bias of a Conv as a target value: its B input when it has one, else a zero constant [M]
// (appended to `made`). nullopt when M (W's dimension 0) is unknown.
std::optional<ValueId> conv_bias_or_zero(Rewriter& rw, const Node& conv, std::vector<NodeId>& made);

}  // namespace gb::passes::detail
