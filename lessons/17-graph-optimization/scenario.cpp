// 17-graph-optimization: a small residual CNN as a converter would hand it over (Identity and Dropout
// left in, BatchNormalization after each convolution, a constant expression, a duplicated pooling, a
// transpose pair, MatMul + Add), optimised by lib/passes: the basic passes, the fusions, the NC4HW4
// layout pass and memory planning. The scenario checks its own numbers: the outputs stay within 1e-5 of
// the original graph at every stage, the folded BatchNormalization equals the formula computed here,
// and the planned arena is never smaller than the bytes live at once.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/convert/onnx_ops.hpp"
#include "gb/core.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/scene.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/passes/fused_ops.hpp"
#include "gb/passes/layout_pass.hpp"
#include "gb/passes/memory_plan.hpp"
#include "gb/passes/pass_manager.hpp"
#include "gb/passes/passes.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_17_graph_optimization;

namespace {

using graph::Attributes;
using graph::Graph;
using graph::ValueId;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 17-graph-optimization self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }
std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}

Tensor random(Rng& rng, const Shape& shape, double low, double high) {
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (double& x : v) x = rng.uniform(low, high);
  return Tensor::from_values(v, shape);
}

struct Bn {
  Tensor gamma, beta, mean, var;
  double eps = 1e-5;
};

Bn random_bn(Rng& rng, std::int64_t c) {
  return {random(rng, {c}, 0.5, 1.5), random(rng, {c}, -0.2, 0.2), random(rng, {c}, -0.5, 0.5), random(rng, {c}, 0.5, 2.0)};
}

Attributes conv3x3() {
  return {{"kernel_shape", std::vector<std::int64_t>{3, 3}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}};
}

// The model as an exporter might write it: what the passes will find is commented where it is built.
struct Model {
  Graph graph;
  Tensor w1, b1;  // the first convolution, for the BN-fold arithmetic
  Bn bn1;
};

Model build_model(std::int64_t c, std::int64_t size, std::uint64_t seed) {
  Rng rng(seed);
  Model m;
  Graph& g = m.graph;
  const ValueId x = g.placeholder("x", {DType::f32, {1, c, size, size}});
  const double bound = 1.0 / std::sqrt(static_cast<double>(9 * c));
  m.w1 = random(rng, {c, c, 3, 3}, -bound, bound);
  m.b1 = random(rng, {c}, -0.1, 0.1);
  m.bn1 = random_bn(rng, c);
  auto bn = [&](ValueId v, const Bn& p, const std::string& name) {
    return g.add("BatchNormalization",
                 {v, g.constant(p.gamma, name + ".gamma"), g.constant(p.beta, name + ".beta"),
                  g.constant(p.mean, name + ".mean"), g.constant(p.var, name + ".var")},
                 {{"epsilon", p.eps}}, name);
  };
  // Conv + BatchNormalization + Relu, then a Dropout that inference does not need.
  ValueId h = g.add("Conv", {x, g.constant(m.w1, "conv1.W"), g.constant(m.b1, "conv1.b")}, conv3x3(), "conv1");
  h = bn(h, m.bn1, "bn1");
  h = g.add("Relu", {h}, {}, "relu1");
  h = g.add_node("Dropout", {h}, {}, "dropout")[0];
  // The residual branch: Conv (no bias) + BatchNormalization, added to the block's input, Relu.
  h = g.add("Conv", {h, g.constant(random(rng, {c, c, 3, 3}, -bound, bound), "conv2.W")}, conv3x3(), "conv2");
  h = bn(h, random_bn(rng, c), "bn2");
  h = g.add("Add", {h, x}, {}, "residual");
  h = g.add("Relu", {h}, {}, "relu2");
  h = g.add("Identity", {h}, {}, "identity");
  // A scale written as a constant expression: 1 / (5 * 10) is 0.02 before the model ever runs.
  const ValueId fifty = g.add("Mul", {g.constant(Tensor::scalar(5), "five"), g.constant(Tensor::scalar(10), "ten")}, {}, "5*10");
  const ValueId scale = g.add("Div", {g.constant(Tensor::scalar(1), "one"), fifty}, {}, "1/50");
  h = g.add("Mul", {h, scale}, {}, "scale");
  // A transpose to NHWC and straight back (two converters that each fixed a layout).
  h = g.add("Transpose", {h}, {{"perm", std::vector<std::int64_t>{0, 2, 3, 1}}}, "to_nhwc");
  h = g.add("Transpose", {h}, {{"perm", std::vector<std::int64_t>{0, 3, 1, 2}}}, "to_nchw");
  // The same pooling twice (a duplicated subexpression), averaged.
  const ValueId p1 = g.add("GlobalAveragePool", {h}, {}, "pool_a");
  const ValueId p2 = g.add("GlobalAveragePool", {h}, {}, "pool_b");
  h = g.add("Add", {p1, p2}, {}, "pool_sum");
  h = g.add("Mul", {h, g.constant(Tensor::scalar(0.5), "half")}, {}, "pool_mean");
  h = g.add("Flatten", {h}, {{"axis", std::int64_t{1}}}, "flatten");
  // A linear layer as MatMul + Add.
  h = g.add("MatMul", {h, g.constant(random(rng, {c, 10}, -0.5, 0.5), "fc.W")}, {}, "fc");
  h = g.add("Add", {h, g.constant(random(rng, {10}, -0.1, 0.1), "fc.b")}, {}, "fc_bias");
  g.set_value_name(h, "logits");
  g.set_outputs({h});
  return m;
}

