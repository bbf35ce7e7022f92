// gemm.hpp: single-precision GEMM, C = alpha * op(A) * op(B) + beta * C, as a ladder of versions.
//
// Lesson 19-gemm. Every rung has the same signature and computes the same thing; each one changes
// one idea over the rung before it, and every rung is tested against gb::matmul (the reference):
//
//   rung       file                       what it changes                          why it is faster
//   naive      src/gemm_v1_naive.cpp      i, j, p: one dot product per C element   (the baseline)
//   ikj        src/gemm_v2_ikj.cpp        loop order i, p, j                       unit-stride inner loop, vectorises
//   blocked    src/gemm_v3_blocked.cpp    cache blocks MC x KC x NC (loops jc,pc,ic) blocks stay in L1/L2/L3
//   packed     src/gemm_v4_packed.cpp     copy the blocks into MR/NR-wide panels   contiguous, aligned, TLB-friendly
//   micro      src/gemm_v5_micro.cpp      an MR x NR tile of C held in registers   C read/written once per KC
//   avx2       src/gemm_v6_avx2.cpp       the micro-kernel in AVX2+FMA intrinsics  8 lanes, fused multiply-add
//   avx512     src/gemm_v7_avx512.cpp     the micro-kernel in AVX-512F             16 lanes, 32 registers
//   threaded   src/gemm_v8_threaded.cpp   the IC loop split over threads            more cores
//   best       (a run-time choice)        the fastest micro-kernel this CPU has, one thread
//
// Matrices are row-major with leading dimensions: element (i, j) of a matrix X stored with leading
// dimension ldx is x[i * ldx + j]. op(A) is A or A^T (trans_a), so op(A) is M x K and A itself is
// M x K (trans_a false, lda >= K) or K x M (trans_a true, lda >= M); likewise B (K x N or N x K) and
// C (M x N, ldc >= N). beta == 0 overwrites C without reading it (as BLAS does, NaNs in C vanish);
// alpha == 0 or K == 0 leaves beta * C without touching A or B.
//
// The blocking parameters follow BLIS / Goto ("Anatomy of high-performance matrix multiplication",
// Goto & van de Geijn 2008; BLIS, Van Zee & van de Geijn 2015). Five loops around a micro-kernel:
//
//   for jc in 0..N step NC         (5th loop)  a KC x NC panel of B  -> packed, lives in L3
//     for pc in 0..K step KC       (4th loop)
//       pack B[pc:pc+KC, jc:jc+NC] into NR-wide slivers
//       for ic in 0..M step MC     (3rd loop)  an MC x KC block of A -> packed, lives in L2
//         pack A[ic:ic+MC, pc:pc+KC] into MR-tall slivers
//         for jr in 0..NC step NR  (2nd loop)  one KC x NR sliver of B lives in L1
//           for ir in 0..MC step MR  (1st loop)
//             micro-kernel: C[ir:ir+MR, jr:jr+NR] += alpha * Asliver(MR x KC) * Bsliver(KC x NR)
//
//        +---------NR--------+           The micro-kernel contract (every ISA):
//     KC | B sliver, row p   |             a: MR x KC packed column by column: a[p*MR + i]
//        +-------------------+             b: KC x NR packed row by row:       b[p*NR + j]
//   +-KC-+ +-------NR------+               c: C tile, row stride ldc: c[i*ldc + j] += alpha*sum_p a*b
//   | A  | |  C tile held  | MR           Edge tiles (M or N not a multiple) run on a zero-padded
//   |    | |  in registers |              panel into a scratch tile and are copied out.
//   +----+ +---------------+
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::kernels {

enum class Variant { naive, ikj, blocked, packed, micro, avx2, avx512, threaded, best };

// The ladder in order (every variant, whether or not this CPU can run it), and the ones it can.
const std::vector<Variant>& all_variants();
std::vector<Variant> available_variants();  // avx2 / avx512 only where __builtin_cpu_supports says so
bool variant_available(Variant v);
const char* variant_name(Variant v);              // "naive", "ikj", ..., "best"
Variant variant_from_name(const std::string& name);  // throws gb::Error naming the known names
// What `best` runs on this CPU: avx512, else avx2, else micro.
Variant best_variant();

// Cache blocking (see the loop nest above). The micro-tile MR x NR is fixed by the micro-kernel:
// packed and micro use 4 x 8, avx2 6 x 16, avx512 12 x 32. The defaults were measured on a Zen 4 core
// (32 KiB L1d, 1 MiB L2; lib/kernels/README.md): an MC x KC block of A (96 x 512 floats = 192 KiB) stays
// in L2, a KC x NC panel of B (up to 8 MiB) in L3. A KC x NR sliver of B (512 x 16 floats = 32 KiB for
// avx2, 64 KiB for avx512) is more than the textbook "sliver in L1" (KC = 256 would give 16 KiB), but the
// longer KC loads and stores each C tile half as often and L2 keeps the sliver coming: 1024^3 ran 14%
// faster than with MC = 144, KC = 256. MC = 96 is a multiple of every MR (4, 6, 12), NC = 4096 of every NR.
struct Blocking {
  std::int64_t mc = 96;
  std::int64_t kc = 512;
  std::int64_t nc = 4096;
};

struct GemmArgs {
  std::int64_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  std::int64_t lda = 0;
  bool trans_a = false;
  const float* b = nullptr;
  std::int64_t ldb = 0;
  bool trans_b = false;
  float beta = 0.0f;
  float* c = nullptr;
  std::int64_t ldc = 0;
  int threads = 0;      // threaded only: 0 = std::thread::hardware_concurrency()
  Blocking blocking{};  // blocked, packed, micro, avx2, avx512, threaded
};

// C = alpha * op(A) * op(B) + beta * C with the chosen rung. Throws gb::Error for negative sizes,
// leading dimensions too small, null pointers with non-empty matrices, bad blocking, or a variant
// this CPU cannot run (avx2 / avx512 without the instructions).
void gemm(Variant v, const GemmArgs& args);

// The Tensor front end: a @ b for 2-D f32 tensors with any strides. A transposed view (stride 1 on
// the first axis) is passed as trans = true with no copy; any other layout is copied first.
// threads is used by Variant::threaded only (0 = hardware_concurrency).
Tensor gemm(const Tensor& a, const Tensor& b, Variant v = Variant::best, int threads = 0);

}  // namespace gb::kernels
