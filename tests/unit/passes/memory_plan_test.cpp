// memory_plan_test.cpp: memory planning (lesson 17, gb/passes/memory_plan.hpp).
//
// The live intervals, in-place choices and offsets of small graphs are worked out by hand in the
// comments (step s runs the s-th op node of the topological order). Random DAGs check the invariants
// that every correct plan has: no two values live at the same step share bytes (except a value and the
// input it overwrites in place), peak live <= arena <= naive. The oracle for the arena run is run_fifo,
// which keeps every value in its own tensor: the outputs must be bitwise equal, and a plan corrupted to
// put two live values in the same bytes must give different outputs.
#include <gtest/gtest.h>

#include <cstring>

#include "gb/convert/onnx_ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/memory_plan.hpp"
#include "gb/trace/recorder.hpp"

namespace {

using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;
using gb::graph::NodeId;
using gb::graph::ValueId;
using gb::passes::LiveInterval;
using gb::passes::MemoryPlan;
using gb::passes::MemoryPlanOptions;
using Ints = std::vector<std::int64_t>;

Tensor random(const gb::Shape& shape, std::uint64_t seed) {
  gb::Rng rng(seed);
  return rng.uniform(shape, -1.0, 1.0);
}

const LiveInterval& interval_of(const MemoryPlan& plan, ValueId v) {
  for (const LiveInterval& i : plan.intervals) {
    if (i.value == v) return i;
  }
  throw std::runtime_error("no interval for v" + std::to_string(v));
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<std::size_t>(ca.numel()) * gb::dtype_size(ca.dtype())) == 0;
}

void expect_same_outputs(const Graph& g, const MemoryPlan& plan, const gb::graph::Feeds& feeds) {
  const std::vector<Tensor> want = gb::graph::run_fifo(g, feeds).outputs;
  const std::vector<Tensor> got = gb::passes::run_with_plan(g, plan, feeds);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_TRUE(bitwise_equal(got[k], want[k])) << "output " << k << "\n" << plan.str();
}

// The invariants of every plan.
void expect_valid(const MemoryPlan& plan) {
  for (std::size_t a = 0; a < plan.intervals.size(); ++a) {
    for (std::size_t b = a + 1; b < plan.intervals.size(); ++b) {
      const LiveInterval &p = plan.intervals[a], &q = plan.intervals[b];
      const bool same_time = p.first <= q.last && q.first <= p.last;
      const bool in_place_pair = p.in_place_of == q.value || q.in_place_of == p.value;
      const bool same_bytes = p.offset < q.offset + q.bytes && q.offset < p.offset + p.bytes;
      if (same_time && !in_place_pair && p.bytes > 0 && q.bytes > 0) {
        EXPECT_FALSE(same_bytes) << "v" << p.value << " and v" << q.value << " overlap\n" << plan.str();
      }
      if (in_place_pair) {
        EXPECT_EQ(p.offset, q.offset);
      }
    }
    EXPECT_EQ(plan.intervals[a].offset % 64, 0);
    EXPECT_LE(plan.intervals[a].offset + plan.intervals[a].bytes, plan.arena_bytes);
  }
  EXPECT_LE(plan.arena_bytes, plan.naive_bytes);
  EXPECT_GE(plan.arena_bytes, plan.peak_live_bytes);
}

Attributes conv3x3() { return {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}}; }

// A 3x3 convolution with padding 1 from `in_channels` to 4 channels (an 8x8 image stays 8x8).
ValueId conv(Graph& g, ValueId x, std::int64_t in_channels, std::uint64_t seed) {
  const ValueId w = g.constant(random({4, in_channels, 3, 3}, seed));
  const ValueId b = g.constant(random({4}, seed + 100));
  return g.add("Conv", {x, w, b}, conv3x3());
}

// x -> Conv -> Relu -> Conv -> Relu. Every op value is f32[1, 4, 8, 8]: 256 floats, 1024 B.
struct Chain {
  Graph g;
  ValueId x, c1, r1, c2, r2;
  Chain() {
    gb::convert::register_onnx_ops();
    x = g.placeholder("x", {gb::DType::f32, {1, 3, 8, 8}});
    c1 = conv(g, x, 3, 1);
    r1 = g.add("Relu", {c1});
    c2 = conv(g, r1, 4, 2);
    r2 = g.add("Relu", {c2});
    g.set_outputs({r2});
  }
  gb::graph::Feeds feeds() const { return {{"x", random({1, 3, 8, 8}, 7)}}; }
};

