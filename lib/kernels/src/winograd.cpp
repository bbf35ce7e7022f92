// winograd.cpp: Winograd convolution F(2x2,3x3) and F(4x4,3x3) (lesson 21), the engine of Lavin &
// Gray (2016) with its four stages, each a loop over lanes of independent tiles:
//
//   1. filter transform  U[xi][o][i] = (G g[o,i] GT)[xi]       xi = one of the alpha^2 tile positions
//   2. input transform   V[xi][i][t] = (BT d[i,t] B)[xi]       t = one alpha x alpha input tile
//   3. batched GEMMs     M[xi] = U[xi] V[xi]                   alpha^2 GEMMs [OCg x ICg] x [ICg x T]
//   4. output transform  y tile (m x m) = AT M[:][o][t] A, + bias
//
// Stage 3 does the element-wise products of Y = AT[(G g GT) (.) (BT d B)]A summed over the input
// channels, so it is where the saving is: alpha^2 multiplications per tile and channel pair instead of
// m^2 * 9 (16 vs 36, 36 vs 144). Tiles overlap by 2 (the 3x3 halo); the last row and column of tiles
// may hang over the output and are cut when written. F(4x4) saves more but its transforms use larger
// constants (up to 8 and 1/24), so its fp32 error is larger (measured in the tests and README).
#include <algorithm>
#include <string>

#include "conv_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/kernels/winograd.hpp"

