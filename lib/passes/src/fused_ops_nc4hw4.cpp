// fused_ops_nc4hw4.cpp: the ops of an NC4HW4 region (layout_pass.hpp, lesson 17 after lesson 18).
//
// An NC4HW4 tensor of logical shape [N, C, H, W] is stored as [N, ceil(C/4), H, W, 4]: the four channels
// of one pixel side by side, the last block padded with zero channels (gb/kernels/layout.hpp).
//
//   LayoutConvert   NCHW <-> NC4HW4 by gb::kernels::to_layout; "channels" is the true C going back.
//   ConvNC4HW4      a direct convolution in MNN's style: the weight OIHW is packed (at run time) into
//                   4x4 tiles, tile[ob][ib][kh][kw][ic][oc] = W[4 ob + oc, 4 ib + ic, kh, kw] (0 past M or C),
//                   and the loops are
//                     for each image n, output block ob, output pixel (oh, ow):
//                       acc[0..3] = B[4 ob .. 4 ob + 3]
//                       for each tap (kh, kw) inside the input, input block ib:
//                         src = x[n, ib, ih, iw, 0..3]                         (one 4-float load)
//                         for ic in 0..3: acc[0..3] += src[ic] * tile[ic][0..3]  (4 multiply-adds)
//                       y[n, ob, oh, ow, 0..3] = act(acc + Z[n, ob, oh, ow, 0..3])
//                   the four output channels of a block are computed together, from one vector of
//                   four input channels: the shape of a 4-wide SIMD multiply-add. The zero rows and
//                   columns of the padded tiles keep the output's padding channels at 0.
//   ReluNC4HW4      max(x, 0) on the stored tensor (relu(0) = 0: the padding stays 0).
//   AddNC4HW4       a + b on two stored tensors of one shape (0 + 0 = 0).
#include <algorithm>
#include <utility>

#include "fused_ops_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/core/shape.hpp"
#include "gb/graph/registry.hpp"
#include "gb/graph/shape_rules.hpp"
#include "gb/kernels/layout.hpp"

