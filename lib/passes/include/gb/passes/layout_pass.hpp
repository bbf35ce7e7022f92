// layout_pass.hpp: layout transformation (lesson 17 after lesson 18): regions of NC4HW4.
//
// NC4HW4 keeps four channels of a pixel side by side, so a convolution loads one SIMD vector per
// pixel and channel block. Converting costs a pass over the tensor, so the pass finds maximal regions
// of ops that can run in NC4HW4 (Conv/FusedConv with group 1 and f32 4-D tensors; Relu; Add of two
// tensors of the same shape), rewrites them to ConvNC4HW4 / ReluNC4HW4 / AddNC4HW4 (fused_ops.hpp) and
// inserts LayoutConvert only where a value crosses the region's boundary: one NCHW -> NC4HW4 per
// region input, one NC4HW4 -> NCHW per value read outside. Detail: the region's ops and conversions.
#pragma once

#include "gb/passes/pass_manager.hpp"

namespace gb::passes {

Pass nc4hw4_layout();

}  // namespace gb::passes
