// basic_passes_test.cpp: the basic passes of lesson 17 (gb/passes/passes.hpp, lib/passes/src/basic_*.cpp):
// constant folding, dead-code elimination, CSE, identity removal and inverse pairs, on graphs of
// lib/convert's ONNX ops. For each pass: the rule fires where it should (op counts before and after, the
// log's rule names and node ids), it does not fire where it must not, the graph's inputs keep their names
// and order, and the optimised graph gives the same bits as run_fifo of the original on random inputs
// (basic_test_util.hpp). Random DAGs through the whole pipeline are in pass_manager_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "basic_test_util.hpp"
#include "gb/control/functional.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/registry.hpp"
#include "gb/passes/passes.hpp"

namespace {

using gb::DType;
using gb::Shape;
using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;
using gb::graph::GraphPtr;
using gb::graph::NodeId;
using gb::graph::ValueId;
using gb::passes::Rewrite;
using gb::passes::op_count;
using namespace gb::passes::testing;

Graph onnx_graph() {
  gb::convert::register_onnx_ops();
  return Graph();
}

ValueId f32(Graph& g, const std::vector<double>& v, const Shape& shape) { return g.constant(Tensor::from_values(v, shape)); }
ValueId full(Graph& g, double value, const Shape& shape) { return g.constant(Tensor::full(shape, value)); }
ValueId i64(Graph& g, const Ints& v) { return g.constant(Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())})); }
ValueId scalar(Graph& g, double v, DType dtype = DType::f32) { return g.constant(Tensor::scalar(v, dtype)); }

const gb::graph::Node& only_node(const Graph& g, const std::string& op) {
  for (const gb::graph::Node& n : g.nodes()) {
    if (n.op == op) return n;
  }
  throw std::runtime_error("no " + op + " node");
}

std::set<NodeId> as_set(const std::vector<NodeId>& ids) { return {ids.begin(), ids.end()}; }

// A one-input branch for If: Relu(a) or Identity(a) of an f32[2] argument.
GraphPtr branch(const std::string& op) {
  auto b = std::make_shared<Graph>();
  b->set_outputs({b->add(op, {b->placeholder("a", {DType::f32, {2}})})});
  return b;
}

}  // namespace

// --- constant folding --------------------------------------------------------------------------------

TEST(ConstantFolding, FoldsAConstantSubtreeWithTheOpsKernel) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3}});
  const std::vector<double> c1 = {1, 2, 3, 4, 5, 6}, c2 = {0.5}, c3 = {0.1, 0.2, 0.3, -1, -2, -3};
  const ValueId a = g.add("Add", {f32(g, c1, {2, 3}), f32(g, c2, {1})});
  const ValueId m = g.add("Mul", {a, f32(g, c3, {2, 3})});
  g.set_outputs({g.add("Add", {x, m})});

  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::constant_folding(), g, log);
  EXPECT_EQ(op_count(g), 3u);
  EXPECT_EQ(op_count(out), 1u);
  ASSERT_EQ(rules(log), (std::vector<std::string>{"constant_folding", "constant_folding"}));
  EXPECT_EQ(log[0].before, std::vector<NodeId>{producer(g, a)});
  EXPECT_EQ(log[1].before, std::vector<NodeId>{producer(g, m)});
  ASSERT_EQ(log[1].after.size(), 1u);
  EXPECT_NE(log[1].detail.find("Mul"), std::string::npos) << log[1].detail;
  EXPECT_NE(log[1].detail.find("f32[2, 3]"), std::string::npos) << log[1].detail;
  // The folded constant holds (c1 + c2) * c3 in float32, and the remaining Add reads it.
  const gb::graph::Node& folded = out.node(log[1].after[0]);
  ASSERT_EQ(folded.op, "constant");
  const std::vector<double> value = folded.attr_tensor("value").to_vector();
  for (std::size_t i = 0; i < c1.size(); ++i) {
    const float sum = static_cast<float>(c1[i]) + static_cast<float>(c2[0]);
    EXPECT_EQ(value[i], static_cast<double>(sum * static_cast<float>(c3[i]))) << i;
  }
  EXPECT_EQ(producer(out, only_node(out, "Add").inputs[1]), folded.id);
  expect_same_outputs(g, out, 1);
}