namespace gb::passes::detail {

namespace {

using graph::InferContext;
using graph::KernelContext;
using graph::ValueInfo;

std::int64_t blocks_of(std::int64_t channels) { return channels < 0 ? -1 : kernels::ceil_div(channels, 4); }

// An NC4HW4 tensor's stored shape: [N, C/4, H, W, 4].
void require_nc4hw4(const std::string& op, const std::string& what, const ValueInfo& info) {
  if (info.shape.size() != 5 || info.shape[4] != 4) {
    throw Error(op, what + " stored as NC4HW4 [N, ceil(C/4), H, W, 4]", graph::info_str(info));
  }
}

void require_f32(const std::string& op, const std::string& what, const ValueInfo& info) {
  if (info.dtype != DType::f32) throw Error(op, what + " of dtype f32", graph::info_str(info));
}

// --- LayoutConvert -----------------------------------------------------------------------------------

// The (from, to) pair of a LayoutConvert node: NCHW -> NC4HW4 or NC4HW4 -> NCHW.
std::pair<kernels::Layout, kernels::Layout> conversion(const graph::Node& node) {
  const kernels::Layout from = kernels::layout_from_name(node.attr_string("from"));
  const kernels::Layout to = kernels::layout_from_name(node.attr_string("to"));
  const kernels::Layout nchw = kernels::Layout::nchw(), nc4hw4 = kernels::Layout::nc4hw4();
  if (!((from == nchw && to == nc4hw4) || (from == nc4hw4 && to == nchw))) {
    throw Error(node.op, "from/to NCHW -> NC4HW4 or NC4HW4 -> NCHW", from.name() + " -> " + to.name());
  }
  return {from, to};
}

// The true channel count of an NC4HW4 -> NCHW conversion (attribute "channels").
std::int64_t true_channels(const graph::Node& node) {
  const std::int64_t c = int_attr(node, "channels", 0);
  if (c < 1) throw Error(node.op, "attribute channels >= 1 (the true C of the NC4HW4 input)", std::to_string(c));
  return c;
}

std::vector<ValueInfo> layout_convert_infer(const InferContext& ctx) {
  const std::string& op = ctx.node.op;
  if (ctx.inputs.size() != 1) throw Error(op, "one input X", std::to_string(ctx.inputs.size()) + " inputs");
  const ValueInfo& x = ctx.inputs[0];
  const auto [from, to] = conversion(ctx.node);
  if (from == kernels::Layout::nchw()) {
    if (x.shape.size() != 4) throw Error(op, "an NCHW input [N, C, H, W]", graph::info_str(x));
    return {{x.dtype, {x.shape[0], blocks_of(x.shape[1]), x.shape[2], x.shape[3], 4}}};
  }
  require_nc4hw4(op, "an input", x);
  const std::int64_t c = true_channels(ctx.node);
  if (x.shape[1] >= 0 && blocks_of(c) != x.shape[1]) {
    throw Error(op, "ceil(channels / 4) = " + std::to_string(blocks_of(c)) + " channel blocks", graph::info_str(x));
  }
  return {{x.dtype, {x.shape[0], c, x.shape[2], x.shape[3]}}};
}

std::vector<Tensor> layout_convert_kernel(const KernelContext& ctx) {
  const auto [from, to] = conversion(ctx.node);
  const std::int64_t channels = from == kernels::Layout::nc4hw4() ? true_channels(ctx.node) : 0;
  return {kernels::to_layout(ctx.inputs.at(0), from, to, channels)};
}

// --- ConvNC4HW4 --------------------------------------------------------------------------------------

// The logical NCHW shape of the input and the geometry, checked (groups = 1 only).
struct ConvNC4HW4Shapes {
  ConvGeometry geometry;
  Shape out;  // stored: [N, ceil(M/4), OH, OW, 4]
};

ConvNC4HW4Shapes conv_nc4hw4_shapes(const graph::Node& node, const ValueInfo& x, const ValueInfo& w, const ValueInfo& b) {
  const std::string& op = node.op;
  require_nc4hw4(op, "an input X", x);
  if (int_attr(node, "group", 1) != 1) {
    throw Error(op, "group 1 (a grouped convolution stays outside NC4HW4 regions)", std::to_string(int_attr(node, "group", 1)));
  }
  if (w.shape.size() != 4) throw Error(op, "a weight W [M, C, kH, kW]", graph::info_str(w));
  if (x.shape[1] >= 0 && w.shape[1] >= 0 && blocks_of(w.shape[1]) != x.shape[1]) {
    throw Error(op, "X with ceil(C / 4) channel blocks for W's C = " + std::to_string(w.shape[1]), graph::info_str(x));
  }
  if (b.shape.size() != 1 || (b.shape[0] >= 0 && w.shape[0] >= 0 && b.shape[0] != w.shape[0])) {
    throw Error(op, "a bias B [M] with M = W's dimension 0", graph::info_str(b) + ", W " + shape_str(w.shape));
  }
  ConvNC4HW4Shapes s;
  s.geometry = conv_geometry(node, {x.shape[0], w.shape[1], x.shape[2], x.shape[3]}, w.shape);
  const Shape& o = s.geometry.out;
  s.out = {o[0], blocks_of(o[1]), o[2], o[3], 4};
  return s;
}

std::vector<ValueInfo> conv_nc4hw4_infer(const InferContext& ctx) {
  const std::string& op = ctx.node.op;
  if (ctx.inputs.size() != 3 && ctx.inputs.size() != 4) {
    throw Error(op, "inputs X (NC4HW4), W, B and an optional Z (NC4HW4)", std::to_string(ctx.inputs.size()) + " inputs");
  }
  static const char* names[] = {"X", "W", "B", "Z"};
  for (std::size_t i = 0; i < ctx.inputs.size(); ++i) require_f32(op, names[i], ctx.inputs[i]);
  conv_activation(ctx.node);
  ConvNC4HW4Shapes s = conv_nc4hw4_shapes(ctx.node, ctx.inputs[0], ctx.inputs[1], ctx.inputs[2]);
  if (ctx.inputs.size() == 4) {
    const Shape& z = ctx.inputs[3].shape;
    bool same = z.size() == 5;
    for (std::size_t i = 0; same && i < 5; ++i) same = z[i] < 0 || s.out[i] < 0 || z[i] == s.out[i];
    if (!same) throw Error(op, "a residual Z of the output's stored shape " + shape_str(s.out), shape_str(z));
    for (std::size_t i = 0; i < 5; ++i) s.out[i] = s.out[i] < 0 ? z[i] : s.out[i];
  }
  return {{DType::f32, s.out}};
}

// The weight OIHW packed into 4x4 tiles [OB][IB][KH][KW][ic 4][oc 4], zero past M and C.
std::vector<float> pack_weight_tiles(const Tensor& weight) {
  const Tensor w = weight.contiguous();
  const std::int64_t m = w.size(0), c = w.size(1), kh = w.size(2), kw = w.size(3);
  const std::int64_t ob_count = kernels::ceil_div(m, 4), ib_count = kernels::ceil_div(c, 4);
  std::vector<float> tiles(static_cast<std::size_t>(ob_count * ib_count * kh * kw * 16), 0.0f);
  const float* src = w.data<float>();
  for (std::int64_t o = 0; o < m; ++o) {
    for (std::int64_t i = 0; i < c; ++i) {
      for (std::int64_t y = 0; y < kh; ++y) {
        for (std::int64_t x = 0; x < kw; ++x) {
          const std::int64_t tile = ((o / 4 * ib_count + i / 4) * kh + y) * kw + x;
          tiles[static_cast<std::size_t>(tile * 16 + (i % 4) * 4 + o % 4)] = src[((o * c + i) * kh + y) * kw + x];
        }
      }
    }
  }
  return tiles;
}

std::vector<Tensor> conv_nc4hw4_kernel(const KernelContext& ctx) {
  const Tensor x = ctx.inputs.at(0).contiguous();
  const Tensor& w = ctx.inputs.at(1);
  const Tensor b = ctx.inputs.at(2).contiguous();
  const auto info = [](const Tensor& t) { return ValueInfo{t.dtype(), t.shape()}; };
  const ConvNC4HW4Shapes s = conv_nc4hw4_shapes(ctx.node, info(x), info(w), info(b));
  const bool relu = conv_activation(ctx.node) == "Relu";
  Tensor z;
  if (ctx.inputs.size() == 4) {
    z = ctx.inputs[3].contiguous();
    if (z.shape() != s.out) {
      throw Error(ctx.node.op, "a residual Z of the output's stored shape " + shape_str(s.out), shape_str(z.shape()));
    }
  }

  const kernels::Conv2dParams& p = s.geometry.params;
  const std::int64_t batch = x.size(0), ib_count = x.size(1), in_h = x.size(2), in_w = x.size(3);
  const std::int64_t m = w.size(0), kh_count = w.size(2), kw_count = w.size(3);
  const std::int64_t ob_count = s.out[1], out_h = s.out[2], out_w = s.out[3];
  const std::vector<float> tiles = pack_weight_tiles(w);
  std::vector<float> bias(static_cast<std::size_t>(ob_count * 4), 0.0f);
  std::copy(b.data<float>(), b.data<float>() + m, bias.begin());

  Tensor y = Tensor::empty(s.out, DType::f32);
  const float* in = x.data<float>();
  const float* residual = z.defined() ? z.data<float>() : nullptr;
  float* out = y.data<float>();
  for (std::int64_t n = 0; n < batch; ++n) {
    for (std::int64_t ob = 0; ob < ob_count; ++ob) {
      for (std::int64_t oh = 0; oh < out_h; ++oh) {
        for (std::int64_t ow = 0; ow < out_w; ++ow) {
          float acc[4] = {bias[ob * 4], bias[ob * 4 + 1], bias[ob * 4 + 2], bias[ob * 4 + 3]};
          for (std::int64_t kh = 0; kh < kh_count; ++kh) {
            const std::int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
            if (ih < 0 || ih >= in_h) continue;
            for (std::int64_t kw = 0; kw < kw_count; ++kw) {
              const std::int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
              if (iw < 0 || iw >= in_w) continue;
              for (std::int64_t ib = 0; ib < ib_count; ++ib) {
                const float* src = in + (((n * ib_count + ib) * in_h + ih) * in_w + iw) * 4;
                const float* tile = tiles.data() + (((ob * ib_count + ib) * kh_count + kh) * kw_count + kw) * 16;
                for (int ic = 0; ic < 4; ++ic) {
                  for (int oc = 0; oc < 4; ++oc) acc[oc] += src[ic] * tile[ic * 4 + oc];
                }
              }
            }
          }
          const std::int64_t at = (((n * ob_count + ob) * out_h + oh) * out_w + ow) * 4;
          for (int oc = 0; oc < 4; ++oc) {
            float v = acc[oc] + (residual != nullptr ? residual[at + oc] : 0.0f);
            out[at + oc] = relu && v < 0.0f ? 0.0f : v;
          }
        }
      }
    }
  }
  return {y};
}

// --- ReluNC4HW4, AddNC4HW4 ---------------------------------------------------------------------------

std::vector<ValueInfo> relu_nc4hw4_infer(const InferContext& ctx) {
  if (ctx.inputs.size() != 1) throw Error(ctx.node.op, "one input X", std::to_string(ctx.inputs.size()) + " inputs");
  require_f32(ctx.node.op, "X", ctx.inputs[0]);
  require_nc4hw4(ctx.node.op, "X", ctx.inputs[0]);
  return {ctx.inputs[0]};
}

std::vector<Tensor> relu_nc4hw4_kernel(const KernelContext& ctx) {
  Tensor y = ctx.inputs.at(0).clone();
  float* v = y.data<float>();
  for (std::int64_t i = 0; i < y.numel(); ++i) v[i] = std::max(v[i], 0.0f);
  return {y};
}

std::vector<ValueInfo> add_nc4hw4_infer(const InferContext& ctx) {
  const std::string& op = ctx.node.op;
  if (ctx.inputs.size() != 2) throw Error(op, "two inputs A, B", std::to_string(ctx.inputs.size()) + " inputs");
  require_f32(op, "A", ctx.inputs[0]);
  require_f32(op, "B", ctx.inputs[1]);
  require_nc4hw4(op, "A", ctx.inputs[0]);
  require_nc4hw4(op, "B", ctx.inputs[1]);
  ValueInfo out = ctx.inputs[0];
  for (std::size_t i = 0; i < 5; ++i) {
    const std::int64_t a = out.shape[i], b = ctx.inputs[1].shape[i];
    if (a >= 0 && b >= 0 && a != b) throw Error(op, "A and B of one shape (no broadcasting)", graph::infos_str(ctx.inputs));
    if (a < 0) out.shape[i] = b;
  }
  return {out};
}

std::vector<Tensor> add_nc4hw4_kernel(const KernelContext& ctx) {
  const Tensor& a = ctx.inputs.at(0);
  const Tensor b = ctx.inputs.at(1).contiguous();
  if (a.shape() != b.shape()) {
    throw Error(ctx.node.op, "A and B of one shape (no broadcasting)", shape_str(a.shape()) + " and " + shape_str(b.shape()));
  }
  Tensor y = a.clone();
  float* v = y.data<float>();
  const float* w = b.data<float>();
  for (std::int64_t i = 0; i < y.numel(); ++i) v[i] += w[i];
  return {y};
}

graph::OpDef op_def(const std::string& name, int inputs, decltype(graph::OpDef::infer) infer,
                    decltype(graph::OpDef::kernel) kernel, const std::string& doc) {
  graph::OpDef def;
  def.name = name;
  def.num_inputs = inputs;
  def.infer = std::move(infer);
  def.kernel = std::move(kernel);
  def.doc = doc;
  return def;
}

}  // namespace

void register_nc4hw4_ops() {
  graph::register_op(op_def("LayoutConvert", 1, layout_convert_infer, layout_convert_kernel,
                            "LayoutConvert: NCHW [N, C, H, W] <-> NC4HW4 [N, ceil(C/4), H, W, 4] (attrs from, to, channels)"));
  graph::OpDef conv = op_def("ConvNC4HW4", -1, conv_nc4hw4_infer, conv_nc4hw4_kernel,
                             "ConvNC4HW4: direct convolution on NC4HW4 tensors, 4 output channels at once (4x4 weight tiles packed at run time)");
  conv.cost = [](const KernelContext& ctx) {
    const auto info = [](const Tensor& t) { return ValueInfo{t.dtype(), t.shape()}; };
    const ConvNC4HW4Shapes s = conv_nc4hw4_shapes(ctx.node, info(ctx.inputs.at(0)), info(ctx.inputs.at(1)), info(ctx.inputs.at(2)));
    return conv_flops(shape_numel(s.geometry.out), ctx.inputs.at(1).shape());
  };
  graph::register_op(conv);
  graph::register_op(op_def("ReluNC4HW4", 1, relu_nc4hw4_infer, relu_nc4hw4_kernel,
                            "ReluNC4HW4: max(x, 0) on an NC4HW4 tensor (the padding channels stay 0)"));
  graph::register_op(op_def("AddNC4HW4", 2, add_nc4hw4_infer, add_nc4hw4_kernel,
                            "AddNC4HW4: a + b on two NC4HW4 tensors of one shape"));
}

}  // namespace gb::passes::detail
