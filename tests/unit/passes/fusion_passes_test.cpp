// fusion_passes_test.cpp: the fusion rules of lesson 17 (passes.hpp, fusion_passes*.cpp). For each rule:
// it fires (the log's rows, the live op counts), the outputs after equal those before within 1e-5 on
// random inputs, the folded constants follow the published formula computed here independently, and the
// cases where it must not fire leave the graph computing the same thing with the same ops.
#include "fusion_test_util.hpp"

#include "gb/passes/passes.hpp"

namespace {

using namespace gb_fusion_test;
using gb::passes::Rewrite;

Graph apply(const gb::passes::Pass& pass, const Graph& g, std::vector<Rewrite>& log) { return pass.run(g, log); }

// Runs both graphs on the same feeds and compares every output.
void expect_same_outputs(const Graph& before, const Graph& after, const gb::graph::Feeds& feeds, double rel = 1e-5) {
  const std::vector<Tensor> want = run_graph(before, feeds), got = run_graph(after, feeds);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], rel);
}

// x [2, 3, 6, 6] -> Conv(W [8, 3, 3, 3], b [8], pads 1) -> y [2, 8, 6, 6]; `bias` false: no b.
struct ConvGraph {
  Graph g;
  ValueId x = -1, y = -1;
  Tensor x_value = random({2, 3, 6, 6}, 100), w = random({8, 3, 3, 3}, 101), b = random({8}, 102);
  explicit ConvGraph(bool bias = true, Attributes attrs = {{"pads", Ints{1, 1, 1, 1}}}) {
    register_ops();
    x = g.placeholder("x", {DType::f32, x_value.shape()});
    std::vector<ValueId> in{x, g.constant(w, "W")};
    if (bias) in.push_back(g.constant(b, "B"));
    y = g.add("Conv", in, std::move(attrs), "conv");
  }
  gb::graph::Feeds feeds() const { return {{"x", x_value}}; }
};

// --- conv_bn_folding ---------------------------------------------------------------------------------

struct BatchNormParams {
  Tensor gamma = random({8}, 110, 0.5, 1.5), beta = random({8}, 111), mean = random({8}, 112);
  Tensor var = random({8}, 113, 0.1, 2.0);  // > 0
  double epsilon = 1e-3;
};

ValueId add_batch_norm(ConvGraph& c, const BatchNormParams& p) {
  return c.g.add("BatchNormalization",
                 {c.y, c.g.constant(p.gamma), c.g.constant(p.beta), c.g.constant(p.mean), c.g.constant(p.var)},
                 {{"epsilon", p.epsilon}}, "bn");
}

// W' = W gamma / sqrt(var + eps) and b' = gamma (b - mean) / sqrt(var + eps) + beta, here in double.
void expect_folded(const Graph& after, const ConvGraph& c, const BatchNormParams& p, bool bias) {
  const auto convs = live_nodes(after, "Conv");
  ASSERT_EQ(convs.size(), 1u);
  const Tensor w = constant_of(after, convs[0]->inputs[1]), b = constant_of(after, convs[0]->inputs[2]);
  ASSERT_EQ(w.shape(), c.w.shape());
  for (std::int64_t o = 0; o < 8; ++o) {
    const double inv_std = 1.0 / std::sqrt(p.var.at({o}) + p.epsilon);
    const double want_b = p.gamma.at({o}) * ((bias ? c.b.at({o}) : 0.0) - p.mean.at({o})) * inv_std + p.beta.at({o});
    EXPECT_NEAR(b.at({o}), want_b, 1e-6 * std::max(1.0, std::fabs(want_b))) << "b'[" << o << "]";
    for (std::int64_t i = 0; i < 3; ++i) {
      for (std::int64_t k = 0; k < 9; ++k) {
        const double want_w = c.w.at({o, i, k / 3, k % 3}) * p.gamma.at({o}) * inv_std;
        EXPECT_NEAR(w.at({o, i, k / 3, k % 3}), want_w, 1e-6 * std::max(1.0, std::fabs(want_w)));
      }
    }
  }
}

TEST(ConvBnFolding, FoldsIntoTheWeightsAndBias) {
  for (bool bias : {true, false}) {
    ConvGraph c(bias);
    BatchNormParams p;
    c.g.set_outputs({add_batch_norm(c, p)});
    std::vector<Rewrite> log;
    const Graph after = apply(gb::passes::conv_bn_folding(), c.g, log);
    ASSERT_EQ(rules(log), std::vector<std::string>{"conv_bn_fold"});
    EXPECT_EQ(log[0].before.size(), 2u);  // the Conv and the BatchNormalization
    EXPECT_NE(log[0].detail.find("8 output channels"), std::string::npos) << log[0].detail;
    EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
    expect_folded(after, c, p, bias);
    expect_same_outputs(c.g, after, c.feeds());
    EXPECT_EQ(after.value(after.outputs()[0]).name, c.g.value(c.g.outputs()[0]).name);
  }
}

