// qgemm_reference.cpp: the integer GEMM exactly as the formula says, the oracle of every fast variant.
//
//   acc[i, j] = sum_k (a[i, k] - a_zero) * (b[j, k] - b_zero[j])
//
// Summed in int64, so nothing can overflow on the way; the result fits int32 because qgemm_s32 checked
// k <= kQGemmMaxK (qgemm.hpp). No packing, no expansion of the product: the zero points are
// subtracted from every byte, which is what the fast kernels avoid.
#include <cstdint>

#include "qgemm_internal.hpp"

namespace gb::quant::detail {

void qgemm_reference(const QASource& a, const QGemmArgs& g) {
  for (std::int64_t i = 0; i < g.m; ++i) {
    for (std::int64_t j = 0; j < g.n; ++j) {
      const std::int8_t* b_row = g.b + j * g.ldb;
      const std::int64_t b_zero = g.b_zero_point != nullptr ? g.b_zero_point[j] : 0;
      std::int64_t sum = 0;
      for (std::int64_t t = 0; t < a.taps; ++t) {  // a plain matrix is one tap of k channels
        const std::uint8_t* a_seg = a.segment(i, t);
        const std::int8_t* b_seg = b_row + t * a.channels;
        for (std::int64_t c = 0; c < a.channels; ++c) {
          sum += (static_cast<std::int64_t>(a_seg[c]) - g.a_zero_point) * (static_cast<std::int64_t>(b_seg[c]) - b_zero);
        }
      }
      g.c[i * g.ldc + j] = static_cast<std::int32_t>(sum);
    }
  }
}

}  // namespace gb::quant::detail
