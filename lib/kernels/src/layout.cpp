// layout.cpp: the three memory layouts of an activation and the conversions between them.
//
// Every conversion is one loop over the logical index (n, c, h, w): read at the source layout's
// offset, write at the destination's. Slow next to a tuned transpose, but it is the definition, and
// the padding rule (the last channel block of NCHWx filled with zeros) falls out of starting from a
// zero-filled tensor.
#include "gb/kernels/layout.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "gb/core/error.hpp"

namespace gb::kernels {
namespace {

std::string dims_str(const Dims& d) {
  return "N = " + std::to_string(d.n) + ", C = " + std::to_string(d.c) + ", H = " + std::to_string(d.h) +
         ", W = " + std::to_string(d.w);
}

void check_dims(const Dims& d, const char* op) {
  if (d.n < 0 || d.c < 0 || d.h < 0 || d.w < 0) throw Error(op, "sizes N, C, H, W >= 0", dims_str(d));
}

}  // namespace

Layout Layout::nchwx(std::int64_t x) {
  if (x != 4 && x != 8 && x != 16) throw Error("Layout::nchwx", "a channel block x of 4, 8 or 16", std::to_string(x));
  return {LayoutKind::nchwx, x};
}

std::string Layout::name() const {
  switch (kind) {
    case LayoutKind::nchw: return "NCHW";
    case LayoutKind::nhwc: return "NHWC";
    case LayoutKind::nchwx: return block == 4 ? "NC4HW4" : "NCHW" + std::to_string(block);
  }
  return "?";
}

Layout layout_from_name(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
  if (upper == "NCHW") return Layout::nchw();
  if (upper == "NHWC") return Layout::nhwc();
  if (upper == "NC4HW4" || upper == "NCHW4") return Layout::nc4hw4();
  if (upper == "NCHW8") return Layout::nchwx(8);
  if (upper == "NCHW16") return Layout::nchwx(16);
  throw Error("layout_from_name", "NCHW, NHWC, NC4HW4 (= NCHW4), NCHW8 or NCHW16", "\"" + name + "\"");
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::int64_t nchw_offset(const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return ((n * d.c + c) * d.h + h) * d.w + w;
}

std::int64_t nhwc_offset(const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return ((n * d.h + h) * d.w + w) * d.c + c;
}

// The blocked layout: channel c lives in block c / x at lane c % x; the blocks are the second axis of
// [N, ceil(C/x), H, W, x], so the x lanes of one pixel are adjacent in memory.
std::int64_t nchwx_offset(const Dims& d, std::int64_t x, std::int64_t n, std::int64_t c, std::int64_t h,
                          std::int64_t w) {
  // BEGIN EXERCISE(kernels.layout.nc4hw4_offset)
  const std::int64_t blocks = (d.c + x - 1) / x;  // ceil(C / x): the last block may be padded
  return (((n * blocks + c / x) * d.h + h) * d.w + w) * x + c % x;
  // END EXERCISE
}

std::int64_t nc4hw4_offset(const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return nchwx_offset(d, 4, n, c, h, w);
}

std::int64_t offset(const Layout& layout, const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h,
                    std::int64_t w) {
  check_dims(d, "offset");
  if (n < 0 || n >= d.n || c < 0 || c >= d.c || h < 0 || h >= d.h || w < 0 || w >= d.w) {
    throw Error("offset", "an index (n, c, h, w) inside " + dims_str(d),
                "(" + std::to_string(n) + ", " + std::to_string(c) + ", " + std::to_string(h) + ", " +
                    std::to_string(w) + ")");
  }
  switch (layout.kind) {
    case LayoutKind::nchw: return nchw_offset(d, n, c, h, w);
    case LayoutKind::nhwc: return nhwc_offset(d, n, c, h, w);
    case LayoutKind::nchwx: return nchwx_offset(d, layout.block, n, c, h, w);
  }
  return 0;
}

Shape stored_shape(const Layout& layout, const Dims& d) {
  check_dims(d, "stored_shape");
  switch (layout.kind) {
    case LayoutKind::nchw: return {d.n, d.c, d.h, d.w};
    case LayoutKind::nhwc: return {d.n, d.h, d.w, d.c};
    case LayoutKind::nchwx: return {d.n, ceil_div(d.c, layout.block), d.h, d.w, layout.block};
  }
  return {};
}

std::int64_t stored_numel(const Layout& layout, const Dims& d) { return shape_numel(stored_shape(layout, d)); }

Dims dims_of(const Tensor& x, const Layout& layout, std::int64_t channels) {
  if (!x.defined()) throw Error("to_layout", "a defined tensor", "an undefined tensor");
  const Shape& s = x.shape();
  const bool blocked = layout.kind == LayoutKind::nchwx;
  const std::size_t rank = blocked ? 5 : 4;
  if (s.size() != rank || (blocked && s[4] != layout.block)) {
    const std::string want = layout.kind == LayoutKind::nchw   ? "a 4-D [N, C, H, W] tensor"
                             : layout.kind == LayoutKind::nhwc ? "a 4-D [N, H, W, C] tensor"
                                                               : "a 5-D [N, ceil(C/" + std::to_string(layout.block) +
                                                                     "), H, W, " + std::to_string(layout.block) + "] tensor";
    throw Error("to_layout", want + " for layout " + layout.name(), "shape " + shape_str(s));
  }
  if (layout.kind == LayoutKind::nchw) return {s[0], s[1], s[2], s[3]};
  if (layout.kind == LayoutKind::nhwc) return {s[0], s[3], s[1], s[2]};
  const std::int64_t stored_c = s[1] * layout.block;
  if (channels < 0 || channels > stored_c || (channels != 0 && ceil_div(channels, layout.block) != s[1])) {
    throw Error("to_layout",
                "channels in (" + std::to_string((s[1] - 1) * layout.block) + ", " + std::to_string(stored_c) +
                    "] for " + std::to_string(s[1]) + " blocks of " + std::to_string(layout.block) + " (0 = all)",
                std::to_string(channels));
  }
  return {s[0], channels == 0 ? stored_c : channels, s[2], s[3]};
}

Tensor to_layout(const Tensor& x, const Layout& from, const Layout& to, std::int64_t channels) {
  if (from.kind == LayoutKind::nchwx) (void)Layout::nchwx(from.block);  // checks x
  if (to.kind == LayoutKind::nchwx) (void)Layout::nchwx(to.block);
  const Dims d = dims_of(x, from, channels);
  const Tensor src = x.contiguous();
  Tensor dst = Tensor::zeros(stored_shape(to, d), x.dtype());  // zeros: the padding of a blocked layout
  const std::size_t size = dtype_size(x.dtype());
  const auto* in = static_cast<const std::byte*>(src.raw_data());
  auto* out = static_cast<std::byte*>(dst.raw_data());
  for (std::int64_t n = 0; n < d.n; ++n) {
    for (std::int64_t c = 0; c < d.c; ++c) {
      for (std::int64_t h = 0; h < d.h; ++h) {
        for (std::int64_t w = 0; w < d.w; ++w) {
          const std::int64_t i = offset(from, d, n, c, h, w), o = offset(to, d, n, c, h, w);
          std::memcpy(out + o * static_cast<std::int64_t>(size), in + i * static_cast<std::int64_t>(size), size);
        }
      }
    }
  }
  return dst;
}

}  // namespace gb::kernels
