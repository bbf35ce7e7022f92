// builder_test.cpp: the declarative Builder (builder.hpp), the custom op of lesson 06 (MyReLU with
// its own VJP) and the tracer (tracer.hpp) with its frozen branch.
#include "graph_test_helpers.hpp"

#include "gb/graph/builder.hpp"
#include "gb/graph/tracer.hpp"

using namespace gb_graph_test;
using graph::Sym;
using graph::Traced;

TEST(GraphBuilder, DefineThenRun) {
  graph::Builder b;
  const Sym x = b.placeholder("x", {2, 3});
  const Sym w = b.constant(Tensor::full({3, 2}, 0.5), "w");
  const Sym y = relu(matmul(x, w) - 1.0) * 2.0 + b.scalar(1);
  b.output(y, sum(y));
  EXPECT_EQ(graph::info_str(y.info()), "f32[2, 2]");
  const Tensor xv = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  const std::vector<Tensor> out = b.run({{"x", xv}});
  // x @ w = [[3, 3], [7.5, 7.5]]; relu(. - 1) * 2 + 1 = [[5, 5], [14, 14]]
  EXPECT_EQ(out[0].to_vector(), (std::vector<double>{5, 5, 14, 14}));
  EXPECT_EQ(out[1].item(), 38);
  graph::Builder other;
  EXPECT_THROW(x + other.placeholder("z", {2, 3}), gb::Error);
  EXPECT_THROW(Sym() + x, gb::Error);
}

TEST(GraphBuilder, GradAppendsTheBackwardGraph) {
  graph::Builder b;
  const Sym x = b.placeholder("x", {3}, DType::f64);
  const Sym loss = mean(pow(sin(x), 2.0) + exp(x) / 2.0);
  const std::vector<Sym> g = b.grad(loss, {x});
  b.output(loss, g[0]);
  const Tensor xv = Tensor::from_values({0.1, 0.5, -0.3}, {3}, DType::f64);
  const std::vector<Tensor> out = b.run({{"x", xv}});
  for (std::int64_t i = 0; i < 3; ++i) {
    const double v = xv.at({i});
    EXPECT_NEAR(out[1].at({i}), (2 * std::sin(v) * std::cos(v) + std::exp(v) / 2) / 3, 1e-12);
  }
}

// --- the custom op of lesson 06 -------------------------------------------------------------------
// MyReLU: max(x, 0) with its own VJP. The rule saves the forward input x (a plain edge into the
// backward graph) and passes the adjoint where x >= 0, zero where x < 0.
namespace {

void register_my_relu() {
  graph::OpDef def;
  def.name = "MyReLU";
  def.num_inputs = 1;
  def.infer = [](const graph::InferContext& ctx) { return std::vector<graph::ValueInfo>{ctx.inputs[0]}; };
  def.kernel = [](const graph::KernelContext& ctx) {
    return std::vector<Tensor>{gb::maximum(ctx.inputs[0], Tensor::zeros({}, ctx.inputs[0].dtype()))};
  };
  def.vjp = [](const graph::VjpContext& ctx) -> std::vector<std::optional<graph::ValueId>> {
    const graph::ValueId x = ctx.input(0), g = *ctx.output_grads[0];
    const graph::ValueId negative = ctx.emit("lt", {x, ctx.emit("zeros_like", {x})});
    return {ctx.emit("where", {negative, ctx.emit("zeros_like", {g}), g})};
  };
  def.doc = "max(x, 0) with a hand-written VJP (lesson 06)";
  graph::register_op(def);
}

}  // namespace

TEST(GraphCustomOp, MyReluForwardAndItsOwnVjp) {
  register_my_relu();
  graph::Builder b;
  const Sym x = b.placeholder("x", {4}, DType::f64);
  const Sym y = b.op("MyReLU", {x});
  const Sym loss = sum(y * y);
  const std::vector<Sym> g = b.grad(loss, {x});
  b.output(y, g[0]);
  const std::vector<Tensor> out = b.run({{"x", Tensor::from_values({-2, -0.5, 0.5, 3}, {4}, DType::f64)}});
  EXPECT_EQ(out[0].to_vector(), (std::vector<double>{0, 0, 0.5, 3}));
  EXPECT_EQ(out[1].to_vector(), (std::vector<double>{0, 0, 1, 6}));
  // the saved input is a forward value read by a backward node
  bool saved_edge = false;
  for (const graph::Node& n : b.graph().nodes()) {
    if (n.group == "backward" && n.op == "lt") saved_edge = n.inputs[0] == x.id();
  }
  EXPECT_TRUE(saved_edge);
  expect_gradients_match(op1("MyReLU"), {Tensor::from_values({-1.5, -0.2, 0.3, 2}, {4}, DType::f64)});
}

