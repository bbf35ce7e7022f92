// onnx_ops_basic.cpp: the basic ONNX ops, part 1: the arithmetic of two tensors (Add, Sub, Mul, Div with
// NumPy broadcasting), Identity, Dropout at inference and Constant; the helpers every basic op file
// shares (axes, shapes, input counts); and register_basic_onnx_ops, which registers all basic files.
#include <algorithm>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/ops.hpp"
#include "onnx_import_internal.hpp"
#include "onnx_ops_internal.hpp"

namespace gb::convert::detail {

using graph::InferContext;
using graph::KernelContext;
using graph::OpDef;
using graph::ValueInfo;
using graph::info_str;

// --- helpers shared by the basic op files ------------------------------------------------------

std::int64_t normalize_axis(const std::string& op, std::int64_t axis, std::int64_t rank) {
  if (axis < -rank || axis >= rank) {
    throw Error(op, "an axis in [" + std::to_string(-rank) + ", " + std::to_string(rank) + ")", std::to_string(axis));
  }
  return axis < 0 ? axis + rank : axis;
}

std::vector<std::int64_t> tensor_ints(const std::string& op, const Tensor& t) {
  if (t.dtype() != DType::i64 && t.dtype() != DType::i32) {
    throw Error(op, "an integer tensor (i64) of sizes or axes", info_str({t.dtype(), t.shape()}));
  }
  if (t.ndim() > 1) throw Error(op, "a 0-D or 1-D tensor of sizes or axes", info_str({t.dtype(), t.shape()}));
  // Read as integers, not through doubles: Slice's ends are often INT64_MAX, which a double cannot hold.
  const Tensor c = t.contiguous();
  std::vector<std::int64_t> out(static_cast<std::size_t>(c.numel()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = c.dtype() == DType::i64 ? c.data<std::int64_t>()[i] : c.data<std::int32_t>()[i];
  return out;
}

std::int64_t dims_product(const Shape& shape, std::size_t begin, std::size_t end) {
  std::int64_t product = 1;
  for (std::size_t k = begin; k < end; ++k) {
    if (shape[k] < 0) return -1;
    product *= shape[k];
  }
  return product;
}

void require_inputs(const std::string& op, const std::vector<ValueInfo>& inputs, std::size_t low, std::size_t high) {
  if (inputs.size() < low || inputs.size() > high) {
    const std::string range = low == high ? std::to_string(low) : std::to_string(low) + " to " + std::to_string(high);
    throw Error(op, range + " inputs", std::to_string(inputs.size()) + " inputs");
  }
}

void require_floating_input(const std::string& op, const ValueInfo& info) {
  if (!is_floating(info.dtype)) throw Error(op, "a floating input (f32 or f64)", info_str(info));
}

namespace {

// --- Add, Sub, Mul, Div: C = A op B with NumPy broadcasting, both operands of one dtype ---------------

void binary(std::vector<std::string>& names, const std::string& name, Tensor (*f)(const Tensor&, const Tensor&)) {
  OpDef def;
  def.name = name;
  def.num_inputs = 2;
  def.infer = [name](const InferContext& ctx) {
    const ValueInfo &a = ctx.inputs[0], &b = ctx.inputs[1];
    if (a.dtype != b.dtype) throw Error(name, "operands of one dtype", infos_text({a, b}));
    return std::vector<ValueInfo>{{a.dtype, broadcast_shapes(name, a, b)}};
  };
  def.kernel = [f](const KernelContext& ctx) { return std::vector<Tensor>{f(ctx.inputs[0], ctx.inputs[1])}; };
  def.doc = "ONNX " + name + ": A " + name + " B, NumPy broadcasting (integers: " +
            (name == "Div" ? "floor division" : "wrap around") + ")";
  graph::register_op(std::move(def));
  names.push_back(name);
}

// --- Identity and Dropout ------------------------------------------------------------------------

void register_identity(std::vector<std::string>& names) {
  OpDef def;
  def.name = "Identity";
  def.num_inputs = 1;
  def.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{ctx.inputs[0]}; };
  def.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{ctx.inputs[0]}; };
  def.doc = "ONNX Identity: the input";
  graph::register_op(std::move(def));
  names.push_back("Identity");
}

// Dropout at inference is the identity (training scales by 1/(1 - ratio) while dropping, so that
// inference needs no rescaling). Inputs: data, ratio and training_mode (both optional, opset 12+);
// outputs: data and the mask, all true (u8 ones) because nothing was dropped.
void register_dropout(std::vector<std::string>& names) {
  OpDef def;
  def.name = "Dropout";
  def.infer = [](const InferContext& ctx) {
    require_inputs("Dropout", ctx.inputs, 1, 3);
    return std::vector<ValueInfo>{ctx.inputs[0], {DType::u8, ctx.inputs[0].shape}};
  };
  def.kernel = [](const KernelContext& ctx) {
    const Tensor& x = ctx.inputs[0];
    if (ctx.inputs.size() == 3 && ctx.inputs[2].numel() == 1 && ctx.inputs[2].item() != 0) {
      const double ratio = ctx.inputs[1].numel() == 1 ? ctx.inputs[1].item() : 0.5;
      if (ratio != 0) throw Unsupported("Dropout", "training_mode false (inference)", "training_mode true, ratio " + std::to_string(ratio));
    }
    return std::vector<Tensor>{x, Tensor::ones(x.shape(), DType::u8)};
  };
  def.doc = "ONNX Dropout at inference: output = data, mask = all true";
  graph::register_op(std::move(def));
  names.push_back("Dropout");
}

// --- Constant: a node whose output is its attribute --------------------------------------------
// One of value (a tensor), value_float, value_int, value_ints (the importer turns value_floats into a
// 1-D f32 "value"); value_string(s) and sparse_value are unsupported.
Tensor constant_value(const graph::Node& node) {
  if (node.has_attr("value")) return node.attr_tensor("value");
  if (node.has_attr("value_float")) return Tensor::scalar(node.attr_float("value_float"), DType::f32);
  if (node.has_attr("value_int")) return Tensor::scalar(static_cast<double>(node.attr_int("value_int")), DType::i64);
  if (node.has_attr("value_ints")) {
    const std::vector<std::int64_t>& v = node.attr_ints("value_ints");
    return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())});
  }
  throw Error("Constant", "an attribute value, value_float, value_int or value_ints", "none of them");
}

void register_constant(std::vector<std::string>& names) {
  OpDef def;
  def.name = "Constant";
  def.num_inputs = 0;
  def.infer = [](const InferContext& ctx) {
    const Tensor value = constant_value(ctx.node);
    return std::vector<ValueInfo>{{value.dtype(), value.shape()}};
  };
  def.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{constant_value(ctx.node)}; };
  def.doc = "ONNX Constant: its attribute value (or value_float, value_int, value_ints)";
  graph::register_op(std::move(def));
  names.push_back("Constant");
}

}  // namespace

std::vector<std::string> register_basic_onnx_ops() {
  std::vector<std::string> names;
  binary(names, "Add", gb::add);
  binary(names, "Sub", gb::sub);
  binary(names, "Mul", gb::mul);
  binary(names, "Div", gb::div);
  register_identity(names);
  register_dropout(names);
  register_constant(names);
  for (const auto& more : {register_onnx_activation_ops(), register_onnx_shape_ops(), register_onnx_matmul_ops()}) {
    names.insert(names.end(), more.begin(), more.end());
  }
  return names;
}

}  // namespace gb::convert::detail
