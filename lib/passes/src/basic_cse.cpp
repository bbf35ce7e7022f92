// basic_cse.cpp: common-subexpression elimination (lesson 17, basic stage).
//
// Two nodes that apply the same pure op, with equal attributes, to the same input values compute the
// same tensors: keep the first, let the consumers of the second read the first's outputs. "The same
// input values" is checked in the target graph, after mapping, so a duplicate found upstream makes its
// consumers duplicates too, and a whole repeated subexpression collapses in one pass:
//   a = Relu(x); b = Relu(x); c = Add(a, y); d = Add(b, y)   ->   a = Relu(x); c = Add(a, y)
// The key is (op, mapped inputs in order); the nodes sharing a key are then compared attribute by
// attribute (basic::same_attributes: numbers by value, tensors by their bytes, subgraphs by pointer).
// Add(x, y) and Add(y, x) are different keys: commutativity is not used (no op declares it).
//
// Constants are merged as well: two constants with the same dtype, shape and bytes are one value (the
// importer often repeats a shape tensor or a zero bias). They are bucketed by a hash of the bytes and
// then compared byte for byte, so a hash collision cannot merge different tensors.
// Impure nodes (random ops, dataflow primitives) and nodes without inputs are never merged.
#include <map>
#include <utility>

#include "basic_internal.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

namespace {

// What CSE has seen so far: the first node of every key and the first constant of every hash bucket.
struct Seen {
  std::map<std::pair<std::string, std::vector<ValueId>>, std::vector<NodeId>> nodes;  // -> source ids kept
  std::map<std::uint64_t, std::vector<NodeId>> constants;                             // hash -> source ids kept
};

// Points every output of the duplicate `n` at the outputs of the node `kept` made (both source ids).
void merge_into(Rewriter& rw, const Node& n, const Node& kept) {
  for (std::size_t k = 0; k < n.outputs.size(); ++k) basic::forward(rw, n.outputs[k], rw.map(kept.outputs[k]));
}

bool merge_constant(Rewriter& rw, const Node& n, Seen& seen, std::vector<Rewrite>& log) {
  const Tensor& value = n.attr_tensor("value");
  std::vector<NodeId>& bucket = seen.constants[basic::tensor_hash(value)];
  for (NodeId kept : bucket) {
    const Node& k = rw.source().node(kept);
    if (!basic::same_tensor(k.attr_tensor("value"), value)) continue;
    merge_into(rw, n, k);
    log.push_back({"constant_dedup", {n.id}, {},
                   "constant " + basic::info_of(rw.source(), n.outputs[0]) + " has the bytes of n" +
                       std::to_string(kept) + ": one copy kept (" +
                       std::to_string(value.numel() * static_cast<std::int64_t>(dtype_size(value.dtype()))) +
                       " bytes saved)"});
    return true;
  }
  rw.copy(n.id);
  bucket.push_back(n.id);
  return true;
}

bool merge_node(Rewriter& rw, const Node& n, Seen& seen, std::vector<Rewrite>& log) {
  if (n.inputs.empty() || !basic::is_pure(n)) return false;
  std::vector<ValueId> mapped;
  for (ValueId v : n.inputs) mapped.push_back(rw.map(v));
  std::vector<NodeId>& same_key = seen.nodes[{n.op, mapped}];
  for (NodeId kept : same_key) {
    const Node& k = rw.source().node(kept);
    if (k.outputs.size() != n.outputs.size() || !basic::same_attributes(k.attrs, n.attrs)) continue;
    merge_into(rw, n, k);
    log.push_back({"common_subexpression", {n.id}, {},
                   n.op + " repeats n" + std::to_string(kept) + " (the same " + std::to_string(n.inputs.size()) +
                       (n.inputs.size() == 1 ? " input, " : " inputs, ") + std::to_string(n.attrs.size()) +
                       (n.attrs.size() == 1 ? " equal attribute" : " equal attributes") + "): its " +
                       (n.outputs.size() == 1 ? "output is" : std::to_string(n.outputs.size()) + " outputs are") +
                       " read from n" + std::to_string(kept)});
    return true;
  }
  rw.copy(n.id);
  same_key.push_back(n.id);
  return true;
}

}  // namespace

Pass common_subexpression_elimination() {
  return Pass{"common_subexpression_elimination", "basic",
              "merges nodes with the same op, inputs and attributes, and constants with the same bytes",
              [](const Graph& g, std::vector<Rewrite>& log) {
                Seen seen;
                return basic::rebuild(g, log, [&seen](Rewriter& rw, const Node& n, std::vector<Rewrite>& out) {
                  if (n.op == "constant") return merge_constant(rw, n, seen, out);
                  return merge_node(rw, n, seen, out);
                });
              }};
}

}  // namespace gb::passes
