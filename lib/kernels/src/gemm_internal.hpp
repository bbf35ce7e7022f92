// gemm_internal.hpp: what the rungs of the GEMM ladder share (not installed).
//
// The dispatcher (gemm.cpp) validates the arguments and applies beta first (C = beta * C), so every
// rung has the same small contract: C += alpha * op(A) * op(B), with M, N, K > 0 and alpha != 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "gb/core/thread_pool.hpp"
#include "gb/kernels/gemm.hpp"
#include "micro_kernel.hpp"

namespace gb::kernels::detail {

// A read-only matrix seen through two strides: element (i, j) = data[i * row_stride + j * col_stride].
// A transposed operand is the same memory with the strides swapped, so no rung special-cases it.
struct MatrixView {
  const float* data = nullptr;
  std::int64_t row_stride = 0, col_stride = 0;
  float operator()(std::int64_t i, std::int64_t j) const { return data[i * row_stride + j * col_stride]; }
  const float* ptr(std::int64_t i, std::int64_t j) const { return data + i * row_stride + j * col_stride; }
};
inline MatrixView op_a(const GemmArgs& g) {
  return g.trans_a ? MatrixView{g.a, 1, g.lda} : MatrixView{g.a, g.lda, 1};
}
inline MatrixView op_b(const GemmArgs& g) {
  return g.trans_b ? MatrixView{g.b, 1, g.ldb} : MatrixView{g.b, g.ldb, 1};
}

// y[0:n] += s * x[0], x[stride], ..., x[(n-1)*stride]: the inner loop of rungs 2 and 3 (an "axpy").
// A unit stride gets its own loop, which the compiler vectorises without a run-time stride check.
inline void axpy(std::int64_t n, float s, const float* x, std::int64_t stride, float* y) {
  if (stride == 1) {
    for (std::int64_t j = 0; j < n; ++j) y[j] += s * x[j];
  } else {
    for (std::int64_t j = 0; j < n; ++j) y[j] += s * x[j * stride];
  }
}

// The rungs, in ladder order: each computes C += alpha * op(A) * op(B). From rung 4 on the loop nest is
// the same (gemm_five_loops) and the rungs differ by the micro-kernel they hand it (micro_kernel.hpp).
void gemm_naive(const GemmArgs& g);     // gemm_v1_naive.cpp
void gemm_ikj(const GemmArgs& g);       // gemm_v2_ikj.cpp
void gemm_blocked(const GemmArgs& g);   // gemm_v3_blocked.cpp
//   packed: gemm_five_loops(g, memory_kernel())      gemm_v4_packed.cpp
//   micro:  gemm_five_loops(g, register_kernel())    gemm_v5_micro.cpp
//   avx2:   gemm_five_loops(g, avx2_kernel())        gemm_v6_avx2.cpp
//   avx512: gemm_five_loops(g, avx512_kernel())      gemm_v7_avx512.cpp
void gemm_threaded(const GemmArgs& g, const MicroKernel& kernel);  // gemm_v8_threaded.cpp
// The shared pool of `threads` workers (made on first use, kept); gemm_threaded and conv2d's threads use it.
// Never call parallel_for on it from inside one of its own workers (they would wait on each other).
ThreadPool& pool_of(int threads);

// --- the packed machinery (gemm_v4_packed.cpp), reused by every later rung ---------------------------

// 64-byte aligned scratch for packed panels (a cache line; an AVX-512 register).
struct AlignedFloats {
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t(64)); }
  };
  std::unique_ptr<float[], Free> data;
  std::size_t size = 0;
  float* get(std::size_t n) {  // grows, never shrinks; contents are not kept
    if (n > size) {
      data.reset(static_cast<float*>(::operator new[](n * sizeof(float), std::align_val_t(64))));
      size = n;
    }
    return data.get();
  }
};

// Copies op(A)[ic:ic+mc, pc:pc+kc] into ceil(mc/mr) slivers of mr rows, each stored column by column
// (sliver s, column p, row i at s*mr*kc + p*mr + i); rows past mc are zero.
void pack_a(const MatrixView& a, std::int64_t ic, std::int64_t pc, std::int64_t mc, std::int64_t kc,
            std::int64_t mr, float* packed);
// Copies op(B)[pc:pc+kc, jc:jc+nc] into ceil(nc/nr) slivers of nr columns, each stored row by row
// (sliver s, row p, column j at s*nr*kc + p*nr + j); columns past nc are zero.
void pack_b(const MatrixView& b, std::int64_t pc, std::int64_t jc, std::int64_t kc, std::int64_t nc,
            std::int64_t nr, float* packed);
// Loops 2 and 1 (jr, ir) over one packed block: C[0:mc, 0:nc] += alpha * Apacked * Bpacked, where c
// points at C[ic, jc]. Edge tiles go through a scratch tile.
void macro_kernel(const MicroKernel& kernel, std::int64_t mc, std::int64_t nc, std::int64_t kc, float alpha,
                  const float* a_packed, const float* b_packed, float* c, std::int64_t ldc);
// All five loops on one thread.
void gemm_five_loops(const GemmArgs& g, const MicroKernel& kernel);

}  // namespace gb::kernels::detail
