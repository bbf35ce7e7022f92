// ops_unary.cpp: identity, the activations and the elementary functions, and the two special ops
// (placeholder and constant, which the executors run themselves). Each VJP multiplies the adjoint
// by the local derivative, written with graph ops so that it can be differentiated again.
#include <cmath>

#include "gb/core/math.hpp"
#include "internal.hpp"

namespace gb::graph::detail {

namespace {

using Grads = std::vector<std::optional<ValueId>>;

std::vector<ValueInfo> same_floating(const InferContext& ctx) {
  require_floating_info(ctx.node.op, ctx.inputs[0]);
  return {ctx.inputs[0]};
}

// One op computed by `f` on each element, with the VJP `vjp` (x = the input, y = the output).
void unary(const std::string& name, double (*f)(double),
           std::function<ValueId(const VjpContext&, ValueId g, ValueId x, ValueId y)> vjp, const std::string& doc) {
  OpDef def;
  def.name = name;
  def.num_inputs = 1;
  def.infer = same_floating;
  def.kernel = [f, name](const KernelContext& ctx) { return std::vector<Tensor>{map_floating(ctx.inputs[0], name, f)}; };
  def.vjp = [vjp](const VjpContext& ctx) -> Grads {
    return {vjp(ctx, *ctx.output_grads[0], ctx.input(0), ctx.node.outputs[0])};
  };
  def.doc = doc;
  add_builtin_op(std::move(def));
}

double relu(double x) { return x > 0 ? x : 0.0; }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double tanh_(double x) { return std::tanh(x); }
double exp_(double x) { return std::exp(x); }
double log_(double x) { return std::log(x); }
double sin_(double x) { return std::sin(x); }
double cos_(double x) { return std::cos(x); }
double sqrt_(double x) { return std::sqrt(x); }

}  // namespace

void register_special_ops() {
  OpDef def;
  def.name = "placeholder";
  def.num_inputs = 0;
  def.kernel = [](const KernelContext& ctx) -> std::vector<Tensor> {
    throw Error("placeholder", "a value fed to the executor", "a kernel call for " + ctx.node.name);
  };
  def.doc = "a graph input fed at run time (attr name)";
  add_builtin_op(def);
  def.name = "constant";
  def.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{ctx.node.attr_tensor("value")}; };
  def.doc = "a constant tensor (attr value)";
  add_builtin_op(def);

  OpDef identity;
  identity.name = "identity";
  identity.num_inputs = 1;
  identity.infer = [](const InferContext& ctx) { return std::vector<ValueInfo>{ctx.inputs[0]}; };
  identity.kernel = [](const KernelContext& ctx) { return std::vector<Tensor>{ctx.inputs[0]}; };
  identity.vjp = [](const VjpContext& ctx) -> Grads { return {*ctx.output_grads[0]}; };
  identity.doc = "x (a named copy of a value)";
  add_builtin_op(std::move(identity));
}

void register_unary_ops() {
  // relu'(x) = [x > 0] (0 at x = 0, like PyTorch): the adjoint where x > 0, zero elsewhere.
  unary("relu", relu,
        [](const VjpContext& c, ValueId g, ValueId x, ValueId) {
          return c.emit("where", {c.emit("gt", {x, c.emit("zeros_like", {x})}), g, c.emit("zeros_like", {g})});
        },
        "max(x, 0)");
  // sigmoid' = y (1 - y)
  unary("sigmoid", sigmoid,
        [](const VjpContext& c, ValueId g, ValueId, ValueId y) {
          return c.emit("mul", {g, c.emit("mul", {y, c.emit("sub", {c.emit("ones_like", {y}), y})})});
        },
        "1 / (1 + exp(-x))");
  // tanh' = 1 - y^2
  unary("tanh", tanh_,
        [](const VjpContext& c, ValueId g, ValueId, ValueId y) {
          return c.emit("mul", {g, c.emit("sub", {c.emit("ones_like", {y}), c.emit("mul", {y, y})})});
        },
        "tanh(x)");
  unary("exp", exp_, [](const VjpContext& c, ValueId g, ValueId, ValueId y) { return c.emit("mul", {g, y}); }, "e^x");
  unary("log", log_, [](const VjpContext& c, ValueId g, ValueId x, ValueId) { return c.emit("div", {g, x}); },
        "natural logarithm");
  unary("sin", sin_, [](const VjpContext& c, ValueId g, ValueId x, ValueId) { return c.emit("mul", {g, c.emit("cos", {x})}); },
        "sin(x)");
  unary("cos", cos_,
        [](const VjpContext& c, ValueId g, ValueId x, ValueId) { return c.emit("neg", {c.emit("mul", {g, c.emit("sin", {x})})}); },
        "cos(x)");
  // sqrt' = 1 / (2 y)
  unary("sqrt", sqrt_, [](const VjpContext& c, ValueId g, ValueId, ValueId y) { return c.emit("div", {g, c.emit("add", {y, y})}); },
        "square root");
}

}  // namespace gb::graph::detail
