// tensor_math.cpp: elementwise helpers, sum_to_shape and the f32 matmul fast path (see tensor_math.hpp).
#include "tensor_math.hpp"

#include <algorithm>

namespace gb::autodiff::detail {

Tensor positive_mask(const Tensor& a) {
  return map(a, "relu", [](double v) { return v > 0 ? 1.0 : 0.0; });
}

namespace {
// C = A B for contiguous row-major A (m x k) and B (k x n): the i, k, j loop order walks B and C
// along rows, so the innermost loop is a contiguous multiply-add the compiler vectorises. Four rows
// of A share each row of B as it streams through the cache (B is read m / 4 times, not m times).
// C must hold zeros on entry (Tensor::empty is zero-filled).
void gemm_f32_ikj(const float* a, const float* b, float* c, std::int64_t m, std::int64_t k, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 4 <= m; i += 4) {
    float* c0 = c + i * n;
    float* c1 = c0 + n;
    float* c2 = c1 + n;
    float* c3 = c2 + n;
    for (std::int64_t p = 0; p < k; ++p) {
      const float a0 = a[i * k + p], a1 = a[(i + 1) * k + p], a2 = a[(i + 2) * k + p], a3 = a[(i + 3) * k + p];
      const float* b_row = b + p * n;
      for (std::int64_t j = 0; j < n; ++j) {
        const float bj = b_row[j];
        c0[j] += a0 * bj;
        c1[j] += a1 * bj;
        c2[j] += a2 * bj;
        c3[j] += a3 * bj;
      }
    }
  }
  for (; i < m; ++i) {  // the last m % 4 rows, one at a time
    float* c_row = c + i * n;
    for (std::int64_t p = 0; p < k; ++p) {
      const float a_ip = a[i * k + p];
      const float* b_row = b + p * n;
      for (std::int64_t j = 0; j < n; ++j) c_row[j] += a_ip * b_row[j];
    }
  }
}
}  // namespace

Tensor matmul_values(const Tensor& a, const Tensor& b) {
  if (a.dtype() == DType::f32 && b.dtype() == DType::f32 && a.ndim() == 2 && b.ndim() == 2 &&
      a.shape()[1] == b.shape()[0] && a.numel() > 0 && b.numel() > 0) {
    Tensor ac = a.contiguous(), bc = b.contiguous();
    Tensor c = Tensor::empty({a.shape()[0], b.shape()[1]}, DType::f32);
    gemm_f32_ikj(ac.data<float>(), bc.data<float>(), c.data<float>(), a.shape()[0], a.shape()[1], b.shape()[1]);
    return c;
  }
  return gb::matmul(a, b);
}

}  // namespace gb::autodiff::detail
