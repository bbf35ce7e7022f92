// fused_ops.hpp: the ops that the fusion and layout passes emit (lesson 17), registered in
// gb::graph's op registry next to lib/convert's ONNX ops. Their kernels run lib/kernels directly.
//
//   FusedConv     inputs X, W, B, [Z]; ONNX Conv's attributes (kernel_shape, strides, pads, dilations,
//                 group, auto_pad) plus "activation" ("" or "Relu"). Y = act(conv(X, W) + B + Z): the
//                 convolution, the bias, the residual sum and the activation in one pass over the output
//                 (ONNX Runtime's com.microsoft.FusedConv). B is required (the pass makes a zero bias).
//   LayoutConvert input X; attrs "from", "to" ("NCHW", "NC4HW4"), "channels" (C, for NC4HW4 -> NCHW).
//                 NCHW [N, C, H, W] <-> NC4HW4 [N, ceil(C/4), H, W, 4] (lib/kernels/layout.hpp).
//   ConvNC4HW4    inputs X (NC4HW4), W, B (OIHW weights and [O] bias, packed into 4x4 tiles at run time),
//                 [Z] (NC4HW4); FusedConv's attributes (activation too), group 1 only; output NC4HW4
//                 with zero padding channels.
//   ReluNC4HW4, AddNC4HW4   elementwise on NC4HW4 tensors (the padding channels stay 0).
#pragma once

namespace gb::passes {

// Registers FusedConv, LayoutConvert, ConvNC4HW4, ReluNC4HW4, AddNC4HW4 (idempotent, thread-safe).
// Every pass factory calls it.
void register_fused_ops();

}  // namespace gb::passes
