// matmul.cpp: the reference matrix product, NumPy semantics, plain loops.
//
//   out[..., i, j] = sum_p a[..., i, p] * b[..., p, j]
// 1-D operands are promoted (a: [k] -> [1, k], b: [k] -> [k, 1]) and the added axis is removed from
// the result; leading "batch" axes broadcast. Floats accumulate in double, integers in 64-bit
// unsigned arithmetic (wrapping, no undefined overflow) and are converted back to the dtype.
// Every faster GEMM in lib/kernels is checked against this one.
#include <type_traits>

#include "gb/core/ops.hpp"
#include "convert.hpp"
#include "strided_loop.hpp"
#include "validate.hpp"

namespace gb {

namespace {

// The batch axes are everything before the last two.
Shape batch_of(const Shape& shape) { return Shape(shape.begin(), shape.end() - 2); }
Strides batch_strides_of(const Strides& strides) { return Strides(strides.begin(), strides.end() - 2); }

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::require_defined(a, "matmul");
  detail::require_defined(b, "matmul");
  detail::require_same_dtype(a, b, "matmul");
  const std::string given = shape_str(a.shape()) + " and " + shape_str(b.shape());
  if (a.ndim() == 0 || b.ndim() == 0) throw Error("matmul", "operands with at least 1 dimension", given);

  // 1. Promote 1-D operands to matrices.
  const Tensor lhs = a.ndim() == 1 ? a.unsqueeze(0) : a;   // [k] -> [1, k]
  const Tensor rhs = b.ndim() == 1 ? b.unsqueeze(-1) : b;  // [k] -> [k, 1]
  const std::int64_t m = lhs.size(-2), k = lhs.size(-1), n = rhs.size(-1);
  if (rhs.size(-2) != k) throw Error("matmul", "a.shape[-1] == b.shape[-2]", given);

  // 2. Broadcast the batch axes (only when there are any: plain matrices have nothing to broadcast).
  Shape batch;
  if (lhs.ndim() > 2 || rhs.ndim() > 2) {
    try {
      batch = broadcast_shapes(batch_of(lhs.shape()), batch_of(rhs.shape()), "matmul");
    } catch (const NotImplemented&) {
      throw;  // the student kit: broadcasting is still an exercise
    } catch (const Error&) {
      throw Error("matmul", "batch dimensions that broadcast", given);
    }
  }
  Shape lhs_shape = batch, rhs_shape = batch, out_shape = batch;
  lhs_shape.insert(lhs_shape.end(), {m, k});
  rhs_shape.insert(rhs_shape.end(), {k, n});
  out_shape.insert(out_shape.end(), {m, n});
  const Tensor x = lhs.broadcast_to(lhs_shape);
  const Tensor y = rhs.broadcast_to(rhs_shape);
  Tensor out = Tensor::empty(out_shape, a.dtype());

  // 3. For every batch index, the triple loop over i, j, p.
  const std::int64_t xs_i = x.strides()[x.ndim() - 2], xs_p = x.strides()[x.ndim() - 1];
  const std::int64_t ys_p = y.strides()[y.ndim() - 2], ys_j = y.strides()[y.ndim() - 1];
  dispatch_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::uint64_t>;
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* pz = out.data<T>();
    detail::strided_loop<3>(batch, {batch_strides_of(x.strides()), batch_strides_of(y.strides()),
                                    batch_strides_of(out.strides())},
                            [&](const auto& at) {
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          Acc acc = 0;
          for (std::int64_t p = 0; p < k; ++p) {
            const T xv = px[at[0] + i * xs_i + p * xs_p];
            const T yv = py[at[1] + p * ys_p + j * ys_j];
            if constexpr (std::is_floating_point_v<T>) {
              acc += static_cast<double>(xv) * static_cast<double>(yv);
            } else {
              acc += static_cast<Acc>(static_cast<std::int64_t>(xv)) * static_cast<Acc>(static_cast<std::int64_t>(yv));
            }
          }
          if constexpr (std::is_floating_point_v<T>) {
            pz[at[2] + i * n + j] = detail::convert_value<T>(acc);
          } else {
            pz[at[2] + i * n + j] = detail::convert_value<T>(static_cast<std::int64_t>(acc));
          }
        }
      }
    });
  });

  // 4. Remove the axes that promotion added.
  if (a.ndim() == 1 && b.ndim() == 1) return out.reshape(batch);  // [1, 1] -> [] (a dot product)
  if (a.ndim() == 1) return out.squeeze(-2);
  if (b.ndim() == 1) return out.squeeze(-1);
  return out;
}

}  // namespace gb
