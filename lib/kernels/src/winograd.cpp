// winograd.cpp: Winograd convolution F(2x2,3x3) and F(4x4,3x3) (lesson 21), the engine of Lavin &
// Gray (2016) with its four stages, each a loop over lanes of independent tiles or channels:
//
//   1. input transform   V[xi][t][i] = (BT d[i,t] B)[xi]       xi = one of the alpha^2 tile positions
//   2. filter transform  U[xi][i][o] = (G g[o,i] GT)[xi]       t = one alpha x alpha input tile
//   3. batched GEMMs     M[xi] = V[xi] U[xi]                   alpha^2 GEMMs [T x ICg] x [ICg x OCg]
//   4. output transform  y tile (m x m) = AT M[:][t][o] A, + bias
//
// Stage 3 does the element-wise products of Y = AT[(G g GT) (.) (BT d B)]A summed over the input
// channels, so it is where the saving is: alpha^2 multiplications per tile and channel pair instead of
// m^2 * 9 (16 vs 36, 36 vs 144). Tiles overlap by 2 (the 3x3 halo); the last row and column of tiles
// may hang over the output and are cut when written. F(4x4) saves more but its transforms use larger
// constants (up to 8 and 1/24), so its fp32 error is larger (measured in the tests and README).
// How the engine lays the stages out for speed (packed panels, blocks of output channels) is described
// above conv_winograd_m and in lib/kernels/README.md.
#include <algorithm>
#include <string>
#include <utility>

#include "conv_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/gemm.hpp"
#include "gemm_internal.hpp"
#include "gb/kernels/winograd.hpp"

namespace gb::kernels {
namespace {

constexpr std::int64_t kLanes = 16;     // tiles (or channels) transformed together: one vector loop
constexpr std::int64_t kMaxAlpha = 6;   // F(4x4,3x3)
constexpr std::int64_t kBatch = 4;      // input channels gathered before they are transformed
constexpr std::int64_t kSkew = 16;      // floats between the engine's alpha^2 matrices (below)

WinogradMatrices make_matrices(std::int64_t m) {
  WinogradMatrices w;
  w.m = m;
  w.alpha = m + 2;
  if (m == 2) {  // LESSONS.md section 5; points 0, 1, -1, inf
    w.bt = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
    w.g = {1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0, 0, 1};
    w.at = {1, 1, 1, 0, 0, 1, -1, -1};
  } else {  // Lavin & Gray (2016), points 0, 1, -1, 2, -2, inf
    w.bt = {4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
            0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1};
    w.g = {1.0f / 4, 0, 0, -1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6, 1.0f / 6, -1.0f / 6,
           1.0f / 24, 1.0f / 12, 1.0f / 6, 1.0f / 24, -1.0f / 12, 1.0f / 6, 0, 0, 1};
    w.at = {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1};
  }
  return w;
}

// out = a x a^T over `lanes` tiles (see winograd.hpp); sizes are checked by the callers.
void sandwich(const float* a, std::int64_t rows, std::int64_t cols, const float* x, std::int64_t lanes, float* out) {
  // BEGIN EXERCISE(kernels.winograd.tile_transform)
  float tmp[kMaxAlpha * kMaxAlpha * kLanes];  // tmp = a x: rows x cols x lanes
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t q = 0; q < cols; ++q) {
      float* t = tmp + (i * cols + q) * lanes;
      for (std::int64_t l = 0; l < lanes; ++l) t[l] = 0.0f;
      for (std::int64_t k = 0; k < cols; ++k) {
        const float aik = a[i * cols + k];
        if (aik == 0.0f) continue;  // most of BT and AT is zero: skipping is what makes it cheap
        const float* xk = x + (k * cols + q) * lanes;
        for (std::int64_t l = 0; l < lanes; ++l) t[l] += aik * xk[l];
      }
    }
  }
  for (std::int64_t i = 0; i < rows; ++i) {  // out = tmp a^T: out[i][j] = sum_q tmp[i][q] a[j][q]
    for (std::int64_t j = 0; j < rows; ++j) {
      float* o = out + (i * rows + j) * lanes;
      for (std::int64_t l = 0; l < lanes; ++l) o[l] = 0.0f;
      for (std::int64_t q = 0; q < cols; ++q) {
        const float ajq = a[j * cols + q];
        if (ajq == 0.0f) continue;
        const float* t = tmp + (i * cols + q) * lanes;
        for (std::int64_t l = 0; l < lanes; ++l) o[l] += ajq * t[l];
      }
    }
  }
  // END EXERCISE
}

}  // namespace

