// 15-hybrid-and-auto-parallel: the 3D device mesh and its groups, tensor layouts as owner grids, a
// redistribution run on real values with its inserted collectives and its messages, the cost of each
// kind of collective on a big tensor beside the ring formulas, and the strategy search's table with the
// outcomes for a small model, a model whose weights do not fit, and an MLP block. The scenario checks
// its numbers: TP groups inside nodes, redistributed values against the target layout's shards, times
// against the alpha-beta formulas, and the search against brute force.
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/parallel/layout_record.hpp"
#include "gb/parallel/mesh.hpp"
#include "gb/parallel/redistribute.hpp"
#include "gb/parallel/strategy.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::lessons {

extern const char* const lesson_text_15_hybrid_and_auto_parallel;

namespace {

namespace p = gb::parallel;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 15-hybrid-and-auto-parallel self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

p::ClusterSpec one_node(int devices) {
  p::ClusterSpec spec;
  spec.devices = devices;
  spec.devices_per_node = devices;  // every link NVLink-like: 2 us, 200 GB/s
  return spec;
}

p::Layout layout(std::vector<std::int64_t> matrix, std::vector<int> map, std::vector<std::int64_t> shape, std::vector<int> partial = {}) {
  return p::Layout{std::move(matrix), std::move(map), std::move(shape), std::move(partial)};
}

// Section 3's demo: the [2, 4] axis swap on real values, drawn as a layout diff and a timeline.
void redistribution_demo(Recorder& rec, std::int64_t rows, std::int64_t cols) {
  const p::Layout from = layout({2, 4}, {1, 0}, {rows, cols}), to = layout({2, 4}, {0, 1}, {rows, cols});
  const p::RedistributionPlan plan = p::plan_redistribution(from, to);
  Rng rng(15);
  const Tensor global = rng.normal({rows, cols});
  p::RedistributionCost real;
  const std::vector<Tensor> got = p::apply_redistribution(plan, p::to_shards(global, from), one_node(8), &real);
  const std::vector<Tensor> want = p::to_shards(global, to);
  for (std::size_t d = 0; d < got.size(); ++d) check(got[d].to_vector() == want[d].to_vector(), "device " + std::to_string(d) + "'s target shard", "other values");
  const p::RedistributionCost timed = p::time_redistribution(plan, one_node(8));
  check(std::fabs(timed.seconds - real.seconds) < 1e-15, num(real.seconds) + " s on real values", num(timed.seconds) + " s timed");
  p::record_layout_diff(rec, "layout", plan, timed);
  p::record_redistribution_timeline(rec, "messages", "The redistribution's messages (us)", plan, timed);
  rec.step("All " + std::to_string(got.size()) + " devices hold exactly their shard of the new layout, after " +
               num(timed.seconds * 1e6) + " us.",
           Level::pass);
}

// Each single collective on a big f32 tensor over [8], measured beside the ring formula.
void collective_costs(Recorder& rec, std::int64_t rows, std::int64_t cols) {
  rec.add_scene(trace::table_scene("costs", "One redistribution of a [" + std::to_string(rows) + ", " + std::to_string(cols) +
                                                "] f32 tensor on 8 devices",
                                   {"from", "to", "inserted", "measured (us)", "ring formula (us)", "bytes sent per device"}));
  const p::ClusterSpec spec = one_node(8);
  const double n = 8, alpha = spec.intra_node.alpha, beta = spec.intra_node.beta, S = static_cast<double>(rows * cols * 4);
  struct Case {
    p::Layout from, to;
    double formula;
  };
  const std::vector<std::int64_t> shape{rows, cols};
  const Case cases[] = {
      {layout({8}, {0, -1}, shape), layout({8}, {-1, -1}, shape), (n - 1) * (alpha + beta * S / n)},
      {layout({8}, {-1, -1}, shape, {0}), layout({8}, {-1, -1}, shape), 2 * (n - 1) * (alpha + beta * S / n)},
      {layout({8}, {-1, -1}, shape, {0}), layout({8}, {0, -1}, shape), (n - 1) * (alpha + beta * S / n)},
      {layout({8}, {0, -1}, shape), layout({8}, {-1, 0}, shape), (n - 1) * (alpha + beta * S / n / n)},
      {layout({8}, {-1, -1}, shape), layout({8}, {0, -1}, shape), 0},
  };
  for (const Case& c : cases) {
    const p::RedistributionPlan plan = p::plan_redistribution(c.from, c.to);
    const p::RedistributionCost cost = p::time_redistribution(plan, spec);
    check(std::fabs(cost.seconds - c.formula) <= 1e-9 * c.formula, num(c.formula) + " s (ring formula)", num(cost.seconds) + " s");
    const std::string inserted = plan.steps.empty() ? "nothing" : p::redistribution_kind_name(plan.steps[0].kind);
    const std::string bytes = plan.steps.empty() ? "0" : std::to_string(cost.step_bytes_sent[0]);
    rec.step(p::describe(c.from) + " to " + p::describe(c.to) + " inserts " + inserted + ": " + num(cost.seconds * 1e6) + " us.", Level::op)
        .add_row("costs", {p::describe(c.from), p::describe(c.to), inserted, num(cost.seconds * 1e6), num(c.formula * 1e6), bytes});
  }
}

p::StrategyProblem problem(std::int64_t batch, const std::vector<std::int64_t>& widths, std::int64_t limit) {
  p::StrategyProblem pr;
  pr.batch = batch;
  pr.layers = p::mlp_chain(widths);
  pr.devices = 8;
  pr.cluster.devices_per_node = 8;
  pr.memory_limit = limit;
  return pr;
}

std::string names(const std::vector<p::LayerStrategy>& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::string(p::layer_strategy_name(s[i]));
  return out;
}

// The search against brute force, as a row of the outcomes table.
p::StrategyChoice searched(Recorder& rec, const std::string& what, const p::StrategyProblem& pr) {
  const p::StrategyChoice c = p::search_strategy(pr), brute = p::brute_force_strategy(pr);
  check(std::fabs(c.seconds - brute.seconds) <= 1e-12 * brute.seconds, "the brute-force optimum " + num(brute.seconds), num(c.seconds));
  rec.step(what + ": the search picks " + names(c.strategies) + ".", Level::op)
      .add_row("outcomes", {what, names(c.strategies), num(c.seconds * 1e6), num(static_cast<double>(c.memory_bytes) / (1 << 20)),
                            pr.memory_limit ? num(static_cast<double>(pr.memory_limit) / (1 << 20)) : "none", num(brute.seconds * 1e6)});
  return c;
}

trace::Recording hybrid_and_auto_parallel(const Params& params) {
  Recorder rec("15-hybrid-and-auto-parallel", "Hybrid and automatic parallelism: meshes, layouts and strategy search");
  const int dp = static_cast<int>(param_int(params, "dp")), tp = static_cast<int>(param_int(params, "tp")),
            pp = static_cast<int>(param_int(params, "pp")), per_node = static_cast<int>(param_int(params, "devices_per_node"));
  const std::int64_t rows = param_int(params, "tensor_rows"), cols = param_int(params, "tensor_cols");
  const std::int64_t batch = param_int(params, "batch"), hidden = param_int(params, "hidden");
  for (const auto& [name, v, lo, hi] : {std::tuple{"dp", dp, 1, 64}, std::tuple{"tp", tp, 1, 64}, std::tuple{"pp", pp, 1, 64},
                                        std::tuple{"devices_per_node", per_node, 1, 64}}) {
    if (v < lo || v > hi) throw Error(std::string("lesson 15 parameter ") + name, "1..64", std::to_string(v));
  }
  if (dp * tp * pp > 256) throw Error("lesson 15 parameters dp x tp x pp", "at most 256 devices", std::to_string(dp * tp * pp));
  if (rows < 8 || rows > 64 || rows % 8 != 0 || cols < 8 || cols > 64 || cols % 8 != 0) {
    throw Error("lesson 15 parameters tensor_rows, tensor_cols", "multiples of 8 in 8..64", std::to_string(rows) + ", " + std::to_string(cols));
  }
  if (batch < 8 || batch > (1 << 20) || batch % 8 != 0) throw Error("lesson 15 parameter batch", "a multiple of 8 in 8..2^20", std::to_string(batch));
  if (hidden < 8 || hidden > (1 << 16) || hidden % 8 != 0) throw Error("lesson 15 parameter hidden", "a multiple of 8 in 8..65536", std::to_string(hidden));

  rec.section("1. 3D parallelism on a device mesh");
  const p::Mesh mesh(dp, tp, pp);
  p::record_mesh(rec, "mesh", mesh, per_node);
  if (tp <= per_node && per_node % tp == 0) check(mesh.tp_within_nodes(per_node), "tp groups inside nodes", "a group across nodes");

  rec.section("2. Tensor layouts");
  for (const auto& [id, l] : {std::pair{"rows_cols", layout({2, 4}, {1, 0}, {rows, cols})}, std::pair{"rows_only", layout({2, 4}, {1, -1}, {rows, cols})}}) {
    rec.add_scene(trace::tensor_scene(std::string("layout_") + id, p::describe(l) + ": the lowest device holding each element", p::layout_owners(l)));
    const auto r = p::shard_of(l, 6);
    rec.step("Under " + p::describe(l) + " device 6 holds rows " + std::to_string(r[0].begin) + ".." + std::to_string(r[0].end - 1) +
                 " and columns " + std::to_string(r[1].begin) + ".." + std::to_string(r[1].end - 1) + ".",
             Level::op);
  }

  rec.section("3. Redistribution");
  redistribution_demo(rec, rows, cols);
  collective_costs(rec, 4096, 4096);

  rec.section("4. Strategy search");
  const p::StrategyProblem block = problem(batch, {hidden, 4 * hidden, hidden, 4 * hidden, hidden}, 0);
  const p::StrategyChoice choice = p::search_strategy(block);
  p::record_strategy_table(rec, "search", "The dynamic program over " + std::to_string(block.layers.size()) + " layers (batch " +
                                              std::to_string(batch) + ", hidden " + std::to_string(hidden) + ", 8 devices)",
                           block, choice);
  rec.add_scene(trace::table_scene("outcomes", "What the search picks", {"model", "strategies", "step (us)", "memory (MiB)", "limit (MiB)", "brute force (us)"}));
  searched(rec, "Two MLP blocks", block);
  searched(rec, "A small model with a big batch", problem(16384, {512, 512, 512, 512}, 0));
  const p::StrategyProblem wide = problem(16384, {2048, 2048, 2048, 2048}, 0);
  const p::StrategyChoice free = searched(rec, "Wide layers, no limit", wide);
  const p::StrategyChoice tight = searched(rec, "Wide layers, 3/4 of that memory", problem(16384, {2048, 2048, 2048, 2048}, free.memory_bytes * 3 / 4));
  check(tight.memory_bytes < free.memory_bytes && tight.seconds > free.seconds, "a slower plan that fits the limit", num(tight.seconds));
  return rec.take();
}

}  // namespace

Lesson lesson_15_hybrid_and_auto_parallel() {
  return {"15-hybrid-and-auto-parallel",
          "Hybrid and automatic parallelism: meshes, layouts and strategy search",
          "Part II, distributed training (simulated)",
          {{"dp", "2", "data-parallel size of the mesh"},
           {"tp", "4", "tensor-parallel size of the mesh"},
           {"pp", "2", "pipeline stages of the mesh"},
           {"devices_per_node", "8", "devices per node (TP groups should fit inside one)"},
           {"tensor_rows", "8", "rows of the redistributed demo tensor (a multiple of 8, 8..64)"},
           {"tensor_cols", "8", "columns of the demo tensor (a multiple of 8, 8..64)"},
           {"batch", "2048", "batch (tokens) of the searched MLP (a multiple of 8)"},
           {"hidden", "4096", "hidden width of the searched MLP; its blocks are hidden -> 4 hidden -> hidden"}},
          lesson_text_15_hybrid_and_auto_parallel,
          hybrid_and_auto_parallel};
}

}  // namespace gb::lessons
