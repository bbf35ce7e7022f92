// conv.cpp: the front end of every convolution algorithm: names, the output size, the shape checks,
// the chooser behind ConvAlgo::best, workspace sizes, and conv2d() which validates once and
// dispatches to one algorithm file (conv_direct.cpp, conv_im2col.cpp, conv_spatial.cpp, winograd.cpp,
// indirect.cpp).
#include <algorithm>
#include <string>

#include "conv_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::kernels {
namespace {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

const std::vector<ConvAlgo>& all_conv_algos() {
  static const std::vector<ConvAlgo> algos = {ConvAlgo::direct,       ConvAlgo::direct_nhwc,  ConvAlgo::im2col,
                                              ConvAlgo::spatial,      ConvAlgo::winograd_2x2, ConvAlgo::winograd_4x4,
                                              ConvAlgo::indirect};
  return algos;
}

const char* conv_algo_name(ConvAlgo a) {
  switch (a) {
    case ConvAlgo::direct: return "direct";
    case ConvAlgo::direct_nhwc: return "direct_nhwc";
    case ConvAlgo::im2col: return "im2col";
    case ConvAlgo::spatial: return "spatial";
    case ConvAlgo::winograd_2x2: return "winograd_2x2";
    case ConvAlgo::winograd_4x4: return "winograd_4x4";
    case ConvAlgo::indirect: return "indirect";
    case ConvAlgo::best: return "best";
  }
  return "?";
}

ConvAlgo conv_algo_from_name(const std::string& name) {
  if (name == "winograd") return ConvAlgo::winograd_4x4;
  std::string known;
  for (ConvAlgo a : all_conv_algos()) {
    if (name == conv_algo_name(a)) return a;
    known += std::string(conv_algo_name(a)) + ", ";
  }
  if (name == "best") return ConvAlgo::best;
  throw Error("conv2d", "an algorithm name (" + known + "winograd, best)", "\"" + name + "\"");
}

std::int64_t conv_output_size(std::int64_t in, std::int64_t kernel, std::int64_t pad_before, std::int64_t pad_after,
                              std::int64_t stride, std::int64_t dilation) {
  if (in < 1 || kernel < 1 || pad_before < 0 || pad_after < 0 || stride < 1 || dilation < 1) {
    throw Error("conv_output_size", "in >= 1, kernel >= 1, padding >= 0, stride >= 1, dilation >= 1",
                "in = " + std::to_string(in) + ", kernel = " + std::to_string(kernel) + ", padding = " +
                    std::to_string(pad_before) + "/" + std::to_string(pad_after) + ", stride = " + std::to_string(stride) +
                    ", dilation = " + std::to_string(dilation));
  }
  const std::int64_t span = dilation * (kernel - 1) + 1;  // the dilated kernel's extent
  const std::int64_t padded = in + pad_before + pad_after;
  if (span > padded) {
    throw Error("conv_output_size", "a (dilated) kernel no larger than the padded input",
                "kernel extent " + std::to_string(span) + " > padded input " + std::to_string(padded));
  }
  return (padded - span) / stride + 1;
}

ConvShape conv_shape(const Shape& x, const Shape& w, const Conv2dParams& p, const std::string& op) {
  if (x.size() != 4 || w.size() != 4) {
    throw Error(op, "x of shape [N, C, H, W] and w of shape [OC, C/groups, KH, KW]",
                "x " + shape_str(x) + ", w " + shape_str(w));
  }
  for (std::size_t i = 0; i < 4; ++i) {
    if (x[i] < 1 || w[i] < 1) {
      throw Error(op, "non-empty x and w (every size >= 1)", "x " + shape_str(x) + ", w " + shape_str(w));
    }
  }
  if (p.groups < 1 || x[1] % p.groups != 0 || w[0] % p.groups != 0 || w[1] * p.groups != x[1]) {
    throw Error(op, "groups >= 1 dividing C and OC, and w.shape[1] == C / groups",
                "x " + shape_str(x) + ", w " + shape_str(w) + ", groups = " + std::to_string(p.groups));
  }
  ConvShape s;
  s.batch = x[0];
  s.in_channels = x[1];
  s.in_h = x[2];
  s.in_w = x[3];
  s.out_channels = w[0];
  s.kernel_h = w[2];
  s.kernel_w = w[3];
  s.params = p;
  try {
    s.out_h = conv_output_size(s.in_h, s.kernel_h, p.pad_top, p.pad_bottom, p.stride_h, p.dilation_h);
    s.out_w = conv_output_size(s.in_w, s.kernel_w, p.pad_left, p.pad_right, p.stride_w, p.dilation_w);
  } catch (const Error& e) {
    throw Error(op, e.expected() + " (x " + shape_str(x) + ", w " + shape_str(w) + ")", e.given());
  }
  return s;
}

bool conv_algo_supports(ConvAlgo a, const ConvShape& s, std::string* why) {
  if (a != ConvAlgo::winograd_2x2 && a != ConvAlgo::winograd_4x4) return true;
  const Conv2dParams& p = s.params;
  if (s.kernel_h == 3 && s.kernel_w == 3 && p.stride_h == 1 && p.stride_w == 1 && p.dilation_h == 1 &&
      p.dilation_w == 1) {
    return true;
  }
  if (why != nullptr) {
    *why = "a 3x3 kernel, stride 1 and dilation 1 (Winograd F(m x m, 3 x 3) tiles a dense 3x3 correlation; "
           "use im2col or indirect otherwise)";
  }
  return false;
}

ConvAlgo choose_algorithm(const ConvShape& s) {
  if (s.depthwise()) return ConvAlgo::direct;  // KH*KW terms per output: nothing for a GEMM to block
  // 3x3, stride 1, with at least 8 channels in and out: Winograd (measured: it beat im2col on every such
  // layer, down to a 2x2 image, lib/kernels/README.md). Of F(2x2) and F(4x4), the one with the smaller
  // cost in the model alpha^2 * (tiles rounded up to 12 + 12): alpha^2 GEMMs whose rows are the tiles,
  // padded to whole slivers of the AVX-512 micro-kernel (MR = 12), plus the filter transform, which costs
  // about as much per (filter, channel) pair as 12 GEMM rows. Small images pick F(2x2) (few 4x4 tiles,
  // mostly padding), larger ones F(4x4).
  if (conv_algo_supports(ConvAlgo::winograd_4x4, s) && s.group_in() >= 8 && s.group_out() >= 8) {
    const auto cost = [&](std::int64_t m) {
      const std::int64_t tiles = s.batch * ((s.out_h + m - 1) / m) * ((s.out_w + m - 1) / m);
      return (m + 2) * (m + 2) * ((tiles + 11) / 12 * 12 + 12);
    };
    return cost(4) < cost(2) ? ConvAlgo::winograd_4x4 : ConvAlgo::winograd_2x2;
  }
  // Everything else, short reductions included: im2col's one GEMM on the fastest rung. (Spatial packing
  // is the lesson's picture of tiling with halos; measured, it never beat im2col outside depthwise.)
  return ConvAlgo::im2col;
}

std::size_t workspace_bytes(const ConvShape& s, ConvAlgo a) {
  switch (a) {
    case ConvAlgo::direct: return 0;
    case ConvAlgo::direct_nhwc: return detail::workspace_direct_nhwc(s);
    case ConvAlgo::im2col: return detail::workspace_im2col(s);
    case ConvAlgo::spatial: return detail::workspace_spatial(s);
    case ConvAlgo::winograd_2x2: return detail::workspace_winograd(2, s);
    case ConvAlgo::winograd_4x4: return detail::workspace_winograd(4, s);
    case ConvAlgo::indirect: return detail::workspace_indirect(s);
    case ConvAlgo::best: return workspace_bytes(s, choose_algorithm(s));
  }
  return 0;
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p, ConvAlgo algo, int threads) {
  if (threads < 0) throw Error("conv2d", "threads >= 0 (0 = one per core)", std::to_string(threads));
  if (!x.defined() || !w.defined()) throw Error("conv2d", "defined tensors x and w", "an undefined tensor");
  if (x.dtype() != DType::f32 || w.dtype() != DType::f32 || (b.defined() && b.dtype() != DType::f32)) {
    throw Error("conv2d", "f32 tensors x, w (and b)",
                std::string("x ") + dtype_name(x.dtype()) + ", w " + dtype_name(w.dtype()) +
                    (b.defined() ? std::string(", b ") + dtype_name(b.dtype()) : std::string()));
  }
  const ConvShape s = conv_shape(x.shape(), w.shape(), p);
  if (b.defined() && (b.ndim() != 1 || b.size(0) != s.out_channels)) {
    throw Error("conv2d", "a bias of shape [" + std::to_string(s.out_channels) + "] (one per output channel)",
                shape_str(b.shape()));
  }
  const ConvAlgo chosen = algo == ConvAlgo::best ? choose_algorithm(s) : algo;
  std::string why;
  if (!conv_algo_supports(chosen, s, &why)) {
    throw Error(std::string("conv2d (") + conv_algo_name(chosen) + ")", why,
                "a " + std::to_string(s.kernel_h) + "x" + std::to_string(s.kernel_w) + " kernel, stride " +
                    std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + ", dilation " +
                    std::to_string(p.dilation_h) + "x" + std::to_string(p.dilation_w));
  }
  const Tensor xc = x.contiguous(), wc = w.contiguous();
  const Tensor bc = b.defined() ? b.contiguous() : Tensor();
  Tensor y = Tensor::empty({s.batch, s.out_channels, s.out_h, s.out_w});
  const float* xp = xc.data<float>();
  const float* wp = wc.data<float>();
  const float* bp = bc.defined() ? bc.data<float>() : nullptr;
  float* yp = y.data<float>();
  detail::conv_threads(chosen, xp, wp, bp, s, yp, threads);
  return y;
}

namespace detail {

void run_algorithm(ConvAlgo a, const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  switch (a) {
    case ConvAlgo::direct: conv_direct_nchw(x, w, b, s, y); break;
    case ConvAlgo::direct_nhwc: conv_direct_nhwc(x, w, b, s, y); break;
    case ConvAlgo::im2col: conv_im2col(x, w, b, s, y); break;
    case ConvAlgo::spatial: conv_spatial(x, w, b, s, y); break;
    case ConvAlgo::winograd_2x2: conv_winograd(2, x, w, b, s, y); break;
    case ConvAlgo::winograd_4x4: conv_winograd(4, x, w, b, s, y); break;
    case ConvAlgo::indirect: conv_indirect(x, w, b, s, y); break;
    case ConvAlgo::best: throw Error("conv2d", "a resolved algorithm", "best");
  }
}

float* scratch(int slot, std::int64_t count) {
  thread_local std::vector<float> buffers[kScratchSlots];
  std::vector<float>& b = buffers[slot];
  if (static_cast<std::int64_t>(b.size()) < count) {
    b = std::vector<float>();  // free the old one first
    b.resize(static_cast<std::size_t>(count));
  }
  return b.data();
}

void valid_range(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, std::int64_t pad,
                 std::int64_t dilation, std::int64_t* lo, std::int64_t* hi) {
  // 0 <= o*stride - pad + k*dilation < in  <=>  (pad - k*d)/stride <= o <= (in - 1 + pad - k*d)/stride
  const std::int64_t shift = pad - k * dilation;
  *lo = std::clamp<std::int64_t>(-floor_div(-shift, stride), 0, out);  // ceil(shift / stride)
  *hi = std::clamp<std::int64_t>(floor_div(in - 1 + shift, stride) + 1, *lo, out);
}

void fill_bias(const float* b, const ConvShape& s, float* y) {
  const std::int64_t plane = s.out_h * s.out_w;
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t o = 0; o < s.out_channels; ++o) {
      std::fill_n(y + (n * s.out_channels + o) * plane, plane, b != nullptr ? b[o] : 0.0f);
    }
  }
}

void nchw_to_nhwc(const float* x, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, float* out) {
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch)
      for (std::int64_t p = 0; p < h * w; ++p) out[(i * h * w + p) * c + ch] = x[(i * c + ch) * h * w + p];
}

void nhwc_to_nchw(const float* x, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, float* out) {
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t p = 0; p < h * w; ++p)
      for (std::int64_t ch = 0; ch < c; ++ch) out[(i * c + ch) * h * w + p] = x[(i * h * w + p) * c + ch];
}

}  // namespace detail
}  // namespace gb::kernels
