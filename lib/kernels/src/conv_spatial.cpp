// conv_spatial.cpp: spatial pack (lesson 20), as in TVM's and ARM Compute Library's CPU schedules.
//
// Cut the output into tiles of kSpatialTileH x kSpatialTileW pixels. The tile needs an input tile a
// little larger than itself: its HALO, the (K-1)*dilation extra rows and columns that the windows on
// its edges reach. Pack that input tile (all ICg channels, padding as real zeros) into a small
// contiguous buffer that stays in L1, then compute every filter's output tile from it:
//
//   input plane                          packed tile [ICg][PH][PW]   (PH = (TH-1)*sh + (KH-1)*dh + 1)
//   +------------------------+           +-----------+
//   |   +-------+            |   pack    |###########|  ### = halo shared with the neighbouring tiles
//   |   | tile  |#           |  ------>  |#  tile   #|  (read twice: the price of tiling)
//   |   +-------+#           |           |###########|
//   |    ########            |           +-----------+
//
// No bounds checks in the inner loop (the padding was packed), the same buffer reused OC times, and
// a tile width of 16 that the compiler turns into vector instructions.
#include <algorithm>

#include "conv_internal.hpp"

namespace gb::kernels::detail {

SpatialTile spatial_tile(const ConvShape& s, std::int64_t oh0, std::int64_t ow0, std::int64_t th, std::int64_t tw) {
  const Conv2dParams& p = s.params;
  SpatialTile t;
  t.oh0 = oh0;
  t.ow0 = ow0;
  t.th = std::min(th, s.out_h - oh0);
  t.tw = std::min(tw, s.out_w - ow0);
  t.ih0 = oh0 * p.stride_h - p.pad_top;
  t.iw0 = ow0 * p.stride_w - p.pad_left;
  t.ph = (t.th - 1) * p.stride_h + (s.kernel_h - 1) * p.dilation_h + 1;
  t.pw = (t.tw - 1) * p.stride_w + (s.kernel_w - 1) * p.dilation_w + 1;
  return t;
}

void spatial_pack_tile(const float* x_group, const ConvShape& s, const SpatialTile& t, float* packed) {
  for (std::int64_t i = 0; i < s.group_in(); ++i) {
    const float* plane = x_group + i * s.in_h * s.in_w;
    for (std::int64_t r = 0; r < t.ph; ++r) {
      const std::int64_t ih = t.ih0 + r;
      float* out = packed + (i * t.ph + r) * t.pw;
      if (ih < 0 || ih >= s.in_h) {
        std::fill_n(out, t.pw, 0.0f);
        continue;
      }
      for (std::int64_t c = 0; c < t.pw; ++c) {
        const std::int64_t iw = t.iw0 + c;
        out[c] = iw >= 0 && iw < s.in_w ? plane[ih * s.in_w + iw] : 0.0f;
      }
    }
  }
}

std::size_t workspace_spatial(const ConvShape& s) {
  const SpatialTile t = spatial_tile(s, 0, 0, kSpatialTileH, kSpatialTileW);  // the largest tile
  return bytes_of<float>(s.group_in() * t.ph * t.pw);
}

void conv_spatial(const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  const Conv2dParams& p = s.params;
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), taps = s.kernel_h * s.kernel_w;
  const SpatialTile largest = spatial_tile(s, 0, 0, kSpatialTileH, kSpatialTileW);
  std::vector<float> packed = buffer(icg * largest.ph * largest.pw);
  float acc[kSpatialTileH][kSpatialTileW];
  for (std::int64_t n = 0; n < s.batch; ++n) {
    for (std::int64_t g = 0; g < p.groups; ++g) {
      const float* x_group = x + (n * s.in_channels + g * icg) * s.in_h * s.in_w;
      for (std::int64_t oh0 = 0; oh0 < s.out_h; oh0 += kSpatialTileH) {
        for (std::int64_t ow0 = 0; ow0 < s.out_w; ow0 += kSpatialTileW) {
          const SpatialTile t = spatial_tile(s, oh0, ow0, kSpatialTileH, kSpatialTileW);
          spatial_pack_tile(x_group, s, t, packed.data());
          for (std::int64_t o = g * ocg; o < (g + 1) * ocg; ++o) {  // every filter reuses the packed tile
            const float bias = b != nullptr ? b[o] : 0.0f;
            for (auto& row : acc) std::fill(std::begin(row), std::end(row), bias);
            for (std::int64_t i = 0; i < icg; ++i) {
              const float* tile = packed.data() + i * t.ph * t.pw;
              const float* wk = w + (o * icg + i) * taps;
              for (std::int64_t kh = 0; kh < s.kernel_h; ++kh) {
                for (std::int64_t kw = 0; kw < s.kernel_w; ++kw) {
                  const float weight = wk[kh * s.kernel_w + kw];
                  for (std::int64_t r = 0; r < t.th; ++r) {
                    const float* in = tile + (r * p.stride_h + kh * p.dilation_h) * t.pw + kw * p.dilation_w;
                    if (p.stride_w == 1 && t.tw == kSpatialTileW) {
                      for (std::int64_t c = 0; c < kSpatialTileW; ++c) acc[r][c] += weight * in[c];  // vectorised
                    } else {
                      for (std::int64_t c = 0; c < t.tw; ++c) acc[r][c] += weight * in[c * p.stride_w];
                    }
                  }
                }
              }
            }
            float* out = y + ((n * s.out_channels + o) * s.out_h + oh0) * s.out_w + ow0;
            for (std::int64_t r = 0; r < t.th; ++r) std::copy_n(acc[r], t.tw, out + r * s.out_w);
          }
        }
      }
    }
  }
}

}  // namespace gb::kernels::detail
