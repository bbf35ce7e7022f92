// 07-scheduling: a two-layer network with its generated backward graph, run by the FIFO ready-queue
// executor (in-degree counters, recorded event by event) and by the parallel executor on a thread
// pool (a timeline with one lane per worker, forward and backward coloured apart). The scenario
// checks that both executors give the same values, and that every node runs after its inputs.
#include <algorithm>
#include <map>
#include <string>

#include "gb/core.hpp"
#include "gb/graph/builder.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_07_scheduling;

namespace {

namespace g = gb::graph;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 07-scheduling self-check", what, given);
}

// h = tanh(W1 x), y = W2 h, loss = sum(y * y), and d loss / d W1, d loss / d W2.
struct Net {
  g::Sym x, w1, w2, loss, grad_w1, grad_w2;
};
Net declare(g::Builder& bld, std::int64_t width) {
  Net n;
  n.x = bld.placeholder("x", {width, 1}, DType::f64).named("x");
  n.w1 = bld.placeholder("W1", {width, width}, DType::f64).named("W1");
  n.w2 = bld.placeholder("W2", {2, width}, DType::f64).named("W2");
  const g::Sym h = tanh(matmul(n.w1, n.x)).named("h");
  const g::Sym y = matmul(n.w2, h).named("y");
  n.loss = sum(y * y).named("loss");
  for (const g::Node& node : bld.graph().nodes()) bld.graph().set_group(node.id, "forward");
  const std::vector<g::Sym> grads = bld.grad(n.loss, {n.w1, n.w2});
  n.grad_w1 = grads[0].named("dW1");
  n.grad_w2 = grads[1].named("dW2");
  bld.output(n.loss, n.grad_w1, n.grad_w2);
  return n;
}

void in_degrees(Recorder& rec, const g::Graph& graph) {
  rec.section("1. In-degrees and the ready queue");
  rec.add_scene(g::to_scene(graph, "net", "Forward and backward: every node pending", trace::NodeState::pending));
  rec.add_scene(trace::table_scene("degrees", "In-degree of each node before the run", {"node", "op", "in-degree"}));
  std::int64_t ready = 0;
  for (const g::Node& node : graph.nodes()) {
    // Inputs computed by another node; a value read twice counts twice, like the executor's counter.
    const std::int64_t degree = static_cast<std::int64_t>(node.inputs.size());
    ready += degree == 0;
    rec.step(node.name + " waits for " + std::to_string(degree) + " input" + (degree == 1 ? "" : "s") + ".",
             Level::element)
        .add_row("degrees", {"n" + std::to_string(node.id), node.op, std::to_string(degree)})
        .highlight("net", "n" + std::to_string(node.id));
  }
  rec.step(std::to_string(ready) + " nodes (placeholders and constants) have in-degree 0: they start in the queue.",
           Level::op);
}

g::Feeds feeds(std::int64_t width, std::uint64_t seed) {
  Rng rng(seed);
  return {{"x", rng.normal({width, 1}, 0, 1, DType::f64)},
          {"W1", rng.normal({width, width}, 0, 0.5, DType::f64)},
          {"W2", rng.normal({2, width}, 0, 0.5, DType::f64)}};
}

trace::Recording scheduling(const Params& params) {
  Recorder rec("07-scheduling", "Scheduling: the ready queue and a parallel executor");
  const std::int64_t width = param_int(params, "width"), threads = param_int(params, "threads");
  if (width < 1 || width > 64) throw Error("lesson 07-scheduling", "width in 1..64", std::to_string(width));
  if (threads < 1 || threads > 8) throw Error("lesson 07-scheduling", "threads in 1..8", std::to_string(threads));
  const g::Feeds in = feeds(width, static_cast<std::uint64_t>(param_int(params, "seed")));
  g::Builder bld;
  declare(bld, width);
  const g::Graph& graph = bld.graph();
  trace::ScopedRecorder attach(rec);
  in_degrees(rec, graph);

  rec.section("2. Running the queue");
  g::RunOptions fifo_options;
  fifo_options.scene_prefix = "fifo_";
  const g::RunResult fifo = g::run_fifo(graph, in, fifo_options);
  std::map<g::NodeId, std::size_t> position;
  for (std::size_t i = 0; i < fifo.order.size(); ++i) position[fifo.order[i]] = i;
  for (g::NodeId id : fifo.order) {
    for (g::ValueId v : graph.node(id).inputs) {
      const g::NodeId producer = graph.value(v).producer;
      check(position.count(producer) && position[producer] < position[id], "every node after its inputs",
            graph.node(id).name);
    }
  }
  rec.step("The queue emptied after " + std::to_string(fifo.order.size()) + " nodes, each after its inputs.",
           Level::pass);

  rec.section("3. A parallel executor");
  ThreadPool pool(static_cast<std::size_t>(threads));
  g::RunOptions parallel_options;
  parallel_options.scene_prefix = "parallel_";
  const g::RunResult parallel = g::run_parallel(graph, in, pool, parallel_options);
  for (std::size_t i = 0; i < fifo.outputs.size(); ++i) {
    check(gb::allclose(parallel.outputs[i], fifo.outputs[i], 0, 0), "the parallel executor's outputs equal FIFO's",
          parallel.outputs[i].str());
  }
  rec.step("On " + std::to_string(threads) + " workers the outputs are bit for bit the FIFO executor's (loss " +
               std::to_string(fifo.outputs[0].item()) + ").",
           Level::pass);

  rec.section("4. Forward and backward on one timeline");
  std::size_t first_backward = fifo.order.size();
  for (std::size_t i = 0; i < fifo.order.size(); ++i) {
    if (graph.node(fifo.order[i]).group == "backward") {
      first_backward = std::min(first_backward, i);
    }
  }
  std::size_t loss_at = 0;
  for (std::size_t i = 0; i < fifo.order.size(); ++i) {
    if (graph.node(fifo.order[i]).name == "loss") loss_at = i;
  }
  check(first_backward > loss_at || first_backward == fifo.order.size(), "backward nodes after the loss",
        std::to_string(first_backward));
  rec.step("The backward spans start once the loss exists; dW2 is ready before dW1, which sits deeper in the chain.",
           Level::pass);
  return rec.take();
}

}  // namespace

Lesson lesson_07_scheduling() {
  return {"07-scheduling",
          "Scheduling: the ready queue and a parallel executor",
          "Part I, framework core",
          {{"width", "4", "hidden width of the two-layer network (1..64)"},
           {"threads", "2", "workers of the parallel executor (1..8)"},
           {"seed", "7", "seed of x, W1 and W2"}},
          lesson_text_07_scheduling,
          scheduling};
}

}  // namespace gb::lessons