const WinogradMatrices& winograd_matrices(std::int64_t m) {
  static const WinogradMatrices f2 = make_matrices(2), f4 = make_matrices(4);
  if (m == 2) return f2;
  if (m == 4) return f4;
  throw Error("winograd_matrices", "m = 2 (F(2x2,3x3)) or m = 4 (F(4x4,3x3))", "m = " + std::to_string(m));
}

void winograd_tile_transform(const float* a, std::int64_t rows, std::int64_t cols, const float* x, std::int64_t lanes,
                             float* out) {
  if (rows < 1 || rows > kMaxAlpha || cols < 1 || cols > kMaxAlpha || lanes < 1 || lanes > kLanes) {
    throw Error("winograd_tile_transform",
                "rows and cols in [1, " + std::to_string(kMaxAlpha) + "], lanes in [1, " + std::to_string(kLanes) + "]",
                "rows = " + std::to_string(rows) + ", cols = " + std::to_string(cols) + ", lanes = " + std::to_string(lanes));
  }
  if (a == nullptr || x == nullptr || out == nullptr) {
    throw Error("winograd_tile_transform", "non-null a, x and out", "a null pointer");
  }
  sandwich(a, rows, cols, x, lanes, out);
}

std::vector<float> winograd_1d(std::int64_t m, const std::vector<float>& d, const std::vector<float>& g,
                               std::int64_t* multiplications) {
  const WinogradMatrices& w = winograd_matrices(m);
  if (static_cast<std::int64_t>(d.size()) != w.alpha || g.size() != 3) {
    throw Error("winograd_1d", "d of " + std::to_string(w.alpha) + " values and g of 3",
                "d of " + std::to_string(d.size()) + ", g of " + std::to_string(g.size()));
  }
  std::vector<float> u(static_cast<std::size_t>(w.alpha), 0.0f), v(u), prod(u), y(static_cast<std::size_t>(m), 0.0f);
  for (std::int64_t i = 0; i < w.alpha; ++i) {
    for (std::int64_t k = 0; k < 3; ++k) u[static_cast<std::size_t>(i)] += w.g[static_cast<std::size_t>(i * 3 + k)] * g[static_cast<std::size_t>(k)];
    for (std::int64_t k = 0; k < w.alpha; ++k) {
      v[static_cast<std::size_t>(i)] += w.bt[static_cast<std::size_t>(i * w.alpha + k)] * d[static_cast<std::size_t>(k)];
    }
  }
  for (std::int64_t i = 0; i < w.alpha; ++i) {  // the only multiplications that depend on both d and g
    prod[static_cast<std::size_t>(i)] = u[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(i)];
    if (multiplications != nullptr) ++*multiplications;
  }
  for (std::int64_t j = 0; j < m; ++j) {
    for (std::int64_t i = 0; i < w.alpha; ++i) {
      y[static_cast<std::size_t>(j)] += w.at[static_cast<std::size_t>(j * w.alpha + i)] * prod[static_cast<std::size_t>(i)];
    }
  }
  return y;
}

