// copy.cpp: contiguous, clone, dtype conversion (to) and copying into a view (copy_from).
//
// Every copy is one strided_loop over two operands: read through the source's strides, write through
// the destination's, converting each value with detail::convert_value (see convert.hpp for the
// float -> int rules: truncate toward zero, saturate, NaN -> 0).
#include "gb/core/tensor.hpp"
#include "convert.hpp"
#include "strided_loop.hpp"
#include "validate.hpp"

namespace gb {

namespace {

// dst[i] = convert(src[i]) for every index; the two shapes must already be equal.
void copy_elements(const Tensor& src, Tensor& dst) {
  dispatch_dtype(src.dtype(), [&](auto src_tag) {
    using From = decltype(src_tag);
    dispatch_dtype(dst.dtype(), [&](auto dst_tag) {
      using To = decltype(dst_tag);
      const From* in = src.data<From>();
      To* out = dst.data<To>();
      detail::strided_loop<2>(dst.shape(), {src.strides(), dst.strides()}, [&](const auto& at) {
        out[at[1]] = detail::convert_value<To>(in[at[0]]);
      });
    });
  });
}

}  // namespace

Tensor Tensor::contiguous() const {
  detail::require_defined(*this, "contiguous");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  detail::require_defined(*this, "clone");
  return to(dtype_);
}

Tensor Tensor::to(DType dtype) const {
  detail::require_defined(*this, "to");
  Tensor out = empty(shape_, dtype);
  copy_elements(*this, out);
  return out;
}

// Writes into this view in place. When src shares storage with this tensor (t.copy_from(t.transpose()))
// the two could overlap, so src is first copied out: the result is as if src had been read whole first.
void Tensor::copy_from(const Tensor& src) {
  detail::require_defined(*this, "copy_from");
  detail::require_defined(src, "copy_from");
  Tensor source = shares_storage_with(src) ? src.clone() : src;
  Tensor stretched;
  try {
    stretched = source.broadcast_to(shape_);
  } catch (const Error&) {
    throw Error("copy_from", "a source that broadcasts to " + shape_str(shape_), shape_str(src.shape()));
  }
  copy_elements(stretched, *this);
}

}  // namespace gb
