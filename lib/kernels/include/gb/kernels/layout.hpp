// layout.hpp: where element (n, c, h, w) of a 4-D activation lives in memory: NCHW, NHWC, NCHWx.
//
// Lesson 18-memory-layout. The same tensor [N, C, H, W] can be laid out three ways:
//   NCHW   offset ((n*C + c)*H + h)*W + w          one plane per channel (PyTorch's default)
//   NHWC   offset ((n*H + h)*W + w)*C + c          the channels of one pixel side by side (TFLite)
//   NCHWx  offset ((((n*ceil(C/x) + c/x)*H + h)*W + w)*x + c%x
//          channels cut into blocks of x (x = 4, 8, 16: one SIMD register of floats); inside a block
//          the x channels of one pixel are adjacent, so one vector load reads x channels of a pixel.
//          NC4HW4 (MNN's name) is NCHWx with x = 4. When C is not a multiple of x the last block
//          is padded with zeros, so the stored tensor holds N * ceil(C/x) * H * W * x elements.
// A blocked tensor is stored as the 5-D tensor [N, ceil(C/x), H, W, x]; NCHW and NHWC as the 4-D
// tensors [N, C, H, W] and [N, H, W, C].
#pragma once

#include <cstdint>
#include <string>

#include "gb/core/tensor.hpp"

namespace gb::kernels {

enum class LayoutKind { nchw, nhwc, nchwx };

struct Layout {
  LayoutKind kind = LayoutKind::nchw;
  std::int64_t block = 1;  // x for nchwx (4, 8 or 16); 1 otherwise

  static Layout nchw() { return {LayoutKind::nchw, 1}; }
  static Layout nhwc() { return {LayoutKind::nhwc, 1}; }
  static Layout nchwx(std::int64_t x);  // throws gb::Error unless x is 4, 8 or 16
  static Layout nc4hw4() { return {LayoutKind::nchwx, 4}; }
  std::string name() const;  // "NCHW", "NHWC", "NC4HW4", "NCHW8", "NCHW16"
  friend bool operator==(const Layout&, const Layout&) = default;
};

// "NCHW", "NHWC", "NC4HW4", "NCHW4", "NCHW8", "NCHW16" (any case); throws gb::Error otherwise.
Layout layout_from_name(const std::string& name);

// The logical sizes of an activation: N images of C channels, H x W pixels.
struct Dims {
  std::int64_t n = 1, c = 1, h = 1, w = 1;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b);

// Offsets in elements of element (n, c, h, w). They do not check ranges (they sit in inner loops);
// `offset` below does.
std::int64_t nchw_offset(const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w);
std::int64_t nhwc_offset(const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w);
std::int64_t nchwx_offset(const Dims& d, std::int64_t x, std::int64_t n, std::int64_t c, std::int64_t h,
                          std::int64_t w);
std::int64_t nc4hw4_offset(const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w);
// Any layout; throws gb::Error when an index is out of range.
std::int64_t offset(const Layout& layout, const Dims& d, std::int64_t n, std::int64_t c, std::int64_t h,
                    std::int64_t w);

// The shape a tensor in this layout is stored with, and how many elements that is (padding included).
Shape stored_shape(const Layout& layout, const Dims& d);
std::int64_t stored_numel(const Layout& layout, const Dims& d);
// The logical dims of a tensor stored in `layout`. For a blocked layout C is ceil(C/x)*x unless
// `channels` (the true C, 0 = all) says fewer.
Dims dims_of(const Tensor& x, const Layout& layout, std::int64_t channels = 0);

// Converts x (stored in `from`) to `to`; a new contiguous tensor of x's dtype (any dtype). Blocked
// outputs pad the last channel block with zeros. Coming from a blocked layout, `channels` is the true
// C (0 = every stored channel, padding included). Throws gb::Error for an undefined tensor, a rank
// that does not fit `from` (4-D for NCHW/NHWC, 5-D [N, C/x, H, W, x] for NCHWx), or channels out of
// range.
Tensor to_layout(const Tensor& x, const Layout& from, const Layout& to, std::int64_t channels = 0);

}  // namespace gb::kernels
