// onnx_ops_basic_shape.cpp: the basic ONNX ops, part 3: ops that move or relabel elements without
// computing (Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze).
//
// Reshape's shape and (from opset 13) Squeeze/Unsqueeze's axes are *inputs*: a tensor computed at run time.
// The kernel reads them there; shape inference only knows the output's rank (the length of that input),
// with every size -1, unless the importer found the input constant and folded it into the attribute of the
// same name ("shape", "axes"), or the op is older than opset 13 and axes is an attribute anyway.
#include <algorithm>

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

void add(std::vector<std::string>& names, OpDef def) {
  names.push_back(def.name);
  graph::register_op(std::move(def));
}

// --- Flatten: [d0 ... d(axis-1)] x [d(axis) ... d(r-1)] -> 2-D; axis in [-r, r] (negative: + r), default 1
Shape flatten_shape(const graph::Node& node, const Shape& in) {
  const auto rank = static_cast<std::int64_t>(in.size());
  std::int64_t axis = attr_int(node, "axis", 1);
  if (axis < -rank || axis > rank) {
    throw Error("Flatten", "an axis in [" + std::to_string(-rank) + ", " + std::to_string(rank) + "]", std::to_string(axis));
  }
  if (axis < 0) axis += rank;
  return {dims_product(in, 0, static_cast<std::size_t>(axis)), dims_product(in, static_cast<std::size_t>(axis), in.size())};
}

// --- Reshape: each requested size is a size, -1 (inferred from the element count: at most one) or 0
// (copy the input's size at that index; with allowzero = 1, opset 14, a 0 is a real size 0). At inference
// `in` may hold -1 (dynamic) sizes: a size that depends on one is -1.
Shape reshape_shape(const Shape& in, const std::vector<std::int64_t>& requested, bool allowzero) {
  Shape out(requested.size());
  std::int64_t inferred = -1, known = 1;
  bool dynamic = false;
  for (std::size_t i = 0; i < requested.size(); ++i) {
    const std::int64_t r = requested[i];
    if (r == -1) {
      if (inferred >= 0) throw Error("Reshape", "at most one -1 in the shape", "two");
      inferred = static_cast<std::int64_t>(i);
      continue;
    }
    if (r < -1) throw Error("Reshape", "sizes >= -1 in the shape", std::to_string(r));
    if (r == 0 && !allowzero) {
      if (i >= in.size()) throw Error("Reshape", "a 0 (copy) only at an index the input has", "index " + std::to_string(i));
      out[i] = in[i];
    } else {
      out[i] = r;
    }
    if (out[i] < 0) dynamic = true;
    else known *= out[i];
  }
  // With allowzero a 0 is a size, and -1 beside it could be anything: ONNX forbids the pair.
  if (allowzero && inferred >= 0 && std::find(requested.begin(), requested.end(), 0) != requested.end()) {
    throw Error("Reshape", "no -1 beside a 0 when allowzero = 1", "both");
  }
  const std::int64_t total = dims_product(in, 0, in.size());
  if (inferred >= 0) {
    if (dynamic || total < 0) {
      out[static_cast<std::size_t>(inferred)] = -1;
    } else {
      if (known == 0 || total % known != 0) {
        throw Error("Reshape", "a -1 that makes the element count " + std::to_string(total), "the other sizes' product " + std::to_string(known));
      }
      out[static_cast<std::size_t>(inferred)] = total / known;
    }
  } else if (!dynamic && total >= 0 && total != known) {
    throw Error("Reshape", "a shape of " + std::to_string(total) + " elements", std::to_string(known) + " elements");
  }
  return out;
}

OpDef reshape_op() {
  OpDef def;
  def.name = "Reshape";
  def.infer = [](const InferContext& ctx) {
    require_inputs("Reshape", ctx.inputs, 1, 2);
    const ValueInfo& x = ctx.inputs[0];
    const bool allowzero = attr_int(ctx.node, "allowzero", 0) != 0;
    if (ctx.node.has_attr("shape")) return std::vector<ValueInfo>{{x.dtype, reshape_shape(x.shape, ctx.node.attr_ints("shape"), allowzero)}};
    if (ctx.inputs.size() < 2) throw Error("Reshape", "a shape input or attribute", "neither");
    const ValueInfo& shape = ctx.inputs[1];
    if (shape.dtype != DType::i64 || shape.shape.size() != 1 || shape.shape[0] < 0) {
      throw Error("Reshape", "a shape input i64[n] of known length n", info_str(shape));
    }
    return std::vector<ValueInfo>{{x.dtype, Shape(static_cast<std::size_t>(shape.shape[0]), -1)}};
  };
  def.kernel = [](const KernelContext& ctx) {
    const Tensor& x = ctx.inputs[0];
    const std::vector<std::int64_t> requested =
        ctx.inputs.size() == 2 ? tensor_ints("Reshape", ctx.inputs[1]) : ctx.node.attr_ints("shape");
    return std::vector<Tensor>{x.contiguous().reshape(reshape_shape(x.shape(), requested, attr_int(ctx.node, "allowzero", 0) != 0))};
  };
  def.doc = "ONNX Reshape: data to the shape input (0 copies a size unless allowzero, -1 is inferred)";
  return def;
}

