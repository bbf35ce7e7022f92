// passes.hpp: the optimisation passes of lesson 17, each a gb::passes::Pass (pass_manager.hpp).
//
// The rules work on the ONNX operator names and attributes (lib/convert registers the ops; a pass
// only needs their names, so this module does not depend on lib/convert) and on the fused ops that
// this module registers itself (fused_ops.hpp). A rule that does not apply leaves the graph alone;
// every rule checks its preconditions (dtypes, attribute values, single consumers, constant inputs).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/passes/pass_manager.hpp"

namespace gb::passes {

// --- basic (basic_*.cpp) -------------------------------------------------------------------------------
// Constant folding: a node whose inputs are all constants is run once by its registry kernel and
// replaced by constants (5 * 10 -> 50); a constant subtree folds in one pass. Left alone: nodes without
// inputs, with a subgraph attribute (If, While), random ops and lesson 08's dataflow primitives, nodes
// whose kernel throws on those inputs, and results over 2^24 elements in all. Detail: the op, the input
// and folded infos.
Pass constant_folding();
// Dead-code elimination: only the nodes the outputs depend on survive (placeholders always survive).
// One Rewrite lists every node removed.
Pass dead_code_elimination();
// Common-subexpression elimination: two pure nodes with the same op, the same (mapped) inputs in the
// same order and equal attributes (tensors by bytes, subgraphs by pointer) compute the same value: the
// second reads the first's outputs (rule "common_subexpression"). Constants with equal dtype, shape and
// bytes are merged too ("constant_dedup"; -0.0 and 0.0 differ).
Pass common_subexpression_elimination();
// Identity, Dropout (inference: its first output is its input; the mask output must be unread and
// training_mode absent or a constant 0), no-op Reshape (the constant target shape, 0 and -1 resolved,
// equals the input's static shape), Transpose with the identity permutation, single-input Concat, and
// Add/Sub of a constant 0 and Mul/Div by a constant 1 (x on the left for Sub and Div) whose broadcast
// does not change x's shape or dtype: removed, consumers read the input. Bit-exact, except that x + 0
// turns -0.0 into +0.0. A graph output that was removed becomes the input (keeping the output's name
// unless the input is a graph input).
Pass identity_removal();
// Inverse pairs: Transpose(Transpose(x, p), q) -> x when p[q[i]] = i for all i (otherwise one Transpose
// with perm p[q[i]]); Reshape(Reshape(x), s) -> Reshape(x, s) when s is constant without 0 (or
// allowzero = 1); Squeeze(Unsqueeze(x, a), a) -> x and Unsqueeze(Squeeze(x, a), a) -> x (x's sizes at a
// statically 1); QuantizeLinear(DequantizeLinear(q, s, z), s, z) -> q with the same constant scale (normal,
// 255 s finite), zero point and axis, and q of the Q output's dtype: exact. DequantizeLinear(QuantizeLinear(x))
// is NOT an identity (it rounds) and is kept. The inner node stays for its other readers (DCE removes it
// otherwise).
Pass inverse_pairs();

// --- fusion (fusion_passes.cpp) -------------------------------------------------------------------------
// BatchNormalization(Conv(x, W, b)) with constant W, b and BN parameters -> Conv(x, W', b'):
//   a = gamma / sqrt(var + eps);  W'[o] = a[o] W[o];  b'[o] = a[o] (b[o] - mean[o]) + beta[o].
Pass conv_bn_folding();
// The arithmetic of that fold, in double, returned as f32: {W' (W's shape), b' ([O])}. bias undefined = a
// zero bias. gb::Error for per-channel vectors of another length than O = W.size(0), or var + eps <= 0.
std::pair<Tensor, Tensor> fold_batch_norm(const Tensor& weight, const Tensor& bias, const Tensor& gamma,
                                          const Tensor& beta, const Tensor& mean, const Tensor& var, double epsilon);
// Add(Conv(x, W), bias) with bias a per-channel constant ([1, C, 1, 1], [C, 1, 1], [1]) -> Conv(x, W, b + bias)
// (a bias of shape [C] is NOT per channel: NumPy broadcasting lines it up with the width axis, so it stays);
// Add(Conv(...), z) with z any tensor of the output's shape -> FusedConv with input z (the residual sum).
Pass conv_add_fusion();
// Relu(Conv(...)) / Relu(FusedConv(...)) -> FusedConv with activation "Relu".
Pass conv_relu_fusion();
// Add(MatMul(a, B), c) with 2-D a, constant 2-D B and c broadcastable to the result -> Gemm(a, B, c).
Pass matmul_add_to_gemm();
// Replacement (opt-in, not in the default pipeline): Gemm(x[N,K], W, b) with constant W and transA = 0
// -> Reshape [N,K,1,1] -> Conv 1x1 -> Reshape [N,M]: a fully connected layer is a 1x1 convolution.
Pass linear_to_conv1x1();

// --- pipelines --------------------------------------------------------------------------------------------
// Every pass by name ("constant_folding", ..., "linear_to_conv1x1", "nc4hw4_layout"), for the CLI.
std::vector<Pass> all_passes();
Pass pass_by_name(const std::string& name);  // gb::Error listing the known names
// The default pipeline of `glassbox infer --optimize`: identity_removal, constant_folding, inverse_pairs,
// common_subexpression_elimination, conv_bn_folding, conv_add_fusion, conv_relu_fusion,
// matmul_add_to_gemm, dead_code_elimination.
std::vector<Pass> default_pipeline();

}  // namespace gb::passes
