// basic_internal.hpp: what the basic passes share (lesson 17; not part of the public API).
//
// The basic passes are all one loop over the rewriter's order (rewriter.hpp): try the pass's rule at
// the node; when it fires it emits or forwards values and logs a Rewrite, otherwise the node is copied.
// These helpers answer the questions the rules keep asking: is this value a known constant, which
// integers does it hold, do two tensors or two attribute maps hold the same thing, is an op a pure
// function of its inputs (the precondition of both folding and CSE).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gb/passes/pass_manager.hpp"
#include "gb/passes/rewriter.hpp"

namespace gb::passes::basic {

using graph::Attribute;
using graph::ValueInfo;

// --- values and tensors ----------------------------------------------------------------------------
// Same dtype, same shape and the same bytes (row-major): -0.0 != 0.0, a NaN equals the same NaN.
bool same_tensor(const Tensor& a, const Tensor& b);
// FNV-1a over dtype, shape and bytes: buckets constants for deduplication (equal tensors hash equal).
std::uint64_t tensor_hash(const Tensor& t);
// Attributes compared by value: numbers and lists by ==, tensors by same_tensor, subgraphs by pointer.
bool same_attribute(const Attribute& a, const Attribute& b);
bool same_attributes(const graph::Attributes& a, const graph::Attributes& b);

// The integers held by a 0-D or 1-D integer constant (i64 or i32), or nullopt.
std::optional<std::vector<std::int64_t>> constant_ints(const Rewriter& rw, ValueId source_value);
// The integers an ONNX op reads from "input `index` if present, else attribute `attr`" (Reshape's shape,
// Squeeze/Unsqueeze's axes, the kernels' own rule): nullopt when neither is known at build time.
std::optional<std::vector<std::int64_t>> ints_input_or_attr(const Rewriter& rw, const Node& n, std::size_t index,
                                                            const std::string& attr);
// Every size known (no -1).
bool is_static(const Shape& shape);
// Axes normalised to [0, rank) and sorted; nullopt when one is out of range.
std::optional<std::vector<std::int64_t>> normalized_axes(std::vector<std::int64_t> axes, std::int64_t rank);
// Transpose's permutation: attribute perm, or the reversed axes (ONNX's default) for a rank-`rank` input.
std::vector<std::int64_t> transpose_perm(const Node& n, std::size_t rank);
bool is_identity_perm(const std::vector<std::int64_t>& perm);

// --- ops -------------------------------------------------------------------------------------------
// Whether a node computes a pure function of its inputs and attributes: false for placeholders and
// constants, for random ops (RandomNormal, Bernoulli, ...: every run draws anew) and for the dataflow
// primitives of lesson 08 (Switch, Merge, Enter, ...: their tokens mean something only to the dataflow
// executor). Folding and CSE only touch pure nodes.
bool is_pure(const Node& n);

// --- rewriting -------------------------------------------------------------------------------------
// Source value `v` is now target value `now` (Rewriter::replace). When v is a graph output, `now` takes
// v's name so the result's outputs keep their names (unless `now` is a graph input or already stands
// for another output: then it keeps its own).
void forward(Rewriter& rw, ValueId v, ValueId now);

// Readable pieces of a Rewrite's detail.
std::string ints_str(const std::vector<std::int64_t>& v);   // "[0, 2, 3, 1]"
std::string info_of(const Graph& g, ValueId v);             // "f32[2, 3]"
std::string node_label(const Node& n);                      // "n7 Transpose"

// The shape of every basic pass: one visit per node in rw.order(); `rule` returns true when it handled
// the node (emitted or forwarded its outputs and logged), false to have it copied unchanged.
using NodeRule = std::function<bool(Rewriter& rw, const Node& n, std::vector<Rewrite>& log)>;
Graph rebuild(const Graph& source, std::vector<Rewrite>& log, const NodeRule& rule);

}  // namespace gb::passes::basic
