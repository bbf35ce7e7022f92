// glassbox_format.hpp: glassbox's own model format (lesson 16): a FlatBuffers buffer (schema:
// lib/convert/schema/glassbox.fbs) holding a gb::graph::Graph.
//
// FlatBuffers stores a tree of tables as offsets into one byte buffer, so a reader needs no parse step:
// after the verifier has checked every offset and length once, the tensors' data are read in place. That
// is the zero-copy load: constant tensors of the loaded graph point into the buffer (which they keep
// alive), nothing is copied. Protobuf (ONNX), by contrast, must decode every field into objects first.
//
// The schema: a Net (name, input and output tensor indexes, the ops in order, the tensors, subgraphs for
// control flow); a Tensor (name, dtype, data format ND / NCHW / NHWC / NC4HW4, shape, optional data); an Op
// (type, name, input and output tensor indexes, and its parameters: a list of named attributes whose value
// is a union of Int, Float, Ints, String, Tensor (an index) and Graph (a subgraph index)).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::convert {

enum class DataFormat { nd, nchw, nhwc, nc4hw4 };

// The graph as a FlatBuffers buffer. Deterministic: the same graph gives the same bytes. Value names,
// infos, node names, groups, attributes and subgraphs are all kept; a value's data format is read from
// the attribute "data_format" of its producer ("NCHW", ...) and is ND otherwise.
std::string save_glassbox(const graph::Graph& graph);
// Verifies the buffer (gb::Error naming what is wrong when it is not a valid glassbox net: never a crash,
// whatever the bytes), then rebuilds the graph; constants point into a copy of `bytes` held by a shared
// buffer (zero-copy from there). save_glassbox(load_glassbox(save_glassbox(g))) == save_glassbox(g).
graph::Graph load_glassbox(const std::string& bytes);
void save_glassbox_file(const graph::Graph& graph, const std::string& path);
graph::Graph load_glassbox_file(const std::string& path);

// For lesson 16's offset table: where each table and vector of the buffer starts, what it is, its size.
struct FlatBufferRegion {
  std::int64_t offset = 0, size = 0;
  std::string what;  // "root table Net", "vtable of Net", "Tensor 3 'conv1.weight' data", ...
};
std::vector<FlatBufferRegion> flatbuffer_layout(const std::string& bytes);

}  // namespace gb::convert