namespace detail {
namespace {

struct Tiling {
  std::int64_t m, alpha, tiles_h, tiles_w, tiles;  // tiles = N * tiles_h * tiles_w
  std::int64_t padded;                             // tiles rounded up to whole slivers of MR (the GEMMs' M)
};
Tiling tiling(std::int64_t m, const ConvShape& s, std::int64_t mr) {  // mr: the micro-kernel's rows
  const std::int64_t th = (s.out_h + m - 1) / m, tw = (s.out_w + m - 1) / m, tiles = s.batch * th * tw;
  return {m, m + 2, th, tw, tiles, (tiles + mr - 1) / mr * mr};
}

// The transforms as the engine runs them: BT, G and AT written out as add/sub sequences (the fast
// path; the generic sandwich above, which multiplies by the matrices, stays the exercise and the
// recording's form, and is the reference the tests compare against). Every line works on a vector of
// kLanes tiles (or channels): one AVX-512, two AVX2 or four SSE operations.
//   BT rows: v0 = 4d0 - 5d2 + d4            v1 = (d4 - 4d2) + (d3 - 4d1)   v2 = (d4 - 4d2) - (d3 - 4d1)
//            v3 = (d4 - d2) + 2(d3 - d1)    v4 = (d4 - d2) - 2(d3 - d1)    v5 = 4d1 - 5d3 + d5
//   AT rows: y0 = m0 + (m1 + m2) + (m3 + m4)   y1 = (m1 - m2) + 2(m3 - m4)
//            y2 = (m1 + m2) + 4(m3 + m4)       y3 = (m1 - m2) + 8(m3 - m4) + m5
// d[k] is at d + k * stride (each a kLanes vector); results go to out + k * out_stride.
// One kLanes-float vector (GCC vector extension): a zmm register in the AVX-512 clone, two ymm in the
// AVX2 one, four xmm in the SSE one, whatever the vectoriser would have made of the loops. aligned(4):
// the rows of V and M need not be 64-byte aligned; may_alias: it is read and written over float arrays.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float)), aligned(4), may_alias));
inline const Lanes& at(const float* p, std::int64_t k, std::int64_t stride) {
  return *reinterpret_cast<const Lanes*>(p + k * stride);
}
inline Lanes& at(float* p, std::int64_t k, std::int64_t stride) { return *reinterpret_cast<Lanes*>(p + k * stride); }

inline void bt6(const float* d, std::int64_t stride, float* out, std::int64_t out_stride) {
  const Lanes d0 = at(d, 0, stride), d1 = at(d, 1, stride), d2 = at(d, 2, stride), d3 = at(d, 3, stride),
              d4 = at(d, 4, stride), d5 = at(d, 5, stride);
  const Lanes a = d4 - 4.0f * d2, bb = d3 - 4.0f * d1, c = d4 - d2, e = 2.0f * (d3 - d1);
  at(out, 0, out_stride) = 4.0f * d0 - 5.0f * d2 + d4;
  at(out, 1, out_stride) = a + bb;
  at(out, 2, out_stride) = a - bb;
  at(out, 3, out_stride) = c + e;
  at(out, 4, out_stride) = c - e;
  at(out, 5, out_stride) = 4.0f * d1 - 5.0f * d3 + d5;
}
inline void at6(const float* m, std::int64_t stride, float* out, std::int64_t out_stride) {
  const Lanes m0 = at(m, 0, stride), m1 = at(m, 1, stride), m2 = at(m, 2, stride), m3 = at(m, 3, stride),
              m4 = at(m, 4, stride), m5 = at(m, 5, stride);
  const Lanes s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
  at(out, 0, out_stride) = m0 + s12 + s34;
  at(out, 1, out_stride) = d12 + 2.0f * d34;
  at(out, 2, out_stride) = s12 + 4.0f * s34;
  at(out, 3, out_stride) = d12 + 8.0f * d34 + m5;
}
// F(4x4,3x3) filter transform, one column (or row) of 3 taps -> 6 (G's rows, kLanes at a time):
//   u0 = g0/4   u1 = a + b   u2 = a - b   (a = -(g0 + g2)/6, b = -g1/6)
//   u3 = c + e  u4 = c - e   (c = g0/24 + g2/6, e = g1/12)   u5 = g2
inline void g6(const float* g, std::int64_t stride, float* out, std::int64_t out_stride) {
  const Lanes g0 = at(g, 0, stride), g1 = at(g, 1, stride), g2 = at(g, 2, stride);
  const Lanes a = -(g0 + g2) * (1.0f / 6), b = -g1 * (1.0f / 6);
  const Lanes c = g0 * (1.0f / 24) + g2 * (1.0f / 6), e = g1 * (1.0f / 12);
  at(out, 0, out_stride) = g0 * 0.25f;
  at(out, 1, out_stride) = a + b;
  at(out, 2, out_stride) = a - b;
  at(out, 3, out_stride) = c + e;
  at(out, 4, out_stride) = c - e;
  at(out, 5, out_stride) = g2;
}
// F(2x2,3x3), the same three stages for 4 x 4 tiles:
//   G:  u0 = g0, u1 = (g0 + g1 + g2)/2, u2 = (g0 - g1 + g2)/2, u3 = g2
//   BT: v0 = d0 - d2, v1 = d1 + d2, v2 = d2 - d1, v3 = d1 - d3
//   AT: y0 = m0 + m1 + m2, y1 = m1 - m2 - m3
inline void g4(const float* g, std::int64_t stride, float* out, std::int64_t out_stride) {
  const Lanes g0 = at(g, 0, stride), g1 = at(g, 1, stride), g2 = at(g, 2, stride), h = 0.5f * (g0 + g2);
  at(out, 0, out_stride) = g0;
  at(out, 1, out_stride) = h + 0.5f * g1;
  at(out, 2, out_stride) = h - 0.5f * g1;
  at(out, 3, out_stride) = g2;
}
inline void bt4(const float* d, std::int64_t stride, float* out, std::int64_t out_stride) {
  const Lanes d0 = at(d, 0, stride), d1 = at(d, 1, stride), d2 = at(d, 2, stride), d3 = at(d, 3, stride);
  at(out, 0, out_stride) = d0 - d2;
  at(out, 1, out_stride) = d1 + d2;
  at(out, 2, out_stride) = d2 - d1;
  at(out, 3, out_stride) = d1 - d3;
}
inline void at4(const float* m, std::int64_t stride, float* out, std::int64_t out_stride) {
  const Lanes m0 = at(m, 0, stride), m1 = at(m, 1, stride), m2 = at(m, 2, stride), m3 = at(m, 3, stride);
  at(out, 0, out_stride) = m0 + m1 + m2;
  at(out, 1, out_stride) = m1 - m2 - m3;
}

// The three transforms of F(M x M, 3x3), separable: a column pass then a row pass, each line of the
// 1-D transform over kLanes tiles (or channels). Input and filter tiles are packed x[k][q][lane];
// the alpha^2 results go to out + xi * out_stride (kLanes floats each), outputs to out[r][c][lane].
template <std::int64_t M>
inline void filter_transform(const float* g, float* out, std::int64_t out_stride) {
  constexpr std::int64_t alpha = M + 2;
  alignas(64) float tmp[alpha * 3 * kLanes];  // G g: tmp[r][c]
  for (std::int64_t c = 0; c < 3; ++c) {
    if constexpr (M == 4) g6(g + c * kLanes, 3 * kLanes, tmp + c * kLanes, 3 * kLanes);
    else g4(g + c * kLanes, 3 * kLanes, tmp + c * kLanes, 3 * kLanes);
  }
  for (std::int64_t r = 0; r < alpha; ++r) {
    if constexpr (M == 4) g6(tmp + r * 3 * kLanes, kLanes, out + r * alpha * out_stride, out_stride);
    else g4(tmp + r * 3 * kLanes, kLanes, out + r * alpha * out_stride, out_stride);
  }
}
template <std::int64_t M>
inline void input_transform(const float* d, float* v, std::int64_t v_stride) {
  constexpr std::int64_t alpha = M + 2;
  alignas(64) float tmp[alpha * alpha * kLanes];  // BT d: tmp[r][c]
  for (std::int64_t c = 0; c < alpha; ++c) {
    if constexpr (M == 4) bt6(d + c * kLanes, alpha * kLanes, tmp + c * kLanes, alpha * kLanes);
    else bt4(d + c * kLanes, alpha * kLanes, tmp + c * kLanes, alpha * kLanes);
  }
  for (std::int64_t r = 0; r < alpha; ++r) {
    if constexpr (M == 4) bt6(tmp + r * alpha * kLanes, kLanes, v + r * alpha * v_stride, v_stride);
    else bt4(tmp + r * alpha * kLanes, kLanes, v + r * alpha * v_stride, v_stride);
  }
}
template <std::int64_t M>
inline void output_transform(const float* m, std::int64_t m_stride, float* out) {
  constexpr std::int64_t alpha = M + 2;
  alignas(64) float tmp[M * alpha * kLanes];  // AT M: tmp[r][c], r < M
  for (std::int64_t c = 0; c < alpha; ++c) {
    if constexpr (M == 4) at6(m + c * m_stride, alpha * m_stride, tmp + c * kLanes, alpha * kLanes);
    else at4(m + c * m_stride, alpha * m_stride, tmp + c * kLanes, alpha * kLanes);
  }
  for (std::int64_t r = 0; r < M; ++r) {
    if constexpr (M == 4) at6(tmp + r * alpha * kLanes, kLanes, out + r * M * kLanes, kLanes);
    else at4(tmp + r * alpha * kLanes, kLanes, out + r * M * kLanes, kLanes);
  }
}

// The engine's layout and blocking (the header comment's four stages). Each of the alpha^2 GEMMs is
// M^T[xi] (T x OCg) = V^T[xi] (T x ICg) U^T[xi] (ICg x OCg): tiles are the rows, output channels the
// columns, so every operand is written once, straight into the layout the micro-kernel reads:
//   - V, every tile's input transform, in packed-A slivers of MR tiles: V[xi][tile / MR][i][tile % MR];
//   - the output channels go in blocks: the block's filters are transformed into packed-B slivers of NR
//     channels (U[xi][o / NR][i][o % NR]), the block's alpha^2 GEMMs run on the packed panels
//     (macro_kernel, the GEMM ladder's loops 2 and 1) into M[xi][tile][o], and the block's outputs are
//     transformed and written. U and M of one block stay in L2; the whole U of a 256 -> 256 layer
//     (4 MiB for F(2x2)) never exists, and no GEMM packs anything again.
struct BlockPlan {
  std::int64_t mr, nr;  // the micro-kernel's tile
  std::int64_t group;   // output channels transformed together: 16 lanes, and whole slivers of NR
  std::int64_t cols;    // output channels per block, a multiple of group
};
BlockPlan block_plan(std::int64_t alpha, const ConvShape& s, const MicroKernel& k) {
  constexpr std::int64_t kBlockBytes = 256 * 1024;  // U of one block: alpha^2 * cols * ICg floats
  const std::int64_t group = std::max(kLanes, k.nr);  // NR is 8, 16 or 32
  const std::int64_t per_group = alpha * alpha * group * s.group_in() * static_cast<std::int64_t>(sizeof(float));
  const std::int64_t groups = std::clamp<std::int64_t>(kBlockBytes / per_group, 1, (s.group_out() + group - 1) / group);
  return {k.mr, k.nr, group, groups * group};
}

// Copies the kLanes results of one xi to n consecutive floats (n = MR, constant in the common cases).
inline void store_lanes(const float* from, std::int64_t n, float* to) {
  switch (n) {
    case 16: at(to, 0, 0) = at(from, 0, 0); break;
    case 12: std::copy_n(from, 12, to); break;
    case 8: std::copy_n(from, 8, to); break;
    case 6: std::copy_n(from, 6, to); break;
    case 4: std::copy_n(from, 4, to); break;
    default: for (std::int64_t l = 0; l < n; ++l) to[l] = from[l];
  }
}

// r[0..15] = its transpose, 16 x 16 floats in four butterfly stages: stage s swaps bit s of the row
// and column indices (row a, column j with bit s set <-> row a|s, column j - s). Each line is one
// two-register permute in the AVX-512 clone (__builtin_shufflevector: GCC 12 and clang; index 16 + j
// is lane j of the second vector).
// (By reference: a 64-byte vector passed or returned by value changes the ABI with the instruction set.)
template <int S, int... J>
inline void butterfly_pair(Lanes& x, Lanes& y, std::integer_sequence<int, J...>) {
  const Lanes low = __builtin_shufflevector(x, y, ((J & S) != 0 ? 16 + J - S : J)...);  // (j & S) ? y[j - S] : x[j]
  const Lanes high = __builtin_shufflevector(x, y, ((J & S) != 0 ? 16 + J : J + S)...);  // (j & S) ? y[j] : x[j + S]
  x = low;
  y = high;
}
template <int S>
inline void butterfly(Lanes* r) {
  static_assert(kLanes == 16, "the butterflies are written for 16 lanes");
  for (int a = 0; a < kLanes; ++a) {
    if ((a & S) != 0) continue;
    butterfly_pair<S>(r[a], r[a | S], std::make_integer_sequence<int, 16>{});
  }
}
inline void transpose16(Lanes* r) {
  butterfly<1>(r);
  butterfly<2>(r);
  butterfly<4>(r);
  butterfly<8>(r);
}

// The taps of 16 output channels (lanes) x 16 input channels i0.. as vectors: taps[(9j + k) * kLanes + l]
// = w[first + l, i0 + j, k]. Each output channel's 16 filters are 144 contiguous floats, so nine 16 x 16
// transposes of them give every vector at once (instead of 2304 scalar loads and stores).
inline void gather_taps(const float* w, std::int64_t row_stride, std::int64_t lanes, std::int64_t batch, float* taps) {
  if (lanes == kLanes && batch == kLanes) {
    for (std::int64_t q = 0; q < 9; ++q) {
      Lanes r[kLanes];
      for (std::int64_t l = 0; l < kLanes; ++l) r[l] = at(w + l * row_stride, q, kLanes);
      transpose16(r);
      for (std::int64_t e = 0; e < kLanes; ++e) at(taps, q * kLanes + e, kLanes) = r[e];
    }
    return;
  }
  for (std::int64_t j = 0; j < batch; ++j) {
    for (std::int64_t k = 0; k < 9; ++k) {
      float* t = taps + (9 * j + k) * kLanes;
      for (std::int64_t l = 0; l < kLanes; ++l) t[l] = l < lanes ? w[l * row_stride + 9 * j + k] : 0.0f;
    }
  }
}

// Built three times by GCC (target_clones, GB_CONV_CLONES): AVX-512, AVX2 and any x86-64 (SSE);
// the loader picks one at run time from the CPU's features, as gemm() does with __builtin_cpu_supports.
template <std::int64_t M>
[[gnu::flatten]] GB_CONV_CLONES void conv_winograd_m(const float* x, const float* w, const float* b, const ConvShape& s,
                                                     float* y) {
  constexpr std::int64_t alpha = M + 2, a2 = alpha * alpha;
  const MicroKernel kernel = best_kernel();
  const BlockPlan blk = block_plan(alpha, s, kernel);
  const std::int64_t mr = blk.mr, nr = blk.nr;
  const Tiling t = tiling(M, s, mr);
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), tp = t.padded;
  const Conv2dParams& p = s.params;
  // The alpha^2 matrices of each buffer lie kSkew floats apart beyond their size: strides that are
  // multiples of 4 KiB make the stores of one xi alias the loads of the next in the CPU's store buffer
  // (measured: the input transform 1.5x, the filter transform 1.6x slower).
  const std::int64_t vs = tp * icg + kSkew;
  float* v = scratch(1, a2 * vs);                           // packed A: [xi][tile / mr][i][tile % mr]
  float* u = scratch(0, a2 * (blk.cols * icg + kSkew));     // packed B of one block: [xi][o / nr][i][o % nr]
  float* mm = scratch(2, a2 * (tp * blk.cols + kSkew));     // [xi][tile][o]
  alignas(64) float gathered[std::max(kBatch * kMaxAlpha * kMaxAlpha, 9 * kLanes) * kLanes] = {};  // input tiles or filter taps
  alignas(64) float out[a2 * kLanes];
  // Where each tile starts: image, output row and column of its top-left corner.
  std::vector<std::int64_t> tile_n(static_cast<std::size_t>(tp), -1), tile_r(tile_n), tile_c(tile_n);
  for (std::int64_t tile = 0; tile < t.tiles; ++tile) {
    tile_n[static_cast<std::size_t>(tile)] = tile / (t.tiles_h * t.tiles_w);
    tile_r[static_cast<std::size_t>(tile)] = tile / t.tiles_w % t.tiles_h * M;
    tile_c[static_cast<std::size_t>(tile)] = tile % t.tiles_w * M;
  }

