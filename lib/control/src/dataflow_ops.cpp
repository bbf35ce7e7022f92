// dataflow_ops.cpp: registration of the TF1 control-flow primitives (shape/dtype inference only;
// their token semantics live in the dataflow executor, dataflow_executor.cpp and switch_merge.cpp).
#include "control_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/graph/registry.hpp"

namespace gb::control::detail {

namespace {

void expect_inputs(const graph::InferContext& ctx, std::size_t n) {
  if (ctx.inputs.size() != n) {
    throw Error(ctx.node.op, std::to_string(n) + " input(s)", infos_str(ctx.inputs) + " in '" + ctx.node.name + "'");
  }
}

std::vector<Tensor> needs_dataflow_executor(const graph::KernelContext& ctx) {
  throw Error(ctx.node.op, "to run under control::run_dataflow (tokens with frames and deadness)",
              "node '" + ctx.node.name + "' run by a plain graph executor");
}

graph::OpDef primitive(const std::string& name, int num_inputs, const std::string& doc,
                       std::function<std::vector<graph::ValueInfo>(const graph::InferContext&)> infer) {
  graph::OpDef def;
  def.name = name;
  def.num_inputs = num_inputs;
  def.infer = std::move(infer);
  def.kernel = needs_dataflow_executor;
  def.doc = doc;
  return def;
}

}  // namespace

void register_dataflow_ops() {
  graph::register_op(primitive("Switch", 2, "Switch(data, pred) -> (out_false, out_true); the other side gets a dead token",
                               [](const graph::InferContext& ctx) {
                                 expect_inputs(ctx, 2);
                                 if (!ctx.inputs[1].shape.empty()) {
                                   throw Error("Switch", "a scalar pred", graph::info_str(ctx.inputs[1]));
                                 }
                                 return std::vector<graph::ValueInfo>{ctx.inputs[0], ctx.inputs[0]};
                               }));
  graph::register_op(primitive("Merge", -1, "Merge(a, b, ...) -> (first live input, its index)",
                               [](const graph::InferContext& ctx) {
                                 if (ctx.inputs.empty()) throw Error("Merge", "at least one input", "none");
                                 for (const graph::ValueInfo& info : ctx.inputs) {
                                   if (!compatible(info, ctx.inputs[0])) {
                                     throw Error("Merge", "inputs with the same info", infos_str(ctx.inputs));
                                   }
                                 }
                                 return std::vector<graph::ValueInfo>{ctx.inputs[0], {DType::i64, {}}};
                               }));
  auto pass_through = [](const graph::InferContext& ctx) {
    expect_inputs(ctx, 1);
    ctx.node.attr_string("frame");
    return std::vector<graph::ValueInfo>{ctx.inputs[0]};
  };
  graph::register_op(primitive("Enter", 1, "Enter(data): the token enters the child frame attr frame", pass_through));
  graph::register_op(primitive("Exit", 1, "Exit(data): the token leaves its frame for the parent", pass_through));
  graph::register_op(primitive("NextIteration", 1, "NextIteration(data): the token goes to the next iteration",
                               pass_through));
  graph::OpDef constant = primitive("FrameConstant", 1, "FrameConstant(pivot): attr value, fired by the pivot token",
                                    [](const graph::InferContext& ctx) {
                                      expect_inputs(ctx, 1);
                                      const Tensor& value = ctx.node.attr_tensor("value");
                                      return std::vector<graph::ValueInfo>{{value.dtype(), value.shape()}};
                                    });
  constant.kernel = [](const graph::KernelContext& ctx) {
    return std::vector<Tensor>{ctx.node.attr_tensor("value")};
  };
  graph::register_op(constant);
}

}  // namespace gb::control::detail
