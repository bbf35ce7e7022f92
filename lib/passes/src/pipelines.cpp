// pipelines.cpp: every pass by name, and the default pipeline of `glassbox infer --optimize` (passes.hpp).
#include "gb/core/error.hpp"
#include "gb/passes/layout_pass.hpp"
#include "gb/passes/passes.hpp"

namespace gb::passes {

std::vector<Pass> all_passes() {
  return {identity_removal(),     constant_folding(),  inverse_pairs(),     common_subexpression_elimination(),
          dead_code_elimination(), conv_bn_folding(),  conv_add_fusion(),   conv_relu_fusion(),
          matmul_add_to_gemm(),   linear_to_conv1x1(), nc4hw4_layout()};
}

Pass pass_by_name(const std::string& name) {
  std::string known;
  for (Pass& p : all_passes()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw Error("passes", "a pass name (" + known + ")", "'" + name + "'");
}

// Removal and folding first, so that the fusions see the convolutions next to their BatchNormalization;
// CSE after folding (folded constants can make two nodes equal); DCE last removes what the fusions left.
std::vector<Pass> default_pipeline() {
  return {identity_removal(),   constant_folding(), inverse_pairs(),    common_subexpression_elimination(),
          conv_bn_folding(),    conv_add_fusion(),  conv_relu_fusion(), matmul_add_to_gemm(),
          dead_code_elimination()};
}

}  // namespace gb::passes
