// functional_conv.cpp: conv2d, forward by gb::kernels::conv2d, backward by im2col, GEMM and col2im.
//
// Lesson 20 writes one image and one group of the convolution as a single matrix product:
//   Y_g [OCg x P] = W_g [OCg x K] col [K x P]       col = im2col(x_g), K = ICg*KH*KW, P = OH*OW
// so its VJP is the VJP of a matmul (lesson 04), with G_g = dL/dY_g:
//   dW_g  = G_g col^T    [OCg x K]    summed over the images
//   dcol  = W_g^T G_g    [K x P]      then dx_g = col2im(dcol), the adjoint of im2col
//   db[o] = the sum of G over images and pixels of channel o
// im2col COPIES each input value into every column whose window covers it; its adjoint col2im ADDS
// every column entry back onto the input value it was copied from (a scatter-add where im2col was a
// gather). Together, dcol and col2im are the "transposed convolution" of G with W.
//
// The images of a batch are put side by side, so each product is ONE GEMM per group for many images
// instead of one small GEMM per image (W is packed once; the micro-kernel sees long rows, not P = 16
// pixels). The columns are stored transposed, one ROW per output pixel (its window, flattened: the
// NHWC form of lesson 20), so that neither GEMM reads a matrix transposed with a long stride:
//   dW_g     = G_g [OCg x pixels] colT [pixels x K]
//   dcolT    = G_g^T [pixels x OCg] W_g [OCg x K]     (G_g^T: the GEMM reads G_g column by column)
// The VJP computes with plain tensors: first order only (gb::Error under create_graph).
#include <algorithm>
#include <cstring>
#include <vector>

#include "functional_common.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/nn/functional.hpp"

namespace gb::nn {

namespace ad = gb::autodiff;

namespace {

// The outputs o in [first, last) whose tap k reads inside an input of size `in`:
// 0 <= o * stride - pad + k * dilation < in. Splitting the loops there leaves no bounds check inside.
struct OutputRange {
  std::int64_t first = 0, last = 0;
};
OutputRange outputs_inside(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, std::int64_t pad,
                           std::int64_t dilation) {
  const std::int64_t offset = k * dilation - pad;  // the input coordinate read by output 0
  OutputRange r;
  r.first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  r.last = offset >= in ? 0 : std::min(out, (in - 1 - offset) / stride + 1);
  r.last = std::max(r.last, r.first);
  return r;
}

// im2col (lesson 20; kernels::im2col is the lesson's version) and its adjoint col2im, for one image
// and group, with the same loops. Entry (tap r = (i, kh, kw), pixel q = oh*OW + ow) of the column
// block lives at col[q * K + r] (row q: the window of output pixel q, K = ICg*KH*KW taps).
//   im2col: colT[q, r]  = x[i, ih, iw]      (0 where the tap lands in the padding)
//   col2im: dx[i, ih, iw] += dcolT[q, r]    (padding taps go nowhere)
// with ih = oh*sh - pad_top + kh*dh and iw = ow*sw - pad_left + kw*dw.
template <bool kAdjoint>
void columns(const kernels::ConvShape& s, const float* x, float* col, const float* dcol, float* dx) {
  const kernels::Conv2dParams& p = s.params;
  const std::int64_t taps = s.group_in() * s.kernel_h * s.kernel_w;
  if (!kAdjoint) std::fill_n(col, s.out_h * s.out_w * taps, 0.0f);  // the padding taps stay 0
  for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
    const OutputRange rows = outputs_inside(s.in_h, s.out_h, kh, p.stride_h, p.pad_top, p.dilation_h);
    for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
      const OutputRange cols = outputs_inside(s.in_w, s.out_w, kw, p.stride_w, p.pad_left, p.dilation_w);
      for (std::int64_t i = 0; i < s.group_in(); ++i) {
        const std::int64_t r = (i * s.kernel_h + kh) * s.kernel_w + kw;
        for (std::int64_t oh = rows.first; oh < rows.last; ++oh) {
          const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
          const std::int64_t base = (i * s.in_h + ih) * s.in_w - p.pad_left + kw * p.dilation_w;  // + ow*sw: iw
          for (std::int64_t ow = cols.first; ow < cols.last; ++ow) {
            const std::int64_t at = (oh * s.out_w + ow) * taps + r;
            if (kAdjoint) dx[base + ow * p.stride_w] += dcol[at];
            else col[at] = x[base + ow * p.stride_w];
          }
        }
      }
    }
  }
}
void im2col(const kernels::ConvShape& s, const float* x, float* col) { columns<false>(s, x, col, nullptr, nullptr); }
void col2im(const kernels::ConvShape& s, const float* dcol, float* dx) { columns<true>(s, nullptr, nullptr, dcol, dx); }

// How many images share one GEMM: as many as keep the column matrix under ~4 MiB (a workspace that
// stays in the last-level cache), at least one.
std::int64_t images_per_chunk(const kernels::ConvShape& s) {
  const std::int64_t floats_per_image = s.group_in() * s.kernel_h * s.kernel_w * s.out_h * s.out_w;
  return std::clamp<std::int64_t>((std::int64_t{1} << 20) / floats_per_image, 1, s.batch);
}

