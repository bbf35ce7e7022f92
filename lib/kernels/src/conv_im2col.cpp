// conv_im2col.cpp: Im2Col + GEMM (lesson 20), the way Caffe and early PyTorch ran every convolution.
//
// Unroll the input windows into a "column matrix", then the whole convolution is ONE matrix product
// on the fastest GEMM we have (gemm.hpp, Variant::best):
//
//   W_g   [OCg x K]      the filters of group g, OIHW flattened: row o = w[o, :, :, :]  (K = ICg*KH*KW)
//   col   [K x OH*OW]    row r = (i, kh, kw): that tap of channel i under every output pixel
//   y_g   [OCg x OH*OW]  = W_g col  (+ bias): already NCHW, nothing to reorder
//
// The price is memory: every input value is copied up to KH*KW times (the workspace is K x OH*OW
// floats, 9x the input for a 3x3 stride-1 kernel). (The NHWC form in LESSONS.md is the transpose:
// input (OH*OW) x (KH*KW*IC) times weights (KH*KW*IC) x OC.) A 1x1 stride-1 unpadded convolution
// needs no column matrix: the input plane already is one.
#include <algorithm>

#include "conv_internal.hpp"
#include "gb/kernels/gemm.hpp"

namespace gb::kernels {

void im2col(const float* x, const ConvShape& s, float* col) {
  // BEGIN EXERCISE(kernels.conv.im2col_index)
  const Conv2dParams& p = s.params;
  const std::int64_t pixels = s.out_h * s.out_w;
  for (std::int64_t i = 0; i < s.group_in(); ++i) {
    const float* plane = x + i * s.in_h * s.in_w;
    for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
      for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
        float* row = col + ((i * s.kernel_h + kh) * s.kernel_w + kw) * pixels;  // row r = (i, kh, kw)
        for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
          const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
          float* out = row + oh * s.out_w;  // column p = oh * OW + ow
          for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
            const std::int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
            out[ow] = inside ? plane[ih * s.in_w + iw] : 0.0f;  // the padding reads as zero
          }
        }
      }
    }
  }
  // END EXERCISE
}

namespace detail {
namespace {

bool is_pointwise(const ConvShape& s) {  // 1x1, stride 1, no padding: col would equal the input
  const Conv2dParams& p = s.params;
  return s.kernel_h == 1 && s.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
         p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0;
}

// im2col() as conv_im2col runs it: the same column matrix, but each output row of a tap is split once
// (valid_range) into the columns left of the input, those inside and those right of it, so the inner
// loop is a plain copy (contiguous for stride 1) with no bounds check per element.
void im2col_rows(const float* x, const ConvShape& s, float* col) {
  const Conv2dParams& p = s.params;
  const std::int64_t pixels = s.out_h * s.out_w;
  for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
    std::int64_t oh_lo = 0, oh_hi = 0;
    valid_range(s.in_h, s.out_h, kh, p.stride_h, p.pad_top, p.dilation_h, &oh_lo, &oh_hi);
    for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
      std::int64_t lo = 0, hi = 0;
      valid_range(s.in_w, s.out_w, kw, p.stride_w, p.pad_left, p.dilation_w, &lo, &hi);
      for (std::int64_t i = 0; i < s.group_in(); ++i) {
        const float* plane = x + i * s.in_h * s.in_w;
        float* row = col + ((i * s.kernel_h + kh) * s.kernel_w + kw) * pixels;
        std::fill(row, row + oh_lo * s.out_w, 0.0f);
        for (std::int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          const float* in = plane + input_coord(oh, kh, p.stride_h, p.pad_top, p.dilation_h) * s.in_w;
          float* out = row + oh * s.out_w;
          std::fill(out, out + lo, 0.0f);
          const std::int64_t iw0 = input_coord(lo, kw, p.stride_w, p.pad_left, p.dilation_w);
          if (p.stride_w == 1) {
            std::copy(in + iw0, in + iw0 + (hi - lo), out + lo);
          } else {
            for (std::int64_t ow = lo; ow < hi; ++ow) out[ow] = in[iw0 + (ow - lo) * p.stride_w];
          }
          std::fill(out + hi, out + s.out_w, 0.0f);
        }
        std::fill(row + oh_hi * s.out_w, row + pixels, 0.0f);
      }
    }
  }
}

}  // namespace

std::size_t workspace_im2col(const ConvShape& s) {
  if (is_pointwise(s)) return 0;
  return bytes_of<float>(s.group_in() * s.kernel_h * s.kernel_w * s.out_h * s.out_w);
}

void conv_im2col(const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  const std::int64_t k = s.group_in() * s.kernel_h * s.kernel_w, pixels = s.out_h * s.out_w;
  const std::int64_t ocg = s.group_out();
  float* col = is_pointwise(s) ? nullptr : scratch(0, k * pixels);
  fill_bias(b, s, y);  // the GEMM adds onto it (beta = 1)
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t g = 0; g < s.params.groups; ++g) {
      const float* x_group = x + (n * s.in_channels + g * s.group_in()) * s.in_h * s.in_w;
      const float* columns = x_group;
      if (!is_pointwise(s)) {
        im2col_rows(x_group, s, col);
        columns = col;
      }
      GemmArgs args;
      args.m = ocg;
      args.n = pixels;
      args.k = k;
      args.a = w + g * ocg * k;
      args.lda = k;
      args.b = columns;
      args.ldb = pixels;
      args.beta = 1.0f;
      args.c = y + (n * s.out_channels + g * ocg) * pixels;
      args.ldc = pixels;
      gemm(Variant::best, args);
    }
  }
}

}  // namespace detail
}  // namespace gb::kernels
