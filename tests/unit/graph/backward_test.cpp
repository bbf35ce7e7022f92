// backward_test.cpp: the backward pass (backward.hpp): graph-level AD equals the tape AD of
// gb_autodiff on random expression graphs, gradients of gradients, the logistic map, errors, recording.
#include "graph_test_helpers.hpp"

#include <cmath>

#include "gb/autodiff/tensor/all.hpp"
#include "gb/trace/json.hpp"
#include "gb/trace/recorder.hpp"

using namespace gb_graph_test;
namespace ad = gb::autodiff;

namespace {

// One random expression built twice, as graph nodes and as tape Variables, from the same choices.
struct Twin {
  graph::ValueId node;
  ad::Variable var;
};

struct RandomExpression {
  graph::Graph g;
  std::vector<graph::ValueId> inputs;
  std::vector<ad::Variable> leaves;
  std::vector<Tensor> values;
  graph::ValueId loss;
  ad::Variable loss_var;
};

RandomExpression random_expression(std::uint64_t seed, int steps) {
  gb::Rng rng(seed);
  RandomExpression e;
  // [3, 4] and [4] (broadcast), plus a [4, 2] matrix for the final matmul.
  const std::vector<Shape> shapes = {{3, 4}, {4}, {3, 1}, {4, 2}};
  std::vector<Twin> pool;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const Tensor v = rng.uniform(shapes[i], -1, 1, DType::f64);
    e.values.push_back(v);
    e.inputs.push_back(e.g.placeholder("x" + std::to_string(i), {DType::f64, shapes[i]}));
    e.leaves.emplace_back(v, true);
    if (i < 3) pool.push_back({e.inputs.back(), e.leaves.back()});
  }
  auto pick = [&]() -> Twin { return pool[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(pool.size())))]; };
  for (int s = 0; s < steps; ++s) {
    const Twin a = pick(), b = pick();
    Twin c;
    switch (rng.randint(0, 8)) {
      case 0: c = {e.g.add("add", {a.node, b.node}), ad::add(a.var, b.var)}; break;
      case 1: c = {e.g.add("sub", {a.node, b.node}), ad::sub(a.var, b.var)}; break;
      case 2: c = {e.g.add("mul", {a.node, b.node}), ad::mul(a.var, b.var)}; break;
      case 3: c = {e.g.add("mul", {a.node, a.node}), ad::mul(a.var, a.var)}; break;  // one value used twice
      case 4: {
        const graph::ValueId sig = e.g.add("sigmoid", {b.node});
        c = {e.g.add("div", {a.node, sig}), ad::div(a.var, ad::sigmoid(b.var))};
        break;
      }
      case 5: c = {e.g.add("tanh", {a.node}), ad::tanh(a.var)}; break;
      case 6: c = {e.g.add("exp", {e.g.add("tanh", {a.node})}), ad::exp(ad::tanh(a.var))}; break;
      default: c = {e.g.add("relu", {a.node}), ad::relu(a.var)}; break;
    }
    pool.push_back(c);
  }
  // loss = sum(matmul(broadcast of last value to [3, 4], W)) + mean(second last)
  const Twin last = pool.back(), before = pool[pool.size() - 2];
  const graph::ValueId big = e.g.add("add", {last.node, e.g.constant(Tensor::zeros({3, 4}, DType::f64))});
  const ad::Variable big_var = ad::add(last.var, ad::Variable(Tensor::zeros({3, 4}, DType::f64)));
  const graph::ValueId mm = e.g.add("matmul", {big, e.inputs[3]});
  e.loss = e.g.add("add", {e.g.add("sum", {mm}), e.g.add("mean", {before.node})});
  e.loss_var = ad::add(ad::sum(ad::matmul(big_var, e.leaves[3])), ad::mean(before.var));
  return e;
}

}  // namespace

