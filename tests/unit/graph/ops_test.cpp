// ops_test.cpp: every built-in op's kernel against gb_core (NumPy semantics) and every VJP against
// central differences in f64 (graph_test_helpers.hpp).
#include "graph_test_helpers.hpp"

#include <cmath>

using namespace gb_graph_test;
using Ints = std::vector<std::int64_t>;

namespace {

Tensor f64(const Shape& shape, std::uint64_t seed, double low = -1, double high = 1) {
  gb::Rng rng(seed);
  return rng.uniform(shape, low, high, DType::f64);
}

graph::Attributes axes(const Ints& a, int keepdim = 0) { return {{"axes", a}, {"keepdim", std::int64_t{keepdim}}}; }

void expect_same(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.shape(), want.shape());
  EXPECT_TRUE(gb::allclose(got, want, 1e-6, 1e-9)) << got.str() << "\nvs\n" << want.str();
}

}  // namespace

TEST(GraphKernels, ArithmeticAndMatmulMatchGbCore) {
  const Tensor a = f64({2, 3}, 1), b = f64({3}, 2), m = f64({3, 4}, 3), batch = f64({2, 2, 3}, 4);
  expect_same(evaluate(op1("add"), {a, b}), gb::add(a, b));
  expect_same(evaluate(op1("sub"), {a, b}), gb::sub(a, b));
  expect_same(evaluate(op1("mul"), {a, b}), gb::mul(a, b));
  expect_same(evaluate(op1("div"), {a, b}), gb::div(a, b));
  expect_same(evaluate(op1("neg"), {a}), gb::neg(a));
  expect_same(evaluate(op1("matmul"), {a, m}), gb::matmul(a, m));
  expect_same(evaluate(op1("matmul"), {batch, m}), gb::matmul(batch, m));
  expect_same(evaluate(op1("identity"), {a}), a);
  expect_same(evaluate(op1("transpose"), {batch}), batch.transpose(-2, -1).contiguous());
  expect_same(evaluate(op1("transpose", {{"perm", Ints{2, 0, 1}}}), {batch}), batch.permute({2, 0, 1}).contiguous());
  expect_same(evaluate(op1("reshape", {{"shape", Ints{3, -1}}}), {a}), a.reshape({3, 2}));
  const Tensor pos = f64({2, 3}, 5, 0.5, 2);
  const Tensor p = evaluate(op1("pow"), {pos, b});
  for (std::int64_t i = 0; i < 2; ++i) {
    for (std::int64_t j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(p.at({i, j}), std::pow(pos.at({i, j}), b.at({j})));
  }
}

TEST(GraphKernels, UnaryFunctionsMatchTheFormulas) {
  const Tensor x = f64({5}, 6, 0.1, 2);
  const std::vector<std::pair<std::string, double (*)(double)>> cases = {
      {"sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); }}, {"tanh", [](double v) { return std::tanh(v); }},
      {"exp", [](double v) { return std::exp(v); }},                {"log", [](double v) { return std::log(v); }},
      {"sin", [](double v) { return std::sin(v); }},                {"cos", [](double v) { return std::cos(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }}};
  for (const auto& [op, f] : cases) {
    const std::vector<double> got = evaluate(op1(op), {x}).to_vector();
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], f(x.to_vector()[i]), 1e-12) << op;
  }
  const Tensor r = evaluate(op1("relu"), {Tensor::from_values({-1, 0, 2}, {3}, DType::f32)});
  EXPECT_EQ(r.to_vector(), (std::vector<double>{0, 0, 2}));
  EXPECT_EQ(r.dtype(), DType::f32);
}

TEST(GraphKernels, ReductionsShapesAndLikes) {
  const Tensor a = f64({2, 3}, 7), b = f64({3}, 8);
  expect_same(evaluate(op1("sum"), {a}), gb::sum(a));
  expect_same(evaluate(op1("sum", axes({1})), {a}), gb::sum(a, {1}));
  expect_same(evaluate(op1("sum", axes({0}, 1)), {a}), gb::sum(a, {0}, true));
  expect_same(evaluate(op1("mean", axes({-1})), {a}), gb::mean(a, {-1}));
  expect_same(evaluate(op1("mean"), {a}), gb::mean(a));
  expect_same(evaluate(op1("broadcast_like"), {b, a}), b.broadcast_to({2, 3}).contiguous());
  expect_same(evaluate(op1("broadcast_like", {{"axes", Ints{1}}}), {f64({2}, 9), a}),
              f64({2}, 9).reshape({2, 1}).broadcast_to({2, 3}).contiguous());
  expect_same(evaluate(op1("sum_to_like"), {a, b}), gb::sum(a, {0}));
  expect_same(evaluate(op1("sum_to_like", {{"axes", Ints{1}}}), {a, f64({2}, 9)}), gb::sum(a, {1}));
  expect_same(evaluate(op1("zeros_like"), {a}), Tensor::zeros({2, 3}, DType::f64));
  expect_same(evaluate(op1("ones_like"), {a}), Tensor::ones({2, 3}, DType::f64));
  expect_same(evaluate(op1("cast", {{"dtype", std::string("f32")}}), {a}), a.to(DType::f32));
  expect_same(evaluate(op1("reshape_like"), {a, f64({3, 2}, 1)}), a.reshape({3, 2}));
}

TEST(GraphKernels, ComparisonsLogicalAndWhere) {
  const Tensor a = Tensor::from_values({1, 2, 3}, {3}), b = Tensor::from_values({2, 2, 2}, {3});
  const std::vector<std::pair<std::string, std::vector<double>>> cases = {
      {"gt", {0, 0, 1}}, {"lt", {1, 0, 0}}, {"ge", {0, 1, 1}}, {"le", {1, 1, 0}}, {"eq", {0, 1, 0}}, {"ne", {1, 0, 1}}};
  for (const auto& [op, want] : cases) {
    const Tensor got = evaluate(op1(op), {a, b});
    EXPECT_EQ(got.dtype(), DType::u8) << op;
    EXPECT_EQ(got.to_vector(), want) << op;
  }
  const Tensor p = Tensor::from_values({1, 1, 0, 0}, {4}, DType::u8), q = Tensor::from_values({1, 0, 1, 0}, {4}, DType::u8);
  EXPECT_EQ(evaluate(op1("logical_and"), {p, q}).to_vector(), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(evaluate(op1("logical_or"), {p, q}).to_vector(), (std::vector<double>{1, 1, 1, 0}));
  EXPECT_EQ(evaluate(op1("logical_not"), {p}).to_vector(), (std::vector<double>{0, 0, 1, 1}));
  const Tensor x = Tensor::from_values({1, 2, 3, 4}, {4}), y = Tensor::scalar(-1);
  EXPECT_EQ(evaluate(op1("where"), {p, x, y}).to_vector(), (std::vector<double>{1, 2, -1, -1}));
}

TEST(GraphKernels, KernelsRejectBadDtypes) {
  const graph::OpDef& exp = graph::find_op("exp");
  graph::Node node;
  node.op = "exp";
  const std::vector<Tensor> ints = {Tensor::ones({2}, DType::i32)};
  EXPECT_THROW(exp.kernel(graph::KernelContext{node, ints}), gb::Error);
  node.op = "logical_and";
  const std::vector<Tensor> floats = {Tensor::ones({2}), Tensor::ones({2})};
  EXPECT_THROW(graph::find_op("logical_and").kernel(graph::KernelContext{node, floats}), gb::Error);
  node.op = "pow";
  const std::vector<Tensor> mixed = {Tensor::ones({2}), Tensor::ones({2}, DType::f64)};
  EXPECT_THROW(graph::find_op("pow").kernel(graph::KernelContext{node, mixed}), gb::Error);
  EXPECT_THROW(graph::find_op("add").kernel(graph::KernelContext{node, mixed}), gb::Error);
}

// --- VJPs against central differences ---------------------------------------------------------------

TEST(GraphVjp, ElementwiseWithBroadcasting) {
  for (const char* op : {"add", "sub", "div"}) {
    expect_gradients_match(op1(op), {f64({2, 3}, 1), f64({3}, 2, 0.5, 2)});
    expect_gradients_match(op1(op), {f64({2, 1}, 3), f64({1, 3}, 4, 0.5, 2)});
  }
  expect_gradients_match(op1("neg"), {f64({2, 3}, 1)});
  expect_gradients_match(op1("pow"), {f64({2, 3}, 5, 0.5, 2), f64({3}, 6)});
  expect_gradients_match(op1("identity"), {f64({4}, 7)});
}

TEST(GraphVjp, MulWithBroadcasting) {
  expect_gradients_match(op1("mul"), {f64({2, 3}, 1), f64({3}, 2)});
  expect_gradients_match(op1("mul"), {f64({4, 1}, 3), f64({2, 1, 5}, 4)});
}

TEST(GraphVjp, MatmulPlainAndBatched) {
  expect_gradients_match(op1("matmul"), {f64({2, 3}, 1), f64({3, 4}, 2)});
  expect_gradients_match(op1("matmul"), {f64({2, 2, 3}, 3), f64({3, 4}, 4)});
  expect_gradients_match(op1("matmul"), {f64({1, 2, 3}, 5), f64({3, 3, 2}, 6)});
}

TEST(GraphVjp, UnaryFunctions) {
  for (const char* op : {"relu", "sigmoid", "tanh", "exp", "sin", "cos"}) expect_gradients_match(op1(op), {f64({2, 3}, 11)});
  for (const char* op : {"log", "sqrt"}) expect_gradients_match(op1(op), {f64({2, 3}, 12, 0.5, 2)});
}

TEST(GraphVjp, ReductionsAndShapes) {
  const Tensor a = f64({2, 3, 2}, 1);
  expect_gradients_match(op1("sum"), {a});
  expect_gradients_match(op1("sum", axes({1})), {a});
  expect_gradients_match(op1("sum", axes({0, 2}, 1)), {a});
  expect_gradients_match(op1("mean"), {a});
  expect_gradients_match(op1("mean", axes({-1})), {a});
  expect_gradients_match(op1("mean", axes({0}, 1)), {a});
  expect_gradients_match(op1("transpose"), {a});
  expect_gradients_match(op1("transpose", {{"perm", Ints{1, 2, 0}}}), {a});
  expect_gradients_match(op1("reshape", {{"shape", Ints{3, -1}}}), {a});
  expect_gradients_match(op1("broadcast_like"), {f64({3, 1}, 2), a});
  expect_gradients_match(op1("broadcast_like", {{"axes", Ints{0, 2}}}), {f64({3}, 2), a});
  expect_gradients_match(op1("sum_to_like"), {a, f64({3, 1}, 2)});
  expect_gradients_match(op1("sum_to_like", {{"axes", Ints{1}}}), {a, f64({2, 2}, 2)});
  expect_gradients_match(op1("reshape_like"), {a, f64({4, 3}, 3)});
  expect_gradients_match(op1("cast", {{"dtype", std::string("f64")}}), {a});
}

TEST(GraphVjp, WhereMasksAndComparisonsGiveNoGradient) {
  const gb::Tensor cond = Tensor::from_values({1, 0, 1, 0, 0, 1}, {2, 3}, DType::u8);
  expect_gradients_match(
      [&](graph::Graph& g, const std::vector<graph::ValueId>& in) { return g.add("where", {g.constant(cond), in[0], in[1]}); },
      {f64({2, 3}, 1), f64({3}, 2)});
  // relu written as where(x > 0, x, 0): the comparison sits on the path but passes no adjoint.
  expect_gradients_match(
      [](graph::Graph& g, const std::vector<graph::ValueId>& in) {
        const graph::ValueId zero = g.add("zeros_like", {in[0]});
        return g.add("where", {g.add("gt", {in[0], zero}), in[0], zero});
      },
      {f64({2, 3}, 3)});
}

TEST(GraphVjp, DynamicShapesUseSumToLike) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f64, {-1, 3}});
  const graph::ValueId b = g.placeholder("b", {DType::f64, {3}});
  const graph::ValueId y = g.add("mean", {g.add("mul", {a, b})});
  const std::vector<graph::ValueId> grads = graph::gradients(g, y, {a, b});
  g.set_outputs(grads);
  for (std::int64_t rows : {1, 4}) {
    const Tensor av = f64({rows, 3}, 1), bv = f64({3}, 2);
    const std::vector<Tensor> out = graph::run_fifo(g, {{"a", av}, {"b", bv}}).outputs;
    ASSERT_EQ(out[0].shape(), (Shape{rows, 3}));
    ASSERT_EQ(out[1].shape(), (Shape{3}));
    for (std::int64_t j = 0; j < 3; ++j) {
      double column = 0;
      for (std::int64_t i = 0; i < rows; ++i) {
        EXPECT_NEAR(out[0].at({i, j}), bv.at({j}) / static_cast<double>(rows * 3), 1e-12);
        column += av.at({i, j});
      }
      EXPECT_NEAR(out[1].at({j}), column / static_cast<double>(rows * 3), 1e-12);
    }
  }
}
