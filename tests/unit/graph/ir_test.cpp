// ir_test.cpp: the IR (graph.hpp): stable ids, listing, DOT, topological order, shape inference and
// its errors, attributes, the registry.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "gb/core.hpp"
#include "gb/graph/graph.hpp"
#include "gb/graph/registry.hpp"

namespace graph = gb::graph;
using gb::DType;
using gb::Tensor;

namespace {

// Expects gb::Error whose message contains `text`.
template <class F> void expect_error(F f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected gb::Error containing: " << text;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(GraphIr, IdsAreStableAndListingReadable) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f32, {2, 3}});
  const graph::ValueId w = g.constant(Tensor::ones({3, 4}), "w");
  const graph::ValueId y = g.add("matmul", {x, w});
  const graph::ValueId z = g.add("relu", {y}, {}, "act");
  g.set_outputs({z});
  EXPECT_EQ(x, 0);
  EXPECT_EQ(w, 1);
  EXPECT_EQ(y, 2);
  EXPECT_EQ(z, 3);
  EXPECT_EQ(g.size(), 4u);
  EXPECT_EQ(g.node(2).op, "matmul");
  EXPECT_EQ(g.node(3).name, "act");
  EXPECT_EQ(g.value(z).producer, 3);
  EXPECT_EQ(graph::info_str(g.value(z).info), "f32[2, 4]");
  EXPECT_EQ(g.inputs(), std::vector<graph::ValueId>{0});
  EXPECT_EQ(g.find_input("x"), std::optional<graph::ValueId>(0));
  EXPECT_FALSE(g.find_input("nope").has_value());
  EXPECT_EQ(g.consumers(y), std::vector<graph::NodeId>{3});
  const std::string listing = g.str();
  EXPECT_NE(listing.find("v2 = matmul(v0, v1)  # f32[2, 4]"), std::string::npos) << listing;
  EXPECT_NE(listing.find("outputs: v3"), std::string::npos) << listing;
  expect_error([&] { g.node(17); }, "node id");
  expect_error([&] { g.value(-1); }, "value id");
}

TEST(GraphIr, SameConstructionGivesSameDot) {
  auto make = [] {
    graph::Graph g;
    const graph::ValueId a = g.placeholder("a", {DType::f64, {3}});
    const graph::ValueId b = g.add("exp", {a});
    g.set_outputs({g.add("add", {a, b})});
    return graph::to_dot(g);
  };
  const std::string dot = make();
  EXPECT_EQ(dot, make());
  EXPECT_NE(dot.find("\"n0\" -> \"n2\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("digraph"), std::string::npos);
}

TEST(GraphIr, DotDrawsSubgraphAttributesAsClusters) {
  auto body = std::make_shared<graph::Graph>();
  const graph::ValueId x = body->placeholder("x", {DType::f64, {}});
  body->set_outputs({body->add("neg", {x})});
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f64, {}});
  g.add("identity", {a}, {{"body", graph::GraphPtr(body)}});
  const std::string dot = graph::to_dot(g);
  EXPECT_NE(dot.find("subgraph \"cluster_n1_body_\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("\"n1_body_n1\""), std::string::npos) << dot;
}

TEST(GraphIr, TopologicalOrderIsKahnLowestIdFirst) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f32, {2}});
  const graph::ValueId b = g.placeholder("b", {DType::f32, {2}});
  const graph::ValueId c = g.add("mul", {a, b});
  const graph::ValueId unused = g.add("exp", {a});
  const graph::ValueId d = g.add("add", {c, c});
  g.set_outputs({d});
  EXPECT_EQ(g.topological_order(), (std::vector<graph::NodeId>{0, 1, 2, 3, 4}));
  EXPECT_EQ(g.topological_order(/*only_needed=*/true), (std::vector<graph::NodeId>{0, 1, 2, 4}));
  (void)unused;
}

TEST(GraphIr, TopologicalOrderPutsEveryNodeAfterItsInputs) {
  gb::Rng rng(3);
  graph::Graph g;
  std::vector<graph::ValueId> values = {g.placeholder("x", {DType::f64, {2}})};
  for (int i = 0; i < 40; ++i) {
    const auto pick = [&] { return values[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(values.size())))]; };
    values.push_back(rng.uniform() < 0.5 ? g.add("tanh", {pick()}) : g.add("add", {pick(), pick()}));
  }
  g.set_outputs({values.back()});
  for (bool needed : {false, true}) {
    const std::vector<graph::NodeId> order = g.topological_order(needed);
    std::vector<int> position(g.size(), -1);
    for (std::size_t k = 0; k < order.size(); ++k) position[static_cast<std::size_t>(order[k])] = static_cast<int>(k);
    if (!needed) {
      EXPECT_EQ(order.size(), g.size());
    }
    for (graph::NodeId n : order) {
      for (graph::ValueId v : g.node(n).inputs) {
        const int p = position[static_cast<std::size_t>(g.value(v).producer)];
        EXPECT_GE(p, 0);
        EXPECT_LT(p, position[static_cast<std::size_t>(n)]);
      }
    }
  }
}

