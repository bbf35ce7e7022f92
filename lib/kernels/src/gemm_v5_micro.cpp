// gemm_v5_micro.cpp: rung 5: register blocking, an MR x NR micro-kernel in portable C++.
//
// What changes over rung 4: only the micro-kernel. The MR x NR tile of C is accumulated in a local
// array (which the compiler keeps in registers) over all KC steps, and written to memory once at the
// end; at each step p it is an outer product of MR values of A and NR values of B:
//   MR + NR loads feed MR * NR multiply-adds   (4 + 8 loads for 32 FMAs here)
// instead of rung 4's MR * NR loads and stores of C per step. The arithmetic intensity of the inner
// loop goes from ~1 flop per memory access to ~5, so the loop is finally bound by the multipliers,
// not by loads. 4 x 8 floats are 8 SSE registers: it fits the 16 registers of baseline x86-64, and
// the compiler vectorises the j loop without any intrinsics.
#include "micro_kernel.hpp"

namespace gb::kernels::detail {
namespace {

constexpr std::int64_t kMR = 4, kNR = 8;

void f32_gemm_4x8_portable(std::int64_t kc, float alpha, const float* a, const float* b, float* c,
                           std::int64_t ldc) {
  float acc[kMR][kNR] = {};  // the C tile, in registers
  for (std::int64_t p = 0; p < kc; ++p) {
    for (std::int64_t i = 0; i < kMR; ++i) {
      for (std::int64_t j = 0; j < kNR; ++j) acc[i][j] += a[p * kMR + i] * b[p * kNR + j];  // outer product
    }
  }
  for (std::int64_t i = 0; i < kMR; ++i) {
    for (std::int64_t j = 0; j < kNR; ++j) c[i * ldc + j] += alpha * acc[i][j];  // C touched once
  }
}

}  // namespace

MicroKernel register_kernel() { return {kMR, kNR, f32_gemm_4x8_portable, "f32_gemm_4x8_portable"}; }

}  // namespace gb::kernels::detail