double max_difference(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const std::vector<double> x = a[k].to_vector(), y = b[k].to_vector();
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  }
  return worst;
}

std::size_t count_op(const Graph& g, const std::string& op) {
  std::size_t n = 0;
  for (graph::NodeId id : g.topological_order(true)) n += g.node(id).op == op ? 1 : 0;
  return n;
}

// Runs a pipeline, checks the outputs, says what changed.
Graph optimise(Recorder& rec, const Graph& g, std::vector<passes::Pass> pipeline, const graph::Feeds& feeds,
               const std::vector<Tensor>& reference, const std::string& what) {
  passes::PassManager manager;
  for (passes::Pass& p : pipeline) manager.add(std::move(p));
  const Graph out = manager.run(g);
  std::vector<Tensor> got;
  {
    trace::ScopedPause quiet;
    got = graph::run(out, feeds);
  }
  const double diff = max_difference(got, reference);
  check(diff <= 1e-5, what + ": outputs within 1e-5 of the original graph", num(diff));
  std::size_t rewrites = 0;
  for (const passes::PassRecord& r : manager.records()) rewrites += r.rewrites.size();
  rec.step(what + ": " + str(static_cast<std::int64_t>(rewrites)) + " rewrites, " +
               str(static_cast<std::int64_t>(passes::op_count(g))) + " ops -> " +
               str(static_cast<std::int64_t>(passes::op_count(out))) + " ops; the outputs differ from the original graph's by at most " + num(diff) + ".",
           Level::pass);
  return out;
}