TEST(ConvBnFolding, ConvOutputReadTwiceIsNotFolded) {
  ConvGraph c;
  c.g.set_outputs({add_batch_norm(c, BatchNormParams{}), c.g.add("Relu", {c.y})});
  std::vector<Rewrite> log;
  const Graph after = apply(gb::passes::conv_bn_folding(), c.g, log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"BatchNormalization", 1}, {"Conv", 1}, {"Relu", 1}}));
  expect_same_outputs(c.g, after, c.feeds());
}

TEST(ConvBnFolding, NonConstantParametersAreKept) {
  ConvGraph c;
  const BatchNormParams p;
  const ValueId gamma = c.g.placeholder("gamma", {DType::f32, {8}});
  c.g.set_outputs({c.g.add("BatchNormalization",
                           {c.y, gamma, c.g.constant(p.beta), c.g.constant(p.mean), c.g.constant(p.var)})});
  std::vector<Rewrite> log;
  const Graph after = apply(gb::passes::conv_bn_folding(), c.g, log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(live_ops(after).at("BatchNormalization"), 1);
  gb::graph::Feeds feeds = c.feeds();
  feeds["gamma"] = p.gamma;
  expect_same_outputs(c.g, after, feeds);
}

// --- conv_add_fusion ---------------------------------------------------------------------------------

TEST(ConvAddFusion, PerChannelConstantBecomesTheBias) {
  for (const Shape& shape : {Shape{1, 8, 1, 1}, Shape{8, 1, 1}, Shape{1}}) {
    for (bool bias : {true, false}) {
      ConvGraph c(bias);
      const Tensor add = random(shape, 120);
      c.g.set_outputs({c.g.add("Add", {c.g.constant(add), c.y})});  // the constant first: Add commutes
      std::vector<Rewrite> log;
      const Graph after = apply(gb::passes::conv_add_fusion(), c.g, log);
      ASSERT_EQ(rules(log), std::vector<std::string>{"conv_add_bias"}) << gb::shape_str(shape);
      EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Conv", 1}}));
      const Tensor b = constant_of(after, live_nodes(after, "Conv")[0]->inputs[2]);
      for (std::int64_t o = 0; o < 8; ++o) {
        const double want = (bias ? c.b.at({o}) : 0.0) + add.to_vector()[shape[0] == 1 && shape.size() == 1 ? 0 : o];
        EXPECT_NEAR(b.at({o}), want, 1e-6);
      }
      expect_same_outputs(c.g, after, c.feeds());
    }
  }
}

TEST(ConvAddFusion, ResidualTensorBecomesFusedConvZ) {
  ConvGraph c(false);
  const ValueId z = c.g.placeholder("z", {DType::f32, {2, 8, 6, 6}});
  c.g.set_outputs({c.g.add("Add", {c.y, z})});
  std::vector<Rewrite> log;
  const Graph after = apply(gb::passes::conv_add_fusion(), c.g, log);
  ASSERT_EQ(rules(log), std::vector<std::string>{"conv_add_residual"});
  EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"FusedConv", 1}}));
  const auto fused = live_nodes(after, "FusedConv");
  EXPECT_EQ(fused[0]->inputs.size(), 4u);
  EXPECT_EQ(fused[0]->attr_string("activation"), "");
  gb::graph::Feeds feeds = c.feeds();
  feeds["z"] = random({2, 8, 6, 6}, 121);
  expect_same_outputs(c.g, after, feeds);
}

// Constants that broadcast but are not one number per channel, and a Conv read twice: the Add stays.
TEST(ConvAddFusion, NotPerChannelOrSharedConvIsKept) {
  for (const Shape& shape : {Shape{6}, Shape{1, 1, 6, 6}, Shape{8, 6, 1}}) {
    ConvGraph c;
    c.g.set_outputs({c.g.add("Add", {c.y, c.g.constant(random(shape, 122))})});
    std::vector<Rewrite> log;
    const Graph after = apply(gb::passes::conv_add_fusion(), c.g, log);
    EXPECT_TRUE(log.empty()) << gb::shape_str(shape);
    EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Add", 1}, {"Conv", 1}}));
    expect_same_outputs(c.g, after, c.feeds());
  }
  ConvGraph c;
  c.g.set_outputs({c.g.add("Add", {c.y, c.g.constant(random({1, 8, 1, 1}, 123))}), c.y});
  std::vector<Rewrite> log;
  apply(gb::passes::conv_add_fusion(), c.g, log);
  EXPECT_TRUE(log.empty());
}

