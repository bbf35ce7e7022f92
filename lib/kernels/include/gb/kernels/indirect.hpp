// indirect.hpp: the indirection buffer of indirect convolution (lesson 22-indirect-convolution).
//
// Dukhan, "The Indirect Convolution Algorithm" (2019), as in QNNPACK / XNNPACK. Instead of copying
// every window into an Im2Col matrix, keep ONE POINTER per (output pixel, kernel tap) to the row of
// IC channels it reads in the NHWC input; taps that fall in the padding point at one shared zero
// vector. The micro-kernel then walks MR pointer lists at once, a GEMM whose A rows are gathered
// through the pointers:
//
//   buffer (pixels x taps)                 input, NHWC (one row = the IC channels of one pixel)
//   p0: [t0 ][t1 ][t2 ] ...                +-------------------------------+
//         |    |    '--------------------> | x[n, ih, iw, 0:IC]            |
//         |    '-------------------------> | x[n, ih, iw+1, 0:IC]          |
//         '--> zero vector [0 0 ... 0]     +-------------------------------+
//
// The buffer depends only on shapes and the input's address, so a framework builds it once and
// rebuilds it only when those change. Calls of the MR x NR micro-kernel: ceil(OH*OW/MR) * ceil(OC/NR).
#pragma once

#include <cstdint>

#include "gb/kernels/conv.hpp"

namespace gb::kernels {

// The micro-kernel's tile: MR output pixels x NR filters (f32_conv_4x8_indirect in src/indirect.cpp).
constexpr std::int64_t kIndirectMR = 4, kIndirectNR = 8;

// Exercise kernels.indirect.buffer. Fills buffer[p * taps + t] for every output pixel
// p = (n*OH + oh)*OW + ow and tap t = kh*KW + kw (taps = KH*KW) with the address of
//   x_nhwc + ((n*H + ih)*W + iw) * C,  ih = oh*sh - pad_top + kh*dh,  iw = ow*sw - pad_left + kw*dw
// or with `zero` (a vector of at least C zeros) when (ih, iw) lies outside the input.
void build_indirection_buffer(const float* x_nhwc, const float* zero, const ConvShape& s, const float** buffer);

}  // namespace gb::kernels
