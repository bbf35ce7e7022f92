// layout_pass_test.cpp: NC4HW4 regions (layout_pass.hpp). The number of LayoutConvert nodes is the
// lesson's point: one per value entering a region and one per value read outside it, none inside, so
// a chain of any length pays two conversions. Every graph computes the same outputs after the pass
// (within 1e-5), with C = 6 leaving padding channels in every NC4HW4 tensor.
#include "fusion_test_util.hpp"

#include "gb/passes/layout_pass.hpp"
#include "gb/passes/passes.hpp"

namespace {

using namespace gb_fusion_test;
using gb::passes::Rewrite;

struct Net {
  Graph g;
  ValueId x = -1;
  Tensor x_value = random({1, 6, 10, 10}, 200);
  std::uint64_t seed = 201;
  Net() {
    register_ops();
    x = g.placeholder("x", {DType::f32, x_value.shape()});
  }
  ValueId conv(ValueId in, std::int64_t filters, std::int64_t group = 1, bool bias = true) {
    const std::int64_t channels = g.value(in).info.shape[1];
    std::vector<ValueId> ins{in, g.constant(random({filters, channels / group, 3, 3}, seed++))};
    if (bias) ins.push_back(g.constant(random({filters}, seed++)));
    return g.add("Conv", ins, {{"pads", Ints{1, 1, 1, 1}}, {"group", group}}, "conv");
  }
  ValueId relu(ValueId in) { return g.add("Relu", {in}); }
};

struct Result {
  Graph after;
  std::vector<Rewrite> log;
  std::map<std::string, int> ops;
};

Result layout(const Graph& g, const gb::graph::Feeds& feeds) {
  Result r;
  r.after = gb::passes::nc4hw4_layout().run(g, r.log);
  r.ops = live_ops(r.after);
  const std::vector<Tensor> want = run_graph(g, feeds), got = run_graph(r.after, feeds);
  EXPECT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) expect_close(got[i], want[i]);
  return r;
}

// The directions of the live conversions: how many NCHW -> NC4HW4 and NC4HW4 -> NCHW.
std::pair<int, int> conversions(const Graph& g) {
  int in = 0, out = 0;
  for (const auto* n : live_nodes(g, "LayoutConvert")) (n->attr_string("to") == "NC4HW4" ? in : out)++;
  return {in, out};
}

TEST(Nc4hw4Layout, ResidualChainHasOneConversionAtEachEnd) {
  Net net;
  const ValueId h = net.conv(net.relu(net.conv(net.x, 6)), 6, 1, false);
  net.g.set_outputs({net.relu(net.g.add("Add", {h, net.x}))});
  const Result r = layout(net.g, {{"x", net.x_value}});
  EXPECT_EQ(r.ops, (std::map<std::string, int>{
                       {"AddNC4HW4", 1}, {"ConvNC4HW4", 2}, {"LayoutConvert", 2}, {"ReluNC4HW4", 2}}));
  EXPECT_EQ(conversions(r.after), std::make_pair(1, 1));
  ASSERT_EQ(r.log.size(), 1u);
  EXPECT_EQ(r.log[0].rule, "nc4hw4_region");
  EXPECT_EQ(r.log[0].before.size(), 5u);
  EXPECT_NE(r.log[0].detail.find("1 conversion NCHW -> NC4HW4, 1 NC4HW4 -> NCHW"), std::string::npos) << r.log[0].detail;
  EXPECT_EQ(gb::passes::nc4hw4_layout().stage, "layout");
  // The graph keeps its signature: input and output names.
  EXPECT_EQ(r.after.value(r.after.outputs()[0]).name, net.g.value(net.g.outputs()[0]).name);
  EXPECT_EQ(r.after.value(r.after.inputs()[0]).name, "x");
}

// A region value read outside (by a Sigmoid) goes back to NCHW once for that reader, and the region's
// result once for the graph output: three conversions.
TEST(Nc4hw4Layout, BranchReadOutsideTheRegionIsConvertedBack) {
  Net net;
  const ValueId r1 = net.relu(net.conv(net.x, 6));
  net.g.set_outputs({net.conv(r1, 7), net.g.add("Sigmoid", {r1}), net.g.add("Tanh", {r1})});
  const Result r = layout(net.g, {{"x", net.x_value}});
  EXPECT_EQ(conversions(r.after), std::make_pair(1, 2));
  EXPECT_EQ(r.ops.at("ConvNC4HW4"), 2);
  EXPECT_EQ(r.ops.at("Sigmoid"), 1);
}

// A region value that is a graph output and read inside: one conversion out, and the region goes on.
TEST(Nc4hw4Layout, GraphOutputInsideTheRegion) {
  Net net;
  const ValueId c1 = net.conv(net.x, 6);
  net.g.set_outputs({c1, net.conv(net.relu(c1), 5)});
  const Result r = layout(net.g, {{"x", net.x_value}});
  EXPECT_EQ(conversions(r.after), std::make_pair(1, 2));
  EXPECT_EQ(r.ops.at("ReluNC4HW4"), 1);
}

// A grouped convolution stays an NCHW Conv outside the region; the region starts after it.
TEST(Nc4hw4Layout, GroupedConvStaysOutside) {
  Net net;
  net.g.set_outputs({net.conv(net.relu(net.conv(net.x, 6, 2)), 5)});
  const Result r = layout(net.g, {{"x", net.x_value}});
  EXPECT_EQ(r.ops, (std::map<std::string, int>{{"Conv", 1}, {"ConvNC4HW4", 1}, {"LayoutConvert", 2}, {"ReluNC4HW4", 1}}));
  EXPECT_EQ(live_nodes(r.after, "Conv")[0]->attr_int("group"), 2);
}

// Relu and Add alone are not worth two conversions: no region without a convolution.
TEST(Nc4hw4Layout, NoConvolutionNoRegion) {
  Net net;
  net.g.set_outputs({net.g.add("Add", {net.relu(net.x), net.x})});
  const Result r = layout(net.g, {{"x", net.x_value}});
  EXPECT_TRUE(r.log.empty());
  EXPECT_EQ(r.ops, (std::map<std::string, int>{{"Add", 1}, {"Relu", 1}}));
}

// After the fusion passes the residual block is two FusedConvs with Relu, the second with Z = x: two
// ConvNC4HW4, the block input converted once and read twice (X of the first, Z of the second).
TEST(Nc4hw4Layout, FusedResidualBlock) {
  Net net;
  const ValueId h = net.conv(net.relu(net.conv(net.x, 6)), 6);
  net.g.set_outputs({net.relu(net.g.add("Add", {h, net.x}))});
  gb::passes::PassManager pm;
  pm.add(gb::passes::conv_add_fusion()).add(gb::passes::conv_relu_fusion()).add(gb::passes::nc4hw4_layout());
  const Graph after = pm.run(net.g);
  const std::map<std::string, int> ops = live_ops(after);
  EXPECT_EQ(ops, (std::map<std::string, int>{{"ConvNC4HW4", 2}, {"LayoutConvert", 2}}));
  for (const auto* n : live_nodes(after, "ConvNC4HW4")) EXPECT_EQ(n->attr_string("activation"), "Relu");
  expect_close(run_graph(after, {{"x", net.x_value}})[0], run_graph(net.g, {{"x", net.x_value}})[0]);
}

}  // namespace
