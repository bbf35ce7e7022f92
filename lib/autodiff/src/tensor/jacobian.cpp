// jacobian.cpp: jacrev (rows from VJPs), jacfwd (columns from JVPs), hessian (reverse over reverse).
#include "gb/autodiff/tensor/jacobian.hpp"

#include "checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"

namespace gb::autodiff {

namespace {

// x as a fresh leaf that requires grad, and f's value on it (checked).
std::pair<Variable, Variable> evaluate(const TensorFunction& f, const Tensor& x, const std::string& op,
                                       PassCount* passes) {
  if (!f) throw Error(op, "a function", "an empty std::function");
  detail::require_floating(x, op);
  Variable input(x.contiguous(), /*requires_grad=*/true, "x");
  Variable output = f(input);
  if (passes) ++passes->forward;
  if (!output.defined()) throw Error(op, "f to return a defined Variable", "an undefined Variable");
  if (output.dtype() != x.dtype()) {
    throw Error(op, "f to keep the dtype " + std::string(dtype_name(x.dtype())), dtype_name(output.dtype()));
  }
  return {input, output};
}

// The basis tensor e_i of a shape: 1 at flat index i, 0 elsewhere.
Tensor basis(const Shape& shape, DType dtype, std::int64_t i) {
  std::vector<double> values(static_cast<std::size_t>(shape_numel(shape)), 0.0);
  values[static_cast<std::size_t>(i)] = 1.0;
  return Tensor::from_values(values, shape, dtype);
}

Shape concat(const Shape& a, const Shape& b) {
  Shape out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Row i of J (d output[i] / d x) goes to J[i, :] of a (m, n) matrix.
void set_row(Tensor& j, std::int64_t i, const Tensor& row) { j.select(0, i).copy_from(row.contiguous().reshape({-1})); }

}  // namespace

// Reverse mode: one backward pass seeded with e_i gives e_i^T J, the i-th row. m = output.numel() passes.
Tensor jacrev(const TensorFunction& f, const Tensor& x, PassCount* passes) {
  auto [input, output] = evaluate(f, x, "jacrev", passes);
  const std::int64_t m = output.numel(), n = input.numel();
  Tensor j = Tensor::zeros({m, n}, x.dtype());
  if (!output.requires_grad()) return j.reshape(concat(output.shape(), x.shape()));  // f ignores x
  // BEGIN EXERCISE(autodiff.reverse.jacrev)
  for (std::int64_t i = 0; i < m; ++i) {
    Tensor seed = basis(output.shape(), output.dtype(), i);
    Variable row = grad(output, {input}, seed, {/*retain_graph=*/true, /*create_graph=*/false})[0];
    set_row(j, i, row.value());
    if (passes) ++passes->vjp;
  }
  // END EXERCISE
  return j.reshape(concat(output.shape(), x.shape()));
}

Tensor vjp(const TensorFunction& f, const Tensor& x, const Tensor& u) {
  auto [input, output] = evaluate(f, x, "vjp", nullptr);
  if (!output.requires_grad()) return Tensor::zeros(x.shape(), x.dtype());
  return grad(output, {input}, u)[0].value();
}

// J v by the double-backward trick: w(u) = J^T u is linear in u; its VJP with seed v is (J^T)^T v = J v.
Tensor jvp(const TensorFunction& f, const Tensor& x, const Tensor& v) {
  auto [input, output] = evaluate(f, x, "jvp", nullptr);
  if (v.shape() != x.shape()) {
    throw Error("jvp", "a tangent shaped like x " + shape_str(x.shape()), shape_str(v.shape()));
  }
  if (!output.requires_grad()) return Tensor::zeros(output.shape(), output.dtype());
  Variable u(Tensor::zeros(output.shape(), output.dtype()), /*requires_grad=*/true, "u");
  // Seed with the Variable u: grad() takes a Tensor seed, so multiply it in as a differentiable op.
  Variable w = grad(sum(mul(output, u)), {input}, Tensor(), {true, true})[0];  // w = J^T u, a graph in u
  if (!w.requires_grad()) return Tensor::zeros(output.shape(), output.dtype());  // J^T u does not involve x's path
  return grad(w, {u}, v.to(x.dtype()), {true, false})[0].value();
}

// Forward mode: one JVP with v = e_j gives the j-th column. n = x.numel() passes.
Tensor jacfwd(const TensorFunction& f, const Tensor& x, PassCount* passes) {
  auto [input, output] = evaluate(f, x, "jacfwd", passes);  // learns the output's shape
  const std::int64_t m = output.numel(), n = input.numel();
  Tensor j = Tensor::zeros({m, n}, x.dtype());
  for (std::int64_t col = 0; col < n; ++col) {
    Tensor column = jvp(f, x, basis(x.shape(), x.dtype(), col));  // its own forward evaluation
    j.select(1, col).copy_from(column.contiguous().reshape({-1}));
    if (passes) ++passes->forward, ++passes->jvp;
  }
  return j.reshape(concat(output.shape(), x.shape()));
}

// Reverse over reverse: g = grad f (recorded), then row i of H = grad of g[i].
Tensor hessian(const TensorFunction& f, const Tensor& x, PassCount* passes) {
  auto [input, output] = evaluate(f, x, "hessian", passes);
  if (output.numel() != 1) {
    throw Error("hessian", "f to return one element", "an output of shape " + shape_str(output.shape()));
  }
  const std::int64_t n = input.numel();
  Tensor h = Tensor::zeros({n, n}, x.dtype());
  if (output.requires_grad()) {
    Variable g = grad(output, {input}, Tensor(), {true, true})[0];  // a Variable with its own graph
    if (passes) ++passes->vjp;
    for (std::int64_t i = 0; g.requires_grad() && i < n; ++i) {
      Variable gi = sum(mul(g, constant(basis(x.shape(), x.dtype(), i))));  // g[i], differentiably
      set_row(h, i, grad(gi, {input}, Tensor(), {true, false})[0].value());
      if (passes) ++passes->vjp;
    }
  }
  return h.reshape(concat(x.shape(), x.shape()));
}

}  // namespace gb::autodiff
