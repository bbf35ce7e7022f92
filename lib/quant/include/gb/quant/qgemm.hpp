// qgemm.hpp: integer GEMM and convolution with zero points and requantization (lessons 23-24).
//
// The int8 engine's inner product (QNNPACK / FBGEMM / TFLite): activations uint8 with a zero point
// (asymmetric), weights int8 with a zero point per output channel (0 when symmetric), int32 accumulators:
//
//   acc[i, j] = sum_k (a[i, k] - a_zero) * (b[j, k] - b_zero[j])
//             = sum_k a*b - a_zero * colsum_b[j] - b_zero[j] * rowsum_a[i] + K * a_zero * b_zero[j]
//
// (the expansion lets the fast kernels multiply raw bytes and correct afterwards). B is stored like a
// Linear weight, [N, K] row-major (one row per output channel). Then each output is requantized:
//
//   out[i, j] = saturate(out_zero + M_j * (acc[i, j] + bias[j]))     M_j = a_scale * b_scale[j] / out_scale
//
// with M_j applied in fixed point (fixed_point.hpp). Variants (one contract, each tested bit for bit
// against reference):
//   reference    the formula, int64 loops                                    src/qgemm_reference.cpp
//   packed       B packed 4 k at a time per column, A packed likewise, the    src/qgemm_packed.cpp
//                zero-point terms folded outside the inner loop; portable C++
//   avx2         AVX2 without VNNI: bytes widened to int16, vpmaddwd          src/qgemm_avx2.cpp
//                (vpmaddubsw is NOT used: u8*s8 + u8*s8 saturates int16 at 255*127*2 > 32767)
//   avxvnni      AVX-VNNI vpdpbusd on 256-bit registers, 6 x 16 tile          src/qgemm_avxvnni.cpp
//   avx512vnni   AVX-512 VNNI vpdpbusd on 512-bit registers, 6 x 64 tile      src/qgemm_avx512vnni.cpp
//   vnni         avx512vnni where the CPU has it, else avxvnni (run-time choice)
//   best         the fastest the CPU supports: vnni, else avx2, else packed
//
// vpdpbusd (u8 x s8, four products summed into each int32 lane) wants "4 consecutive k of one column in
// each 32-bit lane" of B and 4 consecutive k of one row of A broadcast to every lane:
//
//   packed B sliver (NR columns), k group q:  | b[j0,4q..4q+3] | b[j0+1,4q..4q+3] | ... | b[j0+NR-1, ...] |
//   A, row i, k group q, broadcast:           | a[i,4q..4q+3]  | a[i,4q..4q+3]    | ... |
//   one vpdpbusd:                               acc[i, j] += sum_{t<4} a[i,4q+t] * b[j,4q+t]   for NR lanes j
//
// Overflow: every |a - a_zero| <= 255 and |b - b_zero| <= 255, so |acc| <= K * 255 * 255, which fits
// int32 for K <= kQGemmMaxK = floor((2^31 - 1) / 65025) = 33025 whatever the zero points. qgemm_s32
// throws gb::Error past it (the fast kernels sum KC <= 256 k at a time, so their partial sums are far
// smaller; the bound is the one on the result).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/quant/fixed_point.hpp"
#include "gb/quant/qparams.hpp"

