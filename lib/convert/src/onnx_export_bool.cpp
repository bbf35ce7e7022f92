// onnx_export_bool.cpp: which u8 values are ONNX bools (BoolValues, onnx_export_internal.hpp).
//
// glassbox has no bool dtype: the importer reads BOOL as u8 (0 / 1). Writing every u8 back as UINT8 would
// make If(cond: uint8) and Loop(cond: uint8), which ONNX's type checker rejects. The types are recovered
// from ONNX's own schemas: each op declares, per input and output, a type constraint (If's cond: B =
// tensor(bool); Identity: T, any type, the same for input and output). So
//   - a value read or written where the schema allows tensor(bool) and not tensor(uint8) is a bool;
//   - values bound to the same type variable of one node have one type (union-find: one set per type);
//   - subgraph boundaries bind too: an If arg and the branch placeholder standing for it, a branch output
//     and the If output; a Loop's carried value, its body input and output and the Loop output; a Loop
//     body's cond_in and cond_out are bools.
// Cast is the one op whose output type is an attribute: Cast(to = BOOL) writes a bool.
// A set holding a bool is bool; is_bool() answers for u8 values (the writer asks only about those).
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>

#include "onnx_export_internal.hpp"
#include "onnx_ops_loop.hpp"

namespace gb::convert::detail {

BoolValues::BoolValues(const graph::Graph& main, std::int64_t opset) : opset_(opset) {
  walk(main);
  for (const Key& key : marked_) bool_roots_.insert(root(index(key)));
}

bool BoolValues::is_bool(const graph::Graph& g, graph::ValueId value) const {
  const auto it = index_.find({&g, value});
  return it != index_.end() && bool_roots_.count(root(it->second)) != 0;
}

std::size_t BoolValues::index(const Key& key) {
  const auto [it, added] = index_.emplace(key, parent_.size());
  if (added) parent_.push_back(parent_.size());
  return it->second;
}

std::size_t BoolValues::root(std::size_t i) const {
  while (parent_[i] != i) i = parent_[i];
  return i;
}

void BoolValues::unite(const Key& a, const Key& b) {
  const std::size_t ra = root(index(a)), rb = root(index(b));
  if (ra != rb) parent_[std::max(ra, rb)] = std::min(ra, rb);
}

// One node of the ONNX set: its schema's formal inputs and outputs, in order (a variadic last parameter
// takes the rest). Values on one homogeneous type variable are united; bool-only slots are marked.
void BoolValues::walk_schema(const graph::Graph& g, const graph::Node& node) {
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(node.op, static_cast<int>(opset_), "");
  if (!schema) return;  // not an ONNX op: the writer reports it
  std::map<std::string, std::vector<Key>> by_type;
  const auto visit = [&](const std::vector<onnx::OpSchema::FormalParameter>& formals, const std::vector<graph::ValueId>& values) {
    for (std::size_t k = 0; k < values.size() && !formals.empty(); ++k) {
      const bool variadic_tail = formals.back().GetOption() == onnx::OpSchema::Variadic;
      if (k >= formals.size() && !variadic_tail) break;
      const onnx::OpSchema::FormalParameter& p = formals[std::min(k, formals.size() - 1)];
      bool has_bool = false, has_u8 = false;
      for (const std::string* type : p.GetTypes()) {
        has_bool = has_bool || *type == "tensor(bool)";
        has_u8 = has_u8 || *type == "tensor(uint8)";
      }
      const Key key{&g, values[k]};
      if (has_bool && !has_u8) marked_.push_back(key);
      const bool shared = p.GetOption() != onnx::OpSchema::Variadic || p.GetIsHomogeneous();
      const auto& constraints = schema->typeConstraintParams();
      const bool is_variable = std::any_of(constraints.begin(), constraints.end(), [&](const auto& c) { return c.type_param_str == p.GetTypeStr(); });
      if (shared && is_variable) by_type[p.GetTypeStr()].push_back(key);
    }
  };
  visit(schema->inputs(), node.inputs);
  visit(schema->outputs(), node.outputs);
  for (const auto& [type, keys] : by_type) {
    for (std::size_t k = 1; k < keys.size(); ++k) unite(keys[0], keys[k]);
  }
}

void BoolValues::walk(const graph::Graph& g) {
  for (const graph::Node& node : g.nodes()) {
    if (node.op == "If" && !node.inputs.empty()) {
      marked_.push_back({&g, node.inputs[0]});
      for (const char* key : {"then_branch", "else_branch"}) {
        const graph::GraphPtr& branch = node.attr_graph(key);
        if (!branch) continue;  // the writer reports it
        for (std::size_t i = 0; i + 1 < node.inputs.size() && i < branch->inputs().size(); ++i) {
          unite({&g, node.inputs[i + 1]}, {branch.get(), branch->inputs()[i]});
        }
        for (std::size_t k = 0; k < node.outputs.size() && k < branch->outputs().size(); ++k) {
          unite({&g, node.outputs[k]}, {branch.get(), branch->outputs()[k]});
        }
        walk(*branch);
      }
    } else if (node.op == "Loop") {
      const LoopLayout layout = loop_layout(node, node.inputs.size());
      const graph::Graph& body = *node.attr_graph("body");  // loop_layout checked it
      if (layout.has_cond) marked_.push_back({&g, node.inputs[layout.cond_input()]});
      marked_.push_back({&body, body.inputs()[1]});
      marked_.push_back({&body, body.outputs()[0]});
      for (std::size_t i = 0; i < layout.carried; ++i) {
        const Key in{&body, body.inputs()[2 + i]};
        unite({&g, node.inputs[layout.first_carried() + i]}, in);
        unite({&body, body.outputs()[1 + i]}, in);
        unite({&g, node.outputs[i]}, in);
      }
      for (std::size_t j = 0; j < layout.captured; ++j) {
        unite({&g, node.inputs[layout.first_captured() + j]}, {&body, body.inputs()[2 + layout.carried + j]});
      }
      for (std::size_t k = 0; k < layout.scans; ++k) {
        unite({&g, node.outputs[layout.carried + k]}, {&body, body.outputs()[1 + layout.carried + k]});
      }
      walk(body);
    } else if (node.op != "placeholder" && node.op != "constant") {
      walk_schema(g, node);
      // Cast's output type is its attribute, not a type variable: to = BOOL makes a bool.
      if (node.op == "Cast" && node.has_attr("to") && node.attr_int("to") == onnx::TensorProto::BOOL) marked_.push_back({&g, node.outputs.at(0)});
    }
  }
}

}  // namespace gb::convert::detail