// The three adjoints of one convolution (see the top of the file). dx (zero-filled), dw, db may be
// null when not needed.
void conv2d_backward(const float* x, const float* w, const float* g, const kernels::ConvShape& s, float* dx, float* dw,
                     float* db) {
  const std::int64_t k = s.group_in() * s.kernel_h * s.kernel_w, pixels = s.out_h * s.out_w;
  const std::int64_t ocg = s.group_out(), image_in = s.in_channels * s.in_h * s.in_w;
  const std::int64_t chunk = images_per_chunk(s);
  float* g_rows = detail::workspace(0, s.out_channels * chunk * pixels);
  float* col = dw != nullptr ? detail::workspace(1, k * chunk * pixels) : nullptr;
  float* dcol = dx != nullptr ? detail::workspace(2, k * chunk * pixels) : nullptr;
  if (db != nullptr) std::fill_n(db, s.out_channels, 0.0f);
  for (std::int64_t n0 = 0; n0 < s.batch; n0 += chunk) {
    const std::int64_t images = std::min(chunk, s.batch - n0), width = images * pixels;
    // G of these images as [OC x images*P]: row o holds channel o of every image, side by side.
    for (std::int64_t n = 0; n < images; ++n)
      for (std::int64_t o = 0; o < s.out_channels; ++o)
        std::memcpy(g_rows + o * width + n * pixels, g + ((n0 + n) * s.out_channels + o) * pixels,
                    sizeof(float) * static_cast<std::size_t>(pixels));
    for (std::int64_t grp = 0; grp < s.params.groups; ++grp) {
      const float* g_group = g_rows + grp * ocg * width;  // G_g: OCg rows of `width` pixels
      const std::int64_t x_offset = grp * s.group_in() * s.in_h * s.in_w;
      if (dw != nullptr) {  // dW_g (+)= G_g colT
        for (std::int64_t n = 0; n < images; ++n) im2col(s, x + (n0 + n) * image_in + x_offset, col + n * pixels * k);
        detail::gemm_f32(false, false, ocg, k, width, g_group, width, col, k, n0 == 0 ? 0.0f : 1.0f,
                         dw + grp * ocg * k, k);
      }
      if (dx != nullptr) {  // dcolT = G_g^T W_g, scattered back onto each image
        detail::gemm_f32(true, false, width, k, ocg, g_group, width, w + grp * ocg * k, k, 0.0f, dcol, k);
        for (std::int64_t n = 0; n < images; ++n) col2im(s, dcol + n * pixels * k, dx + (n0 + n) * image_in + x_offset);
      }
    }
    if (db != nullptr) {
      for (std::int64_t o = 0; o < s.out_channels; ++o) {
        const float* row = g_rows + o * width;
        db[o] += static_cast<float>(detail::sum_of(width, [&](std::int64_t q) { return static_cast<double>(row[q]); }));
      }
    }
  }
}

}  // namespace

Variable conv2d(const Variable& x, const Variable& w, const Variable& b, const kernels::Conv2dParams& p) {
  const Tensor& xv = detail::f32_value_of(x, "conv2d", "x");
  const Tensor& wv = detail::f32_value_of(w, "conv2d", "weight");
  const Tensor bv = b.defined() ? detail::f32_value_of(b, "conv2d", "bias") : Tensor();
  const Tensor xc = xv.contiguous(), wc = wv.contiguous();
  Tensor y = kernels::conv2d(xc, wc, bv, p);  // checks shapes and parameters; ConvAlgo::best
  const kernels::ConvShape s = kernels::conv_shape(xc.shape(), wc.shape(), p);
  std::vector<Variable> inputs = {x, w};
  if (b.defined()) inputs.push_back(b);
  return ad::record_op("conv2d", y, inputs, {xc, wc}, [s](const ad::VjpContext& ctx) {
    detail::require_first_order("conv2d");
    const Tensor& x_saved = ctx.node.saved[0];
    const Tensor& w_saved = ctx.node.saved[1];
    const Tensor g = ctx.adjoint.value().contiguous();
    const bool has_bias = ctx.node.inputs.size() > 2;
    Tensor dx = ctx.needs_grad(0) ? Tensor::zeros(x_saved.shape()) : Tensor();  // col2im adds onto zeros
    Tensor dw = ctx.needs_grad(1) ? Tensor::empty(w_saved.shape()) : Tensor();
    Tensor db = has_bias && ctx.needs_grad(2) ? Tensor::empty({s.out_channels}) : Tensor();
    conv2d_backward(x_saved.data<float>(), w_saved.data<float>(), g.data<float>(), s,
                    dx.defined() ? dx.data<float>() : nullptr, dw.defined() ? dw.data<float>() : nullptr,
                    db.defined() ? db.data<float>() : nullptr);
    std::vector<Variable> adjoints = {dx.defined() ? ad::constant(dx) : Variable(),
                                      dw.defined() ? ad::constant(dw) : Variable()};
    if (has_bias) adjoints.push_back(db.defined() ? ad::constant(db) : Variable());
    return adjoints;
  });
}

}  // namespace gb::nn
