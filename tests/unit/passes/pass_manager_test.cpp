// pass_manager_test.cpp: the PassManager (gb/passes/pass_manager.hpp) and the basic pipeline as a whole.
//
// The manager keeps, per pass, the graph before and after and the rewrites; with a Recorder attached it
// records the viewer's before/after scenes, the "pass-log" table and one step per pass and per rewrite.
// The property test builds random DAGs of ONNX ops (Add, Mul, Relu, Identity, Dropout, Transpose pairs,
// Reshape pairs, x + 0, x * 1, constant subtrees, repeated subexpressions) and runs the basic pipeline to
// a fixed point: the outputs equal run_fifo of the original, the op count never grows, and nothing the
// rules target is left.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "basic_test_util.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/passes/passes.hpp"
#include "gb/trace/recorder.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;
using gb::graph::ValueId;
using gb::passes::Pass;
using gb::passes::PassManager;
using gb::passes::PassRecord;
using gb::passes::op_count;
using namespace gb::passes::testing;

// x -> Identity -> Identity -> Relu, plus a dead Mul: identity_removal fires twice, DCE once.
Graph small_graph() {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {4}});
  g.add("Mul", {x, x});
  g.set_outputs({g.add("Relu", {g.add("Identity", {g.add("Identity", {x})})})});
  return g;
}