// x -> Conv a -> Relu b -> Conv c -> Relu d -> Conv e -> Add f(e, b) -> Relu out: a residual block.
struct Residual {
  Graph g;
  ValueId x, a, b, c, d, e, f, out;
  Residual() {
    gb::convert::register_onnx_ops();
    x = g.placeholder("x", {gb::DType::f32, {1, 4, 8, 8}});
    a = conv(g, x, 4, 1);
    b = g.add("Relu", {a});
    c = conv(g, b, 4, 2);
    d = g.add("Relu", {c});
    e = conv(g, d, 4, 3);
    f = g.add("Add", {e, b});
    out = g.add("Relu", {f});
    g.set_outputs({out});
  }
  gb::graph::Feeds feeds() const { return {{"x", random({1, 4, 8, 8}, 8)}}; }
};

// x -> Relu a; a -> Sigmoid b; a -> Tanh c; d = Mul(b, c): a diamond. Values f32[2, 16]: 128 B.
struct Diamond {
  Graph g;
  ValueId x, a, b, c, d;
  Diamond() {
    gb::convert::register_onnx_ops();
    x = g.placeholder("x", {gb::DType::f32, {2, 16}});
    a = g.add("Relu", {x});
    b = g.add("Sigmoid", {a});
    c = g.add("Tanh", {a});
    d = g.add("Mul", {b, c});
    g.set_outputs({d});
  }
  gb::graph::Feeds feeds() const { return {{"x", random({2, 16}, 9)}}; }
};

NodeId producer(const Graph& g, ValueId v) { return g.value(v).producer; }

void expect_interval(const MemoryPlan& plan, ValueId v, int first, int last, std::int64_t bytes, ValueId in_place_of) {
  const LiveInterval& i = interval_of(plan, v);
  EXPECT_EQ(i.first, first) << "v" << v;
  EXPECT_EQ(i.last, last) << "v" << v;
  EXPECT_EQ(i.bytes, bytes) << "v" << v;
  EXPECT_EQ(i.in_place_of, in_place_of) << "v" << v;
}

}  // namespace

TEST(MemoryPlan, ChainIntervalsInPlaceAndSharingByHand) {
  Chain t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g);
  // Only the four op nodes run: the placeholder and the four weight constants are the caller's.
  EXPECT_EQ(plan.order, (std::vector<NodeId>{producer(t.g, t.c1), producer(t.g, t.r1), producer(t.g, t.c2), producer(t.g, t.r2)}));
  ASSERT_EQ(plan.intervals.size(), 4u);
  // c1 is read by the Relu at step 1, which overwrites it; r1 is read by the Conv at step 2; the second
  // Relu overwrites c2 at step 3; r2 is the output and lives to the last step (3).
  expect_interval(plan, t.c1, 0, 1, 1024, -1);
  expect_interval(plan, t.r1, 1, 2, 1024, t.c1);
  expect_interval(plan, t.c2, 2, 3, 1024, -1);
  expect_interval(plan, t.r2, 3, 3, 1024, t.c2);
  EXPECT_EQ(plan.in_place_count, 2);
  // Two buffers: {c1, r1} over steps [0, 2] and {c2, r2} over [2, 3]; they meet at step 2, so the
  // arena holds both: the first (placed first among equal sizes) at 0, the second at 1024.
  EXPECT_EQ(interval_of(plan, t.c1).offset, 0);
  EXPECT_EQ(interval_of(plan, t.r1).offset, 0);
  EXPECT_EQ(interval_of(plan, t.c2).offset, 1024);
  EXPECT_EQ(interval_of(plan, t.r2).offset, 1024);
  EXPECT_EQ(plan.naive_bytes, 4 * 1024);
  EXPECT_EQ(plan.peak_live_bytes, 2048);
  EXPECT_EQ(plan.arena_bytes, 2048);
  expect_valid(plan);
  expect_same_outputs(t.g, plan, t.feeds());
}

TEST(MemoryPlan, ChainWithoutInPlaceSharesByLiveness) {
  Chain t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g, {.in_place = false});
  EXPECT_EQ(plan.in_place_count, 0);
  // c1 [0, 1], r1 [1, 2], c2 [2, 3], r2 [3, 3]. Greedy (all 1024 B, by first step): c1 @ 0; r1 meets
  // c1 at step 1 -> 1024; c2 meets only r1 -> 0; r2 meets only c2 -> 1024.
  expect_interval(plan, t.r1, 1, 2, 1024, -1);
  expect_interval(plan, t.r2, 3, 3, 1024, -1);
  EXPECT_EQ(interval_of(plan, t.c1).offset, 0);
  EXPECT_EQ(interval_of(plan, t.r1).offset, 1024);
  EXPECT_EQ(interval_of(plan, t.c2).offset, 0);
  EXPECT_EQ(interval_of(plan, t.r2).offset, 1024);
  EXPECT_EQ(plan.peak_live_bytes, 2048);  // two values at every step from 1 on
  EXPECT_EQ(plan.arena_bytes, 2048);
  expect_valid(plan);
  expect_same_outputs(t.g, plan, t.feeds());
}

