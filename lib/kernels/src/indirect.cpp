// indirect.cpp: indirect convolution (lesson 22), after QNNPACK (Dukhan 2019) in f32.
//
// Three pieces, in the order they run:
//   1. the indirection buffer (build_indirection_buffer): one pointer per (output pixel, tap) to the
//      row of channels it reads in the NHWC input, or to a shared zero vector in the padding;
//   2. packed weights: per group and block of NR filters, [taps][ICg][NR] (zero beyond OCg);
//   3. the MR x NR micro-kernel (f32_conv_4x8_indirect): MR output pixels x NR filters, the whole
//      reduction (taps x ICg) inside, its A rows gathered through the pointers: no Im2Col copy, and
//      the input is read in place (the buffer only holds addresses: MR*KH*KW pointers per call).
// Calls of the micro-kernel: ceil(N*OH*OW / MR) * ceil(OCg / NR) per group. The last block of pixels
// repeats the last pixel's pointers (as QNNPACK does) and drops those rows when writing.
#include <algorithm>

#include "conv_internal.hpp"
#include "gb/kernels/indirect.hpp"

namespace gb::kernels {

void build_indirection_buffer(const float* x_nhwc, const float* zero, const ConvShape& s, const float** buffer) {
  // BEGIN EXERCISE(kernels.indirect.buffer)
  const Conv2dParams& p = s.params;
  const std::int64_t taps = s.kernel_h * s.kernel_w;
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
        const std::int64_t pixel = (n * s.out_h + oh) * s.out_w + ow;
        for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
          const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
          for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
            const std::int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
            buffer[pixel * taps + kh * s.kernel_w + kw] =
                inside ? x_nhwc + ((n * s.in_h + ih) * s.in_w + iw) * s.in_channels : zero;
          }
        }
      }
    }
  }
  // END EXERCISE
}

namespace detail {
namespace {

constexpr std::int64_t kMR = kIndirectMR, kNR = kIndirectNR;

// acc[MR][NR] = sum over taps t and channels c of rows[i][t][c] * w[t][c][0:NR]; rows[i] is the
// pointer list of pixel i (channel offset of the group already applied through `channel0`).
void f32_conv_4x8_indirect(const float* const* rows[kMR], std::int64_t taps, std::int64_t icg, std::int64_t channel0,
                           const float* w, float acc[kMR][kNR]) {
  // The tile lives in a local array (kept in registers: nothing else can point at it) and is
  // stored once at the end, like the C tile of the GEMM micro-kernels.
  float c0[kNR] = {}, c1[kNR] = {}, c2[kNR] = {}, c3[kNR] = {};
  for (std::int64_t t = 0; t < taps; ++t) {
    const float* a0 = rows[0][t] + channel0;
    const float* a1 = rows[1][t] + channel0;
    const float* a2 = rows[2][t] + channel0;
    const float* a3 = rows[3][t] + channel0;
    const float* wt = w + t * icg * kNR;
    for (std::int64_t c = 0; c < icg; ++c) {
      const float* wc = wt + c * kNR;
      const float v0 = a0[c], v1 = a1[c], v2 = a2[c], v3 = a3[c];
      for (std::int64_t j = 0; j < kNR; ++j) {
        c0[j] += v0 * wc[j];
        c1[j] += v1 * wc[j];
        c2[j] += v2 * wc[j];
        c3[j] += v3 * wc[j];
      }
    }
  }
  for (std::int64_t j = 0; j < kNR; ++j) {
    acc[0][j] = c0[j];
    acc[1][j] = c1[j];
    acc[2][j] = c2[j];
    acc[3][j] = c3[j];
  }
}

std::int64_t filter_blocks(const ConvShape& s) { return (s.group_out() + kNR - 1) / kNR; }

}  // namespace

std::size_t workspace_indirect(const ConvShape& s) {
  const std::int64_t taps = s.kernel_h * s.kernel_w, pixels = s.batch * s.out_h * s.out_w;
  return bytes_of<float>(s.batch * s.in_h * s.in_w * s.in_channels + s.in_channels) +    // NHWC x, zero vector
         bytes_of<const float*>(pixels * taps) +                                         // the indirection buffer
         bytes_of<float>(s.params.groups * filter_blocks(s) * taps * s.group_in() * kNR);  // packed weights
}

void conv_indirect(const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  const std::int64_t taps = s.kernel_h * s.kernel_w, pixels = s.batch * s.out_h * s.out_w;
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), blocks = filter_blocks(s);
  const std::int64_t plane = s.out_h * s.out_w;
  std::vector<float> x_nhwc = buffer(s.batch * s.in_h * s.in_w * s.in_channels);
  const std::vector<float> zero = buffer(s.in_channels);
  std::vector<const float*> indirection(static_cast<std::size_t>(pixels * taps));
  nchw_to_nhwc(x, s.batch, s.in_channels, s.in_h, s.in_w, x_nhwc.data());
  build_indirection_buffer(x_nhwc.data(), zero.data(), s, indirection.data());

  std::vector<float> packed = buffer(blocks * taps * icg * kNR);
  float acc[kMR][kNR];
  for (std::int64_t g = 0; g < s.params.groups; ++g) {
    std::fill(packed.begin(), packed.end(), 0.0f);  // [block][tap][c][NR], zero beyond OCg
    for (std::int64_t o = 0; o < ocg; ++o)
      for (std::int64_t c = 0; c < icg; ++c)
        for (std::int64_t t = 0; t < taps; ++t)
          packed[static_cast<std::size_t>((((o / kNR) * taps + t) * icg + c) * kNR + o % kNR)] =
              w[((g * ocg + o) * icg + c) * taps + t];
    for (std::int64_t p0 = 0; p0 < pixels; p0 += kMR) {
      const float* const* rows[kMR];
      for (std::int64_t i = 0; i < kMR; ++i) rows[i] = indirection.data() + std::min(p0 + i, pixels - 1) * taps;
      for (std::int64_t blk = 0; blk < blocks; ++blk) {
        f32_conv_4x8_indirect(rows, taps, icg, g * icg, packed.data() + blk * taps * icg * kNR, acc);
        for (std::int64_t i = 0; i < kMR && p0 + i < pixels; ++i) {
          const std::int64_t n = (p0 + i) / plane, q = (p0 + i) % plane;
          for (std::int64_t j = 0; j < kNR && blk * kNR + j < ocg; ++j) {
            const std::int64_t oc = g * ocg + blk * kNR + j;
            y[(n * s.out_channels + oc) * plane + q] = acc[i][j] + (b != nullptr ? b[oc] : 0.0f);
          }
        }
      }
    }
  }
}

}  // namespace detail
}  // namespace gb::kernels