PassManager basic_manager(gb::passes::PassManagerOptions options = {}) {
  PassManager pm(options);
  pm.add(gb::passes::identity_removal()).add(gb::passes::dead_code_elimination());
  return pm;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST(PassManager, KeepsSnapshotsAndTheLogOfEveryPass) {
  const Graph g = small_graph();
  PassManager pm = basic_manager();
  const Graph out = pm.run(g);
  ASSERT_EQ(pm.records().size(), 2u);
  const PassRecord& first = pm.records()[0];
  EXPECT_EQ(first.pass, "identity_removal");
  EXPECT_EQ(op_count(first.before), 4u);  // Mul, Identity, Identity, Relu
  EXPECT_EQ(op_count(first.after), 2u);
  EXPECT_EQ(rules(first.rewrites), (std::vector<std::string>{"identity_removal", "identity_removal"}));
  const PassRecord& second = pm.records()[1];
  EXPECT_EQ(second.pass, "dead_code_elimination");
  EXPECT_EQ(op_count(second.before), 2u);
  EXPECT_EQ(op_count(second.after), 1u);
  EXPECT_EQ(rules(second.rewrites), std::vector<std::string>{"dead_code_elimination"});
  EXPECT_EQ(op_count(out), 1u);
  expect_same_outputs(g, out, 21);

  // log_text: one line per rewrite, "[pass] rule: detail (n3 -> n7)", or "(removed n3)" when it made nothing.
  const std::vector<std::string> lines = lines_of(pm.log_text());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("[identity_removal] identity_removal: ", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("(removed n" + std::to_string(first.rewrites[0].before[0]) + ")"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[2].rfind("[dead_code_elimination] dead_code_elimination: removed 1 ", 0), 0u) << lines[2];
  EXPECT_EQ(lines[2].back(), ')');
}

TEST(PassManager, WithoutSnapshotsKeepsOnlyTheLogs) {
  PassManager pm = basic_manager({/*snapshots=*/false, /*max_rounds=*/4});
  pm.run(small_graph());
  ASSERT_EQ(pm.records().size(), 2u);
  EXPECT_EQ(pm.records()[0].before.size(), 0u);
  EXPECT_EQ(pm.records()[0].after.size(), 0u);
  EXPECT_EQ(pm.records()[0].rewrites.size(), 2u);
}

TEST(PassManager, RecordsScenesAStepPerPassAndPerRewrite) {
  const Graph g = small_graph();
  gb::trace::Recorder rec("17-passes", "passes");
  PassManager pm = basic_manager();
  {
    gb::trace::ScopedRecorder attach(rec);
    pm.run(g);
  }
  const gb::trace::Recording& r = rec.recording();
  std::vector<std::string> scenes;
  for (const gb::trace::Scene& s : r.scenes) scenes.push_back(s.id);
  EXPECT_EQ(scenes, (std::vector<std::string>{"pass-log", "pass-0-before", "pass-0-after", "pass-1-before", "pass-1-after"}));
  // 2 passes + 3 rewrites; each rewrite adds one pass-log row and lights its nodes.
  ASSERT_EQ(r.steps.size(), 5u);
  std::size_t pass_steps = 0, rows = 0, lit = 0;
  for (const gb::trace::Step& s : r.steps) {
    pass_steps += s.level == gb::trace::Level::pass ? 1 : 0;
    for (const gb::trace::Change& c : s.changes) {
      if (c.kind == gb::trace::ChangeKind::add_row) {
        ++rows;
        EXPECT_EQ(c.scene, "pass-log");
        ASSERT_EQ(c.row.size(), 5u);
      }
      if (c.kind == gb::trace::ChangeKind::highlight && c.scene == "pass-0-before") {
        ++lit;
        EXPECT_EQ(c.target[0], 'n');
      }
    }
  }
  EXPECT_EQ(pass_steps, 2u);
  EXPECT_EQ(rows, 3u);
  EXPECT_EQ(lit, 2u);  // the two Identity nodes
  EXPECT_NE(r.steps[0].caption.find("identity_removal: 2 rewrites; 4 ops before, 2 after"), std::string::npos)
      << r.steps[0].caption;
}

TEST(PassManager, RunToFixedPointStopsAfterAQuietRound) {
  PassManager pm = basic_manager();
  const Graph out = pm.run_to_fixed_point(small_graph());
  EXPECT_EQ(pm.records().size(), 4u);  // round 1 fires, round 2 does not
  EXPECT_TRUE(pm.records()[2].rewrites.empty());
  EXPECT_TRUE(pm.records()[3].rewrites.empty());
  EXPECT_EQ(op_count(out), 1u);

  PassManager once = basic_manager({true, 1});
  once.run_to_fixed_point(small_graph());
  EXPECT_EQ(once.records().size(), 2u);
}

TEST(PassManager, RejectsAPassWithoutARunFunction) {
  PassManager pm;
  EXPECT_THROW(pm.add(Pass{"empty", "basic", "nothing", {}}), gb::Error);
}

// --- the basic pipeline on random DAGs ---------------------------------------------------------------

namespace {

// A random permutation of 0..2 and its inverse.
Ints random_perm(gb::Rng& rng) {
  Ints p{0, 1, 2};
  for (std::size_t i = 2; i > 0; --i) std::swap(p[i], p[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(i) + 1))]);
  return p;
}
Ints inverse_of(const Ints& p) {
  Ints q(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) q[static_cast<std::size_t>(p[i])] = static_cast<std::int64_t>(i);
  return q;
}

// Every value is f32[3, 3, 3], so any two can be added and any permutation keeps the shape.
Graph random_dag(std::uint64_t seed, int target_nodes) {
  gb::convert::register_onnx_ops();
  gb::Rng rng(seed);
  const gb::Shape shape{3, 3, 3};
  Graph g;
  std::vector<ValueId> pool{g.placeholder("x", {DType::f32, shape}), g.placeholder("y", {DType::f32, shape})};
  struct Made {
    std::string op;
    std::vector<ValueId> inputs;
    Attributes attrs;
  };
  std::vector<Made> made;  // for repeating a subexpression
  auto pick = [&] { return pool[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(pool.size())))]; };
  // Appends a node; its value joins the pool (and the node the list of repeatable ones) when `pooled`.
  auto add = [&](const std::string& op, const std::vector<ValueId>& in, Attributes attrs = {}, bool pooled = true) {
    if (pooled) made.push_back({op, in, attrs});
    const ValueId v = g.add_node(op, in, std::move(attrs))[0];
    if (pooled) pool.push_back(v);
    return v;
  };
  auto random_constant = [&] { return g.constant(rng.uniform(shape, -1.0, 1.0)); };
  while (op_count(g) < static_cast<std::size_t>(target_nodes)) {
    switch (rng.randint(0, 10)) {
      case 0: add("Add", {pick(), pick()}); break;
      case 1: add("Mul", {pick(), pick()}); break;
      case 2: add("Relu", {pick()}); break;
      case 3: add("Identity", {pick()}); break;
      case 4: {  // a Transpose pair, inverse half of the time
        const Ints p = random_perm(rng), q = rng.randint(0, 2) == 0 ? inverse_of(p) : random_perm(rng);
        add("Transpose", {add("Transpose", {pick()}, {{"perm", p}})}, {{"perm", q}});
        break;
      }
      case 5: add(rng.randint(0, 2) ? "Add" : "Mul", {add("Relu", {random_constant()}), random_constant()}); break;
      case 6:  // a repeated subexpression
        if (!made.empty()) {
          const Made m = made[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(made.size())))];
          add(m.op, m.inputs, m.attrs);
        }
        break;
      case 7:
        if (rng.randint(0, 2)) add("Add", {pick(), g.constant(Tensor::zeros({3}))});
        else add("Mul", {g.constant(Tensor::ones({1, 3, 1})), pick()});
        break;
      case 8: add("Dropout", {pick()}); break;
      default: {
        const ValueId flat = add("Reshape", {pick(), g.constant(Tensor::from_vector(Ints{9, 3}, {2}))}, {}, false);
        add("Reshape", {flat, g.constant(Tensor::from_vector(Ints{3, 3, 3}, {3}))});
      }
    }
  }
  g.set_outputs({pool.back(), pick(), pick()});
  return g;
}