TEST(ConstantFolding, LeavesNodesThatAreNotConstantOrThatCannotRunNow) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2}});
  const ValueId c = f32(g, {1, -2}, {2});
  const ValueId with_input = g.add("Add", {x, c});                              // a placeholder input
  Attributes constant_attrs{{"value", Tensor::from_values({3, 4}, {2})}};
  const ValueId no_inputs = g.add("Constant", {}, constant_attrs);             // nothing to fold from
  const ValueId branches = gb::control::make_if(g, scalar(g, 1), {c}, branch("Relu"), branch("Identity"))[0];  // subgraphs
  const ValueId small = g.add("Add", {f32(g, {1, 2}, {2, 1}), f32(g, {10, 20, 30}, {1, 3})});  // folds: 6 elements
  g.set_outputs({with_input, no_inputs, branches, small});

  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::constant_folding(), g, log);
  ASSERT_EQ(rules(log), std::vector<std::string>{"constant_folding"});
  EXPECT_EQ(log[0].before, std::vector<NodeId>{producer(g, small)});
  EXPECT_EQ(op_count(out), op_count(g) - 1);
  EXPECT_EQ(count_op(out, "If"), 1u);
  EXPECT_EQ(count_op(out, "Constant"), 1u);
  expect_same_outputs(g, out, 2);
}

TEST(ConstantFolding, LeavesKernelErrorsAndHugeResultsToRunTime) {
  Graph g = onnx_graph();
  // Dropout in training mode with ratio 0.5: the ONNX kernel refuses (inference only) -> stays.
  const ValueId dropped = g.add_node("Dropout", {f32(g, {1, 2}, {2}), scalar(g, 0.5), scalar(g, 1, DType::i64)})[0];
  // 4096 x 4097 = 16 781 312 > 2^24 elements: kept, although both operands are constants.
  const ValueId huge = g.add("Add", {full(g, 1, {4096, 1}), full(g, 2, {1, 4097})});
  g.set_outputs({dropped, huge});
  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::constant_folding(), g, log);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(op_count(out), 2u);
}

// --- dead-code elimination ---------------------------------------------------------------------------

TEST(DeadCodeElimination, KeepsWhatTheOutputsNeedAndEveryPlaceholder) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {4}});
  g.placeholder("unused", {DType::f32, {3}});
  const ValueId dead_c = f32(g, {1, 2, 3, 4}, {4});
  const ValueId dead1 = g.add("Mul", {x, dead_c});
  const ValueId dead2 = g.add("Relu", {dead1});
  const ValueId y = g.add("Relu", {x});
  g.set_outputs({y});

  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::dead_code_elimination(), g, log);
  EXPECT_EQ(op_count(out), 1u);
  EXPECT_EQ(out.size(), 3u);  // x, unused, Relu
  ASSERT_EQ(rules(log), std::vector<std::string>{"dead_code_elimination"});
  EXPECT_EQ(as_set(log[0].before), (std::set<NodeId>{producer(g, dead_c), producer(g, dead1), producer(g, dead2)}));
  EXPECT_TRUE(log[0].after.empty());
  EXPECT_NE(log[0].detail.find("removed 3 of 6"), std::string::npos) << log[0].detail;
  expect_same_outputs(g, out, 3);

  std::vector<Rewrite> again;
  apply(gb::passes::dead_code_elimination(), out, again);
  EXPECT_TRUE(again.empty());
}

// --- common-subexpression elimination ----------------------------------------------------------------

