// scene.hpp: a Graph as a Recording scene, for lessons that show a graph before (or without) running
// it. Nodes keep their ids ("n3"), edges are labelled with their values ("v7"), and the forward and
// backward groups become boxes. The executors and the backward pass record their own scenes.
#pragma once

#include <string>

#include "gb/core/tensor.hpp"
#include "gb/graph/graph.hpp"
#include "gb/trace/recording.hpp"

namespace gb::graph {

trace::Scene to_scene(const Graph& graph, const std::string& id, const std::string& title,
                      trace::NodeState state = trace::NodeState::none);

// A tensor's values for a caption or a table cell: "0.5", "[1, 2.5, -3]" (%.6g), or its shape and
// dtype when it has more than max_values elements.
std::string value_text(const Tensor& t, std::size_t max_values = 8);

}  // namespace gb::graph
