// conv_direct.cpp: direct convolution, the seven loops of the formula (lesson 20), in NCHW (the
// reference every other algorithm is tested against) and in NHWC.
//
// NCHW: for each output plane y[n, o] and each term (i, kh, kw), add w[o, i, kh, kw] times a shifted
// (strided, dilated) window of the input plane x[n, g*ICg + i]. The output columns whose tap lands in
// the padding are cut off once per (kh, kw) by valid_range, so the inner loop has no bounds check.
//
// NHWC: the same loops with the channels innermost. x is copied to NHWC, w to HWIO ([KH, KW, ICg, OC]),
// so for one output pixel and one tap the inner loop runs over the OCg filters with unit stride:
// y[pixel, o:o+OCg] += x[pixel', i] * w[kh, kw, i, o:o+OCg], the form SIMD kernels of NHWC engines
// (TFLite, XNNPACK) vectorise.
#include <algorithm>

#include "conv_internal.hpp"

namespace gb::kernels::detail {

// Compiled for AVX-512, AVX2 and plain x86-64 (GB_CONV_CLONES). With stride 1 the innermost loop reads
// the input row contiguously, so it is written that way and vectorises; the strided case reads every
// stride-th element.
GB_CONV_CLONES void conv_direct_nchw(const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  const Conv2dParams& p = s.params;
  const std::int64_t icg = s.group_in(), ocg = s.group_out();
  fill_bias(b, s, y);
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t o = 0; o < s.out_channels; ++o) {
      const std::int64_t g = o / ocg;
      float* out = y + (n * s.out_channels + o) * s.out_h * s.out_w;
      for (std::int64_t i = 0; i < icg; ++i) {
        const float* in = x + (n * s.in_channels + g * icg + i) * s.in_h * s.in_w;
        for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
          std::int64_t oh0, oh1;
          valid_range(s.in_h, s.out_h, kh, p.stride_h, p.pad_top, p.dilation_h, &oh0, &oh1);
          for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
            std::int64_t ow0, ow1;
            valid_range(s.in_w, s.out_w, kw, p.stride_w, p.pad_left, p.dilation_w, &ow0, &ow1);
            const float weight = w[((o * icg + i) * s.kernel_h + kh) * s.kernel_w + kw];
            for (std::int64_t oh = oh0; oh < oh1; ++oh) {
              const float* row = in + input_coord(oh, kh, p.stride_h, p.pad_top, p.dilation_h) * s.in_w;
              float* out_row = out + oh * s.out_w;
              if (p.stride_w == 1) {
                const float* src = row + input_coord(0, kw, 1, p.pad_left, p.dilation_w);
                for (std::int64_t ow = ow0; ow < ow1; ++ow) out_row[ow] += weight * src[ow];
              } else {
                for (std::int64_t ow = ow0; ow < ow1; ++ow) {
                  out_row[ow] += weight * row[input_coord(ow, kw, p.stride_w, p.pad_left, p.dilation_w)];
                }
              }
            }
          }
        }
      }
    }
  }
}

std::size_t workspace_direct_nhwc(const ConvShape& s) {
  return bytes_of<float>(s.batch * s.in_channels * s.in_h * s.in_w +                  // x in NHWC
                         s.kernel_h * s.kernel_w * s.group_in() * s.out_channels +     // w in HWIO
                         s.batch * s.out_channels * s.out_h * s.out_w);                // y in NHWC
}

void conv_direct_nhwc(const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  const Conv2dParams& p = s.params;
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), oc = s.out_channels, ic = s.in_channels;
  std::vector<float> xt = buffer(s.batch * ic * s.in_h * s.in_w);
  std::vector<float> wt = buffer(s.kernel_h * s.kernel_w * icg * oc);
  std::vector<float> yt = buffer(s.batch * oc * s.out_h * s.out_w);
  nchw_to_nhwc(x, s.batch, ic, s.in_h, s.in_w, xt.data());
  for (std::int64_t o = 0; o < oc; ++o)  // OIHW -> HWIO
    for (std::int64_t i = 0; i < icg; ++i)
      for (std::int64_t t = 0; t < s.kernel_h * s.kernel_w; ++t)
        wt[static_cast<std::size_t>((t * icg + i) * oc + o)] = w[(o * icg + i) * s.kernel_h * s.kernel_w + t];
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
        float* out = yt.data() + ((n * s.out_h + oh) * s.out_w + ow) * oc;  // the OC channels of one pixel
        for (std::int64_t o = 0; o < oc; ++o) out[o] = b != nullptr ? b[o] : 0.0f;
        for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
          const std::int64_t ih = input_coord(oh, kh, p.stride_h, p.pad_top, p.dilation_h);
          if (ih < 0 || ih >= s.in_h) continue;  // a padding row adds zeros
          for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
            const std::int64_t iw = input_coord(ow, kw, p.stride_w, p.pad_left, p.dilation_w);
            if (iw < 0 || iw >= s.in_w) continue;
            const float* in = xt.data() + ((n * s.in_h + ih) * s.in_w + iw) * ic;
            const float* taps = wt.data() + (kh * s.kernel_w + kw) * icg * oc;
            for (std::int64_t g = 0; g < s.params.groups; ++g) {
              for (std::int64_t i = 0; i < icg; ++i) {
                const float v = in[g * icg + i];
                const float* wrow = taps + i * oc + g * ocg;
                float* orow = out + g * ocg;
                for (std::int64_t o = 0; o < ocg; ++o) orow[o] += v * wrow[o];  // unit stride over filters
              }
            }
          }
        }
      }
    }
  }
  nhwc_to_nchw(yt.data(), s.batch, oc, s.out_h, s.out_w, y);
}

}  // namespace gb::kernels::detail