TEST(CommonSubexpressionElimination, MergesARepeatedSubexpression) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3}}), y = g.placeholder("y", {DType::f32, {3}});
  const ValueId a = g.add("Relu", {x}), b = g.add("Relu", {x});
  const ValueId c = g.add("Add", {a, y}), d = g.add("Add", {b, y});
  g.set_outputs({g.add("Mul", {c, d})});

  std::vector<Rewrite> log;
  const Graph merged = apply(gb::passes::common_subexpression_elimination(), g, log);
  ASSERT_EQ(rules(log), (std::vector<std::string>{"common_subexpression", "common_subexpression"}));
  EXPECT_EQ(log[0].before, std::vector<NodeId>{producer(g, b)});
  EXPECT_EQ(log[1].before, std::vector<NodeId>{producer(g, d)});
  EXPECT_NE(log[1].detail.find("n" + std::to_string(producer(g, c))), std::string::npos) << log[1].detail;
  const gb::graph::Node& mul = only_node(merged, "Mul");
  EXPECT_EQ(mul.inputs[0], mul.inputs[1]);

  std::vector<Rewrite> dce_log;
  const Graph out = apply(gb::passes::dead_code_elimination(), merged, dce_log);
  EXPECT_EQ(count_op(out, "Relu"), 1u);
  EXPECT_EQ(count_op(out, "Add"), 1u);
  EXPECT_EQ(count_op(out, "Mul"), 1u);
  expect_same_outputs(g, out, 4);
}

TEST(CommonSubexpressionElimination, KeepsNodesThatDiffer) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 2, 2}}), y = g.placeholder("y", {DType::f32, {2, 2, 2}});
  const ValueId t1 = g.add("Transpose", {x}, {{"perm", Ints{0, 2, 1}}});
  const ValueId t2 = g.add("Transpose", {x}, {{"perm", Ints{1, 0, 2}}});  // other attributes
  const ValueId s1 = g.add("Sub", {x, y}), s2 = g.add("Sub", {y, x});       // other input order
  const ValueId ca = f32(g, {0, 0}, {2}), cb = f32(g, {-0.0, 0}, {2});       // other bytes (-0.0)
  const ValueId cc = f32(g, {0, 0}, {2, 1});                                 // other shape
  const ValueId a1 = g.add("Add", {x, ca}), a2 = g.add("Add", {x, cb}), a3 = g.add("Add", {x, cc});
  g.set_outputs({t1, t2, s1, s2, a1, a2, a3});
  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::common_subexpression_elimination(), g, log);
  EXPECT_TRUE(log.empty()) << log[0].rule << ": " << log[0].detail;
  EXPECT_EQ(op_count(out), op_count(g));
  expect_same_outputs(g, out, 5);
}

TEST(CommonSubexpressionElimination, ComparesSubgraphsByPointerAndTensorsByBytes) {
  Graph g = onnx_graph();
  // A test op with a tensor attribute: out = x (the attribute only has to be compared).
  gb::graph::OpDef tagged;
  tagged.name = "TestTaggedIdentity";
  tagged.num_inputs = 1;
  tagged.infer = [](const gb::graph::InferContext& ctx) { return std::vector<gb::graph::ValueInfo>{ctx.inputs[0]}; };
  tagged.kernel = [](const gb::graph::KernelContext& ctx) { return std::vector<Tensor>{ctx.inputs[0]}; };
  gb::graph::register_op(tagged);

  const ValueId x = g.placeholder("x", {DType::f32, {2}});
  const ValueId p = g.add("TestTaggedIdentity", {x}, {{"tag", Tensor::from_values({1, 2}, {2})}});
  const ValueId q = g.add("TestTaggedIdentity", {x}, {{"tag", Tensor::from_values({1, 2}, {2})}});  // same bytes
  const ValueId r = g.add("TestTaggedIdentity", {x}, {{"tag", Tensor::from_values({1, 3}, {2})}});  // other bytes
  const ValueId cond = g.placeholder("cond", {DType::f32, {}});
  const GraphPtr then_b = branch("Relu"), else_b = branch("Identity");
  const ValueId if1 = gb::control::make_if(g, cond, {x}, then_b, else_b)[0];
  const ValueId if2 = gb::control::make_if(g, cond, {x}, then_b, else_b)[0];                  // the same subgraphs
  const ValueId if3 = gb::control::make_if(g, cond, {x}, branch("Relu"), branch("Identity"))[0];  // equal copies
  g.set_outputs({p, q, r, if1, if2, if3});

  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::common_subexpression_elimination(), g, log);
  ASSERT_EQ(rules(log), (std::vector<std::string>{"common_subexpression", "common_subexpression"}));
  EXPECT_EQ(log[0].before, std::vector<NodeId>{producer(g, q)});
  EXPECT_EQ(log[1].before, std::vector<NodeId>{producer(g, if2)});
  EXPECT_EQ(out.outputs()[0], out.outputs()[1]);
  EXPECT_NE(out.outputs()[0], out.outputs()[2]);
  EXPECT_EQ(out.outputs()[3], out.outputs()[4]);
  EXPECT_NE(out.outputs()[3], out.outputs()[5]);
  expect_same_outputs(g, out, 6);
}