// Section 3's arithmetic: the folded weights of the first convolution, computed here from the formula.
void bn_fold_arithmetic(Recorder& rec, const Model& m, const Graph& fused) {
  rec.add_scene(trace::table_scene("bn-fold", "Conv + BatchNormalization folded, channel by channel",
                                   {"channel o", "gamma", "beta", "mean", "var", "a = gamma/sqrt(var+eps)",
                                    "W[o,0,0,0]", "W'[o,0,0,0] = a W", "b[o]", "b'[o] = a (b - mean) + beta"}));
  // The convolution that took conv1's place: the first Conv-like node reading x.
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  for (graph::NodeId id : fused.topological_order(true)) {
    const graph::Node& n = fused.node(id);
    if ((n.op == "Conv" || n.op == "FusedConv") && n.inputs.size() >= 3) {
      w = &fused.node(fused.value(n.inputs[1]).producer).attr_tensor("value");
      b = &fused.node(fused.value(n.inputs[2]).producer).attr_tensor("value");
      break;
    }
  }
  check(w != nullptr && b != nullptr, "a convolution with constant weight and bias after fusion", "none");
  const std::int64_t c = m.w1.shape()[0], per = m.w1.numel() / c;
  const std::vector<double> W = m.w1.to_vector(), B = m.b1.to_vector(), g = m.bn1.gamma.to_vector(),
                            be = m.bn1.beta.to_vector(), mu = m.bn1.mean.to_vector(), var = m.bn1.var.to_vector(),
                            W2 = w->to_vector(), B2 = b->to_vector();
  double worst = 0;
  for (std::int64_t o = 0; o < c; ++o) {
    const auto k = static_cast<std::size_t>(o);
    const double a = g[k] / std::sqrt(var[k] + m.bn1.eps);
    for (std::int64_t i = 0; i < per; ++i) {
      const auto j = static_cast<std::size_t>(o * per + i);
      worst = std::max(worst, std::fabs(W2[j] - a * W[j]) / std::max(1e-6, std::fabs(a * W[j])));
    }
    const double bias = a * (B[k] - mu[k]) + be[k];
    worst = std::max(worst, std::fabs(B2[k] - bias) / std::max(1e-6, std::fabs(bias)));
    const auto first = static_cast<std::size_t>(o * per);
    rec.step("Channel " + str(o) + ": a = " + num(g[k]) + " / sqrt(" + num(var[k]) + " + 1e-5) = " + num(a) +
                 "; every weight of the filter is multiplied by a, and the bias becomes " + num(a) + " (" + num(B[k]) +
                 " - " + num(mu[k]) + ") + " + num(be[k]) + " = " + num(bias) + ".",
             Level::op)
        .add_row("bn-fold", {str(o), num(g[k]), num(be[k]), num(mu[k]), num(var[k]), num(a), num(W[first]),
                             num(W2[first]), num(B[k]), num(B2[k])});
  }
  check(worst <= 1e-5, "the folded weights and bias equal the formula (relative 1e-5, f32 storage)", num(worst));
}

void memory(Recorder& rec, const Graph& before, const Graph& after, const graph::Feeds& feeds,
            const std::vector<Tensor>& reference) {
  const passes::MemoryPlan naive = passes::plan_memory(before, {false, false});
  const passes::MemoryPlan shared = passes::plan_memory(before);
  const passes::MemoryPlan plan = passes::plan_memory(after);
  for (const passes::MemoryPlan* p : {&naive, &shared, &plan}) {
    check(p->arena_bytes >= p->peak_live_bytes, "an arena at least as large as the bytes live at once",
          str(p->arena_bytes) + " < " + str(p->peak_live_bytes));
  }
  check(naive.arena_bytes == naive.naive_bytes, "without sharing, the arena is the sum of the values",
        str(naive.arena_bytes));
  rec.add_scene(trace::table_scene("memory-plan", "Memory plans",
                                   {"graph", "planned values", "every value its own buffer", "peak live", "arena", "in place"}));
  auto row = [&](const std::string& name, const passes::MemoryPlan& p) {
    rec.step(name + ": " + str(static_cast<std::int64_t>(p.intervals.size())) + " values, " + str(p.naive_bytes) +
                 " bytes one buffer each; at most " + str(p.peak_live_bytes) + " bytes live at once; the arena holds " +
                 str(p.arena_bytes) + " bytes (" + str(p.in_place_count) + " ops in place).",
             Level::pass)
        .add_row("memory-plan", {name, str(static_cast<std::int64_t>(p.intervals.size())), str(p.naive_bytes),
                                 str(p.peak_live_bytes), str(p.arena_bytes), str(p.in_place_count)});
  };
  row("original, no sharing", naive);
  row("original, shared", shared);
  row("optimised, shared", plan);
  const std::vector<Tensor> got = passes::run_with_plan(after, plan, feeds);  // records the "memory" timeline
  const double diff = max_difference(got, reference);
  check(diff <= 1e-5, "the optimised graph run inside its arena matches the original", num(diff));
  rec.step("Run inside one arena of " + str(plan.arena_bytes) + " bytes: every value at its planned offset; the logits match the original graph within " +
               num(diff) + ".",
           Level::pass);
}