// --- tracing (lesson 09) -------------------------------------------------------------------------------
// The LESSONS example:  if h2h > w_x: h2h = h2h + mm(w_x, x.t())   with a reduced comparison.
namespace {

std::vector<Traced> cell(const std::vector<Traced>& in) {
  Traced h2h = in[0];
  const Traced& w_x = in[1];
  const Traced& x = in[2];
  if (sum(h2h) > sum(w_x)) h2h = h2h + matmul(w_x, transpose(x));
  return {h2h};
}

Tensor eager(const Tensor& h2h, const Tensor& w_x, const Tensor& x) {
  if (gb::sum(h2h).item() > gb::sum(w_x).item()) return gb::add(h2h, gb::matmul(w_x, x.transpose()));
  return h2h;
}

}  // namespace

TEST(GraphTracer, FreezesTheBranchTakenAtTraceTime) {
  const Tensor w_x = Tensor::full({2, 2}, 0.5), x = Tensor::from_values({1, 2, 3, 4}, {2, 2});
  const Tensor big = Tensor::full({2, 2}, 3), small = Tensor::full({2, 2}, -3);
  const graph::TraceResult taken = graph::trace(cell, {{"h2h", big}, {"w_x", w_x}, {"x", x}});
  const graph::TraceResult skipped = graph::trace(cell, {{"h2h", small}, {"w_x", w_x}, {"x", x}});
  EXPECT_GT(taken.graph.size(), skipped.graph.size());  // the two traces are two different graphs
  ASSERT_EQ(taken.warnings.size(), 1u);
  EXPECT_NE(taken.warnings[0].find("converting a traced value to a bool"), std::string::npos) << taken.warnings[0];
  EXPECT_TRUE(gb::allclose(taken.eager_outputs[0], eager(big, w_x, x)));
  EXPECT_TRUE(gb::allclose(skipped.eager_outputs[0], eager(small, w_x, x)));
  ASSERT_TRUE(taken.graph.find_input("h2h").has_value());
  // Rerun each traced graph on the other input: the frozen branch gives the wrong answer.
  const Tensor frozen_small = graph::run(taken.graph, {{"h2h", small}, {"w_x", w_x}, {"x", x}})[0];
  EXPECT_TRUE(gb::allclose(frozen_small, gb::add(small, gb::matmul(w_x, x.transpose()))));
  EXPECT_FALSE(gb::allclose(frozen_small, eager(small, w_x, x)));
  const Tensor frozen_big = graph::run(skipped.graph, {{"h2h", big}, {"w_x", w_x}, {"x", x}})[0];
  EXPECT_TRUE(gb::allclose(frozen_big, big));
  EXPECT_FALSE(gb::allclose(frozen_big, eager(big, w_x, x)));
  // On the input it was traced with, the graph agrees with eager.
  EXPECT_TRUE(gb::allclose(graph::run(taken.graph, {{"h2h", big}, {"w_x", w_x}, {"x", x}})[0], eager(big, w_x, x)));
}

TEST(GraphTracer, TracesEveryOpAndConstants) {
  const Tensor a = Tensor::from_values({0.5, 1, 1.5}, {3}, DType::f64);
  const graph::TraceResult r = graph::trace(
      [](const std::vector<Traced>& in) {
        const Traced& v = in[0];
        const Traced y = sigmoid(v) * 2.0 + tanh(v) - exp(v) / 3.0 + log(v) + sqrt(v) + sin(v) * cos(v) + relu(-v);
        const Traced z = reshape(mean(pow(v, Traced(Tensor::scalar(2, DType::f64))), {0}, true), {1, 1});
        return std::vector<Traced>{y, z, Traced(Tensor::ones({2}))};
      },
      {{"v", a}});
  EXPECT_EQ(r.graph.outputs().size(), 3u);
  ASSERT_EQ(r.warnings.size(), 1u);  // the constant output
  const std::vector<Tensor> rerun = graph::run(r.graph, {{"v", a}});
  for (std::size_t k = 0; k < 3; ++k) EXPECT_TRUE(gb::allclose(rerun[k], r.eager_outputs[k])) << k;
  EXPECT_NEAR(r.eager_outputs[1].item(), (0.25 + 1 + 2.25) / 3, 1e-12);
  EXPECT_THROW(static_cast<bool>(Traced(Tensor::ones({2}))), gb::Error);  // ambiguous truth value
  EXPECT_TRUE(static_cast<bool>(Traced(Tensor::ones({1}))));              // untraced: no warning needed
}
