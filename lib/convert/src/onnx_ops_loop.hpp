// onnx_ops_loop.hpp: what ONNX's Loop op (onnx_ops_loop.cpp), its importer (onnx_import.cpp) and its
// exporter (onnx_export_node.cpp) share: how a Loop node's inputs and its body's inputs and outputs line up.
//
// ONNX's Loop reads (M, cond, v_initial...) where M and cond may be absent (empty names), and its body
// reads outer names (a closure). A glassbox graph node has no empty inputs and its subgraphs are closed
// (lib/control's rule), so glassbox's Loop node is laid out as
//   inputs   [M]? [cond]? v_initial (N values) captured (C values: the outer names the body reads)
//   attrs    body (GraphPtr), has_trip_count (0/1, default 1), has_cond (0/1, default 1), captured (C, default 0)
//   body     placeholders [iteration_num, cond_in, carried (N), captured (C)]
//            outputs      [cond_out, carried (N), scan (K)]
//   outputs  [final carried (N), scan outputs (K): every iteration's value stacked on a new first axis]
// The three int attributes are glassbox's own; the exporter turns them back into empty names and outer
// names (ONNX's Loop knows only `body`).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gb/graph/graph.hpp"

namespace gb::convert::detail {

inline constexpr const char* kLoopHasTripCount = "has_trip_count";
inline constexpr const char* kLoopHasCond = "has_cond";
inline constexpr const char* kLoopCaptured = "captured";

// Where each group of a Loop node's values sits; gb::Error("Loop", ...) when the node's inputs and its
// body's signature do not fit together.
struct LoopLayout {
  bool has_trip_count = true, has_cond = true;
  std::size_t carried = 0;   // N
  std::size_t captured = 0;  // C
  std::size_t scans = 0;     // K
  std::size_t trip_count_input() const { return 0; }                      // when has_trip_count
  std::size_t cond_input() const { return has_trip_count ? 1 : 0; }      // when has_cond
  std::size_t first_carried() const { return (has_trip_count ? 1 : 0) + (has_cond ? 1 : 0); }
  std::size_t first_captured() const { return first_carried() + carried; }
};
LoopLayout loop_layout(const graph::Node& node, std::size_t num_inputs);

// Registers Loop (called once by register_onnx_ops); returns {"Loop"}.
std::vector<std::string> register_onnx_loop_ops();

}  // namespace gb::convert::detail