trace::Recording graph_optimization(const Params& params) {
  const std::int64_t c = param_int(params, "channels"), size = param_int(params, "size");
  const std::int64_t seed = param_int(params, "seed");
  if (c < 1 || c > 16 || size < 2 || size > 16 || seed < 0) {
    throw Error("lesson 17-graph-optimization", "channels in [1, 16], size in [2, 16], seed >= 0",
                "channels = " + str(c) + ", size = " + str(size) + ", seed = " + str(seed));
  }
  convert::register_onnx_ops();
  passes::register_fused_ops();
  Recorder rec("17-graph-optimization", "Graph optimisation: folding, fusion, layout and memory");
  trace::ScopedRecorder attach(rec);  // the pass manager and the planned run record themselves
  const Model m = build_model(c, size, static_cast<std::uint64_t>(seed));
  Rng rng(static_cast<std::uint64_t>(seed) + 1);
  const graph::Feeds feeds{{"x", random(rng, {1, c, size, size}, -1, 1)}};
  std::vector<Tensor> reference;
  {
    trace::ScopedPause quiet;
    reference = graph::run(m.graph, feeds);
  }

  rec.section("1. The graph a converter hands over");
  rec.add_scene(graph::to_scene(m.graph, "model", "the imported model"));
  rec.step("The model: " + str(static_cast<std::int64_t>(passes::op_count(m.graph))) + " ops over " +
               str(static_cast<std::int64_t>(m.graph.size() - passes::op_count(m.graph))) +
               " inputs and constants. Several of them compute nothing new at inference.",
           Level::pass);

  rec.section("2. Basic passes: fold, remove, deduplicate");
  const Graph basic = optimise(rec, m.graph,
                               {passes::identity_removal(), passes::constant_folding(), passes::inverse_pairs(),
                                passes::common_subexpression_elimination(), passes::dead_code_elimination()},
                               feeds, reference, "Basic passes");
  check(count_op(basic, "Identity") == 0 && count_op(basic, "Dropout") == 0 && count_op(basic, "Transpose") == 0 &&
            count_op(basic, "GlobalAveragePool") == 1 && count_op(basic, "Div") == 0,
        "no Identity, Dropout, Transpose or Div left and one GlobalAveragePool", basic.str());

  rec.section("3. Fusion: BatchNormalization into the convolution, and friends");
  const Graph fused = optimise(rec, basic,
                               {passes::conv_bn_folding(), passes::conv_add_fusion(), passes::conv_relu_fusion(),
                                passes::matmul_add_to_gemm(), passes::dead_code_elimination()},
                               feeds, reference, "Fusion passes");
  check(count_op(fused, "BatchNormalization") == 0 && count_op(fused, "Relu") == 0 && count_op(fused, "MatMul") == 0,
        "no BatchNormalization, Relu or MatMul left after fusion", fused.str());
  bn_fold_arithmetic(rec, m, fused);

  rec.section("4. Layout: NC4HW4 regions");
  const Graph blocked = optimise(rec, fused, {passes::nc4hw4_layout(), passes::dead_code_elimination()}, feeds,
                                 reference, "Layout pass");
  const std::size_t converts = count_op(blocked, "LayoutConvert");
  check(converts == 2, "one conversion into NC4HW4 and one out of it around the convolutions", str(static_cast<std::int64_t>(converts)));

  rec.section("5. Memory: liveness, in place, sharing");
  memory(rec, m.graph, fused, feeds, reference);
  return rec.take();
}

}  // namespace

Lesson lesson_17_graph_optimization() {
  return {"17-graph-optimization",
          "Graph optimisation: folding, fusion, layout and memory",
          "Part III, inference engine",
          {{"channels", "4", "channels of the convolutions (1-16)"},
           {"size", "6", "height and width of the input image (2-16)"},
           {"seed", "1", "seed of the weights, the batch-norm statistics and the input"}},
          lesson_text_17_graph_optimization,
          graph_optimization};
}

}  // namespace gb::lessons
