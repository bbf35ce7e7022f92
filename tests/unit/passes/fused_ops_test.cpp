// fused_ops_test.cpp: the ops the fusion and layout passes emit (fused_ops.hpp): FusedConv and
// ConvNC4HW4 against PyTorch (torch.nn.functional.conv2d, padding, strides, dilations, C and M not
// multiples of 4), FusedConv 1-D against ONNX Conv + Relu, LayoutConvert round trips, the elementwise
// NC4HW4 ops against their NCHW meaning, and the errors a student gets for bad attributes or shapes.
#include "fusion_test_util.hpp"

#include "gb/core/error.hpp"
#include "gb/graph/registry.hpp"
#include "gb/kernels/layout.hpp"

namespace {

using namespace gb_fusion_test;
namespace kn = gb::kernels;

Tensor to_nc4hw4(const Tensor& x) { return kn::to_layout(x, kn::Layout::nchw(), kn::Layout::nc4hw4()); }
Tensor to_nchw(const Tensor& x, std::int64_t channels) {
  return kn::to_layout(x, kn::Layout::nc4hw4(), kn::Layout::nchw(), channels);
}

// One node `op` reading placeholders "x" (and "z" when z is defined) and constants W, B.
Tensor run_conv_op(const std::string& op, const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& z,
                   Attributes attrs) {
  register_ops();
  Graph g;
  std::vector<ValueId> in{g.placeholder("x", {DType::f32, x.shape()}), g.constant(w), g.constant(b)};
  gb::graph::Feeds feeds{{"x", x}};
  if (z.defined()) {
    in.push_back(g.placeholder("z", {DType::f32, z.shape()}));
    feeds["z"] = z;
  }
  g.set_outputs({g.add(op, in, std::move(attrs))});
  return run_graph(g, feeds)[0];
}

TEST(FusedOps, RegisteredOnceUnderTheirNames) {
  gb::passes::register_fused_ops();
  gb::passes::register_fused_ops();  // idempotent
  for (const char* op : {"FusedConv", "LayoutConvert", "ConvNC4HW4", "ReluNC4HW4", "AddNC4HW4"}) {
    EXPECT_TRUE(gb::graph::has_op(op)) << op;
  }
}

// FusedConv = relu(conv2d(pad(x), w, b, stride, dilation) + z): asymmetric pads, strides (2, 1),
// dilations (2, 1), C = 6 and M = 5.
TEST(FusedOps, FusedConvWithResidualAndReluMatchesPyTorch) {
  const Tensor x = random({2, 6, 9, 8}, 1), w = random({5, 6, 3, 3}, 2), b = random({5}, 3);
  const Tensor z = random({2, 5, 4, 7}, 4);  // H: (9 + 1 + 2 - 5) / 2 + 1 = 4, W: (8 + 0 + 1 - 3) + 1 = 7
  const Tensor y = run_conv_op("FusedConv", x, w, b, z,
                               {{"pads", Ints{1, 0, 2, 1}}, {"strides", Ints{2, 1}}, {"dilations", Ints{2, 1}},
                                {"activation", std::string("Relu")}});
  const Tensor want = torch_eval(
      "xp = F.pad(t[0], (0, 1, 1, 2))\n"  // (left, right, top, bottom)
      "y = F.relu(F.conv2d(xp, t[1], t[2], stride=(2, 1), dilation=(2, 1)) + t[3])",
      {x, w, b, z});
  expect_close(y, want);
  const std::vector<double> values = y.to_vector();
  EXPECT_EQ(*std::min_element(values.begin(), values.end()), 0.0);  // the Relu clipped some
}

TEST(FusedOps, FusedConvGroupedWithoutActivationMatchesPyTorch) {
  const Tensor x = random({1, 6, 7, 7}, 5), w = random({4, 3, 3, 3}, 6), b = random({4}, 7);
  const Tensor y = run_conv_op("FusedConv", x, w, b, Tensor(),
                               {{"pads", Ints{1, 1, 1, 1}}, {"group", std::int64_t{2}}, {"kernel_shape", Ints{3, 3}}});
  expect_close(y, torch_eval("y = F.conv2d(t[0], t[1], t[2], padding=1, groups=2)", {x, w, b}));
}

// A 1-D FusedConv equals ONNX Conv followed by Add and Relu (lib/convert's ops, checked against the
// ONNX test vectors in their own tests).
TEST(FusedOps, FusedConvOneDimensionalEqualsConvAddRelu) {
  register_ops();
  const Tensor x = random({2, 3, 10}, 8), w = random({4, 3, 3}, 9), b = random({4}, 10), z = random({2, 4, 5}, 11);
  const Attributes conv{{"pads", Ints{1, 0}}, {"strides", Ints{2}}};
  Attributes fused = conv;
  fused["activation"] = std::string("Relu");
  const Tensor y = run_conv_op("FusedConv", x, w, b, z, fused);

  Graph g;
  const ValueId xv = g.placeholder("x", {DType::f32, x.shape()}), zv = g.placeholder("z", {DType::f32, z.shape()});
  const ValueId c = g.add("Conv", {xv, g.constant(w), g.constant(b)}, conv);
  g.set_outputs({g.add("Relu", {g.add("Add", {c, zv})})});
  expect_close(y, run_graph(g, {{"x", x}, {"z", z}})[0]);
}

// ConvNC4HW4 reads and writes NC4HW4; C = 6 and M = 7 leave padding channels in both. The output,
// converted back, is PyTorch's; its padding channel is 0.
TEST(FusedOps, ConvNC4HW4MatchesPyTorch) {
  const Tensor x = random({2, 6, 7, 9}, 12), w = random({7, 6, 3, 2}, 13), b = random({7}, 14);
  // pads [top 2, left 1, bottom 0, right 1]: H (7 + 2 + 0 - 3) / 1 + 1 = 7, W (9 + 1 + 1 - 3) / 2 + 1 = 5
  const Tensor z = random({2, 7, 7, 5}, 15);
  const Attributes attrs{{"pads", Ints{2, 1, 0, 1}}, {"strides", Ints{1, 2}}, {"dilations", Ints{1, 2}},
                         {"activation", std::string("Relu")}};
  const Tensor y4 = run_conv_op("ConvNC4HW4", to_nc4hw4(x), w, b, to_nc4hw4(z), attrs);
  ASSERT_EQ(y4.shape(), (Shape{2, 2, 7, 5, 4}));
  const Tensor want = torch_eval(
      "xp = F.pad(t[0], (1, 1, 2, 0))\n"
      "y = F.relu(F.conv2d(xp, t[1], t[2], stride=(1, 2), dilation=(1, 2)) + t[3])",
      {x, w, b, z});
  expect_close(to_nchw(y4, 7), want);
  for (std::int64_t n = 0; n < 2; ++n) {
    for (std::int64_t h = 0; h < 7; ++h) {
      for (std::int64_t x_ = 0; x_ < 5; ++x_) EXPECT_EQ(y4.at({n, 1, h, x_, 3}), 0.0);  // channel 7: padding
    }
  }
}

// The same ConvNC4HW4 against FusedConv on a table of shapes (FusedConv is PyTorch's above).
TEST(FusedOps, ConvNC4HW4EqualsFusedConvOnATableOfShapes) {
  struct Case {
    Shape x, w;
    Ints pads, strides, dilations;
  };
  const std::vector<Case> cases{
      {{1, 4, 6, 6}, {4, 4, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
      {{2, 3, 5, 8}, {9, 3, 1, 1}, {0, 0, 0, 0}, {1, 1}, {1, 1}},
      {{1, 8, 9, 9}, {5, 8, 5, 5}, {2, 2, 2, 2}, {2, 2}, {1, 1}},
      {{1, 1, 6, 7}, {2, 1, 3, 3}, {0, 1, 2, 0}, {1, 3}, {2, 1}},
  };
  std::uint64_t seed = 20;
  for (const Case& c : cases) {
    const Tensor x = random(c.x, seed++), w = random(c.w, seed++), b = random({c.w[0]}, seed++);
    const Attributes attrs{{"pads", c.pads}, {"strides", c.strides}, {"dilations", c.dilations}};
    const Tensor want = run_conv_op("FusedConv", x, w, b, Tensor(), attrs);
    expect_close(to_nchw(run_conv_op("ConvNC4HW4", to_nc4hw4(x), w, b, Tensor(), attrs), c.w[0]), want);
  }
}

TEST(FusedOps, LayoutConvertRoundTripAndShapes) {
  register_ops();
  const Tensor x = random({2, 6, 3, 5}, 30);
  Graph g;
  const ValueId xv = g.placeholder("x", {DType::f32, {-1, 6, 3, 5}});
  const ValueId blocked = g.add("LayoutConvert", {xv}, {{"from", std::string("NCHW")}, {"to", std::string("NC4HW4")}});
  EXPECT_EQ(g.value(blocked).info.shape, (Shape{-1, 2, 3, 5, 4}));
  const ValueId back = g.add("LayoutConvert", {blocked},
                             {{"from", std::string("NC4HW4")}, {"to", std::string("NCHW")}, {"channels", std::int64_t{6}}});
  EXPECT_EQ(g.value(back).info.shape, (Shape{-1, 6, 3, 5}));
  g.set_outputs({blocked, back});
  const std::vector<Tensor> out = run_graph(g, {{"x", x}});
  EXPECT_EQ(out[1].to_vector(), x.to_vector());
  // Element (n, c, h, w) at [n, c / 4, h, w, c % 4]; channels 6 and 7 are zero padding.
  EXPECT_EQ(out[0].at({1, 1, 2, 4, 1}), x.at({1, 5, 2, 4}));
  EXPECT_EQ(out[0].at({1, 1, 2, 4, 2}), 0.0);

  // Wrong channel count for the blocks, a layout it does not convert, a missing channels attribute.
  EXPECT_THROW(g.add("LayoutConvert", {blocked}, {{"from", std::string("NC4HW4")}, {"to", std::string("NCHW")}, {"channels", std::int64_t{9}}}),
               gb::Error);
  EXPECT_THROW(g.add("LayoutConvert", {xv}, {{"from", std::string("NCHW")}, {"to", std::string("NHWC")}}), gb::Error);
  EXPECT_THROW(g.add("LayoutConvert", {blocked}, {{"from", std::string("NC4HW4")}, {"to", std::string("NCHW")}}), gb::Error);
}

TEST(FusedOps, ReluAndAddNC4HW4AreTheirNCHWOpsAndKeepThePaddingZero) {
  register_ops();
  const Tensor a = random({1, 5, 4, 3}, 31), b = random({1, 5, 4, 3}, 32);
  Graph g;
  const ValueId av = g.placeholder("a", {DType::f32, {1, 2, 4, 3, 4}}), bv = g.placeholder("b", {DType::f32, {1, 2, 4, 3, 4}});
  g.set_outputs({g.add("ReluNC4HW4", {av}), g.add("AddNC4HW4", {av, bv})});
  const std::vector<Tensor> out = run_graph(g, {{"a", to_nc4hw4(a)}, {"b", to_nc4hw4(b)}});

  Graph ref;
  const ValueId ar = ref.placeholder("a", {DType::f32, a.shape()}), br = ref.placeholder("b", {DType::f32, b.shape()});
  ref.set_outputs({ref.add("Relu", {ar}), ref.add("Add", {ar, br})});
  const std::vector<Tensor> want = run_graph(ref, {{"a", a}, {"b", b}});
  EXPECT_EQ(to_nchw(out[0], 5).to_vector(), want[0].to_vector());
  EXPECT_EQ(to_nchw(out[1], 5).to_vector(), want[1].to_vector());
  for (const Tensor& t : out) {
    for (std::int64_t c = 1; c < 4; ++c) EXPECT_EQ(t.at({0, 1, 2, 1, c}), 0.0);  // channels 5..7
  }
  const ValueId other = g.placeholder("c", {DType::f32, {1, 2, 4, 4, 4}});
  EXPECT_THROW(g.add("AddNC4HW4", {av, other}), gb::Error);                          // shapes differ
  EXPECT_THROW(g.add("ReluNC4HW4", {g.placeholder("d", {DType::f32, {1, 5, 4, 3}})}), gb::Error);  // NCHW
}

TEST(FusedOps, BadAttributesAndShapesAreErrors) {
  register_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {1, 6, 8, 8}});
  const ValueId w = g.constant(random({4, 6, 3, 3}, 40)), b = g.constant(random({4}, 41));
  EXPECT_THROW(g.add("FusedConv", {x, w, b}, {{"auto_pad", std::string("SAME_UPPER")}}), gb::Error);
  EXPECT_THROW(g.add("FusedConv", {x, w, b}, {{"activation", std::string("Sigmoid")}}), gb::Error);
  EXPECT_THROW(g.add("FusedConv", {x, w, b}, {{"kernel_shape", Ints{5, 5}}}), gb::Error);
  EXPECT_THROW(g.add("FusedConv", {x, w, g.constant(random({5}, 42))}), gb::Error);          // B [5] for M = 4
  EXPECT_THROW(g.add("FusedConv", {x, w, b, g.placeholder("z", {DType::f32, {1, 4, 8, 8}})}), gb::Error);  // Z: output is 6x6
  EXPECT_THROW(g.add("FusedConv", {x, w}), gb::Error);                                        // B is required
  EXPECT_THROW(g.add("FusedConv", {x, w, b}, {{"pads", Ints{1, 1}}}), gb::Error);             // 4 entries
  const ValueId valid = g.add("FusedConv", {x, w, b}, {{"auto_pad", std::string("VALID")}, {"pads", Ints{9, 9, 9, 9}}});
  EXPECT_EQ(g.value(valid).info.shape, (Shape{1, 4, 6, 6}));  // VALID ignores pads

  const ValueId x4 = g.placeholder("x4", {DType::f32, {1, 2, 8, 8, 4}});
  EXPECT_THROW(g.add("ConvNC4HW4", {x4, g.constant(random({4, 3, 3, 3}, 43)), b}, {{"group", std::int64_t{2}}}), gb::Error);
  EXPECT_THROW(g.add("ConvNC4HW4", {x4, g.constant(random({4, 9, 3, 3}, 44)), b}), gb::Error);  // 3 blocks for C = 9
  EXPECT_EQ(g.value(g.add("ConvNC4HW4", {x4, w, b})).info.shape, (Shape{1, 1, 6, 6, 4}));
}

}  // namespace
