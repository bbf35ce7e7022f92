// qconv.cpp: int8 convolution by three algorithms with one contract (qgemm.hpp): direct, im2col, indirect.
//
// Every algorithm computes, for image n and output channel o of group g (OCg filters, ICg channels each),
//
//   acc[n, o, oh, ow] = sum_{i, kh, kw} (x[n, g*ICg + i, ih, iw] - x_zero) * (w[o, i, kh, kw] - w_zero[o])
//   ih = oh*sh - pad_top + kh*dh,  iw = ow*sw - pad_left + kw*dw
//
// where a tap in the padding reads x_zero: real 0, so it adds (x_zero - x_zero) * (...) = 0. (Padding
// with the byte 0 instead would add -x_zero * (w - w_zero): a wrong answer whenever x_zero != 0, the
// usual case after a ReLU-free layer.) Then y = requantize(acc + bias) per output channel.
//
//   direct     the seven loops, int64 sums, padding taps skipped: the reference of the other two
//   im2col     a uint8 column matrix [OH*OW, ICg*KH*KW] per image and group (padding written as x_zero),
//              then one qgemm_s32: out[p, o] = col[p, :] . w[o, :] (w's OIHW rows are already [OCg, K])
//   indirect   x copied to NHWC once; for each (pixel, tap) a pointer to the ICg bytes it reads, or to a
//              vector of ICg copies of x_zero (Dukhan 2019, QNNPACK); the weights reordered to
//              [OC, KH, KW, ICg] so that k = tap * ICg + channel; qgemm_s32_indirect gathers A's rows
//              through the pointers while packing (no column matrix: KH*KW pointers per pixel instead of
//              KH*KW*ICg bytes)
//
// im2col and indirect produce [pixels, OCg] accumulators (one row per output pixel); requantizing
// writes them back transposed into the NCHW output.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "qgemm_internal.hpp"
#include "qtensor_checks.hpp"

