// onnx_ops_slice.cpp: ONNX's Slice, Python's x[start:end:step] along chosen axes (issue 9).
//
// Opsets 1-9 give starts, ends and axes as attributes; from opset 10 they are inputs
//   Slice(data, starts, ends, [axes], [steps])     starts, ends, axes, steps: i32 or i64, one entry per axis
// read at run time (a model computes them: test_loop11 slices at the loop's iteration count). axes default
// to 0, 1, ..., len(starts) - 1 and may count from the end; steps default to 1 and may be negative (walk
// backwards), never 0. Each sliced axis of size `dim` is resolved by the spec's rule, which clamps rather
// than fails, so ends of INT64_MAX ("to the end") and INT64_MIN ("past the front") are ordinary:
//   start < 0: start += dim          end < 0: end += dim
//   step > 0:  start = clamp(start, 0, dim)        end = clamp(end, 0, dim)
//   step < 0:  start = clamp(start, 0, dim - 1)    end = clamp(end, -1, dim - 1)
//   count = ceil((end - start) / step), or 0 when that is negative
// The output is a copy: glassbox views have no negative strides, so a negative step cannot be a view
// (a positive one could be, Tensor::slice); one loop serves both.
//
// Shape inference knows the output only where it knows the values: the importer folds constant inputs
// into attributes of the same names (starts, ends, axes, steps; onnx_ops.hpp); a size left unknown is -1.
// When an input is present it rules: the attribute beside it is its folded copy.
#include <algorithm>
#include <limits>
#include <optional>

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

using Ints = std::vector<std::int64_t>;

// Where the i-th parameter (0 starts, 1 ends, 2 axes, 3 steps) lives: input i + 1 from opset 10, the
// attribute of the same name before (or folded by the importer).
const char* const kSliceParameters[] = {"starts", "ends", "axes", "steps"};

// One axis of the result: the first index taken, the step between taken indices, and how many.
struct SliceAxis {
  std::int64_t start = 0, step = 1, count = 0;
};

// The spec's clamping for one axis of size dim (dim >= 0), in 64-bit arithmetic that cannot overflow:
// dim <= 2^40 (tensor sizes are bounded), and a step of INT64_MIN is not negated.
SliceAxis resolve_axis(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  SliceAxis axis;
  axis.step = step;
  if (dim == 0) return axis;  // nothing to take (and clamp(start, 0, dim - 1) would be empty)
  if (step > 0) {
    axis.start = std::clamp<std::int64_t>(start, 0, dim);
    end = std::clamp<std::int64_t>(end, 0, dim);
    axis.count = end > axis.start ? (end - axis.start - 1) / step + 1 : 0;
  } else {
    axis.start = std::clamp<std::int64_t>(start, 0, dim - 1);
    end = std::clamp<std::int64_t>(end, -1, dim - 1);
    const std::int64_t magnitude = step == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max() : -step;
    axis.count = axis.start > end ? (axis.start - end - 1) / magnitude + 1 : 0;
  }
  return axis;
}

// Checks the parameter lists against each other and the input's rank; returns the axes, normalised.
// An absent axes list means 0, 1, ..., len(starts) - 1.
Ints checked_axes(const Ints& starts, const Ints& ends, const std::optional<Ints>& axes, const std::optional<Ints>& steps, std::size_t rank) {
  const auto length_text = [](const Ints& v) { return std::to_string(v.size()); };
  if (ends.size() != starts.size()) throw Error("Slice", "ends as long as starts (" + length_text(starts) + ")", length_text(ends));
  if (axes && axes->size() != starts.size()) throw Error("Slice", "axes as long as starts (" + length_text(starts) + ")", length_text(*axes));
  if (steps && steps->size() != starts.size()) throw Error("Slice", "steps as long as starts (" + length_text(starts) + ")", length_text(*steps));
  if (steps) {
    for (std::int64_t s : *steps) {
      if (s == 0) throw Error("Slice", "steps != 0", "a step of 0");
    }
  }
  Ints out;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const std::int64_t a = axes ? (*axes)[i] : static_cast<std::int64_t>(i);
    out.push_back(normalize_axis("Slice", a, static_cast<std::int64_t>(rank)));
  }
  Ints sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) throw Error("Slice", "axes without repeats", "a repeated axis");
  return out;
}

// Every axis of the result (an axis not sliced is taken whole). Sizes may be -1 (inference): a sliced
// axis of unknown size has an unknown count.
std::vector<SliceAxis> slice_plan(const Shape& in, const Ints& starts, const Ints& ends, const std::optional<Ints>& axes,
                                  const std::optional<Ints>& steps) {
  const Ints sliced = checked_axes(starts, ends, axes, steps, in.size());
  std::vector<SliceAxis> plan(in.size());
  for (std::size_t k = 0; k < in.size(); ++k) plan[k].count = in[k];
  for (std::size_t i = 0; i < sliced.size(); ++i) {
    const auto k = static_cast<std::size_t>(sliced[i]);
    const std::int64_t step = steps ? (*steps)[i] : 1;
    plan[k] = in[k] < 0 ? SliceAxis{0, step, -1} : resolve_axis(in[k], starts[i], ends[i], step);
  }
  return plan;
}

// --- where the parameters come from -------------------------------------------------------------------

