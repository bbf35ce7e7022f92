// onnx_ops_quant_conv.cpp: ONNX's QLinearConv (opset 10): Conv on quantized tensors,
//   inputs x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, optional B (int32 [M]),
//   attributes those of Conv (onnx_ops_conv_window.hpp); w's scale and zero point per tensor or per filter.
// The accumulators of the formula in onnx_ops_quant_linear.cpp come from lib/quant's qgemm_s32 on a uint8
// column matrix (uint8 x, int8 w: QNNPACK's and FBGEMM's types), else from the reference loops on q - Z
// (any other mix of uint8 / int8, e.g. ONNX's own test with uint8 weights). Padding is real 0: the input's
// zero point, so a padding tap adds (Z_x - Z_x) w = 0.
#include <cstdint>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/quant/qgemm.hpp"
#include "onnx_ops_conv_window.hpp"
#include "onnx_ops_internal.hpp"
#include "onnx_ops_quant_linear.hpp"

namespace gb::convert::detail {

namespace {

constexpr std::size_t kX = 0, kXs = 1, kXz = 2, kW = 3, kWs = 4, kWz = 5, kYs = 6, kYz = 7, kB = 8;

std::vector<graph::ValueInfo> qconv_infer(const graph::InferContext& ctx) {
  const auto& in = ctx.inputs;
  const std::string& op = ctx.node.op;
  if (in.size() != 8 && in.size() != 9) throw Error(op, "8 inputs and an optional int32 bias B", std::to_string(in.size()) + " inputs");
  const std::int64_t filters = in[kW].shape.empty() ? -1 : in[kW].shape[0];
  check_quantized(op, "x", in[kX], in[kXs], in[kXz], -1);
  check_quantized(op, "w", in[kW], in[kWs], in[kWz], filters < 0 ? 0 : filters);
  check_quantized(op, "y", in[kYz], in[kYs], in[kYz], -1);
  if (in.size() == 9 && in[kB].dtype != DType::i32) throw Error(op, "a bias B of dtype i32", dtype_name(in[kB].dtype));
  const Window win = check_conv(ctx.node, in[kX].shape, in[kW].shape, in.size() == 9 ? &in[kB].shape : nullptr);
  Shape out{in[kX].shape[0], filters};
  out.insert(out.end(), win.out.begin(), win.out.end());
  return {{in[kYz].dtype, out}};
}

// acc [N, M, OH, OW] by the reference loops of the formula, on the centred integers.
std::vector<std::int32_t> qconv_reference(const kernels::ConvShape& s, const std::vector<std::int32_t>& x,
                                          const std::vector<std::int32_t>& w) {
  const kernels::Conv2dParams& p = s.params;
  std::vector<std::int32_t> acc(static_cast<std::size_t>(s.batch * s.out_channels * s.out_h * s.out_w));
  std::size_t a = 0;
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t m = 0; m < s.out_channels; ++m) {
      const std::int64_t c0 = (m / s.group_out()) * s.group_in();
      for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
        for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
          std::int64_t sum = 0;
          for (std::int64_t i = 0; i < s.group_in(); ++i) {
            for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
              const std::int64_t h = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
              for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
                const std::int64_t c = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
                if (h < 0 || h >= s.in_h || c < 0 || c >= s.in_w) continue;  // padding: real 0, q - Z = 0
                sum += std::int64_t{x[static_cast<std::size_t>(((n * s.in_channels + c0 + i) * s.in_h + h) * s.in_w + c)]} *
                       w[static_cast<std::size_t>(((m * s.group_in() + i) * s.kernel_h + kh) * s.kernel_w + kw)];
              }
            }
          }
          acc[a++] = saturate_i32(sum);
        }
      }
    }
  }
  return acc;
}

