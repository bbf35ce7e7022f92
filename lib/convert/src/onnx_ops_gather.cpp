// onnx_ops_gather.cpp: ONNX's Gather (pick entries along an axis by index: an embedding lookup) and Shape
// (a tensor's sizes as a tensor: where exported models start computing shapes at run time).
//
// Gather(data, indices), axis in [-r, r - 1] (default 0):
//   out[a..., i..., b...] = data[a..., indices[i...], b...]      out.shape = data.shape[:axis] + indices.shape
//                                                                           + data.shape[axis + 1:]
// indices are i32 or i64 and may count from the end (-1 is the last entry); an index outside
// [-dim, dim - 1] is a gb::Error (the spec calls it an error; reading outside the data would be undefined).
// Viewing data as [outer, dim, inner], each index copies one contiguous block of `inner` elements.
//
// Shape(data) is the 1-D i64 tensor of data's sizes; opset 15 adds start and end (Python's
// shape[start:end]: negative counts from the end, both clamped to [0, rank]). Its length is known at
// inference even when the sizes are not.
#include <cstring>

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

// --- Gather ------------------------------------------------------------------------------------------

std::int64_t gather_axis(const graph::Node& node, const ValueInfo& data) {
  if (data.shape.empty()) throw Error("Gather", "data of rank >= 1", info_str(data));
  return normalize_axis("Gather", attr_int(node, "axis", 0), static_cast<std::int64_t>(data.shape.size()));
}

Shape gather_shape(const graph::Node& node, const ValueInfo& data, const ValueInfo& indices) {
  if (indices.dtype != DType::i64 && indices.dtype != DType::i32) throw Error("Gather", "indices of dtype i32 or i64", info_str(indices));
  const auto axis = static_cast<std::size_t>(gather_axis(node, data));
  Shape out(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end());
  return out;
}

// The indices as int64s, each checked against [-dim, dim - 1] and made non-negative.
std::vector<std::int64_t> checked_indices(const Tensor& indices, std::int64_t dim, std::int64_t axis) {
  const Tensor t = indices.contiguous();
  std::vector<std::int64_t> out(static_cast<std::size_t>(t.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int64_t index = t.dtype() == DType::i64 ? t.data<std::int64_t>()[i] : t.data<std::int32_t>()[i];
    if (index < -dim || index >= dim) {
      throw Error("Gather", "indices in [" + std::to_string(-dim) + ", " + std::to_string(dim - 1) + "] (axis " + std::to_string(axis) + " has size " +
                                std::to_string(dim) + ")",
                  std::to_string(index) + " at flat position " + std::to_string(i));
    }
    if (index < 0) index += dim;
    out[i] = index;
  }
  return out;
}

Tensor gather(const graph::Node& node, const Tensor& data_in, const Tensor& indices) {
  const ValueInfo data_info{data_in.dtype(), data_in.shape()};
  const Shape shape = gather_shape(node, data_info, {indices.dtype(), indices.shape()});
  const std::int64_t axis = gather_axis(node, data_info);
  const Shape& in = data_in.shape();
  const std::int64_t outer = dims_product(in, 0, static_cast<std::size_t>(axis));
  const std::int64_t dim = in[static_cast<std::size_t>(axis)];
  const std::int64_t inner = dims_product(in, static_cast<std::size_t>(axis) + 1, in.size());
  const std::vector<std::int64_t> picks = checked_indices(indices, dim, axis);
  Tensor out = Tensor::empty(shape, data_in.dtype());
  if (out.numel() == 0) return out;
  const Tensor data = data_in.contiguous();
  const std::size_t element = dtype_size(data.dtype());
  const auto block = static_cast<std::size_t>(inner) * element;  // bytes of one [inner] block
  const auto* source = static_cast<const std::byte*>(data.raw_data());
  auto* target = static_cast<std::byte*>(out.raw_data());
  for (std::int64_t o = 0; o < outer; ++o) {
    for (const std::int64_t pick : picks) {
      std::memcpy(target, source + static_cast<std::size_t>((o * dim + pick) * inner) * element, block);
      target += block;
    }
  }
  return out;
}

OpDef gather_op() {
  OpDef def;
  def.name = "Gather";
  def.num_inputs = 2;
  def.infer = [](const InferContext& ctx) {
    return std::vector<ValueInfo>{{ctx.inputs[0].dtype, gather_shape(ctx.node, ctx.inputs[0], ctx.inputs[1])}};
  };
  def.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{gather(ctx.node, ctx.inputs[0], ctx.inputs[1])}; };
  def.doc = "ONNX Gather: entries of data along axis picked by indices (negative counts from the end)";
  return def;
}

// --- Shape -------------------------------------------------------------------------------------------

// [start, end) of the sizes, Python-style: negative counts from the end, both clamped to [0, rank].
std::pair<std::int64_t, std::int64_t> shape_range(const graph::Node& node, std::size_t rank_size) {
  const auto rank = static_cast<std::int64_t>(rank_size);
  const auto clamp_position = [rank](std::int64_t p) {
    if (p < 0) p = p < -rank ? 0 : p + rank;
    return std::min(p, rank);
  };
  const std::int64_t start = clamp_position(attr_int(node, "start", 0));
  const std::int64_t end = clamp_position(attr_int(node, "end", rank));
  return {start, std::max(start, end)};
}

OpDef shape_op() {
  OpDef def;
  def.name = "Shape";
  def.num_inputs = 1;
  def.infer = [](const InferContext& ctx) {
    const auto [start, end] = shape_range(ctx.node, ctx.inputs[0].shape.size());
    return std::vector<ValueInfo>{{DType::i64, {end - start}}};
  };
  def.kernel = [](const KernelContext& ctx) {
    const Shape& in = ctx.inputs[0].shape();
    const auto [start, end] = shape_range(ctx.node, in.size());
    const std::vector<std::int64_t> sizes(in.begin() + start, in.begin() + end);
    return std::vector<Tensor>{Tensor::from_vector(sizes, {end - start})};
  };
  def.doc = "ONNX Shape: the input's sizes as a 1-D i64 tensor (opset 15: shape[start:end])";
  return def;
}

}  // namespace

std::vector<std::string> register_onnx_gather_ops() {
  graph::register_op(gather_op());
  graph::register_op(shape_op());
  return {"Gather", "Shape"};
}

}  // namespace gb::convert::detail
