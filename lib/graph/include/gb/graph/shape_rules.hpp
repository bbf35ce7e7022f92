// shape_rules.hpp: the shape rules the registry's inference functions share, for op sets defined outside
// lib/graph too (lib/convert's ONNX ops use the same broadcasting).
#pragma once

#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::graph {

// NumPy broadcasting of two inferred shapes, aligned on the right; a dynamic size (-1) takes the other size
// unless that is 1 (then the run time checks it). gb::Error(op, "shapes that broadcast", both infos) otherwise.
Shape broadcast_infos(const std::string& op, const ValueInfo& a, const ValueInfo& b);
// "f32[2, 3] and f32[4]", for error messages.
std::string infos_str(const std::vector<ValueInfo>& infos);

}  // namespace gb::graph
