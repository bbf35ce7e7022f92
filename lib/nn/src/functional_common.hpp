// functional_common.hpp: what the functional files share (not installed): input checks whose
// messages name the op, the first-order guard of the VJPs written with plain tensors, one GEMM call,
// a summation helper and a reusable workspace.
#pragma once

#include <cstdint>
#include <string>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/error.hpp"
#include "gb/core/tensor.hpp"

namespace gb::nn::detail {

using autodiff::Variable;

// The value of a defined Variable named `what` ("x", "weight") in op's messages.
const Tensor& value_of(const Variable& v, const std::string& op, const std::string& what);
// ... that also holds f32 (conv, pooling: the kernels library's dtype) or a floating dtype.
const Tensor& f32_value_of(const Variable& v, const std::string& op, const std::string& what);
const Tensor& floating_value_of(const Variable& v, const std::string& op, const std::string& what);
// a and b have the same dtype (gb_core's rule: no silent promotion).
void require_same_dtype(const Tensor& a, const Tensor& b, const std::string& op, const std::string& what);

// VJP rules that compute with plain tensors give a gradient that is a constant: differentiating it
// again would silently give 0. Under create_graph (grad mode on inside the VJP) they call this,
// which throws gb::Error naming the op instead.
void require_first_order(const std::string& op);

// C = op(A) op(B) + beta C on row-major f32 matrices with the fastest GEMM (gb::kernels, one thread).
// op(A) is M x K, op(B) is K x N; lda, ldb, ldc are the row lengths of A, B, C as stored.
void gemm_f32(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
              std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

// sum_{i < n} term(i) in double with four partial sums: four independent chains of additions that
// the CPU overlaps (and the compiler turns into vector adds), where one chain would wait for each
// addition to finish before starting the next. (Floating-point addition is not associative, so the
// compiler may not reorder a single chain by itself.)
template <class Term>
double sum_of(std::int64_t n, Term term) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) s[k] += term(i + k);
  for (; i < n; ++i) s[0] += term(i);
  return (s[0] + s[1]) + (s[2] + s[3]);
}

// A buffer of at least `count` floats, one per slot and thread, kept between calls and only grown
// (frameworks keep such a workspace: a fresh large allocation per call costs a page fault per 4 KiB
// on first touch). Uninitialised; valid until the next call with the same slot on this thread.
float* workspace(int slot, std::int64_t count);
constexpr int kWorkspaceSlots = 3;

}  // namespace gb::nn::detail
