// conv_internal.hpp: what the convolution algorithms share (not installed).
//
// conv2d() (conv.cpp) validates once and hands every algorithm the same contract: contiguous NCHW x,
// OIHW w, bias b (nullptr = none) and a zero-filled NCHW y to write, all f32, with a checked ConvShape.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gb/kernels/conv.hpp"

// A hot loop nest built three times by GCC: for AVX-512 CPUs (16-wide vectors), for AVX2 CPUs (8-wide)
// and for any x86-64 (SSE, 4-wide); the loader picks one at run time from the CPU's features (an
// ifunc, the same check as __builtin_cpu_supports), so the default build still runs everywhere. With
// [[gnu::flatten]] the helpers it calls are inlined and compiled for the clone's instruction set too.
// (Not "arch=haswell": GCC dispatches an arch= clone on the CPU *model* (__builtin_cpu_is), so every
// CPU that is not a Haswell, newer ones included, ran the SSE clone.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GB_CONV_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GB_CONV_CLONES
#endif

namespace gb::kernels::detail {

void conv_direct_nchw(const float* x, const float* w, const float* b, const ConvShape& s, float* y);
void conv_direct_nhwc(const float* x, const float* w, const float* b, const ConvShape& s, float* y);
void conv_im2col(const float* x, const float* w, const float* b, const ConvShape& s, float* y);
void conv_spatial(const float* x, const float* w, const float* b, const ConvShape& s, float* y);
void conv_winograd(std::int64_t m, const float* x, const float* w, const float* b, const ConvShape& s, float* y);
void conv_indirect(const float* x, const float* w, const float* b, const ConvShape& s, float* y);

// One algorithm on one contiguous NCHW problem (conv.cpp), and the same split over threads (conv_threads.cpp).
void run_algorithm(ConvAlgo a, const float* x, const float* w, const float* b, const ConvShape& s, float* y);
void conv_threads(ConvAlgo a, const float* x, const float* w, const float* b, const ConvShape& s, float* y,
                  int threads);

std::size_t workspace_direct_nhwc(const ConvShape& s);
std::size_t workspace_im2col(const ConvShape& s);
std::size_t workspace_spatial(const ConvShape& s);
std::size_t workspace_winograd(std::int64_t m, const ConvShape& s);
std::size_t workspace_indirect(const ConvShape& s);

// NCHW <-> NHWC copies of one batch (direct_nhwc and indirect work in NHWC).
void nchw_to_nhwc(const float* x, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, float* out);
void nhwc_to_nchw(const float* x, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w, float* out);

// The first input coordinate of output coordinate o, and the range of output coordinates [lo, hi)
// whose tap k lands inside an input of size `in` (so the inner loops need no bounds check).
inline std::int64_t input_coord(std::int64_t o, std::int64_t k, std::int64_t stride, std::int64_t pad,
                                std::int64_t dilation) {
  return o * stride - pad + k * dilation;
}
void valid_range(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride, std::int64_t pad,
                 std::int64_t dilation, std::int64_t* lo, std::int64_t* hi);

// y[n, o, :, :] = b[o] for every image and channel (or leaves y at 0 when b is null).
void fill_bias(const float* b, const ConvShape& s, float* y);

// A scratch buffer of `count` floats, one per slot and thread, kept between calls and only grown
// (as frameworks keep a workspace): a fresh multi-megabyte allocation per call would cost page faults
// on every first touch, more than the Winograd transforms themselves. Uninitialised.
float* scratch(int slot, std::int64_t count);
constexpr int kScratchSlots = 6;  // 0-3: the algorithms, 4-5: conv_threads' bands

template <class T>
std::size_t bytes_of(std::int64_t count) {
  return static_cast<std::size_t>(count) * sizeof(T);
}
inline std::vector<float> buffer(std::int64_t count) { return std::vector<float>(static_cast<std::size_t>(count)); }

}  // namespace gb::kernels::detail

namespace gb::kernels::detail {

// Spatial pack (conv_spatial.cpp), shared with its recording: the input tile under the output tile
// rows [oh0, oh0+th) x columns [ow0, ow0+tw) is rows [ih0, ih0+ph) x columns [iw0, iw0+pw), the
// tile plus its halo (the extra (K-1)*dilation rows and columns the windows of its edge reach).
struct SpatialTile {
  std::int64_t oh0 = 0, ow0 = 0, th = 0, tw = 0;  // output tile
  std::int64_t ih0 = 0, iw0 = 0, ph = 0, pw = 0;  // input tile with halo (may reach into the padding)
};
SpatialTile spatial_tile(const ConvShape& s, std::int64_t oh0, std::int64_t ow0, std::int64_t th, std::int64_t tw);
// Copies the ICg channels of the tile with halo (zeros where it is padding) into packed[i][ph][pw].
void spatial_pack_tile(const float* x_group, const ConvShape& s, const SpatialTile& t, float* packed);
constexpr std::int64_t kSpatialTileH = 4, kSpatialTileW = 16;  // 4 x 16 outputs: 4 rows of 4 SSE vectors

}  // namespace gb::kernels::detail