namespace gb::quant {
namespace {

using kernels::ConvShape;

// What every algorithm is handed: contiguous u8 x, i8 w, the checked shape, zero points and the
// requantization of all OC channels; y (u8 NCHW) to write.
struct QConvProblem {
  const std::uint8_t* x = nullptr;
  const std::int8_t* w = nullptr;
  ConvShape s;
  std::int32_t x_zero = 0;
  std::vector<std::int32_t> w_zero;  // OC entries, or empty when all 0
  Requantization r;
  QGemmVariant variant = QGemmVariant::best;
  std::uint8_t* y = nullptr;
};

// The requantization of output channels [first, first + count) (one group's).
Requantization channels_of(const Requantization& r, std::int64_t first, std::int64_t count) {
  Requantization out;
  out.out_zero_point = r.out_zero_point;
  out.out_range = r.out_range;
  const auto slice = [&](const auto& v) {
    return std::vector(v.begin() + first, v.begin() + first + count);
  };
  out.multiplier = r.multiplier.size() == 1 ? r.multiplier : slice(r.multiplier);
  if (!r.bias.empty()) out.bias = slice(r.bias);
  return out;
}

// acc [pixels, OCg] (one image, one group) -> y[n, g*OCg + o, pixel] (NCHW).
void requantize_to_nchw(const QConvProblem& q, const std::vector<std::int32_t>& acc, std::int64_t n, std::int64_t g,
                        std::vector<std::uint8_t>& scratch) {
  const ConvShape& s = q.s;
  const std::int64_t pixels = s.out_h * s.out_w, ocg = s.group_out();
  scratch.resize(static_cast<std::size_t>(pixels * ocg));
  requantize_rows(acc.data(), pixels, ocg, ocg, channels_of(q.r, g * ocg, ocg), scratch.data(), ocg, q.variant);
  std::uint8_t* y = q.y + (n * s.out_channels + g * ocg) * pixels;
  for (std::int64_t p = 0; p < pixels; ++p) {
    for (std::int64_t o = 0; o < ocg; ++o) y[o * pixels + p] = scratch[static_cast<std::size_t>(p * ocg + o)];
  }
}

const std::int32_t* zero_points_of_group(const QConvProblem& q, std::int64_t g) {
  return q.w_zero.empty() ? nullptr : q.w_zero.data() + g * q.s.group_out();
}

// --- direct -------------------------------------------------------------------------------------------

// The output columns [lo, hi) whose tap at offset k_offset = kw*dw lands inside a row of `in` pixels:
// ow*stride - pad + k_offset in [0, in). Outside it the tap reads padding, which adds 0.
void inside_columns(std::int64_t in, std::int64_t out, std::int64_t stride, std::int64_t pad, std::int64_t k_offset,
                    std::int64_t* lo, std::int64_t* hi) {
  const std::int64_t first = pad - k_offset, last = in - 1 + pad - k_offset;  // ow*stride in [first, last]
  *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  *hi = last < 0 ? 0 : std::min(out, last / stride + 1);
}

// The seven loops of the formula, reordered so that the innermost one walks along an output row (and an
// input row) with no bounds check: for each filter tap, the columns where it lands inside the input.
// Sums in int64; the result fits int32 because ICg*KH*KW <= kQGemmMaxK (checked in qconv2d).
void qconv_direct(const QConvProblem& q) {
  const ConvShape& s = q.s;
  const kernels::Conv2dParams& p = s.params;
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), pixels = s.out_h * s.out_w;
  std::vector<std::int64_t> sum(static_cast<std::size_t>(pixels));
  std::vector<std::int32_t> acc(static_cast<std::size_t>(pixels));
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t o = 0; o < s.out_channels; ++o) {
      const std::int64_t g = o / ocg;
      const std::int64_t w_zero = q.w_zero.empty() ? 0 : q.w_zero[static_cast<std::size_t>(o)];
      std::fill(sum.begin(), sum.end(), 0);
      for (std::int64_t i = 0; i < icg; ++i) {
        const std::uint8_t* plane = q.x + ((n * s.in_channels + g * icg + i) * s.in_h) * s.in_w;
        const std::int8_t* filter = q.w + ((o * icg + i) * s.kernel_h) * s.kernel_w;
        for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
          for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
            const std::int64_t weight = std::int64_t{filter[kh * s.kernel_w + kw]} - w_zero;
            std::int64_t lo = 0, hi = 0;
            inside_columns(s.in_w, s.out_w, p.stride_w, p.pad_left, kw * p.dilation_w, &lo, &hi);
            for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
              const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
              if (ih < 0 || ih >= s.in_h) continue;  // a padding row: (x_zero - x_zero) * w = 0
              const std::int64_t row_start = ih * s.in_w - p.pad_left + kw * p.dilation_w;  // input index of ow = 0
              std::int64_t* out_row = sum.data() + oh * s.out_w;
              for (std::int64_t ow = lo; ow < hi; ++ow) {
                out_row[ow] += (std::int64_t{plane[row_start + ow * p.stride_w]} - q.x_zero) * weight;
              }
            }
          }
        }
      }
      for (std::int64_t px = 0; px < pixels; ++px) acc[static_cast<std::size_t>(px)] = static_cast<std::int32_t>(sum[static_cast<std::size_t>(px)]);
      // One channel: a column of `pixels` accumulators, requantized with channel o's multiplier and bias.
      requantize_rows(acc.data(), pixels, 1, 1, channels_of(q.r, o, 1), q.y + (n * s.out_channels + o) * pixels, 1,
                      QGemmVariant::reference);
    }
  }
}

// --- im2col -------------------------------------------------------------------------------------------

// col[p, (i*KH + kh)*KW + kw] = x[g*ICg + i, ih, iw], or x_zero in the padding (one image, one group).
void qim2col(const std::uint8_t* x_group, const ConvShape& s, std::uint8_t x_zero, std::uint8_t* col) {
  const kernels::Conv2dParams& p = s.params;
  const std::int64_t k = s.group_in() * s.kernel_h * s.kernel_w;
  for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
    for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
      std::uint8_t* row = col + (oh * s.out_w + ow) * k;
      for (std::int64_t i = 0; i < s.group_in(); ++i) {
        for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
          const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
          for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
            const std::int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
            const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
            *row++ = inside ? x_group[(i * s.in_h + ih) * s.in_w + iw] : x_zero;
          }
        }
      }
    }
  }
}