// --- conv_relu_fusion --------------------------------------------------------------------------------

TEST(ConvReluFusion, ReluJoinsTheConvolution) {
  for (bool bias : {true, false}) {
    ConvGraph c(bias, {{"pads", Ints{0, 1, 2, 1}}, {"strides", Ints{2, 1}}});
    c.g.set_outputs({c.g.add("Relu", {c.y})});
    std::vector<Rewrite> log;
    const Graph after = apply(gb::passes::conv_relu_fusion(), c.g, log);
    ASSERT_EQ(rules(log), std::vector<std::string>{"conv_relu"});
    EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"FusedConv", 1}}));
    EXPECT_EQ(live_nodes(after, "FusedConv")[0]->attr_string("activation"), "Relu");
    expect_same_outputs(c.g, after, c.feeds());
  }
}

// Conv -> Add(z) -> Relu through the pass manager: conv_add_fusion makes a FusedConv with Z, then
// conv_relu_fusion gives it the activation: one op left.
TEST(ConvReluFusion, ResidualBlockBecomesOneFusedConv) {
  ConvGraph c;
  const ValueId z = c.g.placeholder("z", {DType::f32, {2, 8, 6, 6}});
  c.g.set_outputs({c.g.add("Relu", {c.g.add("Add", {z, c.y})})});
  gb::passes::PassManager pm;
  pm.add(gb::passes::conv_add_fusion()).add(gb::passes::conv_relu_fusion());
  const Graph after = pm.run(c.g);
  EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"FusedConv", 1}}));
  const auto fused = live_nodes(after, "FusedConv");
  EXPECT_EQ(fused[0]->inputs.size(), 4u);
  EXPECT_EQ(fused[0]->attr_string("activation"), "Relu");
  const std::string text = pm.log_text();
  EXPECT_NE(text.find("[conv_add_fusion] conv_add_residual"), std::string::npos) << text;
  EXPECT_NE(text.find("[conv_relu_fusion] conv_relu"), std::string::npos) << text;
  gb::graph::Feeds feeds = c.feeds();
  feeds["z"] = random({2, 8, 6, 6}, 130);
  expect_same_outputs(c.g, after, feeds);
}