// Inputs: [data] with attributes starts, ends (axes, steps optional) or [data, starts, ends, axes?, steps?].
void check_slice_inputs(const std::vector<ValueInfo>& inputs, const graph::Node& node) {
  require_inputs("Slice", inputs, 1, 5);
  if (inputs.size() == 2) throw Error("Slice", "inputs data, starts, ends (axes, steps optional)", "data and starts only");
  if (inputs.size() == 1 && !(node.has_attr("starts") && node.has_attr("ends"))) {
    throw Error("Slice", "starts and ends (inputs from opset 10, attributes before)", "neither");
  }
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const ValueInfo& p = inputs[i];
    if ((p.dtype != DType::i64 && p.dtype != DType::i32) || p.shape.size() != 1) {
      throw Error("Slice", std::string(kSliceParameters[i - 1]) + ": a 1-D i32 or i64 tensor", info_str(p));
    }
  }
}

// Parameter i at inference: the attribute when there is one (ONNX's own before opset 10, or folded).
std::optional<Ints> known_parameter(const graph::Node& node, std::size_t i) {
  if (node.has_attr(kSliceParameters[i])) return node.attr_ints(kSliceParameters[i]);
  return std::nullopt;
}

Shape slice_infer_shape(const InferContext& ctx) {
  check_slice_inputs(ctx.inputs, ctx.node);
  const Shape& in = ctx.inputs[0].shape;
  const std::size_t count = ctx.inputs.size();
  const std::optional<Ints> starts = known_parameter(ctx.node, 0), ends = known_parameter(ctx.node, 1);
  std::optional<Ints> axes = known_parameter(ctx.node, 2), steps = known_parameter(ctx.node, 3);
  const bool axes_given = count > 3 || (count == 1 && axes), steps_given = count > 4 || (count == 1 && steps);
  // The number of sliced axes: a known list's length, else the length of the starts input.
  const std::int64_t length = starts ? static_cast<std::int64_t>(starts->size()) : ctx.inputs[1].shape[0];
  if (!axes_given && length >= 0) {  // the default axes 0, 1, ..., length - 1 are known
    axes = Ints(static_cast<std::size_t>(length));
    for (std::size_t i = 0; i < axes->size(); ++i) (*axes)[i] = static_cast<std::int64_t>(i);
  }
  if (!steps_given && length >= 0) steps = Ints(static_cast<std::size_t>(length), 1);
  if (!axes) return Shape(in.size(), -1);  // which axes change is decided at run time
  if (starts && ends && steps) {
    Shape out;
    for (const SliceAxis& axis : slice_plan(in, *starts, *ends, axes, steps)) out.push_back(axis.count);
    return out;
  }
  // Axes known, values not: the sliced axes have unknown sizes, the others keep theirs.
  Shape out = in;
  const Ints placeholder(axes->size(), 0);
  for (std::int64_t k : checked_axes(placeholder, placeholder, axes, std::nullopt, in.size())) out[static_cast<std::size_t>(k)] = -1;
  return out;
}

// Parameter i at run time: the input when present (its attribute is a folded copy), else the attribute.
std::optional<Ints> run_parameter(const KernelContext& ctx, std::size_t i) {
  if (ctx.inputs.size() > i + 1) return tensor_ints("Slice", ctx.inputs[i + 1]);
  if (ctx.inputs.size() == 1) return known_parameter(ctx.node, i);
  return std::nullopt;
}

// out[i_0, ..., i_r-1] = x[start_0 + i_0 step_0, ..., start_r-1 + i_r-1 step_r-1], walking the output in
// row-major order with an odometer; `jump[k]` is how far the source moves when index k grows by one.
Tensor slice_copy(const Tensor& x, const std::vector<SliceAxis>& plan) {
  Shape shape;
  for (const SliceAxis& axis : plan) shape.push_back(axis.count);
  Tensor out = Tensor::empty(shape, x.dtype());
  if (out.numel() == 0) return out;
  const std::size_t rank = plan.size();
  std::int64_t first = 0;
  std::vector<std::int64_t> jump(rank, 0);
  for (std::size_t k = 0; k < rank; ++k) {
    first += plan[k].start * x.strides()[k];
    // Only an axis taking two or more elements moves: then |step| < dim, and step * stride stays in range.
    if (plan[k].count > 1) jump[k] = plan[k].step * x.strides()[k];
  }
  dispatch_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* source = static_cast<const T*>(x.raw_data());
    T* target = out.data<T>();
    std::vector<std::int64_t> index(rank, 0);
    std::int64_t at = first;
    for (std::int64_t i = 0; i < out.numel(); ++i) {
      target[i] = source[at];
      for (std::size_t k = rank; k-- > 0;) {  // the odometer: the last index turns fastest
        if (++index[k] < plan[k].count) {
          at += jump[k];
          break;
        }
        at -= (plan[k].count - 1) * jump[k];
        index[k] = 0;
      }
    }
  });
  return out;
}

OpDef slice_op() {
  OpDef def;
  def.name = "Slice";
  def.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{{ctx.inputs.empty() ? DType::f32 : ctx.inputs[0].dtype, slice_infer_shape(ctx)}}; };
  def.kernel = [](const KernelContext& ctx) {
    const Tensor& x = ctx.inputs[0];
    const std::optional<Ints> starts = run_parameter(ctx, 0), ends = run_parameter(ctx, 1);
    if (!starts || !ends) throw Error("Slice", "starts and ends (inputs from opset 10, attributes before)", "neither");
    const std::vector<SliceAxis> plan = slice_plan(x.shape(), *starts, *ends, run_parameter(ctx, 2), run_parameter(ctx, 3));
    return std::vector<Tensor>{slice_copy(x, plan)};
  };
  def.doc = "ONNX Slice: data[starts:ends:steps] along axes (clamped like the spec; steps may be negative)";
  return def;
}

}  // namespace

std::vector<std::string> register_onnx_slice_ops() {
  graph::register_op(slice_op());
  return {"Slice"};
}

}  // namespace gb::convert::detail