  for (std::int64_t g = 0; g < p.groups; ++g) {
    // 1. Input transform, lanes = the MR tiles of one sliver: V[xi][sliver][i][l] = (BT d B)[xi], d the
    //    alpha x alpha input tile. A batch of channels is gathered before any is transformed: a vector
    //    load right behind the scalar stores that filled it would wait for them.
    for (std::int64_t t0 = 0; t0 < tp; t0 += mr) {
      for (std::int64_t i0 = 0; i0 < icg; i0 += kBatch) {
        const std::int64_t batch = std::min(kBatch, icg - i0);
        for (std::int64_t j = 0; j < batch; ++j) {
          float* in = gathered + j * a2 * kLanes;
          for (std::int64_t l = 0; l < mr; ++l) {
            const std::size_t tile = static_cast<std::size_t>(t0 + l);
            const std::int64_t n = tile_n[tile];
            const std::int64_t ih0 = tile_r[tile] - p.pad_top, iw0 = tile_c[tile] - p.pad_left;
            const float* plane = x + (n * s.in_channels + g * icg + i0 + j) * s.in_h * s.in_w;
            if (n >= 0 && ih0 >= 0 && iw0 >= 0 && ih0 + alpha <= s.in_h && iw0 + alpha <= s.in_w) {
              const float* src = plane + ih0 * s.in_w + iw0;  // no padding under the tile
              for (std::int64_t r = 0; r < alpha; ++r) {
                for (std::int64_t c = 0; c < alpha; ++c) in[(r * alpha + c) * kLanes + l] = src[r * s.in_w + c];
              }
              continue;
            }
            for (std::int64_t r = 0; r < alpha; ++r) {
              const std::int64_t ih = ih0 + r;
              for (std::int64_t c = 0; c < alpha; ++c) {
                const std::int64_t iw = iw0 + c;
                const bool inside = n >= 0 && ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w;
                in[(r * alpha + c) * kLanes + l] = inside ? plane[ih * s.in_w + iw] : 0.0f;
              }
            }
          }
        }
        for (std::int64_t j = 0; j < batch; ++j) {
          input_transform<M>(gathered + j * a2 * kLanes, out, kLanes);
          float* to = v + (t0 * icg + (i0 + j) * mr);
          for (std::int64_t xi = 0; xi < a2; ++xi) store_lanes(out + xi * kLanes, mr, to + xi * vs);
        }
      }
    }
    for (std::int64_t o0 = 0; o0 < ocg; o0 += blk.cols) {
      const std::int64_t cols = std::min(blk.cols, (ocg - o0 + blk.group - 1) / blk.group * blk.group);
      const std::int64_t us = cols * icg + kSkew, ms = tp * cols + kSkew;
      // 2. Filter transform of the block, lanes = 16 output channels: U[xi][o / NR][i][o % NR] =
      //    (G w[o, i] GT)[xi]; channels past OCg are zero filters (their columns of M are not read).
      for (std::int64_t og = o0; og < o0 + cols; og += kLanes) {
        const std::int64_t lanes = std::clamp<std::int64_t>(ocg - og, 0, kLanes);
        for (std::int64_t i0 = 0; i0 < icg; i0 += kLanes) {
          const std::int64_t batch = std::min(kLanes, icg - i0);
          gather_taps(w + ((g * ocg + og) * icg + i0) * 9, icg * 9, lanes, batch, gathered);
          for (std::int64_t j = 0; j < batch; ++j) {
            filter_transform<M>(gathered + 9 * j * kLanes, out, kLanes);
            for (std::int64_t h = 0; h < kLanes; h += std::min(nr, kLanes)) {  // NR = 8: two slivers
              const std::int64_t o = og - o0 + h;
              float* to = u + (o / nr * icg + i0 + j) * nr + o % nr;
              if (nr >= kLanes) {
                for (std::int64_t xi = 0; xi < a2; ++xi) at(to, xi, us) = at(out, xi, kLanes);
              } else {
                for (std::int64_t xi = 0; xi < a2; ++xi) store_lanes(out + xi * kLanes + h, nr, to + xi * us);
              }
            }
          }
        }
      }
      // 3. alpha^2 GEMMs on the packed panels: M[xi] (T x cols) = V[xi]^T (T x ICg) U[xi]^T (ICg x cols).
      std::fill_n(mm, a2 * ms, 0.0f);  // the micro-kernels accumulate: C += A B
      for (std::int64_t xi = 0; xi < a2; ++xi) {
        macro_kernel(kernel, tp, cols, icg, 1.0f, v + xi * vs, u + xi * us, mm + xi * ms, cols);
      }
      // 4. Output transform, lanes = 16 output channels: the m x m outputs AT M A (+ bias), cut at the edges.
      alignas(64) float bias[kLanes];
      for (std::int64_t og = o0; og < std::min(o0 + cols, ocg); og += kLanes) {
        const std::int64_t lanes = std::min(kLanes, ocg - og);
        for (std::int64_t l = 0; l < kLanes; ++l) bias[l] = b != nullptr && l < lanes ? b[g * ocg + og + l] : 0.0f;
        for (std::int64_t tile = 0; tile < t.tiles; ++tile) {
          output_transform<M>(mm + tile * cols + (og - o0), ms, out);
          const std::size_t ti = static_cast<std::size_t>(tile);
          const std::int64_t oh0 = tile_r[ti], ow0 = tile_c[ti];
          const std::int64_t rows_out = std::min(M, s.out_h - oh0), cols_out = std::min(M, s.out_w - ow0);
          float* first = y + ((tile_n[ti] * s.out_channels + g * ocg + og) * s.out_h + oh0) * s.out_w + ow0;
          for (std::int64_t l = 0; l < lanes; ++l) {
            float* plane = first + l * s.out_h * s.out_w;
            for (std::int64_t r = 0; r < rows_out; ++r) {
              for (std::int64_t c = 0; c < cols_out; ++c) plane[r * s.out_w + c] = out[(r * M + c) * kLanes + l] + bias[l];
            }
          }
        }
      }
    }
  }
}

}  // namespace

std::size_t workspace_winograd(std::int64_t m, const ConvShape& s) {
  const MicroKernel kernel = best_kernel();
  const Tiling t = tiling(m, s, kernel.mr);
  const BlockPlan blk = block_plan(t.alpha, s, kernel);
  const std::int64_t a2 = t.alpha * t.alpha;
  return bytes_of<float>(a2 * (t.padded * s.group_in() + blk.cols * (s.group_in() + t.padded) + 3 * kSkew));
}

void conv_winograd(std::int64_t m, const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  if (m == 2) {
    conv_winograd_m<2>(x, w, b, s, y);
  } else {
    conv_winograd_m<4>(x, w, b, s, y);
  }
}

}  // namespace detail
}  // namespace gb::kernels