TEST(CommonSubexpressionElimination, MergesEqualConstantsAndThenTheirConsumers) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {3}});
  const ValueId c1 = f32(g, {1, 2, 3}, {3}), c2 = f32(g, {1, 2, 3}, {3}), c3 = f32(g, {1, 2, 4}, {3});
  const ValueId y1 = g.add("Add", {x, c1}), y2 = g.add("Add", {x, c2}), y3 = g.add("Add", {x, c3});
  g.set_outputs({y1, y2, y3});
  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::common_subexpression_elimination(), g, log);
  ASSERT_EQ(log.size(), 2u);
  std::map<std::string, NodeId> fired;
  for (const Rewrite& w : log) fired[w.rule] = w.before.at(0);
  EXPECT_EQ(fired.at("constant_dedup"), producer(g, c2));
  EXPECT_EQ(fired.at("common_subexpression"), producer(g, y2));  // Add(x, c2) became Add(x, c1)
  EXPECT_EQ(out.outputs()[0], out.outputs()[1]);
  EXPECT_NE(out.outputs()[0], out.outputs()[2]);
  expect_same_outputs(g, out, 7);
}

// --- identity removal --------------------------------------------------------------------------------

TEST(IdentityRemoval, RemovesEveryNodeThatReturnsItsInput) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3, 4}});
  const ValueId a = g.add("Identity", {x});
  const ValueId b = g.add_node("Dropout", {a})[0];  // the mask is unread
  const ValueId c = g.add("Reshape", {b, i64(g, {2, -1, 4})});
  const ValueId d = g.add("Reshape", {c, i64(g, {0, 3, 4})});  // 0 copies the input's size
  const ValueId e = g.add("Transpose", {d}, {{"perm", Ints{0, 1, 2}}});
  const ValueId f = g.add("Concat", {e}, {{"axis", std::int64_t{1}}});
  const ValueId h = g.add("Add", {f, full(g, 0, {1})});
  const ValueId i = g.add("Mul", {full(g, 1, {4}), h});
  const ValueId j = g.add("Sub", {i, full(g, 0, {3, 4})});
  const ValueId k = g.add("Div", {j, full(g, 1, {1, 1, 1})});
  const ValueId drop2 = g.add_node("Dropout", {k, scalar(g, 0.5), scalar(g, 0, DType::i64)})[0];  // training_mode 0
  g.set_outputs({g.add("Relu", {drop2})});

  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::identity_removal(), g, log);
  EXPECT_EQ(op_count(g), 12u);
  EXPECT_EQ(op_count(out), 1u);
  EXPECT_EQ(rules(log), (std::vector<std::string>{"identity_removal", "dropout_removal", "noop_reshape_removal",
                                                  "noop_reshape_removal", "identity_transpose_removal",
                                                  "single_concat_removal", "add_zero_removal", "mul_one_removal",
                                                  "add_zero_removal", "mul_one_removal", "dropout_removal"}));
  for (const Rewrite& w : log) EXPECT_TRUE(w.after.empty()) << w.rule;
  EXPECT_EQ(only_node(out, "Relu").inputs[0], out.inputs()[0]);
  expect_same_outputs(g, out, 8);
}

