// executor_test.cpp: the FIFO and parallel executors (executor.hpp): feeds validation, fetches,
// keep_values, only the needed nodes run, FIFO order, parallel == FIFO, deterministic recordings.
#include "graph_test_helpers.hpp"

#include "gb/trace/json.hpp"
#include "gb/trace/recorder.hpp"

using namespace gb_graph_test;

namespace {

template <class F> void expect_error(F f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "expected gb::Error containing: " << text;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

// A random DAG of elementwise and matmul nodes over two [4, 4] inputs, several outputs.
graph::Graph random_graph(std::uint64_t seed, int nodes) {
  gb::Rng rng(seed);
  graph::Graph g;
  std::vector<graph::ValueId> pool = {g.placeholder("a", {DType::f64, {4, 4}}), g.placeholder("b", {DType::f64, {4, 4}})};
  for (int i = 0; i < nodes; ++i) {
    auto pick = [&] { return pool[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(pool.size())))]; };
    const char* binary[] = {"add", "sub", "mul", "matmul"};
    const char* unary[] = {"tanh", "sigmoid", "sin"};
    if (rng.uniform() < 0.6) pool.push_back(g.add(binary[rng.randint(0, 4)], {pick(), pick()}));
    else pool.push_back(g.add(unary[rng.randint(0, 3)], {pick()}));
  }
  g.set_outputs({pool.back(), pool[pool.size() - 2], pool[pool.size() / 2]});
  return g;
}

}  // namespace

TEST(GraphExecutor, RunsOnlyTheNeededNodesInFifoOrder) {
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f32, {2}});
  const graph::ValueId b = g.placeholder("b", {DType::f32, {2}});
  const graph::ValueId c = g.add("exp", {a});      // n2
  const graph::ValueId d = g.add("neg", {b});      // n3 (not needed)
  const graph::ValueId e = g.add("add", {a, c});   // n4
  g.set_outputs({e});
  const graph::RunResult r = graph::run_fifo(g, {{"a", Tensor::zeros({2})}});  // b is not needed: no feed
  EXPECT_EQ(r.order, (std::vector<graph::NodeId>{0, 2, 4}));
  EXPECT_EQ(r.outputs[0].to_vector(), (std::vector<double>{1, 1}));
  EXPECT_TRUE(r.values.empty());
  graph::RunOptions options;
  options.fetch = {d, c};
  options.keep_values = true;
  const graph::RunResult r2 = graph::run_fifo(g, {{"a", Tensor::zeros({2})}, {"b", Tensor::ones({2})}}, options);
  EXPECT_EQ(r2.outputs[0].to_vector(), (std::vector<double>{-1, -1}));
  EXPECT_EQ(r2.values.size(), 4u);  // a, b, c, d
  EXPECT_EQ(r2.values.count(e), 0u);
}

TEST(GraphExecutor, FifoQueueOrderDiffersFromLowestIdOrder) {
  // a -> x1 -> x2 (a chain) and a -> y: FIFO runs y (queued when a ran) before x2.
  graph::Graph g;
  const graph::ValueId a = g.placeholder("a", {DType::f64, {}});
  const graph::ValueId x1 = g.add("exp", {a});   // n1
  const graph::ValueId x2 = g.add("exp", {x1});  // n2
  const graph::ValueId y = g.add("sin", {a});    // n3
  g.set_outputs({g.add("add", {x2, y})});        // n4
  const graph::RunResult r = graph::run_fifo(g, {{"a", Tensor::scalar(0, DType::f64)}});
  EXPECT_EQ(r.order, (std::vector<graph::NodeId>{0, 1, 3, 2, 4}));
}

TEST(GraphExecutor, FeedErrors) {
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f32, {-1, 3}});
  g.set_outputs({g.add("relu", {x})});
  expect_error([&] { graph::run_fifo(g, graph::Feeds{}); }, "a feed for placeholder x (f32[-1, 3])");
  expect_error([&] { graph::run_fifo(g, {{"x", Tensor::ones({2, 3})}, {"y", Tensor::ones({1})}}); },
               "feeds naming placeholders (x), given 'y'");
  expect_error([&] { graph::run_fifo(g, {{"x", Tensor::ones({2, 3}, DType::f64)}}); },
               "placeholder x fed f32[-1, 3], given f64[2, 3]");
  expect_error([&] { graph::run_fifo(g, {{"x", Tensor::ones({2, 4})}}); }, "given f32[2, 4]");
  expect_error([&] { graph::run_fifo(g, {{"x", Tensor::ones({3})}}); }, "given f32[3]");
  expect_error([&] { graph::run_fifo(g, std::vector<Tensor>{}); }, "1 positional inputs");
  EXPECT_EQ(graph::run_fifo(g, {{"x", Tensor::ones({5, 3})}}).outputs[0].shape(), (Shape{5, 3}));
  EXPECT_EQ(graph::run_fifo(g, std::vector<Tensor>{Tensor::ones({1, 3})}).outputs[0].shape(), (Shape{1, 3}));
  graph::Graph empty;
  empty.placeholder("x", {DType::f32, {}});
  expect_error([&] { graph::run_fifo(empty, graph::Feeds{}); }, "values to fetch");
}