namespace gb::kernels {
namespace {

constexpr std::int64_t kLanes = 16;     // tiles (or channels) transformed together: one vector loop
constexpr std::int64_t kMaxAlpha = 6;   // F(4x4,3x3)

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
  std::int64_t padded;                             // tiles rounded up to whole lanes (the GEMMs' N)
};
Tiling tiling(std::int64_t m, const ConvShape& s) {
  const std::int64_t th = (s.out_h + m - 1) / m, tw = (s.out_w + m - 1) / m, tiles = s.batch * th * tw;
  return {m, m + 2, th, tw, tiles, (tiles + kLanes - 1) / kLanes * kLanes};
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

// Built three times by GCC (target_clones, GB_CONV_CLONES): AVX-512, AVX2 and any x86-64 (SSE);
// the loader picks one at run time from the CPU's features, as gemm() does with __builtin_cpu_supports.
template <std::int64_t M>
[[gnu::flatten]] GB_CONV_CLONES void conv_winograd_m(const float* x, const float* w, const float* b, const ConvShape& s, float* y) {
  constexpr std::int64_t alpha = M + 2, a2 = alpha * alpha;
  const Tiling t = tiling(M, s);
  const std::int64_t icg = s.group_in(), ocg = s.group_out(), tp = t.padded;
  const Conv2dParams& p = s.params;
  float* u = scratch(0, a2 * ocg * icg);  // [xi][o][i]
  float* v = scratch(1, a2 * icg * tp);   // [xi][i][tile]
  float* mm = scratch(2, a2 * ocg * tp);  // [xi][o][tile]
  alignas(64) float in[a2 * kLanes];
  alignas(64) float out[a2 * kLanes];
  // Where each tile starts: image, input row and column of its top-left corner (padding included).
  std::vector<std::int64_t> tile_n(static_cast<std::size_t>(tp), -1), tile_r(tile_n), tile_c(tile_n);
  for (std::int64_t tile = 0; tile < t.tiles; ++tile) {
    tile_n[static_cast<std::size_t>(tile)] = tile / (t.tiles_h * t.tiles_w);
    tile_r[static_cast<std::size_t>(tile)] = tile / t.tiles_w % t.tiles_h * M;
    tile_c[static_cast<std::size_t>(tile)] = tile % t.tiles_w * M;
  }

  for (std::int64_t g = 0; g < p.groups; ++g) {
    // 1. Filter transform, lanes = input channels: U[xi][o][i0 + l] = (G w[o, i0 + l] GT)[xi].
    for (std::int64_t o = 0; o < ocg; ++o) {
      for (std::int64_t i0 = 0; i0 < icg; i0 += kLanes) {
        const std::int64_t lanes = std::min(kLanes, icg - i0);
        for (std::int64_t l = 0; l < kLanes; ++l) {
          const float* f = w + ((g * ocg + o) * icg + i0 + std::min(l, lanes - 1)) * 9;
          for (std::int64_t k = 0; k < 9; ++k) in[k * kLanes + l] = f[k];
        }
        filter_transform<M>(in, out, kLanes);
        if (lanes == kLanes) {  // one vector store each (a copy_n of a run-time length becomes rep movs)
          for (std::int64_t xi = 0; xi < a2; ++xi) at(u + o * icg + i0, xi, ocg * icg) = at(out, xi, kLanes);
        } else {
          for (std::int64_t xi = 0; xi < a2; ++xi) std::copy_n(out + xi * kLanes, lanes, u + (xi * ocg + o) * icg + i0);
        }
      }
    }
    // 2. Input transform, lanes = tiles: V[xi][i][t0 + l] = (BT d B)[xi], d the alpha x alpha tile.
    for (std::int64_t t0 = 0; t0 < tp; t0 += kLanes) {
      for (std::int64_t i = 0; i < icg; ++i) {
        for (std::int64_t l = 0; l < kLanes; ++l) {
          const std::size_t tile = static_cast<std::size_t>(t0 + l);
          const std::int64_t n = tile_n[tile];
          const std::int64_t ih0 = tile_r[tile] - p.pad_top, iw0 = tile_c[tile] - p.pad_left;
          const float* plane = x + (n * s.in_channels + g * icg + i) * s.in_h * s.in_w;
          const bool interior = n >= 0 && ih0 >= 0 && iw0 >= 0 && ih0 + alpha <= s.in_h && iw0 + alpha <= s.in_w;
          if (interior) {  // no padding under the tile: alpha rows of alpha contiguous values
            const float* src = plane + ih0 * s.in_w + iw0;
            for (std::int64_t r = 0; r < alpha; ++r) {
              for (std::int64_t c = 0; c < alpha; ++c) in[(r * alpha + c) * kLanes + l] = src[r * s.in_w + c];
            }
            continue;
          }
          for (std::int64_t r = 0; r < alpha; ++r) {
            const std::int64_t ih = ih0 + r;
            for (std::int64_t c = 0; c < alpha; ++c) {
              const std::int64_t iw = iw0 + c;
              const bool inside = interior || (n >= 0 && ih >= 0 && ih < s.in_h && iw >= 0 && iw < s.in_w);
              in[(r * alpha + c) * kLanes + l] = inside ? plane[ih * s.in_w + iw] : 0.0f;
            }
          }
        }
        input_transform<M>(in, v + i * tp + t0, icg * tp);
      }
    }
    // 3. alpha^2 GEMMs: M[xi] (OCg x T) = U[xi] (OCg x ICg) V[xi] (ICg x T).
    for (std::int64_t xi = 0; xi < a2; ++xi) {
      GemmArgs args;
      args.m = ocg;
      args.n = tp;
      args.k = icg;
      args.a = u + xi * ocg * icg;
      args.lda = icg;
      args.b = v + xi * icg * tp;
      args.ldb = tp;
      args.c = mm + xi * ocg * tp;
      args.ldc = tp;
      gemm(Variant::best, args);
    }
    // 4. Output transform, lanes = tiles: the m x m outputs AT M A (+ bias), cut at the edges.
    for (std::int64_t o = 0; o < ocg; ++o) {
      const std::int64_t oc = g * ocg + o;
      const float bias = b != nullptr ? b[oc] : 0.0f;
      for (std::int64_t t0 = 0; t0 < tp; t0 += kLanes) {
        output_transform<M>(mm + o * tp + t0, ocg * tp, out);
        for (std::int64_t l = 0; l < kLanes && t0 + l < t.tiles; ++l) {
          const std::size_t tile = static_cast<std::size_t>(t0 + l);
          const std::int64_t oh0 = tile_r[tile], ow0 = tile_c[tile];
          float* plane = y + (tile_n[tile] * s.out_channels + oc) * s.out_h * s.out_w;
          const std::int64_t rows = std::min(M, s.out_h - oh0), cols = std::min(M, s.out_w - ow0);
          for (std::int64_t r = 0; r < rows; ++r) {
            for (std::int64_t c = 0; c < cols; ++c) plane[(oh0 + r) * s.out_w + ow0 + c] = out[(r * M + c) * kLanes + l] + bias;
          }
        }
      }
    }
  }
}

}  // namespace

std::size_t workspace_winograd(std::int64_t m, const ConvShape& s) {
  const Tiling t = tiling(m, s);
  const std::int64_t a2 = t.alpha * t.alpha;
  return bytes_of<float>(a2 * (s.group_out() * s.group_in() + s.group_in() * t.padded + s.group_out() * t.padded));
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