TEST(IdentityRemoval, KeepsNodesThatCompute) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3, 4}}), x2 = g.placeholder("x2", {DType::f32, {3, 4}});
  const std::vector<ValueId> d1 = g.add_node("Dropout", {x});  // its mask is a graph output
  const std::vector<ValueId> d2 = g.add_node("Dropout", {x});  // its mask is read (through an Identity)
  const ValueId mask_read = g.add("Identity", {d2[1]});
  const ValueId r = g.add("Reshape", {x, i64(g, {6, 4})});
  const ValueId t = g.add("Transpose", {x}, {{"perm", Ints{0, 2, 1}}});
  const ValueId widened = g.add("Add", {x2, full(g, 0, {2, 3, 4})});  // broadcasting grows x2
  const ValueId neg = g.add("Sub", {full(g, 0, {4}), x});
  const ValueId inv = g.add("Div", {full(g, 1, {4}), x});
  const ValueId twice = g.add("Mul", {x, full(g, 2, {4})});
  const ValueId mixed = g.add("Add", {x, f32(g, {0, 0, 0, 1}, {4})});
  g.set_outputs({d1[0], d1[1], d2[0], mask_read, r, t, widened, neg, inv, twice, mixed});

  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::identity_removal(), g, log);
  ASSERT_EQ(rules(log), std::vector<std::string>{"identity_removal"});  // only the Identity on the mask
  EXPECT_EQ(count_op(out, "Dropout"), 2u);
  EXPECT_EQ(op_count(out), op_count(g) - 1);
  expect_same_outputs(g, out, 9);
}

TEST(IdentityRemoval, GraphOutputsStayCorrectAndKeepTheirNames) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {5}});
  const ValueId y = g.add("Identity", {x}, {}, "y");  // the output becomes the input itself
  const ValueId h = g.add("Relu", {x}, {}, "h");
  const ValueId z = g.add("Identity", {h}, {}, "z");
  const ValueId w = g.add_node("Dropout", {h}, {}, "w")[0];
  g.set_outputs({y, z, w});
  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::identity_removal(), g, log);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(op_count(out), 1u);
  EXPECT_EQ(out.outputs()[0], out.inputs()[0]);
  EXPECT_EQ(out.value(out.outputs()[0]).name, "x");  // a graph input keeps its name
  EXPECT_EQ(out.value(out.outputs()[1]).name, "z");  // the Relu's value now carries the output's name
  EXPECT_EQ(out.outputs()[2], out.outputs()[1]);
  expect_same_outputs(g, out, 10);
}

// --- inverse pairs -----------------------------------------------------------------------------------

TEST(InversePairs, CancelsInverseTransposes) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3, 4, 5}});
  const ValueId nhwc = g.add("Transpose", {x}, {{"perm", Ints{0, 2, 3, 1}}});
  const ValueId nchw = g.add("Transpose", {nhwc}, {{"perm", Ints{0, 3, 1, 2}}});
  g.set_outputs({g.add("Relu", {nchw})});
  std::vector<Rewrite> log;
  const Graph paired = apply(gb::passes::inverse_pairs(), g, log);
  ASSERT_EQ(rules(log), std::vector<std::string>{"transpose_inverse_pair"});
  EXPECT_EQ(log[0].before, (std::vector<NodeId>{producer(g, nhwc), producer(g, nchw)}));
  std::vector<Rewrite> dce;
  const Graph out = apply(gb::passes::dead_code_elimination(), paired, dce);
  EXPECT_EQ(count_op(out, "Transpose"), 0u);
  EXPECT_EQ(only_node(out, "Relu").inputs[0], out.inputs()[0]);
  expect_same_outputs(g, out, 11);
}

