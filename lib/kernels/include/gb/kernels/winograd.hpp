// winograd.hpp: the pieces of Winograd's minimal filtering F(m x m, 3 x 3) (lesson 21-winograd).
//
// Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016). A tile of m x m outputs
// of a 3 x 3 filter needs an alpha x alpha input tile (alpha = m + 2) and is
//
//   Y = AT [ (G g GT) (.) (BT d B) ] A          ((.) = element-wise product: alpha^2 multiplications)
//
//   U = G g GT   filter transform  (once per filter, alpha x alpha)
//   V = BT d B   input transform   (once per tile and channel)
//   M = U (.) V  summed over input channels: alpha^2 GEMMs [OC x IC] x [IC x tiles]
//   Y = AT M A   output transform  (m x m)
//
// F(2x2,3x3): 16 multiplications per tile instead of 2*2*9 = 36; F(4x4,3x3): 36 instead of 144.
// The transforms multiply by constants (0, +-1, +-2, +-1/2, ...) and are amortised over the channels.
#pragma once

#include <cstdint>
#include <vector>

namespace gb::kernels {

struct WinogradMatrices {
  std::int64_t m = 0, r = 3, alpha = 0;
  std::vector<float> bt;  // alpha x alpha, row-major
  std::vector<float> g;   // alpha x r
  std::vector<float> at;  // m x alpha
};

// F(2,3) (LESSONS.md: BT, G, AT) or F(4,3) (Lavin's points 0, 1, -1, 2, -2, inf); throws gb::Error for other m.
const WinogradMatrices& winograd_matrices(std::int64_t m);

// Exercise kernels.winograd.tile_transform: the two-sided transform out = a x a^T of `lanes`
// independent tiles at once. a is rows x cols; x is cols x cols x lanes (element (k, q) of tile l at
// x[(k*cols + q)*lanes + l]); out is rows x rows x lanes. With a = BT it is V = BT d B, with a = G it
// is U = G g GT, with a = AT it is Y = AT M A. Zero entries of a are skipped (most of BT and AT).
void winograd_tile_transform(const float* a, std::int64_t rows, std::int64_t cols, const float* x, std::int64_t lanes,
                             float* out);

// 1-D F(m, 3): m outputs of the 3-tap filter g over the m + 2 inputs d, y = AT [(G g) (.) (BT d)].
// `multiplications` (if given) is increased by the element-wise products done (m + 2).
// Example (LESSONS.md): d = [1, 2, 3, 4], g = [1, 0, -1] -> [-2, -2].
std::vector<float> winograd_1d(std::int64_t m, const std::vector<float>& d, const std::vector<float>& g,
                               std::int64_t* multiplications = nullptr);

}  // namespace gb::kernels
