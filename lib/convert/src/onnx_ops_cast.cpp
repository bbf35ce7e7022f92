// onnx_ops_cast.cpp: ONNX's Cast (to the element type named by the attribute `to`) and CastLike (opset
// 15: to the element type of a second input), between the dtypes glassbox has.
//
// `to` is a TensorProto::DataType: FLOAT, DOUBLE, INT64, INT32, UINT8, INT8 and BOOL (stored as u8 0 / 1,
// as the importer reads bools); FLOAT16, BFLOAT16, STRING and the rest are Unsupported. ONNX's table of
// numeric conversions (the Cast documentation) and its reference implementation (NumPy's astype) give:
//   float -> float     round to nearest, ties to even; beyond the target's range: +-infinity
//   float -> integer   truncate toward zero (2.7 -> 2, -2.7 -> -2); ONNX leaves NaN, +-infinity and
//                      values outside the target's range undefined, so glassbox refuses them (Unsupported,
//                      naming the value): a C++ cast there would be undefined behaviour too
//   integer -> float   the nearest representable value
//   integer -> integer keep the low bits, two's complement (300 -> u8 44, 200 -> i8 -56)
//   anything -> BOOL   zero (and -0.0) -> 0, everything else (NaN included) -> 1
// A BOOL input is a u8 of 0 / 1 and casts as the integers 0 and 1.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/tensor.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

using graph::InferContext;
using graph::KernelContext;
using graph::OpDef;
using graph::ValueInfo;
using graph::info_str;

namespace {

// float -> integer: truncation, where the truncated value fits; else Unsupported (undefined in ONNX).
// The bounds are exact in double: lowest() is 0 or -2^(bits-1), and max() + 1 is a power of 2.
template <class To, class From> To float_to_integer(From x, std::int64_t at) {
  const double truncated = std::trunc(static_cast<double>(x));
  const double low = static_cast<double>(std::numeric_limits<To>::lowest());
  const double high_exclusive = static_cast<double>(std::numeric_limits<To>::max()) + 1.0;
  if (!(truncated >= low && truncated < high_exclusive)) {  // NaN fails every comparison
    throw Unsupported("Cast", std::string("values that fit ") + dtype_name(dtype_of<To>()) + " (ONNX leaves other float-to-integer casts undefined)",
                      std::to_string(x) + " at flat position " + std::to_string(at));
  }
  return static_cast<To>(truncated);
}

// double -> float by IEEE round to nearest: the halfway point between FLT_MAX and 2^128 still rounds up
// (FLT_MAX's last mantissa bit is odd), so |x| >= 2^128 - 2^103 becomes infinity. The C++ cast is only
// defined inside the range, hence the explicit test.
float double_to_float(double x) {
  const double overflow = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
  if (std::fabs(x) >= overflow) return x > 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity();
  return static_cast<float>(x);
}

template <class To, class From> To cast_element(From x, std::int64_t at) {
  if constexpr (std::is_same_v<To, float> && std::is_same_v<From, double>) {
    return double_to_float(x);
  } else if constexpr (std::is_floating_point_v<To> || !std::is_floating_point_v<From>) {
    return static_cast<To>(x);  // widening, integer -> float, or integer -> integer (modular since C++20)
  } else {
    return float_to_integer<To>(x, at);
  }
}

Tensor cast(const Tensor& x_in, DType to, bool to_bool) {
  const Tensor x = x_in.contiguous();
  Tensor out = Tensor::empty(x.shape(), to);
  dispatch_dtype(x.dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    const From* source = x.data<From>();
    dispatch_dtype(to, [&](auto to_tag) {
      using To = decltype(to_tag);
      To* target = out.data<To>();
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        target[i] = to_bool ? static_cast<To>(source[i] != From{0}) : cast_element<To>(source[i], i);
      }
    });
  });
  return out;
}

// `to` as a dtype: Unsupported for the element types glassbox does not have.
DType cast_target(const graph::Node& node) {
  if (!node.has_attr("to")) throw Error("Cast", "an attribute to (an ONNX element type)", "none");
  const std::int64_t to = node.attr_int("to");
  if (to < 0 || to > std::numeric_limits<int>::max()) throw Error("Cast", "to: an ONNX element type", std::to_string(to));
  return onnx_element_type(static_cast<int>(to), "Cast to");
}

bool casts_to_bool(const graph::Node& node) { return node.has_attr("to") && node.attr_int("to") == onnx::TensorProto::BOOL; }

}  // namespace

std::vector<std::string> register_onnx_cast_ops() {
  OpDef cast_def;
  cast_def.name = "Cast";
  cast_def.num_inputs = 1;
  cast_def.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{{cast_target(ctx.node), ctx.inputs[0].shape}}; };
  cast_def.kernel = [](const KernelContext& ctx) {
    return std::vector<Tensor>{cast(ctx.inputs[0], cast_target(ctx.node), casts_to_bool(ctx.node))};
  };
  cast_def.doc = "ONNX Cast: input converted to the element type `to` (float -> int truncates; BOOL is u8 0/1)";
  graph::register_op(std::move(cast_def));

  // CastLike: the type comes from a tensor, not an attribute. glassbox cannot tell a bool target from a u8
  // one (both are u8), so a u8 target keeps the integer rule: values are expected to be 0 / 1 already.
  OpDef like;
  like.name = "CastLike";
  like.num_inputs = 2;
  like.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{{ctx.inputs[1].dtype, ctx.inputs[0].shape}}; };
  like.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{cast(ctx.inputs[0], ctx.inputs[1].dtype(), false)}; };
  like.doc = "ONNX CastLike: input converted to the element type of target_type (opset 15)";
  graph::register_op(std::move(like));
  return {"Cast", "CastLike"};
}

}  // namespace gb::convert::detail
