// vjp_matmul.cpp: matmul (NumPy semantics) and its VJP rule.
//
// For C = A B (A: m x k, B: k x n, G = dL/dC: m x n), entry C[i, j] = sum_p A[i, p] B[p, j], so
//   dL/dA[i, p] = sum_j G[i, j] B[p, j]   ->  dA = G B^T   (m x k, A's shape)
//   dL/dB[p, j] = sum_i A[i, p] G[i, j]   ->  dB = A^T G   (k x n, B's shape)
// With batch axes the same holds per batch entry; a batch axis that was broadcast is summed back
// (sum_to_shape). 1-D operands are reshaped to a row (A) or a column (B) first, and the added axis
// removed from the result, with differentiable reshapes, so the rule itself only sees matrices.
#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

using detail::checked;

namespace {

std::vector<Variable> matmul_vjp(const VjpContext& ctx) {
  // BEGIN EXERCISE(autodiff.reverse.vjp_rules)
  const Variable& a = ctx.input(0);
  const Variable& b = ctx.input(1);
  Variable da = ctx.needs_grad(0) ? sum_to_shape(matmul(ctx.adjoint, transpose(b)), a.shape()) : Variable();
  Variable db = ctx.needs_grad(1) ? sum_to_shape(matmul(transpose(a), ctx.adjoint), b.shape()) : Variable();
  return {da, db};
  // END EXERCISE
}

// Both operands have at least two axes here.
Variable matmul_matrices(const Variable& a, const Variable& b) {
  const Tensor& ta = a.value();
  const Tensor& tb = b.value();
  return record_op("matmul", detail::matmul_values(ta, tb), {a, b}, {ta, tb}, matmul_vjp);
}

}  // namespace

Variable matmul(const Variable& a, const Variable& b) {
  const Tensor& ta = checked(a, "matmul");
  const Tensor& tb = checked(b, "matmul");
  if (ta.ndim() == 0 || tb.ndim() == 0 || ta.shape().back() != tb.shape()[tb.ndim() == 1 ? 0 : tb.ndim() - 2]) {
    throw Error("matmul", "operands with at least one axis and a.shape[-1] == b.shape[-2]",
                shape_str(ta.shape()) + " and " + shape_str(tb.shape()));
  }
  if (ta.dtype() != tb.dtype()) {
    throw Error("matmul", "operands of the same dtype", std::string(dtype_name(ta.dtype())) + " and " + dtype_name(tb.dtype()));
  }
  const bool vector_a = ta.ndim() == 1, vector_b = tb.ndim() == 1;
  Variable a2 = vector_a ? reshape(a, {1, ta.shape()[0]}) : a;  // a row
  Variable b2 = vector_b ? reshape(b, {tb.shape()[0], 1}) : b;  // a column
  Variable c = matmul_matrices(a2, b2);
  if (!vector_a && !vector_b) return c;
  Shape shape = c.shape();
  if (vector_b) shape.erase(shape.end() - 1);
  if (vector_a) shape.erase(shape.end() - 1 - (vector_b ? 0 : 1));
  return reshape(c, shape);
}

}  // namespace gb::autodiff