TEST(MemoryPlan, NoSharingStacksEveryValue) {
  Chain t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g, {.in_place = true, .share = false});
  EXPECT_EQ(plan.in_place_count, 0);
  EXPECT_EQ(plan.arena_bytes, plan.naive_bytes);
  EXPECT_EQ(plan.arena_bytes, 4096);
  std::vector<std::int64_t> offsets;
  for (const LiveInterval& i : plan.intervals) offsets.push_back(i.offset);
  EXPECT_EQ(offsets, (std::vector<std::int64_t>{0, 1024, 2048, 3072}));
  expect_valid(plan);
  expect_same_outputs(t.g, plan, t.feeds());
}

TEST(MemoryPlan, ResidualBlockByHand) {
  Residual t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g);
  ASSERT_EQ(plan.order.size(), 7u);
  // Steps: a 0, b 1, c 2, d 3, e 4, f 5, out 6. b is read by the second Conv (2) and by the Add (5).
  expect_interval(plan, t.a, 0, 1, 1024, -1);
  expect_interval(plan, t.b, 1, 5, 1024, t.a);
  expect_interval(plan, t.c, 2, 3, 1024, -1);
  expect_interval(plan, t.d, 3, 4, 1024, t.c);
  expect_interval(plan, t.e, 4, 5, 1024, -1);
  // Both inputs of the Add die at step 5; it takes the first, e.
  expect_interval(plan, t.f, 5, 6, 1024, t.e);
  expect_interval(plan, t.out, 6, 6, 1024, t.f);
  EXPECT_EQ(plan.in_place_count, 4);
  // Buffers {a, b} [0, 5], {c, d} [2, 4], {e, f, out} [4, 6] all meet: 0, 1024, 2048.
  EXPECT_EQ(interval_of(plan, t.b).offset, 0);
  EXPECT_EQ(interval_of(plan, t.d).offset, 1024);
  EXPECT_EQ(interval_of(plan, t.out).offset, 2048);
  EXPECT_EQ(plan.naive_bytes, 7 * 1024);
  EXPECT_EQ(plan.peak_live_bytes, 3072);  // step 4: b, d and e
  EXPECT_EQ(plan.arena_bytes, 3072);
  expect_valid(plan);
  expect_same_outputs(t.g, plan, t.feeds());
  const std::string text = plan.str();
  EXPECT_NE(text.find("(in place of v" + std::to_string(t.e) + ")"), std::string::npos) << text;
  EXPECT_NE(text.find("naive 7168 B, peak live 3072 B, arena 3072 B, in place 4"), std::string::npos) << text;
}

TEST(MemoryPlan, DiamondByHand) {
  Diamond t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g);
  // a = Relu(x) cannot overwrite x (a placeholder: the caller's). b = Sigmoid(a) cannot overwrite a
  // (the Tanh reads it later); c = Tanh(a) can; d = Mul(b, c) overwrites b.
  expect_interval(plan, t.a, 0, 2, 128, -1);
  expect_interval(plan, t.b, 1, 3, 128, -1);
  expect_interval(plan, t.c, 2, 3, 128, t.a);
  expect_interval(plan, t.d, 3, 3, 128, t.b);
  EXPECT_EQ(plan.naive_bytes, 512);
  EXPECT_EQ(plan.peak_live_bytes, 256);
  EXPECT_EQ(plan.arena_bytes, 256);
  expect_valid(plan);
  expect_same_outputs(t.g, plan, t.feeds());
}

TEST(MemoryPlan, InPlaceNeedsSameSizeAndAnInputNotAGraphOutput) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {gb::DType::f32, {2, 16}});
  const ValueId z = g.placeholder("z", {gb::DType::f32, {1, 16}});
  const ValueId u = g.add("Relu", {x});     // step 0, 128 B
  const ValueId r = g.add("Relu", {z});     // step 1, 64 B
  const ValueId s = g.add("Add", {r, u});   // step 2: r dies here but is smaller; u fits
  const ValueId t = g.add("Sigmoid", {s});  // step 3: s is a graph output, so no
  g.set_outputs({t, s});
  const MemoryPlan plan = gb::passes::plan_memory(g);
  expect_interval(plan, r, 1, 2, 64, -1);
  expect_interval(plan, s, 2, 3, 128, u);
  expect_interval(plan, t, 3, 3, 128, -1);
  expect_valid(plan);
  expect_same_outputs(g, plan, {{"x", random({2, 16}, 1)}, {"z", random({1, 16}, 2)}});
}