TEST(GraphExecutor, ParallelEqualsFifoOnRandomGraphs) {
  for (std::size_t threads : {1u, 2u, 3u}) {
    gb::ThreadPool pool(threads);
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      const graph::Graph g = random_graph(seed, 30);
      gb::Rng rng(seed + 100);
      const graph::Feeds feeds = {{"a", rng.uniform({4, 4}, -1, 1, DType::f64)}, {"b", rng.uniform({4, 4}, -1, 1, DType::f64)}};
      const graph::RunResult fifo = graph::run_fifo(g, feeds);
      const graph::RunResult parallel = graph::run_parallel(g, feeds, pool);
      ASSERT_EQ(fifo.outputs.size(), parallel.outputs.size());
      for (std::size_t k = 0; k < fifo.outputs.size(); ++k) {
        EXPECT_TRUE(gb::allclose(fifo.outputs[k], parallel.outputs[k], 0, 0)) << "seed " << seed << " output " << k;
      }
      std::vector<graph::NodeId> a = fifo.order, b = parallel.order;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      EXPECT_EQ(a, b);
    }
  }
}

TEST(GraphExecutor, ParallelRethrowsKernelErrors) {
  graph::OpDef def;
  def.name = "test_throwing_op";
  def.num_inputs = 1;
  def.infer = [](const graph::InferContext& ctx) { return ctx.inputs; };
  def.kernel = [](const graph::KernelContext&) -> std::vector<Tensor> { throw gb::Error("test_throwing_op", "x", "y"); };
  graph::register_op(def);
  graph::Graph g;
  const graph::ValueId x = g.placeholder("x", {DType::f32, {2}});
  g.set_outputs({g.add("exp", {g.add("test_throwing_op", {x})}), g.add("sin", {x})});
  gb::ThreadPool pool(2);
  EXPECT_THROW(graph::run_parallel(g, {{"x", Tensor::ones({2})}}, pool), gb::Error);
  EXPECT_THROW(graph::run_fifo(g, {{"x", Tensor::ones({2})}}), gb::Error);
}

TEST(GraphExecutor, KernelOutputsAreCheckedAgainstInference) {
  graph::OpDef def;
  def.name = "test_lying_op";
  def.num_inputs = 1;
  def.infer = [](const graph::InferContext& ctx) { return ctx.inputs; };
  def.kernel = [](const graph::KernelContext&) { return std::vector<Tensor>{Tensor::ones({7})}; };
  graph::register_op(def);
  graph::Graph g;
  g.set_outputs({g.add("test_lying_op", {g.placeholder("x", {DType::f32, {2}})})});
  expect_error([&] { graph::run_fifo(g, {{"x", Tensor::ones({2})}}); }, "test_lying_op: expected a kernel output f32[2]");
}

TEST(GraphExecutor, FifoRecordingIsDeterministicAndComplete) {
  auto record = [] {
    gb::trace::Recorder rec("test", "fifo");
    gb::trace::ScopedRecorder attach(rec);
    graph::Graph g;
    const graph::ValueId a = g.placeholder("a", {DType::f64, {2}});
    const graph::ValueId b = g.add("exp", {a});
    g.set_outputs({g.add("mul", {b, a})});
    graph::run_fifo(g, {{"a", Tensor::ones({2}, DType::f64)}});
    graph::RunOptions second;
    second.scene_prefix = "again/";
    graph::run_fifo(g, {{"a", Tensor::ones({2}, DType::f64)}}, second);
    return rec.take();
  };
  const gb::trace::Recording r = record();
  EXPECT_EQ(gb::trace::to_json(r), gb::trace::to_json(record()));
  ASSERT_NE(r.find_scene("graph"), nullptr);
  ASSERT_NE(r.find_scene("queue"), nullptr);
  ASSERT_NE(r.find_scene("again/graph"), nullptr);
  EXPECT_EQ(r.find_scene("graph")->graph.nodes[0].state, gb::trace::NodeState::pending);
  int runs = 0, decrements = 0;
  for (const gb::trace::Step& s : r.steps) {
    if (s.changes.empty() || (s.changes[0].scene != "graph" && s.changes[0].scene != "queue")) continue;
    runs += s.level == gb::trace::Level::op && s.caption.rfind("Pop", 0) == 0;
    decrements += s.level == gb::trace::Level::element;
  }
  EXPECT_EQ(runs, 3);        // a, exp, mul
  EXPECT_EQ(decrements, 3);  // a->exp, a->mul, exp->mul
  EXPECT_EQ(r.find_scene("queue")->table.columns.size(), 5u);
}

TEST(GraphExecutor, ParallelTimelineIsDeterministic) {
  auto record = [] {
    gb::trace::Recorder rec("test", "parallel");
    gb::trace::ScopedRecorder attach(rec);
    gb::ThreadPool pool(2);
    const graph::Graph g = random_graph(5, 20);
    graph::run_parallel(g, {{"a", Tensor::ones({4, 4}, DType::f64)}, {"b", Tensor::ones({4, 4}, DType::f64)}}, pool);
    return rec.take();
  };
  const gb::trace::Recording r = record();
  for (int k = 0; k < 3; ++k) EXPECT_EQ(gb::trace::to_json(r), gb::trace::to_json(record()));
  const gb::trace::Scene* timeline = r.find_scene("timeline");
  ASSERT_NE(timeline, nullptr);
  EXPECT_EQ(timeline->timeline.lanes.size(), 2u);
  std::size_t spans = 0;
  for (const gb::trace::Step& s : r.steps) spans += s.changes.size() == 1 && s.changes[0].kind == gb::trace::ChangeKind::add_span;
  EXPECT_EQ(spans, r.steps.size());
  EXPECT_GT(spans, 2u);
}
