// conv.hpp: 2-D convolution (cross-correlation, as in PyTorch) by six algorithms with one contract.
//
// Lessons 20-convolution-and-im2col, 21-winograd, 22-indirect-convolution. Every algorithm computes
//
//   y[n, o, oh, ow] = b[o] + sum_{i, kh, kw} x[n, g*ICg + i, oh*sh - pad_top + kh*dh, ow*sw - pad_left + kw*dw]
//                                             * w[o, i, kh, kw]          (g = o / OCg; outside the input = 0)
//
// with x NCHW, w OIHW ([OC, IC/groups, KH, KW], like PyTorch), y NCHW, all f32, and is tested against
// `direct` (and PyTorch). They differ in how they walk memory and how many multiplications they do:
//
//   algorithm     file                       idea                                            workspace
//   direct        src/conv_direct.cpp        the seven loops of the formula (the reference)  none
//   direct_nhwc   src/conv_direct.cpp        the same loops over NHWC / HWIO copies:           copies of x, w, y
//                                            the channel loop becomes the unit-stride one
//   im2col        src/conv_im2col.cpp        unroll each window into a column, then ONE GEMM  (IC/g*KH*KW) x (OH*OW)
//   spatial       src/conv_spatial.cpp       output tiles; each input tile packed with its    IC/g x tile-with-halo
//                                            halo, computed while it sits in L1
//   winograd_2x2  src/winograd.cpp           F(2x2,3x3): 16 instead of 36 multiplications     U, V, M: 16 matrices each
//   winograd_4x4  src/winograd.cpp           F(4x4,3x3): 36 instead of 144                    U, V, M: 36 matrices each
//   indirect      src/indirect.cpp           NHWC + one pointer per (pixel, tap): a GEMM       pointers, NHWC copies
//                                            that reads the input in place (QNNPACK)
//   best          src/conv.cpp               choose_algorithm() picks one of the above
//
// Output size (per axis): floor((in + pad_before + pad_after - dilation * (k - 1) - 1) / stride) + 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::kernels {

struct Conv2dParams {
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;  // asymmetric padding allowed
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t groups = 1;  // groups == IC == OC is a depthwise convolution

  // The usual square case: the same stride, padding and dilation on both axes.
  static Conv2dParams square(std::int64_t stride, std::int64_t pad, std::int64_t dilation = 1, std::int64_t groups = 1) {
    return {stride, stride, pad, pad, pad, pad, dilation, dilation, groups};
  }
};

enum class ConvAlgo { direct, direct_nhwc, im2col, spatial, winograd_2x2, winograd_4x4, indirect, best };

const std::vector<ConvAlgo>& all_conv_algos();  // every algorithm except `best`, in lesson order
const char* conv_algo_name(ConvAlgo a);        // "direct", ..., "winograd_4x4", "indirect", "best"
// Accepts the names above and "winograd" (= winograd_4x4); throws gb::Error naming the known names.
ConvAlgo conv_algo_from_name(const std::string& name);

// Everything an algorithm needs to know about one convolution, checked once (conv_shape).
struct ConvShape {
  std::int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  std::int64_t out_channels = 0, kernel_h = 0, kernel_w = 0;
  std::int64_t out_h = 0, out_w = 0;
  Conv2dParams params{};
  std::int64_t group_in() const { return in_channels / params.groups; }    // ICg: channels one filter sees
  std::int64_t group_out() const { return out_channels / params.groups; }  // OCg: filters per group
  bool depthwise() const { return params.groups > 1 && group_in() == 1 && group_out() == 1; }
};

// floor((in + pad_before + pad_after - dilation * (kernel - 1) - 1) / stride) + 1; throws gb::Error
// when the (dilated) kernel does not fit in the padded input or a parameter is out of range.
std::int64_t conv_output_size(std::int64_t in, std::int64_t kernel, std::int64_t pad_before, std::int64_t pad_after,
                              std::int64_t stride, std::int64_t dilation);
// Validates x's shape [N, C, H, W] and w's [OC, C/groups, KH, KW] with the parameters (op names the caller).
ConvShape conv_shape(const Shape& x, const Shape& w, const Conv2dParams& p, const std::string& op = "conv2d");

// Whether the algorithm handles these parameters; when not, `why` (if given) says what it needs.
// Winograd: a 3x3 kernel, stride 1, dilation 1. Every other algorithm handles everything.
bool conv_algo_supports(ConvAlgo a, const ConvShape& s, std::string* why = nullptr);

// The chooser behind ConvAlgo::best (documented in lib/kernels/README.md, "The chooser"):
//   depthwise (one channel per group)                          -> direct (no reduction for a GEMM to block)
//   3x3, stride 1, dilation 1, ICg and OCg >= 8, and
//     at least ICg output tiles of 4x4                         -> winograd_4x4 (4x fewer multiplications)
//     else at least ICg output tiles of 2x2                    -> winograd_2x2 (2.25x fewer)
//     (fewer tiles than channels: the filter transform, one per filter and channel, does not pay)
//   anything else (strided, dilated, 1x1, large kernels, short reductions)
//                                                              -> im2col (one big GEMM on the fastest rung;
//                                                                 a 1x1 stride-1 one needs no column matrix)
ConvAlgo choose_algorithm(const ConvShape& s);

// Extra memory the algorithm allocates for this convolution (bytes, beside x, w, b and y).
std::size_t workspace_bytes(const ConvShape& s, ConvAlgo a);

// y = conv2d(x, w) + b: x [N, C, H, W], w [OC, C/groups, KH, KW], b [OC] or undefined (no bias); f32.
// Any strides (non-contiguous input is copied first). Throws gb::Error for wrong ranks, dtypes or
// shapes, bad parameters, and an algorithm that does not support them (conv_algo_supports).
// threads (1 by default, 0 = one per core): every algorithm runs unchanged on parts of the output that
// need no communication: whole images when the batch has enough of them, else bands of output rows, each
// band an independent convolution of the input rows under it plus the halo its windows reach (the
// spatial-pack idea one level up; conv_threads.cpp). The result is bit-identical to one thread.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p, ConvAlgo algo = ConvAlgo::best,
              int threads = 1);

// --- the lessons' pieces (exercises), reused by the algorithms and their recordings ----------------

// Lesson 20, exercise kernels.conv.im2col_index: the column matrix of one image and one group.
// x points at channel g*ICg of image n (ICg planes of in_h x in_w, NCHW); col is (ICg*KH*KW) x (OH*OW),
// row r = (i*KH + kh)*KW + kw (one kernel tap of one channel), column p = oh*OW + ow (one output pixel):
//   col[r, p] = x[i, oh*sh - pad_top + kh*dh, ow*sw - pad_left + kw*dw]   (0 outside the input)
void im2col(const float* x, const ConvShape& s, float* col);

}  // namespace gb::kernels