TEST(GraphIr, InferenceBroadcastsAndPropagatesDynamicDims) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f32, {-1, 3}});
  const graph::ValueId b = g.placeholder("b", {DType::f32, {3}});
  EXPECT_EQ(graph::info_str(g.value(g.add("add", {a, b})).info), "f32[-1, 3]");
  const graph::ValueId w = g.placeholder("w", {DType::f32, {3, 5}});
  EXPECT_EQ(graph::info_str(g.value(g.add("matmul", {a, w})).info), "f32[-1, 5]");
  EXPECT_EQ(graph::info_str(g.value(g.add("sum", {a}, {{"axes", std::vector<std::int64_t>{1}}})).info), "f32[-1]");
  EXPECT_EQ(graph::info_str(g.value(g.add("sum", {a}, {{"axes", std::vector<std::int64_t>{0}}, {"keepdim", std::int64_t{1}}})).info),
            "f32[1, 3]");
  EXPECT_EQ(graph::info_str(g.value(g.add("transpose", {a})).info), "f32[3, -1]");
  EXPECT_EQ(graph::info_str(g.value(g.add("gt", {a, b})).info), "u8[-1, 3]");
  EXPECT_EQ(graph::info_str(g.value(g.add("cast", {a}, {{"dtype", std::string("f64")}})).info), "f64[-1, 3]");
  const graph::ValueId c = g.placeholder("c", {DType::f32, {2, 6}});
  EXPECT_EQ(graph::info_str(g.value(g.add("reshape", {c}, {{"shape", std::vector<std::int64_t>{3, -1}}})).info), "f32[3, 4]");
}

TEST(GraphIr, InferenceErrorsNameOpExpectedAndGiven) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f32, {2, 3}});
  const graph::ValueId b = g.placeholder("b", {DType::f32, {4, 5}});
  const graph::ValueId d = g.placeholder("d", {DType::f64, {2, 3}});
  const graph::ValueId m = g.placeholder("m", {DType::u8, {2, 3}});
  expect_error([&] { g.add("matmul", {a, b}); }, "matmul: expected inner dimensions that agree, given f32[2, 3] and f32[4, 5]");
  expect_error([&] { g.add("add", {a, b}); }, "add: expected shapes that broadcast, given f32[2, 3] and f32[4, 5]");
  expect_error([&] { g.add("mul", {a, d}); }, "mul: expected operands of the same dtype, given f32[2, 3] and f64[2, 3]");
  expect_error([&] { g.add("exp", {m}); }, "exp: expected a floating operand");
  expect_error([&] { g.add("relu", {a, a}); }, "relu: expected 1 inputs");
  expect_error([&] { g.add("nope", {a}); }, "'nope' (known:");
  expect_error([&] { g.add("reshape", {a}, {{"shape", std::vector<std::int64_t>{4, 2}}}); }, "reshape: expected a shape with 6 elements");
  expect_error([&] { g.add("reshape", {a}); }, "attribute shape of type int list");
  expect_error([&] { g.add("reshape", {a}, {{"shape", std::int64_t{6}}}); }, "given an attribute of type int");
  expect_error([&] { g.add("transpose", {a}, {{"perm", std::vector<std::int64_t>{0, 0}}}); }, "permutation");
  expect_error([&] { g.add("add", {a, 99}); }, "value id");
  expect_error([&] { g.add("where", {a, a, a}); }, "where: expected a u8 condition");
}

TEST(GraphIr, AttributesAreTyped) {
  graph::Node n;
  n.op = "demo";
  n.attrs = {{"i", std::int64_t{3}}, {"f", 2.5}, {"s", std::string("hi")}, {"l", std::vector<std::int64_t>{1, 2}},
             {"t", Tensor::ones({2})}};
  EXPECT_EQ(n.attr_int("i"), 3);
  EXPECT_EQ(n.attr_float("f"), 2.5);
  EXPECT_EQ(n.attr_string("s"), "hi");
  EXPECT_EQ(n.attr_ints("l"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(n.attr_tensor("t").numel(), 2);
  EXPECT_TRUE(n.has_attr("i"));
  EXPECT_THROW(n.attr_float("i"), gb::Error);
  EXPECT_THROW(n.attr_graph("missing"), gb::Error);
}

TEST(GraphRegistry, BuiltinsAreRegisteredAndSorted) {
  const std::vector<std::string> names = graph::op_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* op : {"placeholder", "constant", "identity", "add", "sub", "mul", "div", "neg", "pow", "matmul",
                         "relu", "sigmoid", "tanh", "exp", "log", "sin", "cos", "sqrt", "sum", "mean", "transpose",
                         "reshape", "broadcast_like", "sum_to_like", "zeros_like", "ones_like", "cast", "gt", "lt",
                         "ge", "le", "eq", "ne", "logical_and", "logical_or", "logical_not", "where"}) {
    EXPECT_TRUE(graph::has_op(op)) << op;
    EXPECT_FALSE(graph::find_op(op).doc.empty()) << op;
  }
  EXPECT_FALSE(graph::has_op("no_such_op"));
  EXPECT_THROW(graph::find_op("no_such_op"), gb::Error);
  EXPECT_THROW(graph::register_op(graph::OpDef{}), gb::Error);
}

TEST(GraphRegistry, RegisterOpIsThreadSafe) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) {
        graph::OpDef def;
        def.name = "test_threaded_" + std::to_string(t);
        def.num_inputs = 1;
        def.infer = [](const graph::InferContext& ctx) { return ctx.inputs; };
        graph::register_op(def);
        EXPECT_TRUE(graph::has_op(def.name));
        EXPECT_EQ(graph::find_op("add").name, "add");
      }
    });
  }
  for (std::thread& t : threads) t.join();
}