TEST(GraphBackward, EqualsTapeAutodiffOnRandomExpressions) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    RandomExpression e = random_expression(seed, 8);
    const std::vector<graph::ValueId> grads = graph::gradients(e.g, e.loss, e.inputs);
    std::vector<graph::ValueId> fetch = grads;
    fetch.push_back(e.loss);
    graph::Feeds feeds;
    for (std::size_t i = 0; i < e.values.size(); ++i) feeds["x" + std::to_string(i)] = e.values[i];
    graph::RunOptions options;
    options.fetch = fetch;
    const std::vector<Tensor> out = graph::run_fifo(e.g, feeds, options).outputs;
    const std::vector<ad::Variable> tape = ad::grad(e.loss_var, e.leaves);
    EXPECT_NEAR(out.back().item(), e.loss_var.value().item(), 1e-12) << "seed " << seed;
    for (std::size_t i = 0; i < e.leaves.size(); ++i) {
      EXPECT_TRUE(gb::allclose(out[i], tape[i].value(), 1e-10, 1e-12))
          << "seed " << seed << " input " << i << "\n" << out[i].str() << "\nvs tape\n" << tape[i].value().str()
          << "\n" << e.g.str();
    }
  }
}

TEST(GraphBackward, AdjointsOfAValueUsedTwiceAreSummedWithAdd) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {}});
  const graph::ValueId y = g.add("add", {g.add("exp", {x}), g.add("sin", {x})});
  const std::vector<graph::ValueId> dx = graph::gradients(g, y, {x});
  g.set_outputs(dx);
  EXPECT_EQ(g.node(g.value(dx[0]).producer).op, "add");
  EXPECT_EQ(g.node(g.value(dx[0]).producer).group, "backward");
  EXPECT_EQ(g.node(g.value(y).producer).group, "forward");
  const double v = graph::run(g, {{"x", Tensor::scalar(0.3, DType::f64)}})[0].item();
  EXPECT_NEAR(v, std::exp(0.3) + std::cos(0.3), 1e-14);
}

TEST(GraphBackward, GradientOfGradient) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {3}});
  const graph::ValueId cube = g.add("mul", {g.add("mul", {x, x}), x});
  const graph::ValueId t = g.add("tanh", {x});
  const graph::ValueId f = g.add("sum", {g.add("add", {cube, t})});
  const graph::ValueId df = graph::gradients(g, f, {x})[0];               // 3x^2 + 1 - tanh^2
  const graph::ValueId ddf = graph::gradients(g, g.add("sum", {df}), {x})[0];  // 6x - 2 tanh (1 - tanh^2)
  g.set_outputs({df, ddf});
  const Tensor xv = Tensor::from_values({-0.7, 0.2, 1.1}, {3}, DType::f64);
  const std::vector<Tensor> out = graph::run(g, {{"x", xv}});
  for (std::int64_t i = 0; i < 3; ++i) {
    const double v = xv.at({i}), th = std::tanh(v);
    EXPECT_NEAR(out[0].at({i}), 3 * v * v + 1 - th * th, 1e-12);
    EXPECT_NEAR(out[1].at({i}), 6 * v - 2 * th * (1 - th * th), 1e-12);
  }
}

// l_{n+1} = 4 l_n (1 - l_n), three iterations from l_0 = x, is the polynomial
// f(x) = 64 x (1-x) (1-2x)^2 (1-8x+8x^2)^2. With u = x(1-x), v = 1-2x, w = 1-8x+8x^2:
// f' = 64 (u' v^2 w^2 + 2 u v v' w^2 + 2 u v^2 w w'),  u' = 1-2x, v' = -2, w' = 16x - 8.
TEST(GraphBackward, LogisticMapDerivativeMatchesClosedForm) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {}});
  const graph::ValueId four = g.constant(Tensor::scalar(4, DType::f64), "4");
  const graph::ValueId one = g.constant(Tensor::scalar(1, DType::f64), "1");
  graph::ValueId l = x;
  for (int n = 0; n < 3; ++n) l = g.add("mul", {g.add("mul", {four, l}), g.add("sub", {one, l})});
  const graph::ValueId dl = graph::gradients(g, l, {x})[0];
  g.set_outputs({l, dl});
  for (double xv : {0.1, 0.27, 0.5, 0.83}) {
    const std::vector<Tensor> out = graph::run(g, {{"x", Tensor::scalar(xv, DType::f64)}});
    const long double X = xv, u = X * (1 - X), v = 1 - 2 * X, w = 1 - 8 * X + 8 * X * X;
    const long double f = 64 * u * v * v * w * w;
    const long double df = 64 * ((1 - 2 * X) * v * v * w * w + 2 * u * v * (-2) * w * w + 2 * u * v * v * w * (16 * X - 8));
    // the closed form checked independently by a central difference in long double
    const long double h = 1e-7L;
    auto fx = [](long double t) {
      const long double a = t * (1 - t), b = 1 - 2 * t, c = 1 - 8 * t + 8 * t * t;
      return 64 * a * b * b * c * c;
    };
    EXPECT_NEAR(static_cast<double>((fx(X + h) - fx(X - h)) / (2 * h)), static_cast<double>(df), 1e-6);
    EXPECT_NEAR(out[0].item(), static_cast<double>(f), 1e-12);
    EXPECT_NEAR(out[1].item(), static_cast<double>(df), 1e-10);
  }
}