TEST(ConvReluFusion, SamePaddingOrSharedConvIsKept) {
  ConvGraph same(true, {{"auto_pad", std::string("SAME_UPPER")}});
  same.g.set_outputs({same.g.add("Relu", {same.y})});
  std::vector<Rewrite> log;
  Graph after = apply(gb::passes::conv_relu_fusion(), same.g, log);
  EXPECT_TRUE(log.empty());
  expect_same_outputs(same.g, after, same.feeds());

  ConvGraph shared;
  shared.g.set_outputs({shared.g.add("Relu", {shared.y}), shared.g.add("Sigmoid", {shared.y})});
  after = apply(gb::passes::conv_relu_fusion(), shared.g, log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(live_ops(after).at("Relu"), 1);
}

// --- matmul_add_to_gemm ------------------------------------------------------------------------------

struct MatMulGraph {
  Graph g;
  ValueId a = -1, product = -1;
  Tensor a_value, b = random({16, 10}, 141);
  explicit MatMulGraph(const Shape& a_shape = {4, 16}) : a_value(random(a_shape, 140)) {
    register_ops();
    a = g.placeholder("a", {DType::f32, a_shape});
    product = g.add("MatMul", {a, g.constant(b, "B")}, {}, "matmul");
  }
};

TEST(MatMulAddToGemm, BiasBroadcastToTheProduct) {
  for (const Shape& shape : {Shape{10}, Shape{1, 10}, Shape{4, 1}, Shape{4, 10}}) {
    MatMulGraph m;
    m.g.set_outputs({m.g.add("Add", {m.g.constant(random(shape, 142)), m.product})});
    std::vector<Rewrite> log;
    const Graph after = apply(gb::passes::matmul_add_to_gemm(), m.g, log);
    ASSERT_EQ(rules(log), std::vector<std::string>{"matmul_add_gemm"}) << gb::shape_str(shape);
    EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
    expect_same_outputs(m.g, after, {{"a", m.a_value}});
  }
  // A non-constant C is fine too.
  MatMulGraph m;
  m.g.set_outputs({m.g.add("Add", {m.product, m.g.placeholder("c", {DType::f32, {4, 10}})})});
  std::vector<Rewrite> log;
  const Graph after = apply(gb::passes::matmul_add_to_gemm(), m.g, log);
  EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
  expect_same_outputs(m.g, after, {{"a", m.a_value}, {"c", random({4, 10}, 143)}});
}

TEST(MatMulAddToGemm, BatchedOrNonConstantWeightIsKept) {
  MatMulGraph batched({2, 4, 16});  // 3-D a: a batch of GEMMs, not one Gemm
  batched.g.set_outputs({batched.g.add("Add", {batched.product, batched.g.constant(random({10}, 144))})});
  std::vector<Rewrite> log;
  Graph after = apply(gb::passes::matmul_add_to_gemm(), batched.g, log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Add", 1}, {"MatMul", 1}}));
  expect_same_outputs(batched.g, after, {{"a", batched.a_value}});

  Graph g;
  const ValueId a = g.placeholder("a", {DType::f32, {4, 16}}), b = g.placeholder("b", {DType::f32, {16, 10}});
  g.set_outputs({g.add("Add", {g.add("MatMul", {a, b}), g.constant(random({10}, 145))})});
  apply(gb::passes::matmul_add_to_gemm(), g, log);
  EXPECT_TRUE(log.empty());

  MatMulGraph wider;  // C [2, 4, 10] would make the result larger than the product
  wider.g.set_outputs({wider.g.add("Add", {wider.product, wider.g.constant(random({2, 4, 10}, 146))})});
  apply(gb::passes::matmul_add_to_gemm(), wider.g, log);
  EXPECT_TRUE(log.empty());
}

// --- linear_to_conv1x1 -------------------------------------------------------------------------------

TEST(LinearToConv1x1, GemmBecomesReshapeConvReshape) {
  for (bool trans_b : {false, true}) {
    register_ops();
    Graph g;
    const ValueId x = g.placeholder("x", {DType::f32, {3, 16}});
    const Tensor w = random(trans_b ? Shape{10, 16} : Shape{16, 10}, 150);
    g.set_outputs({g.add("Gemm", {x, g.constant(w), g.constant(random(trans_b ? Shape{1, 10} : Shape{10}, 151))},
                         {{"transB", std::int64_t{trans_b ? 1 : 0}}, {"alpha", 0.5}, {"beta", 2.0}}, "fc")});
    std::vector<Rewrite> log;
    const gb::passes::Pass pass = gb::passes::linear_to_conv1x1();
    EXPECT_EQ(pass.stage, "replacement");
    const Graph after = apply(pass, g, log);
    ASSERT_EQ(rules(log), std::vector<std::string>{"linear_to_conv1x1"});
    EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Conv", 1}, {"Reshape", 2}}));
    const auto conv = live_nodes(after, "Conv");
    EXPECT_EQ(after.value(conv[0]->inputs[1]).info.shape, (Shape{10, 16, 1, 1}));
    EXPECT_EQ(after.value(after.outputs()[0]).info.shape, (Shape{3, 10}));
    expect_same_outputs(g, after, {{"x", random({3, 16}, 152)}});
  }
}

TEST(LinearToConv1x1, BiasVaryingPerRowIsKept) {
  register_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {3, 16}});
  g.set_outputs({g.add("Gemm", {x, g.constant(random({16, 10}, 153)), g.constant(random({3, 10}, 154))})});
  std::vector<Rewrite> log;
  const Graph after = apply(gb::passes::linear_to_conv1x1(), g, log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(live_ops(after), (std::map<std::string, int>{{"Gemm", 1}}));
}

TEST(FusionPasses, NamesAndStages) {
  EXPECT_EQ(gb::passes::conv_bn_folding().name, "conv_bn_folding");
  EXPECT_EQ(gb::passes::conv_add_fusion().name, "conv_add_fusion");
  EXPECT_EQ(gb::passes::conv_relu_fusion().name, "conv_relu_fusion");
  EXPECT_EQ(gb::passes::matmul_add_to_gemm().name, "matmul_add_to_gemm");
  EXPECT_EQ(gb::passes::linear_to_conv1x1().name, "linear_to_conv1x1");
  for (const auto& pass : {gb::passes::conv_bn_folding(), gb::passes::conv_add_fusion(), gb::passes::conv_relu_fusion(),
                           gb::passes::matmul_add_to_gemm()}) {
    EXPECT_EQ(pass.stage, "fusion");
    EXPECT_FALSE(pass.doc.empty());
  }
}

}  // namespace