namespace gb::quant {

// The largest reduction length K whose int32 accumulators cannot overflow for any zero points.
constexpr std::int64_t kQGemmMaxK = 2147483647LL / (255LL * 255LL);  // 33025

enum class QGemmVariant { reference, packed, avx2, avxvnni, avx512vnni, vnni, best };
const char* qgemm_variant_name(QGemmVariant v);
QGemmVariant qgemm_variant_from_name(const std::string& name);   // gb::Error naming the known names
bool qgemm_variant_available(QGemmVariant v);                      // run-time CPU check
const std::vector<QGemmVariant>& all_qgemm_variants();             // every variant, in ladder order
std::vector<QGemmVariant> available_qgemm_variants();              // the ones this CPU can run
// What vnni / best run on this CPU (a concrete variant; the others map to themselves). gb::Error for
// vnni on a CPU without VNNI.
QGemmVariant resolve_qgemm_variant(QGemmVariant v);

struct QGemmArgs {
  std::int64_t m = 0, n = 0, k = 0;
  const std::uint8_t* a = nullptr;  // [m, k], row stride lda
  std::int64_t lda = 0;
  std::int32_t a_zero_point = 0;    // in [0, 255]
  const std::int8_t* b = nullptr;   // [n, k], row stride ldb
  std::int64_t ldb = 0;
  const std::int32_t* b_zero_point = nullptr;  // n entries in [-128, 127], or nullptr for all 0
  std::int32_t* c = nullptr;        // [m, n] int32 accumulators, row stride ldc (overwritten)
  std::int64_t ldc = 0;
};
// acc = (A - a_zero) (B - b_zero)^T in int32 (see above). gb::Error for negative sizes, strides too
// small, null pointers with non-empty matrices, zero points out of range, k > kQGemmMaxK, or a variant
// this CPU cannot run. k == 0 writes zeros.
void qgemm_s32(QGemmVariant v, const QGemmArgs& args);

// The same on the indirect convolution's rows (qconv.cpp): row i of A is the concatenation, over
// `taps` kernel taps, of `channels` bytes read at indirection[i * taps + t] (k = t * channels + c), so
// k = taps * channels and no Im2Col matrix exists. The fast variants gather the rows while packing.
struct QIndirectA {
  const std::uint8_t* const* indirection = nullptr;  // m * taps pointers, each to `channels` bytes
  std::int64_t taps = 0, channels = 0;
};
void qgemm_s32_indirect(QGemmVariant v, const QIndirectA& a, QGemmArgs args);  // args.a / lda unused

// One output channel's requantization: M_j in fixed point, and the int32 bias (bias / (a_scale*b_scale[j])).
struct Requantization {
  std::vector<QuantizedMultiplier> multiplier;  // n entries (per channel) or 1 (per tensor)
  std::vector<std::int32_t> bias;               // n entries or empty
  std::int32_t out_zero_point = 0;
  QRange out_range{0, 255};                     // uint8 out; a fused ReLU raises qmin to out_zero_point
};
// acc (m x n int32, row stride ldc) -> uint8 out (m x n, row stride ldo):
//   out[i, j] = requantize(saturate_int32(acc[i, j] + bias[j]), multiplier[j or 0], out_zero_point, out_range)
// (the sum is formed in int64 and saturated to int32: documented, TFLite leaves it to overflow).
// gb::Error when multiplier / bias have neither 1 (multiplier only) nor n entries, or out_range leaves [0, 255].
// v picks the code, not the result: AVX-512 intrinsics for avx512vnni (and vnni / best on such a CPU),
// portable C++ otherwise; every choice gives the same bytes (tested).
void requantize_rows(const std::int32_t* acc, std::int64_t m, std::int64_t n, std::int64_t ldc,
                     const Requantization& r, std::uint8_t* out, std::int64_t ldo,
                     QGemmVariant v = QGemmVariant::best);

// Builds the Requantization of a layer from the three QParams and a float bias (may be undefined):
//   M_j = quantize_multiplier(x_scale * w_scale[j] / out_scale)
//   bias_i32[j] = saturate_int32(round_half_to_even(bias[j] / (x_scale * w_scale[j])))
// input and output per-tensor (output uint8), weight per-tensor or per-channel; with a per-tensor
// weight and a bias the multiplier has one entry and the bias n. relu raises qmin to out_zero_point.
Requantization make_requantization(const QParams& input, const QParams& weight, const Tensor& bias_f32,
                                   const QParams& output, bool relu = false);

// Tensor-level int8 Linear: x u8 [M, K] (per-tensor), w i8 [N, K] (per-tensor or per-channel axis 0),
// bias f32 [N] or undefined -> u8 [M, N] on `output`'s grid.
QTensor qlinear(const QTensor& x, const QTensor& w, const Tensor& bias, const QParams& output, bool relu = false,
                QGemmVariant v = QGemmVariant::best);

// int8 convolution: x u8 NCHW (per-tensor), w i8 OIHW (per-tensor or per-channel axis 0), bias f32 [OC]
// or undefined -> u8 NCHW on `output`'s grid. Padding reads the input's zero point (real 0).
//   direct     the seven loops with int64 accumulators (the reference)         src/qconv.cpp
//   im2col     uint8 column matrix [OH*OW, ICg*KH*KW] (padding = x's zero point), one qgemm per group
//   indirect   NHWC uint8 + an indirection buffer (padding taps -> a vector of x's zero point); the
//              GEMM gathers its A rows through the pointers (QNNPACK's idea; no column matrix)
//   best       depthwise -> direct; otherwise indirect on the best qgemm variant
enum class QConvAlgo { direct, im2col, indirect, best };
const char* qconv_algo_name(QConvAlgo a);
QConvAlgo qconv_algo_from_name(const std::string& name);
const std::vector<QConvAlgo>& all_qconv_algos();  // direct, im2col, indirect (not best)
QConvAlgo choose_qconv_algo(const kernels::ConvShape& s);  // what best runs
QTensor qconv2d(const QTensor& x, const QTensor& w, const Tensor& bias, const kernels::Conv2dParams& p,
                const QParams& output, bool relu = false, QConvAlgo algo = QConvAlgo::best);
// The same with the GEMM variant im2col / indirect use (direct ignores it).
QTensor qconv2d(const QTensor& x, const QTensor& w, const Tensor& bias, const kernels::Conv2dParams& p,
                const QParams& output, bool relu, QConvAlgo algo, QGemmVariant v);

}  // namespace gb::quant