void qconv_im2col(const QConvProblem& q) {
  const ConvShape& s = q.s;
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), pixels = s.out_h * s.out_w;
  const std::int64_t k = icg * s.kernel_h * s.kernel_w;
  std::vector<std::uint8_t> col(static_cast<std::size_t>(pixels * k)), scratch;
  std::vector<std::int32_t> acc(static_cast<std::size_t>(pixels * ocg));
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t g = 0; g < s.params.groups; ++g) {
      qim2col(q.x + (n * s.in_channels + g * icg) * s.in_h * s.in_w, s, static_cast<std::uint8_t>(q.x_zero), col.data());
      QGemmArgs args;
      args.m = pixels;
      args.n = ocg;
      args.k = k;
      args.a = col.data();
      args.lda = k;
      args.a_zero_point = q.x_zero;
      args.b = q.w + g * ocg * k;  // OIHW: the filters of group g are OCg rows of K bytes
      args.ldb = k;
      args.b_zero_point = zero_points_of_group(q, g);
      args.c = acc.data();
      args.ldc = ocg;
      qgemm_s32(q.variant, args);
      requantize_to_nchw(q, acc, n, g, scratch);
    }
  }
}

// --- indirect -----------------------------------------------------------------------------------------

void qconv_indirect(const QConvProblem& q) {
  const ConvShape& s = q.s;
  const kernels::Conv2dParams& p = s.params;
  const std::int64_t c = s.in_channels, icg = s.group_in(), ocg = s.group_out(), pixels = s.out_h * s.out_w;
  const std::int64_t taps = s.kernel_h * s.kernel_w, k = taps * icg;
  // The weights as [OC, KH, KW, ICg]: row o, k = tap * ICg + i, the order the pointers deliver.
  std::vector<std::int8_t> w_taps(static_cast<std::size_t>(s.out_channels * k));
  for (std::int64_t o = 0; o < s.out_channels; ++o) {
    for (std::int64_t i = 0; i < icg; ++i) {
      for (std::int64_t t = 0; t < taps; ++t) {
        w_taps[static_cast<std::size_t>(o * k + t * icg + i)] = q.w[(o * icg + i) * taps + t];
      }
    }
  }
  const std::vector<std::uint8_t> zero_vector(static_cast<std::size_t>(icg), static_cast<std::uint8_t>(q.x_zero));
  std::vector<std::uint8_t> x_nhwc(static_cast<std::size_t>(s.in_h * s.in_w * c)), scratch;
  std::vector<const std::uint8_t*> indirection(static_cast<std::size_t>(pixels * taps));
  std::vector<std::int32_t> acc(static_cast<std::size_t>(pixels * ocg));
  for (std::int64_t n = 0; n < s.batch; ++n) {
    const std::uint8_t* image = q.x + n * c * s.in_h * s.in_w;
    for (std::int64_t ch = 0; ch < c; ++ch) {
      for (std::int64_t hw = 0; hw < s.in_h * s.in_w; ++hw) x_nhwc[static_cast<std::size_t>(hw * c + ch)] = image[ch * s.in_h * s.in_w + hw];
    }
    for (std::int64_t g = 0; g < s.params.groups; ++g) {
      // One pointer per (output pixel, tap): the ICg channels of group g at the input pixel it reads.
      for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
        for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
          for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
            const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
            for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
              const std::int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
              const bool inside = ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
              indirection[static_cast<std::size_t>((oh * s.out_w + ow) * taps + kh * s.kernel_w + kw)] =
                  inside ? x_nhwc.data() + (ih * s.in_w + iw) * c + g * icg : zero_vector.data();
            }
          }
        }
      }
      QGemmArgs args;
      args.m = pixels;
      args.n = ocg;
      args.k = k;
      args.a_zero_point = q.x_zero;
      args.b = w_taps.data() + g * ocg * k;
      args.ldb = k;
      args.b_zero_point = zero_points_of_group(q, g);
      args.c = acc.data();
      args.ldc = ocg;
      qgemm_s32_indirect(q.variant, QIndirectA{indirection.data(), taps, icg}, args);
      requantize_to_nchw(q, acc, n, g, scratch);
    }
  }
}