TEST(MemoryPlan, IdentityDropoutAndBuiltInOpsRunInPlace) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {gb::DType::f32, {3, 5}});
  const ValueId a = g.add("relu", {x});                      // lib/graph's built-in op
  const ValueId i = g.add("Identity", {a});                  // its kernel returns its input itself
  const std::vector<ValueId> dropout = g.add_node("Dropout", {i});  // (data, mask); the mask is unused
  const ValueId y = g.add("add", {dropout[0], x});
  g.set_outputs({y});
  const MemoryPlan plan = gb::passes::plan_memory(g);
  EXPECT_EQ(interval_of(plan, i).in_place_of, a);
  EXPECT_EQ(interval_of(plan, dropout[0]).in_place_of, i);
  EXPECT_EQ(interval_of(plan, y).in_place_of, dropout[0]);
  expect_interval(plan, dropout[1], 2, 2, 15, -1);  // u8 mask: written at step 2, never read
  expect_valid(plan);
  expect_same_outputs(g, plan, {{"x", random({3, 5}, 3)}});
}

TEST(MemoryPlan, RandomDagsKeepTheInvariantsAndMatchRunFifo) {
  gb::convert::register_onnx_ops();
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    gb::Rng rng(seed, 3);
    const std::int64_t rows = rng.randint(1, 6), cols = rng.randint(1, 10);
    const std::vector<gb::Shape> shapes{{rows, cols}, {1, cols}, {rows, 1}};
    Graph g;
    std::vector<ValueId> values;
    gb::graph::Feeds feeds;
    for (std::size_t k = 0; k < shapes.size(); ++k) {
      const std::string name = "x" + std::to_string(k);
      values.push_back(g.placeholder(name, {gb::DType::f32, shapes[k]}));
      feeds[name] = random(shapes[k], seed * 10 + k);
    }
    values.push_back(g.constant(random(shapes[0], seed + 1000)));
    const std::int64_t nodes = rng.randint(3, 16);
    for (std::int64_t n = 0; n < nodes; ++n) {
      const char* ops[] = {"Add", "Relu", "Mul"};
      const std::string op = ops[rng.randint(0, 3)];
      const ValueId first = values[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(values.size())))];
      if (op == "Relu") {
        values.push_back(g.add(op, {first}));
      } else {
        const ValueId second = values[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(values.size())))];
        values.push_back(g.add(op, {first, second}));
      }
    }
    const ValueId extra = values[static_cast<std::size_t>(rng.randint(0, static_cast<std::int64_t>(values.size())))];
    g.set_outputs({values.back(), extra});

    for (const MemoryPlanOptions& options : {MemoryPlanOptions{}, MemoryPlanOptions{false, true}, MemoryPlanOptions{true, false}}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " in_place " + std::to_string(options.in_place) + " share " +
                   std::to_string(options.share));
      const MemoryPlan plan = gb::passes::plan_memory(g, options);
      expect_valid(plan);
      if (!options.share) {
        EXPECT_EQ(plan.arena_bytes, plan.naive_bytes);
      }
      // Liveness from its definition: first = the producer's step, last = the last reader's step, or the
      // last step for a graph output.
      std::map<NodeId, int> step;
      for (std::size_t s = 0; s < plan.order.size(); ++s) step[plan.order[s]] = static_cast<int>(s);
      for (const LiveInterval& i : plan.intervals) {
        int last = step.at(producer(g, i.value));
        for (NodeId reader : g.consumers(i.value)) {
          if (step.count(reader)) last = std::max(last, step.at(reader));
        }
        for (ValueId out : g.outputs()) {
          if (out == i.value) last = static_cast<int>(plan.order.size()) - 1;
        }
        EXPECT_EQ(i.first, step.at(producer(g, i.value)));
        EXPECT_EQ(i.last, last);
        if (i.in_place_of != -1) {
          EXPECT_EQ(interval_of(plan, i.in_place_of).last, i.first);
        }
      }
      expect_same_outputs(g, plan, feeds);
    }
  }
}

