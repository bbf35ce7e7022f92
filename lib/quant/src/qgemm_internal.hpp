// qgemm_internal.hpp: what qgemm.cpp, the GEMM drivers and qconv.cpp share (not installed).
//
// qgemm_s32 / qgemm_s32_indirect validate once, then hand a driver the rows of A as a QASource: a
// plain matrix is the special case "one tap of k channels per row", so the reference, the packing
// driver and the indirect convolution all read A the same way.
#pragma once

#include <cstdint>

#include "gb/quant/qgemm.hpp"
#include "qmicro_kernel.hpp"

namespace gb::quant::detail {

struct QASource {
  const std::uint8_t* a = nullptr;  // plain matrix: row i at a + i * lda (taps = 1, channels = k)
  std::int64_t lda = 0;
  const std::uint8_t* const* indirection = nullptr;  // or: row i, tap t at indirection[i * taps + t]
  std::int64_t taps = 1, channels = 0;

  // The `channels` bytes of row i that tap t reads (k = t * channels + c).
  const std::uint8_t* segment(std::int64_t i, std::int64_t t) const {
    return indirection != nullptr ? indirection[i * taps + t] : a + i * lda;
  }
};

// acc = (A - a_zero)(B - b_zero)^T with int64 sums (src/qgemm_reference.cpp). args.a is not read.
void qgemm_reference(const QASource& a, const QGemmArgs& args);

// The five loops of lib/kernels' GEMM around an integer micro-kernel (src/qgemm_packed.cpp): packs
// KC x NC panels of B and MC x KC blocks of A in the kernel's layout, with the zero-point terms.
void qgemm_packed(const QMicroKernel& kernel, const QASource& a, const QGemmArgs& args);

// The micro-kernel a concrete fast variant runs (packed, avx2, avxvnni, avx512vnni).
QMicroKernel qgemm_kernel(QGemmVariant concrete);

// Runs a validated GEMM on a resolved variant (qgemm.cpp).
void qgemm_dispatch(QGemmVariant concrete, const QASource& a, const QGemmArgs& args);

}  // namespace gb::quant::detail