struct NamedAlgo {
  QConvAlgo algo;
  const char* name;
};
constexpr NamedAlgo kAlgos[] = {
    {QConvAlgo::direct, "direct"}, {QConvAlgo::im2col, "im2col"}, {QConvAlgo::indirect, "indirect"}, {QConvAlgo::best, "best"}};

}  // namespace

const char* qconv_algo_name(QConvAlgo a) {
  for (const NamedAlgo& n : kAlgos) {
    if (n.algo == a) return n.name;
  }
  return "?";
}

QConvAlgo qconv_algo_from_name(const std::string& name) {
  std::string known;
  for (const NamedAlgo& n : kAlgos) {
    if (name == n.name) return n.algo;
    known += std::string(known.empty() ? "" : ", ") + n.name;
  }
  throw Error("qconv_algo_from_name", "one of " + known, "'" + name + "'");
}

const std::vector<QConvAlgo>& all_qconv_algos() {
  static const std::vector<QConvAlgo> all{QConvAlgo::direct, QConvAlgo::im2col, QConvAlgo::indirect};
  return all;
}

QConvAlgo choose_qconv_algo(const ConvShape& s) {
  // A depthwise filter has KH*KW terms per output: nothing for a GEMM tile to block.
  if (s.depthwise()) return QConvAlgo::direct;
  return QConvAlgo::indirect;
}

QTensor qconv2d(const QTensor& x, const QTensor& w, const Tensor& bias, const kernels::Conv2dParams& p,
                const QParams& output, bool relu, QConvAlgo algo) {
  return qconv2d(x, w, bias, p, output, relu, algo, QGemmVariant::best);
}

QTensor qconv2d(const QTensor& x, const QTensor& w, const Tensor& bias, const kernels::Conv2dParams& p,
                const QParams& output, bool relu, QConvAlgo algo, QGemmVariant v) {
  const char* op = "qconv2d";
  detail::check_activation(op, x, 4);
  detail::check_weight(op, w, 4);
  QConvProblem q;
  q.s = kernels::conv_shape(x.values.shape(), w.values.shape(), p, op);
  const std::int64_t k = q.s.group_in() * q.s.kernel_h * q.s.kernel_w;
  if (k > kQGemmMaxK) {
    throw Error(op, "ICg*KH*KW <= " + std::to_string(kQGemmMaxK) + " (int32 accumulators)", std::to_string(k));
  }
  if (bias.defined() && (bias.ndim() != 1 || bias.shape()[0] != q.s.out_channels)) {
    throw Error(op, "a bias of shape [" + std::to_string(q.s.out_channels) + "] (or none)", shape_str(bias.shape()));
  }
  if (!qgemm_variant_available(v)) {
    throw Error(op, "a qgemm variant this CPU can run", qgemm_variant_name(v));
  }
  q.r = make_requantization(x.params, w.params, bias, output, relu);
  q.x_zero = x.params.zero_point[0];
  q.w_zero = detail::weight_zero_points(w, q.s.out_channels);
  q.variant = v;
  const Tensor xc = x.values.contiguous(), wc = w.values.contiguous();
  q.x = xc.data<std::uint8_t>();
  q.w = wc.data<std::int8_t>();
  QTensor y{Tensor::empty({q.s.batch, q.s.out_channels, q.s.out_h, q.s.out_w}, DType::u8), output};
  q.y = y.values.data<std::uint8_t>();
  switch (algo == QConvAlgo::best ? choose_qconv_algo(q.s) : algo) {
    case QConvAlgo::im2col: qconv_im2col(q); break;
    case QConvAlgo::indirect: qconv_indirect(q); break;
    default: qconv_direct(q); break;
  }
  return y;
}

}  // namespace gb::quant