TEST(MemoryPlan, CorruptedPlanGivesWrongOutputs) {
  // Put q at p's offset where q is written while p is still to be read (p.first < q.first < p.last):
  // q's bytes clobber p. Residual: c lands on b, which the Add reads later. Diamond: b lands on a,
  // which the Tanh reads later.
  Residual residual;
  Diamond diamond;
  for (const auto& [g, feeds] : {std::pair{&residual.g, residual.feeds()}, std::pair{&diamond.g, diamond.feeds()}}) {
    MemoryPlan plan = gb::passes::plan_memory(*g);
    expect_same_outputs(*g, plan, feeds);
    bool corrupted = false;
    for (LiveInterval& q : plan.intervals) {
      for (const LiveInterval& p : plan.intervals) {
        if (!corrupted && p.first < q.first && q.first < p.last) {
          q.offset = p.offset;
          corrupted = true;
        }
      }
    }
    ASSERT_TRUE(corrupted);
    const Tensor want = gb::graph::run_fifo(*g, feeds).outputs[0];
    const Tensor got = gb::passes::run_with_plan(*g, plan, feeds)[0];
    EXPECT_FALSE(bitwise_equal(got, want)) << plan.str();
  }
}

TEST(MemoryPlan, DynamicDimsNeedKnownSizes) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {gb::DType::f32, {-1, 8}});
  const ValueId h = g.add("Relu", {x});
  g.set_value_name(h, "hidden");
  const ValueId y = g.add("Mul", {h, x});
  g.set_outputs({y});
  try {
    gb::passes::plan_memory(g);
    ADD_FAILURE() << "expected gb::Error";
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden"), std::string::npos) << e.what();
  }
  const gb::graph::Feeds feeds{{"x", random({3, 8}, 4)}};
  gb::graph::RunOptions keep;
  keep.keep_values = true;
  const gb::graph::RunResult seen = gb::graph::run_fifo(g, feeds, keep);
  const MemoryPlan plan = gb::passes::plan_memory(g, {}, &seen.values);
  expect_interval(plan, h, 0, 1, 3 * 8 * 4, -1);
  expect_interval(plan, y, 1, 1, 3 * 8 * 4, h);
  expect_valid(plan);
  expect_same_outputs(g, plan, feeds);
  // A bigger input than the plan was made for does not fit its slots.
  EXPECT_THROW(gb::passes::run_with_plan(g, plan, {{"x", random({5, 8}, 5)}}), gb::Error);
}

TEST(MemoryPlan, FeedsAreChecked) {
  Diamond t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g);
  EXPECT_THROW(gb::passes::run_with_plan(t.g, plan, {}), gb::Error);
  EXPECT_THROW(gb::passes::run_with_plan(t.g, plan, {{"x", random({2, 15}, 1)}}), gb::Error);
  EXPECT_THROW(gb::passes::run_with_plan(t.g, plan, {{"x", random({2, 16}, 1)}, {"y", random({1}, 1)}}), gb::Error);
  Residual other;  // a plan for another graph
  EXPECT_THROW(gb::passes::run_with_plan(t.g, gb::passes::plan_memory(other.g), t.feeds()), gb::Error);
}

TEST(MemoryPlan, RecordsTheMemoryTimeline) {
  Residual t;
  const MemoryPlan plan = gb::passes::plan_memory(t.g);
  gb::trace::Recorder rec("17-memory", "memory plan");
  std::vector<Tensor> out;
  {
    gb::trace::ScopedRecorder attach(rec);
    out = gb::passes::run_with_plan(t.g, plan, t.feeds());
  }
  EXPECT_TRUE(bitwise_equal(out[0], gb::graph::run_fifo(t.g, t.feeds()).outputs[0]));
  const gb::trace::Recording& r = rec.recording();
  const gb::trace::Scene* scene = r.find_scene("memory");
  ASSERT_NE(scene, nullptr);
  EXPECT_EQ(scene->kind, gb::trace::SceneKind::timeline);
  EXPECT_EQ(scene->timeline.lanes.size(), 3u);  // offsets 0, 1024, 2048
  EXPECT_EQ(r.steps.size(), plan.order.size());
  std::size_t spans = 0;
  double peak = 0;
  for (const gb::trace::Step& step : r.steps) {
    for (const gb::trace::Change& change : step.changes) {
      if (change.kind == gb::trace::ChangeKind::add_span) {
        ++spans;
        EXPECT_EQ(change.scene, "memory");
      }
      if (change.kind == gb::trace::ChangeKind::add_counter) peak = std::max(peak, change.counter.value);
    }
  }
  EXPECT_EQ(spans, plan.intervals.size());
  EXPECT_EQ(peak, static_cast<double>(plan.peak_live_bytes));
}