// --- Transpose: out.shape[i] = in.shape[perm[i]]; perm defaults to the reversed axes ------------------
std::vector<std::int64_t> transpose_perm(const graph::Node& node, std::size_t rank) {
  std::vector<std::int64_t> reversed(rank);
  for (std::size_t i = 0; i < rank; ++i) reversed[i] = static_cast<std::int64_t>(rank - 1 - i);
  std::vector<std::int64_t> perm = attr_ints(node, "perm", reversed);
  std::vector<std::int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(rank);
  for (std::size_t i = 0; i < rank; ++i) identity[i] = static_cast<std::int64_t>(i);
  if (sorted != identity) throw Error("Transpose", "perm: a permutation of 0.." + std::to_string(rank) + "-1", "another list");
  return perm;
}

// --- Squeeze / Unsqueeze: the axes to drop (size 1) or insert ------------------------------------------
// Squeeze without axes drops every size-1 axis; at inference a dynamic size (-1) is assumed not to be 1.
std::vector<std::int64_t> squeeze_axes(const std::string& op, const std::vector<std::int64_t>& axes, std::int64_t rank) {
  std::vector<std::int64_t> out;
  for (std::int64_t a : axes) out.push_back(normalize_axis(op, a, rank));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end()) throw Error(op, "axes without repeats", "a repeated axis");
  return out;
}

Shape squeeze_shape(const Shape& in, const std::vector<std::int64_t>* axes) {
  std::vector<std::int64_t> drop;
  if (axes) drop = squeeze_axes("Squeeze", *axes, static_cast<std::int64_t>(in.size()));
  Shape out;
  for (std::size_t k = 0; k < in.size(); ++k) {
    const bool named = std::find(drop.begin(), drop.end(), static_cast<std::int64_t>(k)) != drop.end();
    if (named && in[k] != 1 && in[k] != -1) throw Error("Squeeze", "axis " + std::to_string(k) + " of size 1", "size " + std::to_string(in[k]));
    if (!(named || (!axes && in[k] == 1))) out.push_back(in[k]);
  }
  return out;
}

Shape unsqueeze_shape(const Shape& in, const std::vector<std::int64_t>& axes) {
  const auto rank = static_cast<std::int64_t>(in.size() + axes.size());
  const std::vector<std::int64_t> insert = squeeze_axes("Unsqueeze", axes, rank);
  Shape out;
  std::size_t next = 0;
  for (std::int64_t k = 0; k < rank; ++k) {
    out.push_back(std::find(insert.begin(), insert.end(), k) != insert.end() ? 1 : in[next++]);
  }
  return out;
}

// Squeeze and Unsqueeze: inputs [data] with attr axes (opset < 13, or folded) or [data, axes] (13+).
OpDef axes_op(const std::string& name, bool squeeze) {
  OpDef def;
  def.name = name;
  def.infer = [name, squeeze](const InferContext& ctx) {
    require_inputs(name, ctx.inputs, 1, 2);
    const ValueInfo& x = ctx.inputs[0];
    if (ctx.node.has_attr("axes")) {
      const std::vector<std::int64_t>& axes = ctx.node.attr_ints("axes");
      return std::vector<ValueInfo>{{x.dtype, squeeze ? squeeze_shape(x.shape, &axes) : unsqueeze_shape(x.shape, axes)}};
    }
    if (ctx.inputs.size() == 1) {
      if (!squeeze) throw Error(name, "axes (an input from opset 13, an attribute before)", "none");
      return std::vector<ValueInfo>{{x.dtype, squeeze_shape(x.shape, nullptr)}};
    }
    const ValueInfo& axes = ctx.inputs[1];
    if (axes.dtype != DType::i64 || axes.shape.size() != 1 || axes.shape[0] < 0) {
      throw Error(name, "an axes input i64[n] of known length n", info_str(axes));
    }
    const std::int64_t rank = static_cast<std::int64_t>(x.shape.size()) + (squeeze ? -axes.shape[0] : axes.shape[0]);
    if (rank < 0) throw Error(name, "at most as many axes as the input has", infos_text(ctx.inputs));
    return std::vector<ValueInfo>{{x.dtype, Shape(static_cast<std::size_t>(rank), -1)}};
  };
  def.kernel = [name, squeeze](const KernelContext& ctx) {
    const Tensor& x = ctx.inputs[0];
    std::vector<std::int64_t> axes;
    const bool given = ctx.inputs.size() == 2 || ctx.node.has_attr("axes");
    if (given) axes = ctx.inputs.size() == 2 ? tensor_ints(name, ctx.inputs[1]) : ctx.node.attr_ints("axes");
    if (!squeeze && !given) throw Error(name, "axes", "none");
    const Shape out = squeeze ? squeeze_shape(x.shape(), given ? &axes : nullptr) : unsqueeze_shape(x.shape(), axes);
    return std::vector<Tensor>{x.contiguous().reshape(out)};
  };
  def.doc = "ONNX " + name + ": " + (squeeze ? "drops" : "inserts") + " size-1 axes (axes: attribute before opset 13, input from 13)";
  return def;
}

