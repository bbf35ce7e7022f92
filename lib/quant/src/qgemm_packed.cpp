// qgemm_packed.cpp: the integer GEMM as five loops around a micro-kernel, and the portable micro-kernel.
//
// The loops are lib/kernels' (gemm.hpp draws them): JC over NC columns, PC over KC of the reduction,
// IC over MC rows, then JR / IR over the NR x MR tiles. What is new for integers is in the packing:
//
// 1. Layout. B's KC x NC panel becomes NR-column slivers holding G consecutive k of one column in each
//    32-bit lane (G = 4 bytes for vpdpbusd, G = 2 int16 for vpmaddwd); A's MC x KC block becomes MR-row
//    slivers of G k per row (qmicro_kernel.hpp draws both). K is padded to whole groups with zeros.
//
// 2. Zero points. (a - za)(b - zb) = ab - za*b - zb*a + za*zb, so per KC block
//      acc[i, j] += sum_k a*b  +  col_term[j]  +  zb[j] * row_term[i]
//      col_term[j] = -za * sum_k b[j, k]        (computed while packing B, once per panel)
//      row_term[i] = kc * za - sum_k a[i, k]    (computed while packing A, once per block)
//    The micro-kernel's inner loop multiplies raw bytes; the corrections cost one add (and, when the
//    weights have zero points, one multiply) per output at the store. With zb = 0 (symmetric weights,
//    the usual case) row_term is multiplied by 0 and the kernels could skip it.
//
// 3. Overflow. Within a KC = 256 block every term is below 256 * 255 * 255 < 2^24, and the running sum
//    in C is an exact partial sum of the result, which fits int32 because k <= kQGemmMaxK.
//
// 4. Rows of A through pointers. Packing reads A row by row through QASource::segment, so the same
//    loops serve the indirect convolution: its rows are gathered from the indirection buffer here,
//    one MC x KC block at a time, instead of being copied into a whole Im2Col matrix first.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "qgemm_internal.hpp"