TEST(GraphBackward, UnreachableWrtGetsZerosAndSeedsAreChecked) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f32, {2}});
  const graph::ValueId unused = g.placeholder("unused", {DType::f32, {3}});
  const graph::ValueId y = g.add("sum", {g.add("exp", {x})});
  const std::vector<graph::ValueId> grads = graph::gradients(g, y, {x, unused});
  EXPECT_EQ(g.node(g.value(grads[1]).producer).op, "zeros_like");
  g.set_outputs(grads);
  const std::vector<Tensor> out = graph::run(g, {{"x", Tensor::zeros({2})}, {"unused", Tensor::ones({3})}});
  EXPECT_EQ(out[0].to_vector(), (std::vector<double>{1, 1}));
  EXPECT_EQ(out[1].to_vector(), (std::vector<double>{0, 0, 0}));
  const graph::ValueId mask = g.add("gt", {x, x});
  EXPECT_THROW(graph::gradients(g, mask, {x}), gb::Error);  // a u8 loss
  const graph::ValueId bad_seed = g.constant(Tensor::ones({5}));
  EXPECT_THROW(graph::gradients(g, y, {x}, bad_seed), gb::Error);
}

TEST(GraphBackward, OpWithoutVjpOnAPathIsAnError) {
  graph::OpDef def;
  def.name = "test_no_vjp_square";
  def.num_inputs = 1;
  def.infer = [](const graph::InferContext& ctx) { return ctx.inputs; };
  def.kernel = [](const graph::KernelContext& ctx) { return std::vector<Tensor>{gb::mul(ctx.inputs[0], ctx.inputs[0])}; };
  graph::register_op(def);
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f64, {2}});
  const graph::ValueId y = g.add("sum", {g.add("test_no_vjp_square", {x}, {}, "sq")});
  try {
    graph::gradients(g, y, {x});
    ADD_FAILURE() << "expected gb::Error";
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'test_no_vjp_square' at node n1 (sq)"), std::string::npos) << e.what();
  }
  // Off the path it does not matter.
  graph::Graph h;
  const graph::ValueId a = h.placeholder("a", {DType::f64, {2}});
  const graph::ValueId b = h.placeholder("b", {DType::f64, {2}});
  const graph::ValueId z = h.add("sum", {h.add("add", {h.add("test_no_vjp_square", {b}), a})});
  EXPECT_NO_THROW(graph::gradients(h, z, {a}));
}

TEST(GraphBackward, RecordsOneStepPerEmittedNodeDeterministically) {
  auto record = [] {
    gb::trace::Recorder rec("test", "backward");
    gb::trace::ScopedRecorder attach(rec);
    graph::Graph g;
    const graph::ValueId x = g.placeholder("x", {DType::f64, {2}});
    const graph::ValueId y = g.add("sum", {g.add("mul", {x, g.add("sin", {x})})});
    const std::size_t before = g.size();
    graph::gradients(g, y, {x});
    const gb::trace::Recording r = rec.take();
    const gb::trace::Scene* scene = r.find_scene("backward");
    EXPECT_NE(scene, nullptr);
    EXPECT_EQ(scene->graph.nodes.size(), before);
    std::size_t added = 0;
    for (const gb::trace::Step& s : r.steps) {
      for (const gb::trace::Change& c : s.changes) added += c.kind == gb::trace::ChangeKind::add_node ? 1 : 0;
    }
    EXPECT_EQ(added, g.size() - before);
    EXPECT_EQ(r.steps.size(), g.size() - before);
    return gb::trace::to_json(r);
  };
  EXPECT_EQ(record(), record());
}