std::vector<Pass> basic_pipeline() {
  return {gb::passes::identity_removal(), gb::passes::constant_folding(), gb::passes::inverse_pairs(),
          gb::passes::common_subexpression_elimination(), gb::passes::dead_code_elimination()};
}

}  // namespace

TEST(BasicPipeline, RandomDagsKeepTheirOutputsAndNeverGrow) {
  std::size_t fired = 0, before_total = 0, after_total = 0;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const Graph g = random_dag(seed, 10 + static_cast<int>(seed % 21));
    PassManager pm({true, 8});
    for (Pass p : basic_pipeline()) pm.add(std::move(p));
    const Graph out = pm.run_to_fixed_point(g);
    SCOPED_TRACE("seed " + std::to_string(seed) + "\n" + g.str() + "--- optimised\n" + out.str());
    for (const PassRecord& r : pm.records()) {
      EXPECT_LE(op_count(r.after), op_count(r.before)) << r.pass;
      fired += r.rewrites.size();
    }
    before_total += op_count(g);
    after_total += op_count(out);
    // Graph outputs keep their values (x + 0 may turn -0.0 into +0.0: equal as numbers).
    expect_same_outputs(g, out, 100 + seed, /*zero_sign_free=*/true);
    // The fixed point leaves nothing the rules target: no Identity or Dropout, no op of constants only,
    // no Transpose or Reshape reading its own kind.
    EXPECT_EQ(count_op(out, "Identity") + count_op(out, "Dropout"), 0u);
    for (const gb::graph::Node& n : out.nodes()) {
      if (n.op == "placeholder" || n.op == "constant") continue;
      EXPECT_FALSE(std::all_of(n.inputs.begin(), n.inputs.end(),
                               [&out](ValueId v) { return out.node(out.value(v).producer).op == "constant"; }))
          << n.op << " n" << n.id << " of constants only";
      if (n.op == "Transpose" || n.op == "Reshape") {
        EXPECT_NE(out.node(out.value(n.inputs[0]).producer).op, n.op) << "n" << n.id;
      }
    }
  }
  EXPECT_GT(fired, 100u);
  EXPECT_LT(after_total, before_total);
}