TEST(InversePairs, ComposesTransposesThatAreNotInverse) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3, 4, 5}});
  const ValueId t1 = g.add("Transpose", {x}, {{"perm", Ints{0, 2, 3, 1}}});
  const ValueId t2 = g.add("Transpose", {t1}, {{"perm", Ints{1, 0, 2, 3}}});
  const ValueId u1 = g.add("Transpose", {x}, {{"perm", Ints{3, 2, 1, 0}}});
  const ValueId u2 = g.add("Transpose", {u1}, {{"perm", Ints{1, 0, 2, 3}}});  // u1 is also an output
  g.set_outputs({t2, u1, u2});
  std::vector<Rewrite> log;
  const Graph paired = apply(gb::passes::inverse_pairs(), g, log);
  ASSERT_EQ(rules(log), (std::vector<std::string>{"transpose_composition", "transpose_composition"}));
  EXPECT_EQ(log[0].before, (std::vector<NodeId>{producer(g, t1), producer(g, t2)}));
  EXPECT_EQ(log[1].before, std::vector<NodeId>{producer(g, u2)});  // u1 stays: it has another reader
  // y[i] = t1's axis q[i] = x's axis p[q[i]]: [p[1], p[0], p[2], p[3]] = [2, 0, 3, 1]; for u: [2, 3, 1, 0].
  ASSERT_EQ(log[0].after.size(), 1u);
  EXPECT_EQ(paired.node(log[0].after[0]).attr_ints("perm"), (Ints{2, 0, 3, 1}));
  EXPECT_EQ(paired.node(log[1].after[0]).attr_ints("perm"), (Ints{2, 3, 1, 0}));
  std::vector<Rewrite> dce;
  const Graph out = apply(gb::passes::dead_code_elimination(), paired, dce);
  EXPECT_EQ(count_op(out, "Transpose"), 3u);  // t1 dropped; u1 and the two composed ones
  expect_same_outputs(g, out, 12);
}

TEST(InversePairs, MergesReshapesAndCancelsSqueezeUnsqueeze) {
  Graph g = onnx_graph();
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3, 4}}), x1 = g.placeholder("x1", {DType::f32, {2, 1, 3}});
  const ValueId r1 = g.add("Reshape", {x, i64(g, {6, 4})});
  const ValueId r2 = g.add("Reshape", {r1, i64(g, {4, -1})});  // -> one Reshape(x, [4, -1])
  const ValueId r3 = g.add("Reshape", {r1, i64(g, {0, 2, 2})});  // 0 copies r1's 6: kept
  const ValueId s1 = g.add("Squeeze", {g.add("Unsqueeze", {x, i64(g, {1})}), i64(g, {1})});
  const ValueId s2 = g.add("Squeeze", {g.add("Unsqueeze", {x, i64(g, {-1})}), i64(g, {3})});  // the same axis
  const ValueId s3 = g.add("Unsqueeze", {g.add("Squeeze", {x1, i64(g, {1})}), i64(g, {-2})});  // size 1: x1
  const ValueId k1 = g.add("Squeeze", {g.add("Unsqueeze", {x1, i64(g, {0})}), i64(g, {2})});  // other axes: kept
  g.set_outputs({r2, r3, s1, s2, s3, k1});
  std::vector<Rewrite> log;
  const Graph paired = apply(gb::passes::inverse_pairs(), g, log);
  EXPECT_EQ(rules(log), (std::vector<std::string>{"reshape_pair", "squeeze_unsqueeze_pair", "squeeze_unsqueeze_pair",
                                                  "unsqueeze_squeeze_pair"}));
  EXPECT_EQ(log[0].before, std::vector<NodeId>{producer(g, r2)});  // r1 is read by r3 too
  EXPECT_EQ(paired.outputs()[2], paired.inputs()[0]);
  EXPECT_EQ(paired.outputs()[3], paired.inputs()[0]);
  EXPECT_EQ(paired.outputs()[4], paired.inputs()[1]);
  std::vector<Rewrite> dce;
  const Graph out = apply(gb::passes::dead_code_elimination(), paired, dce);
  EXPECT_EQ(count_op(out, "Reshape"), 3u);  // r1 (for r3), r3, the merged one
  EXPECT_EQ(count_op(out, "Squeeze"), 1u);    // k1's
  EXPECT_EQ(count_op(out, "Unsqueeze"), 1u);  // k1's
  expect_same_outputs(g, out, 13);
}

