// functional_common.cpp: the shared input checks, the GEMM call and the workspace of the functional ops.
#include "functional_common.hpp"

#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/dtype.hpp"
#include "gb/kernels/gemm.hpp"

namespace gb::nn::detail {

const Tensor& value_of(const Variable& v, const std::string& op, const std::string& what) {
  if (!v.defined()) throw Error(op, "a defined Variable " + what, "an undefined Variable");
  return v.value();
}

const Tensor& f32_value_of(const Variable& v, const std::string& op, const std::string& what) {
  const Tensor& t = value_of(v, op, what);
  if (t.dtype() != DType::f32) throw Error(op, what + " of dtype f32", std::string(dtype_name(t.dtype())));
  return t;
}

const Tensor& floating_value_of(const Variable& v, const std::string& op, const std::string& what) {
  const Tensor& t = value_of(v, op, what);
  if (!is_floating(t.dtype())) throw Error(op, what + " of dtype f32 or f64", std::string(dtype_name(t.dtype())));
  return t;
}

void require_same_dtype(const Tensor& a, const Tensor& b, const std::string& op, const std::string& what) {
  if (a.dtype() != b.dtype()) {
    throw Error(op, what + " of the same dtype", std::string(dtype_name(a.dtype())) + " and " + dtype_name(b.dtype()));
  }
}

void require_first_order(const std::string& op) {
  if (autodiff::grad_enabled()) {
    throw Error(op + " backward",
                "create_graph=false (the VJP of " + op + " computes with plain tensors: its gradient is not "
                "differentiable again)",
                "create_graph=true");
  }
}

void gemm_f32(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
              std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  kernels::GemmArgs args;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a = a;
  args.lda = lda;
  args.trans_a = trans_a;
  args.b = b;
  args.ldb = ldb;
  args.trans_b = trans_b;
  args.beta = beta;
  args.c = c;
  args.ldc = ldc;
  kernels::gemm(kernels::Variant::best, args);
}

float* workspace(int slot, std::int64_t count) {
  thread_local std::vector<float> buffers[kWorkspaceSlots];
  std::vector<float>& buffer = buffers[slot];
  if (static_cast<std::int64_t>(buffer.size()) < count) {
    buffer = std::vector<float>();  // free the old one first
    buffer.resize(static_cast<std::size_t>(count));
  }
  return buffer.data();
}

}  // namespace gb::nn::detail