// --- Concat: along axis (required); every other size equal -------------------------------------------
Shape concat_shape(const graph::Node& node, const std::vector<ValueInfo>& inputs) {
  if (inputs.empty()) throw Error("Concat", "at least one input", "none");
  if (!node.has_attr("axis")) throw Error("Concat", "an attribute axis", "none");
  const Shape& first = inputs[0].shape;
  const auto axis = static_cast<std::size_t>(normalize_axis("Concat", node.attr_int("axis"), static_cast<std::int64_t>(first.size())));
  Shape out = first;
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i].shape;
    bool same = s.size() == first.size() && inputs[i].dtype == inputs[0].dtype;
    for (std::size_t k = 0; same && k < s.size(); ++k) {
      if (k != axis && s[k] != out[k] && s[k] != -1 && out[k] != -1) same = false;
      if (k != axis && out[k] == -1) out[k] = s[k];
    }
    if (!same) throw Error("Concat", "inputs of one dtype and rank, equal sizes off axis " + std::to_string(axis), infos_text(inputs));
    out[axis] = out[axis] < 0 || s[axis] < 0 ? -1 : out[axis] + s[axis];
  }
  return out;
}

OpDef concat_op() {
  OpDef def;
  def.name = "Concat";
  def.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{{ctx.inputs.empty() ? DType::f32 : ctx.inputs[0].dtype, concat_shape(ctx.node, ctx.inputs)}}; };
  def.kernel = [](const KernelContext& ctx) {
    std::vector<ValueInfo> infos;
    for (const Tensor& t : ctx.inputs) infos.push_back({t.dtype(), t.shape()});
    const Shape shape = concat_shape(ctx.node, infos);
    const std::int64_t axis = normalize_axis("Concat", ctx.node.attr_int("axis"), static_cast<std::int64_t>(shape.size()));
    Tensor out = Tensor::empty(shape, ctx.inputs[0].dtype());
    std::int64_t start = 0;
    for (const Tensor& t : ctx.inputs) {  // each input is copied into its slice of the output
      const std::int64_t size = t.shape()[static_cast<std::size_t>(axis)];
      if (size > 0) out.slice(axis, start, start + size).copy_from(t);
      start += size;
    }
    return std::vector<Tensor>{out};
  };
  def.doc = "ONNX Concat: the inputs joined along axis";
  return def;
}

}  // namespace

std::vector<std::string> register_onnx_shape_ops() {
  std::vector<std::string> names;
  OpDef flatten;
  flatten.name = "Flatten";
  flatten.num_inputs = 1;
  flatten.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{{ctx.inputs[0].dtype, flatten_shape(ctx.node, ctx.inputs[0].shape)}}; };
  flatten.kernel = [](const KernelContext& ctx) {
    return std::vector<Tensor>{ctx.inputs[0].contiguous().reshape(flatten_shape(ctx.node, ctx.inputs[0].shape()))};
  };
  flatten.doc = "ONNX Flatten: 2-D [prod(shape[:axis]), prod(shape[axis:])], axis default 1";
  add(names, std::move(flatten));
  add(names, reshape_op());

  OpDef transpose;
  transpose.name = "Transpose";
  transpose.num_inputs = 1;
  transpose.infer = [](const InferContext& ctx) {
    const Shape& in = ctx.inputs[0].shape;
    Shape out;
    for (std::int64_t p : transpose_perm(ctx.node, in.size())) out.push_back(in[static_cast<std::size_t>(p)]);
    return std::vector<ValueInfo>{{ctx.inputs[0].dtype, out}};
  };
  transpose.kernel = [](const KernelContext& ctx) {
    return std::vector<Tensor>{ctx.inputs[0].permute(transpose_perm(ctx.node, ctx.inputs[0].ndim())).contiguous()};
  };
  transpose.doc = "ONNX Transpose: out.shape[i] = in.shape[perm[i]], perm default reversed";
  add(names, std::move(transpose));
  add(names, concat_op());
  add(names, axes_op("Squeeze", true));
  add(names, axes_op("Unsqueeze", false));
  return names;
}

}  // namespace gb::convert::detail