TEST(InversePairs, QuantizeOfDequantizeIsExactOnlyWithTheSameParameters) {
  Graph g = onnx_graph();
  const ValueId q = g.placeholder("q", {DType::u8, {2, 3, 4}}), x = g.placeholder("x", {DType::f32, {4}});
  auto qdq = [&g](ValueId in, double s_dq, double z_dq, double s_q, double z_q) {
    const ValueId f = g.add("DequantizeLinear", {in, scalar(g, s_dq), scalar(g, z_dq, DType::u8)});
    return g.add("QuantizeLinear", {f, scalar(g, s_q), scalar(g, z_q, DType::u8)});
  };
  const ValueId same = qdq(q, 0.05, 128, 0.05, 128);     // equal constants, separate nodes: removed
  const ValueId other_scale = qdq(q, 0.05, 128, 0.1, 128);
  const ValueId other_zero = qdq(q, 0.05, 128, 0.05, 127);
  const ValueId rounds = g.add("DequantizeLinear", {g.add("QuantizeLinear", {x, scalar(g, 0.1), scalar(g, 3, DType::u8)}),
                                                    scalar(g, 0.1), scalar(g, 3, DType::u8)});  // DQ(Q(x)): kept
  // Per channel along axis 1 (the default) and along -2 (the same axis of a rank-3 q): removed.
  const ValueId s = f32(g, {0.5, 0.25, 2}, {3});
  const ValueId z = g.constant(Tensor::from_values({0, 10, 250}, {3}, DType::u8));
  const ValueId per_channel = g.add("QuantizeLinear", {g.add("DequantizeLinear", {q, s, z}), s, z}, {{"axis", std::int64_t{-2}}});
  g.set_outputs({same, other_scale, other_zero, rounds, per_channel});
  std::vector<Rewrite> log;
  const Graph out = apply(gb::passes::inverse_pairs(), g, log);
  EXPECT_EQ(rules(log), (std::vector<std::string>{"quantize_dequantize_pair", "quantize_dequantize_pair"}));
  EXPECT_EQ(out.outputs()[0], out.inputs()[0]);
  EXPECT_EQ(out.outputs()[4], out.inputs()[0]);
  expect_same_outputs(g, out, 14);
}

TEST(InversePairs, QuantizeOfDequantizeIsExactForEveryCodeAndExtremeScales) {
  // The claim behind the rule, checked on the ONNX kernels themselves: Q(DQ(q)) = q for all 256 codes,
  // for scales from FLT_MIN-ish to FLT_MAX / 256-ish, and both integer types.
  gb::convert::register_onnx_ops();
  for (const DType dtype : {DType::u8, DType::i8}) {
    std::vector<double> codes(256);
    for (int i = 0; i < 256; ++i) codes[static_cast<std::size_t>(i)] = dtype == DType::u8 ? i : i - 128;
    const Tensor all = Tensor::from_values(codes, {256}, dtype);
    for (const double scale : {3.0 / 255.0, 0.05, 1.7e-38, 1e-30, 1e30, 1.3e36}) {
      for (const double zero : dtype == DType::u8 ? std::vector<double>{0, 128, 255} : std::vector<double>{-128, 0, 127}) {
        Graph g;
        const ValueId in = g.placeholder("q", {dtype, {256}});
        const ValueId f = g.add("DequantizeLinear", {in, scalar(g, scale), scalar(g, zero, dtype)});
        g.set_outputs({g.add("QuantizeLinear", {f, scalar(g, scale), scalar(g, zero, dtype)})});
        std::vector<Rewrite> log;
        const Graph out = apply(gb::passes::inverse_pairs(), g, log);
        ASSERT_EQ(log.size(), 1u) << scale;
        EXPECT_EQ(out.outputs()[0], out.inputs()[0]);
        EXPECT_TRUE(same_bits(gb::graph::run_fifo(g, {{"q", all}}).outputs[0], all)) << scale << " " << zero;
      }
    }
  }
}