// The same accumulators through lib/quant: each image and group's uint8 column matrix [OH*OW, ICg*KH*KW]
// (padding = Z_x, real 0), one qgemm_s32 against the int8 filters [OCg, ICg*KH*KW], transposed into NCHW.
std::vector<std::int32_t> qconv_qgemm(const kernels::ConvShape& s, const Tensor& x, std::int32_t x_zero, const Tensor& w,
                                      const std::vector<std::int32_t>& w_zero) {
  const kernels::Conv2dParams& p = s.params;
  const std::int64_t pixels = s.out_h * s.out_w, k = s.group_in() * s.kernel_h * s.kernel_w, ocg = s.group_out();
  const Tensor xc = x.contiguous(), wc = w.contiguous();
  std::vector<std::int32_t> acc(static_cast<std::size_t>(s.batch * s.out_channels * pixels));
  std::vector<std::uint8_t> col(static_cast<std::size_t>(pixels * k));
  std::vector<std::int32_t> tile(static_cast<std::size_t>(pixels * ocg));
  std::vector<std::int32_t> zeros(static_cast<std::size_t>(s.out_channels));
  for (std::int64_t m = 0; m < s.out_channels; ++m) zeros[static_cast<std::size_t>(m)] = pick(w_zero, m);
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t g = 0; g < p.groups; ++g) {
      const std::uint8_t* img = xc.data<std::uint8_t>() + (n * s.in_channels + g * s.group_in()) * s.in_h * s.in_w;
      std::size_t e = 0;
      for (std::int64_t oh = 0; oh < s.out_h; ++oh) {
        for (std::int64_t ow = 0; ow < s.out_w; ++ow) {
          for (std::int64_t i = 0; i < s.group_in(); ++i) {
            for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
              const std::int64_t h = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
              for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
                const std::int64_t c = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
                const bool inside = h >= 0 && h < s.in_h && c >= 0 && c < s.in_w;
                col[e++] = inside ? img[(i * s.in_h + h) * s.in_w + c] : static_cast<std::uint8_t>(x_zero);
              }
            }
          }
        }
      }
      quant::QGemmArgs args;
      args.m = pixels;
      args.n = ocg;
      args.k = k;
      args.a = col.data();
      args.lda = k;
      args.a_zero_point = x_zero;
      args.b = wc.data<std::int8_t>() + g * ocg * k;
      args.ldb = k;
      args.b_zero_point = zeros.data() + g * ocg;
      args.c = tile.data();
      args.ldc = ocg;
      quant::qgemm_s32(quant::QGemmVariant::best, args);
      for (std::int64_t o = 0; o < ocg; ++o) {
        for (std::int64_t px = 0; px < pixels; ++px) {
          acc[static_cast<std::size_t>((n * s.out_channels + g * ocg + o) * pixels + px)] = tile[static_cast<std::size_t>(px * ocg + o)];
        }
      }
    }
  }
  return acc;
}

std::vector<Tensor> qconv_kernel(const graph::KernelContext& ctx) {
  const auto& in = ctx.inputs;
  std::vector<graph::ValueInfo> infos;
  for (const Tensor& t : in) infos.push_back({t.dtype(), t.shape()});
  qconv_infer(graph::InferContext{ctx.node, infos});  // the checks, on the real shapes
  const std::string& op = ctx.node.op;
  const Window win = check_conv(ctx.node, in[kX].shape(), in[kW].shape(), in.size() == 9 ? &in[kB].shape() : nullptr);
  const Tensor x = as_2d(in[kX]), w = as_2d(in[kW]);
  const kernels::ConvShape s = kernels::conv_shape(x.shape(), w.shape(), conv2d_params(win, attr_int(ctx.node, "group", 1)), op);
  const std::vector<std::int32_t> x_zero = read_ints(in[kXz]), w_zero = read_ints(in[kWz]), y_zero = read_ints(in[kYz]);
  const std::vector<float> x_scale = read_scales(op, in[kXs]), w_scale = read_scales(op, in[kWs]), y_scale = read_scales(op, in[kYs]);
  const std::int64_t k = s.group_in() * s.kernel_h * s.kernel_w;
  std::vector<std::int32_t> acc;
  if (x.dtype() == DType::u8 && w.dtype() == DType::i8 && k <= quant::kQGemmMaxK) {
    acc = qconv_qgemm(s, x, x_zero[0], w, w_zero);
  } else {
    acc = qconv_reference(s, centred(x, x_zero, x.numel()), centred(w, w_zero, k));
  }
  // The bias joins the accumulators (same grid S_x S_w), then each output channel m has its multiplier.
  const std::int64_t pixels = s.out_h * s.out_w;
  if (in.size() == 9) {
    const std::vector<std::int32_t> bias = read_ints(in[kB]);
    for (std::size_t i = 0; i < acc.size(); ++i) {
      acc[i] = saturate_i32(std::int64_t{acc[i]} + pick(bias, (static_cast<std::int64_t>(i) / pixels) % s.out_channels));
    }
  }
  Tensor y = requantize_codes(acc, {s.batch, s.out_channels, s.out_h, s.out_w}, in[kYz].dtype(), y_zero[0],
                              [&](std::int64_t i) {
                                return qlinear_multiplier(x_scale[0], pick(w_scale, (i / pixels) % s.out_channels), y_scale[0]);
                              });
  if (in[kX].ndim() == 3) y = y.squeeze(2);
  return {y};
}

}  // namespace

std::vector<std::string> register_qlinear_conv_onnx_op() {
  graph::OpDef def;
  def.name = "QLinearConv";
  def.infer = qconv_infer;
  def.kernel = qconv_kernel;
  def.doc = "ONNX QLinearConv: integer convolution of u8/i8 codes (qgemm_s32 for u8 x i8), int32 accumulators, requantized";
  graph::register_op(def);
  return {"QLinearConv"};
}

}  // namespace gb::convert::detail