namespace gb::quant::detail {
namespace {

// Cache blocking. MC is a multiple of every MR (4, 6), KC of every G (2, 4), NC of every NR (16, 64).
// An MR x KC sliver of A (6 x 256 B) and a KC x NR sliver of B (256 x 64 B = 16 KiB) sit in L1,
// the MC x KC block of A (36 KiB) in L2.
constexpr std::int64_t kMC = 144, kKC = 256, kNC = 4096;

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// A buffer kept between calls (only grown), its start aligned to a cache line so that the kernels'
// 64-byte loads of a sliver never straddle two lines.
struct AlignedBytes {
  std::vector<std::uint8_t> bytes;
  std::uint8_t* get(std::size_t n) {
    if (bytes.size() < n + 64) bytes.resize(n + 64);
    std::uint8_t* p = bytes.data();
    return p + (64 - reinterpret_cast<std::uintptr_t>(p) % 64) % 64;
  }
};
struct Workspace {
  AlignedBytes a_packed, b_packed;
  std::vector<std::uint8_t> a_row;
  std::vector<std::int32_t> col_term, b_zero, row_term, tile;
};
thread_local Workspace workspace;

template <class T>
T* grown(std::vector<T>& v, std::int64_t n) {
  if (static_cast<std::int64_t>(v.size()) < n) v.resize(static_cast<std::size_t>(n));
  return v.data();
}

// Copies `len` values from `from` into the groups of one lane (group q at lane + q * stride), starting at
// group first; a last partial group is padded with zeros. (For bytes into bytes, 4 at a time.)
template <int G, class Elem, class Source>
void copy_into_groups(const Source* from, std::int64_t len, Elem* lane, std::int64_t first, std::int64_t stride) {
  const std::int64_t full = len / G;
  for (std::int64_t q = 0; q < full; ++q) {
    if constexpr (G == 4 && sizeof(Elem) == 1 && sizeof(Source) == 1) {
      std::memcpy(lane + (first + q) * stride, from + q * G, G);
    } else {
      for (int t = 0; t < G; ++t) lane[(first + q) * stride + t] = static_cast<Elem>(from[q * G + t]);
    }
  }
  if (full * G < len) {
    for (int t = 0; t < G; ++t) {
      lane[(first + full) * stride + t] = full * G + t < len ? static_cast<Elem>(from[full * G + t]) : Elem{0};
    }
  }
}

// Packs B[jc:jc+nc, pc:pc+kc] (B is [N, K]: column j of the product is row j of B, contiguous in k)
// into NR-column slivers, G consecutive k per lane, and the column terms of this block.
template <int G, class Elem>
void pack_b(std::int64_t nr, const QGemmArgs& g, std::int64_t jc, std::int64_t nc, std::int64_t pc, std::int64_t kc,
            Elem* packed, std::int32_t* col_term, std::int32_t* b_zero) {
  const std::int64_t kg = ceil_div(kc, G), width = ceil_div(nc, nr) * nr;
  for (std::int64_t jj = 0; jj < width; ++jj) {
    Elem* lane = packed + (jj / nr) * kg * nr * G + (jj % nr) * G;  // group q of this column: lane + q * nr * G
    if (jj >= nc) {  // a padding column: zeros, no correction
      for (std::int64_t q = 0; q < kg; ++q) {
        for (int t = 0; t < G; ++t) lane[q * nr * G + t] = 0;
      }
      col_term[jj] = b_zero[jj] = 0;
      continue;
    }
    const std::int8_t* row = g.b + (jc + jj) * g.ldb + pc;
    std::int32_t sum = 0;
    for (std::int64_t kk = 0; kk < kc; ++kk) sum += row[kk];
    copy_into_groups<G>(row, kc, lane, 0, nr * G);
    col_term[jj] = -g.a_zero_point * sum;
    b_zero[jj] = g.b_zero_point != nullptr ? g.b_zero_point[jc + jj] : 0;
  }
}

// Packs rows ic..ic+mc of A, k = pc..pc+kc, into MR-row slivers of G k per row, and the row terms
// (only multiplied by b_zero[j]: with symmetric weights, row_sums is false and they stay 0).
// A row is read as runs of bytes: one run for a plain matrix, one per tap for the indirect convolution
// (k = t * channels + c); when the runs do not start on whole groups they are first gathered in `buffer`.
template <int G, class Elem>
void pack_a(std::int64_t mr, const QASource& src, std::int32_t a_zero, bool row_sums, std::int64_t ic,
            std::int64_t mc, std::int64_t pc, std::int64_t kc, Elem* packed, std::int32_t* row_term,
            std::uint8_t* buffer) {
  const std::int64_t kg = ceil_div(kc, G), height = ceil_div(mc, mr) * mr;
  const bool runs_on_groups = src.indirection == nullptr || (src.channels % G == 0 && pc % G == 0);
  for (std::int64_t ii = 0; ii < height; ++ii) {
    Elem* lane = packed + (ii / mr) * kg * mr * G + (ii % mr) * G;  // group q of this row: lane + q * mr * G
    if (ii >= mc) {  // a padding row
      for (std::int64_t q = 0; q < kg; ++q) {
        for (int t = 0; t < G; ++t) lane[q * mr * G + t] = 0;
      }
      row_term[ii] = 0;
      continue;
    }
    std::int32_t sum = static_cast<std::int32_t>(kc) * a_zero;
    std::int64_t t = pc / src.channels, c = pc % src.channels;
    for (std::int64_t done = 0; done < kc; ++t, c = 0) {  // the runs of row ic + ii
      const std::int64_t len = std::min(src.channels - c, kc - done);
      const std::uint8_t* run = src.segment(ic + ii, t) + c;
      if (row_sums) {
        for (std::int64_t kk = 0; kk < len; ++kk) sum -= run[kk];
      }
      if (runs_on_groups) {
        copy_into_groups<G>(run, len, lane, done / G, mr * G);
      } else {
        std::memcpy(buffer + done, run, static_cast<std::size_t>(len));
      }
      done += len;
    }
    if (!runs_on_groups) copy_into_groups<G>(buffer, kc, lane, 0, mr * G);
    row_term[ii] = row_sums ? sum : 0;
  }
}

template <int G, class AElem, class BElem>
void five_loops(const QMicroKernel& uk, const QASource& src, const QGemmArgs& g) {
  const std::int64_t MR = uk.mr, NR = uk.nr;
  Workspace& ws = workspace;
  const std::int64_t max_kg = ceil_div(std::min(kKC, g.k), G);
  const std::int64_t max_nc = ceil_div(std::min(kNC, g.n), NR) * NR, max_mc = ceil_div(std::min(kMC, g.m), MR) * MR;
  auto* b_packed = reinterpret_cast<BElem*>(ws.b_packed.get(static_cast<std::size_t>(max_nc * max_kg * G) * sizeof(BElem)));
  auto* a_packed = reinterpret_cast<AElem*>(ws.a_packed.get(static_cast<std::size_t>(max_mc * max_kg * G) * sizeof(AElem)));
  std::int32_t* col_term = grown(ws.col_term, max_nc);
  std::int32_t* b_zero = grown(ws.b_zero, max_nc);
  std::int32_t* row_term = grown(ws.row_term, max_mc);
  std::uint8_t* a_buffer = grown(ws.a_row, max_kg * G);
  std::int32_t* tile = grown(ws.tile, MR * NR);

  for (std::int64_t jc = 0; jc < g.n; jc += kNC) {          // 5th loop: a panel of B
    const std::int64_t nc = std::min(kNC, g.n - jc);
    for (std::int64_t pc = 0; pc < g.k; pc += kKC) {         // 4th loop: a KC block of the reduction
      const std::int64_t kc = std::min(kKC, g.k - pc), kg = ceil_div(kc, G);
      const bool accumulate = pc > 0;
      pack_b<G>(NR, g, jc, nc, pc, kc, b_packed, col_term, b_zero);
      for (std::int64_t ic = 0; ic < g.m; ic += kMC) {       // 3rd loop: a block of A
        const std::int64_t mc = std::min(kMC, g.m - ic);
        pack_a<G>(MR, src, g.a_zero_point, g.b_zero_point != nullptr, ic, mc, pc, kc, a_packed, row_term, a_buffer);
        for (std::int64_t jr = 0; jr < nc; jr += NR) {       // 2nd loop: a sliver of B
          const BElem* b_sliver = b_packed + (jr / NR) * kg * NR * G;
          for (std::int64_t ir = 0; ir < mc; ir += MR) {     // 1st loop: a sliver of A
            const AElem* a_sliver = a_packed + (ir / MR) * kg * MR * G;
            std::int32_t* c = g.c + (ic + ir) * g.ldc + jc + jr;
            const std::int64_t rows = std::min(MR, mc - ir), cols = std::min(NR, nc - jr);
            if (rows == MR && cols == NR) {
              uk.fn(kg, a_sliver, b_sliver, col_term + jr, b_zero + jr, row_term + ir, accumulate, c, g.ldc);
              continue;
            }
            // Edge tile: the full kernel into a scratch tile, then the part that exists.
            uk.fn(kg, a_sliver, b_sliver, col_term + jr, b_zero + jr, row_term + ir, false, tile, NR);
            for (std::int64_t i = 0; i < rows; ++i) {
              for (std::int64_t j = 0; j < cols; ++j) {
                c[i * g.ldc + j] = (accumulate ? c[i * g.ldc + j] : 0) + tile[i * NR + j];
              }
            }
          }
        }
      }
    }
  }
}

// The portable micro-kernel: 4 x 16, u8 x s8 in groups of 4 (the vpdpbusd layout), plain C++. The
// innermost sum over t is what one vpdpbusd lane does; the compiler vectorises the j loop.
constexpr std::int64_t kPortableMR = 4, kPortableNR = 16;
void qs8_gemm_4x16_portable(std::int64_t kgroups, const void* a_, const void* b_, const std::int32_t* col_term,
                            const std::int32_t* b_zero, const std::int32_t* row_term, bool accumulate,
                            std::int32_t* c, std::int64_t ldc) {
  const auto* a = static_cast<const std::uint8_t*>(a_);
  const auto* b = static_cast<const std::int8_t*>(b_);
  std::int32_t acc[kPortableMR][kPortableNR] = {};
  for (std::int64_t q = 0; q < kgroups; ++q) {
    const std::uint8_t* aq = a + q * kPortableMR * 4;
    const std::int8_t* bq = b + q * kPortableNR * 4;
    for (std::int64_t i = 0; i < kPortableMR; ++i) {
      for (std::int64_t j = 0; j < kPortableNR; ++j) {
        std::int32_t s = 0;
        for (std::int64_t t = 0; t < 4; ++t) s += std::int32_t{aq[i * 4 + t]} * std::int32_t{bq[j * 4 + t]};
        acc[i][j] += s;
      }
    }
  }
  for (std::int64_t i = 0; i < kPortableMR; ++i) {
    for (std::int64_t j = 0; j < kPortableNR; ++j) {
      const std::int32_t v = acc[i][j] + col_term[j] + b_zero[j] * row_term[i];
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + v : v;
    }
  }
}

}  // namespace

QMicroKernel portable_qkernel() {
  return {kPortableMR, kPortableNR, QPacking::u8s8_k4, qs8_gemm_4x16_portable, "qs8_gemm_4x16_portable"};
}

void qgemm_packed(const QMicroKernel& kernel, const QASource& a, const QGemmArgs& args) {
  if (kernel.packing == QPacking::u8s8_k4) {
    five_loops<4, std::uint8_t, std::int8_t>(kernel, a, args);
  } else {
    five_loops<2, std::int16_t, std::int16_t>(kernel, a, args);
  }
}

}  // namespace gb::quant::detail
