// glassbox_format_test.cpp: glassbox's FlatBuffers format (glassbox_format.hpp): bit-exact round trips
// (built-in ops, every attribute kind, If/While subgraphs, ONNX ops), the loaded graph runs to the same
// outputs, constants are views into the buffer, damaged buffers give gb::Error, the offset table.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>

#include "gb/control/functional.hpp"
#include "gb/core/error.hpp"
#include "gb/convert/glassbox_format.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/registry.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::convert::load_glassbox;
using gb::convert::save_glassbox;
using gb::graph::Graph;
using gb::graph::ValueId;
using Ints = std::vector<std::int64_t>;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "";
}

Tensor ramp(const gb::Shape& shape, DType dtype, double scale = 0.25) {
  std::vector<double> v(static_cast<std::size_t>(gb::shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = (static_cast<double>(i % 7) - 3.0) * scale;
  return Tensor::from_values(v, shape, dtype);
}

// An op that accepts any attributes (identity of its input): a carrier for every attribute kind.
void register_attribute_carrier() {
  gb::graph::OpDef def;
  def.name = "test.carry_attrs";
  def.num_inputs = 1;
  def.infer = [](const gb::graph::InferContext& ctx) { return std::vector<gb::graph::ValueInfo>{ctx.inputs[0]}; };
  def.kernel = [](const gb::graph::KernelContext& ctx) { return std::vector<Tensor>{ctx.inputs[0]}; };
  gb::graph::register_op(def);
}

// matmul + add + relu + reshape + transpose + sum + cast, constants of every dtype, names, groups.
Graph builtin_graph() {
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {2, 3}});
  const ValueId w = g.constant(ramp({3, 4}, DType::f32), "w");
  const ValueId b = g.constant(ramp({4}, DType::f32, 0.1), "b");
  const ValueId h = g.add("matmul", {x, w}, {}, "fc");
  const ValueId y = g.add("relu", {g.add("add", {h, b})});
  g.set_value_name(y, "hidden");
  const ValueId r = g.add("reshape", {y}, {{"shape", Ints{4, 2}}});
  const ValueId t = g.add("transpose", {r}, {{"perm", Ints{1, 0}}});
  const ValueId s = g.add("sum", {t}, {{"axes", Ints{1}}, {"keepdim", std::int64_t{1}}}, "row_sums");
  const ValueId c = g.add("cast", {s}, {{"dtype", std::string("f64")}});
  g.set_group(g.value(c).producer, "forward");
  std::vector<ValueId> outputs = {c, y};
  for (DType dtype : {DType::f64, DType::i8, DType::u8, DType::i32, DType::i64}) {
    outputs.push_back(g.constant(ramp({2, 2}, dtype, 2.0), std::string("k_") + gb::dtype_name(dtype)));
  }
  outputs.push_back(g.constant(Tensor::scalar(7.5, DType::f64)));           // shape [], unnamed
  outputs.push_back(g.constant(Tensor::zeros({0, 3}, DType::f32), "empty"));  // no elements
  g.set_outputs(outputs);
  return g;
}

// Every kind of gb::graph::Attribute on one node, and a dynamic dimension.
Graph attributes_graph() {
  register_attribute_carrier();
  Graph branch;
  branch.set_outputs({branch.add("neg", {branch.placeholder("a", {DType::f32, {-1}})})});
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {-1}});
  g.set_outputs({g.add("test.carry_attrs", {x},
                       {{"int", std::int64_t{-5}}, {"float", 0.1}, {"string", std::string("NCHW")},
                        {"ints", Ints{1, -2, 3}}, {"no_ints", Ints{}}, {"tensor", ramp({2, 3}, DType::f64)},
                        {"graph", std::make_shared<const Graph>(branch)}, {"data_format", std::string("NCHW")}},
                       "carrier")});
  return g;
}

// While (i < 3) { x = If(sum(x) > 0, relu(x), -x) * 2 }: a subgraph inside a subgraph.
Graph control_graph() {
  const auto scalar = gb::graph::ValueInfo{DType::f64, {}};
  const auto vec = gb::graph::ValueInfo{DType::f64, {3}};
  auto branch = [&](const std::string& op) {
    Graph b;
    b.set_outputs({b.add(op, {b.placeholder("v", vec)})});
    return std::make_shared<const Graph>(b);
  };
  Graph cond;
  const ValueId ci = cond.placeholder("i", scalar);
  cond.placeholder("x", vec);
  cond.set_outputs({cond.add("lt", {ci, cond.constant(Tensor::scalar(3.0, DType::f64), "three")})});
  Graph body;
  const ValueId bi = body.placeholder("i", scalar), bx = body.placeholder("x", vec);
  const ValueId positive = body.add("gt", {body.add("sum", {bx}), body.constant(Tensor::scalar(0.0, DType::f64))});
  const ValueId chosen = gb::control::make_if(body, positive, {bx}, branch("relu"), branch("neg"))[0];
  body.set_outputs({body.add("add", {bi, body.constant(Tensor::scalar(1.0, DType::f64))}),
                    body.add("mul", {chosen, body.constant(Tensor::scalar(2.0, DType::f64))})});
  Graph g;
  const ValueId i = g.constant(Tensor::scalar(0.0, DType::f64), "i0");
  const ValueId x = g.placeholder("x", vec);
  g.set_outputs(gb::control::make_while(g, {i, x}, std::make_shared<const Graph>(cond),
                                        std::make_shared<const Graph>(body), 50, "loop"));
  return g;
}

void expect_same_graph(const Graph& a, const Graph& b) {
  ASSERT_EQ(a.str(), b.str());
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.inputs(), b.inputs());
  EXPECT_EQ(a.outputs(), b.outputs());
  for (std::size_t v = 0; v < a.values().size(); ++v) EXPECT_EQ(a.values()[v].name, b.values()[v].name);
  for (std::size_t n = 0; n < a.size(); ++n) {
    const auto &x = a.nodes()[n], &y = b.nodes()[n];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.group, y.group);
    ASSERT_EQ(x.attrs.size(), y.attrs.size()) << x.op;
    for (const auto& [key, value] : x.attrs) {
      const gb::graph::Attribute& other = y.attrs.at(key);
      ASSERT_EQ(value.index(), other.index()) << key;
      if (const auto* t = std::get_if<Tensor>(&value)) {
        const Tensor& u = std::get<Tensor>(other);
        ASSERT_EQ(t->dtype(), u.dtype());
        ASSERT_EQ(t->shape(), u.shape());
        const Tensor tc = t->contiguous();
        EXPECT_EQ(std::memcmp(tc.raw_data(), u.raw_data(), static_cast<std::size_t>(t->numel()) * gb::dtype_size(t->dtype())), 0);
      } else if (const auto* sub = std::get_if<gb::graph::GraphPtr>(&value)) {
        expect_same_graph(**sub, *std::get<gb::graph::GraphPtr>(other));
      } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
        EXPECT_EQ(*i, std::get<std::int64_t>(other)) << key;
      } else if (const auto* f = std::get_if<double>(&value)) {
        EXPECT_EQ(std::memcmp(f, &std::get<double>(other), sizeof(double)), 0) << key;  // bit-exact
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_EQ(*s, std::get<std::string>(other)) << key;
      } else {
        EXPECT_EQ(std::get<Ints>(value), std::get<Ints>(other)) << key;
      }
    }
  }
}

// save(load(save(g))) == save(g), the graphs equal, and both run to bit-identical outputs.
void expect_round_trip(const Graph& g, const gb::graph::Feeds& feeds) {
  const std::string bytes = save_glassbox(g);
  EXPECT_EQ(bytes, save_glassbox(g)) << "deterministic";
  const Graph loaded = load_glassbox(bytes);
  EXPECT_EQ(save_glassbox(loaded), bytes);
  expect_same_graph(g, loaded);
  const std::vector<Tensor> want = gb::graph::run(g, feeds), got = gb::graph::run(loaded, feeds);
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(want[k].dtype(), got[k].dtype());
    EXPECT_EQ(want[k].shape(), got[k].shape());
    EXPECT_EQ(want[k].to_vector(), got[k].to_vector()) << "output " << k;
  }
}

TEST(GlassboxFormat, BuiltinOpsRoundTripBitExactAndRun) {
  expect_round_trip(builtin_graph(), {{"x", ramp({2, 3}, DType::f32, 0.5)}});
}

TEST(GlassboxFormat, EveryAttributeKindRoundTrips) {
  expect_round_trip(attributes_graph(), {{"x", ramp({5}, DType::f32)}});
}

TEST(GlassboxFormat, IfAndWhileSubgraphsRoundTrip) {
  const Graph g = control_graph();
  expect_round_trip(g, {{"x", Tensor::from_values({0.5, -1.0, 2.0}, {3}, DType::f64)}});
  expect_round_trip(g, {{"x", Tensor::from_values({-0.5, -1.0, 0.0}, {3}, DType::f64)}});
  // Four subgraphs: the While's cond and body, and the two branches of the If inside the body.
  int subgraph_tables = 0;
  for (const auto& region : gb::convert::flatbuffer_layout(save_glassbox(g))) {
    subgraph_tables += region.what.rfind("SubGraph ", 0) == 0 && region.what.find(' ', 9) == std::string::npos;
  }
  EXPECT_EQ(subgraph_tables, 4);
}

TEST(GlassboxFormat, OnnxOpsRoundTrip) {
  gb::convert::register_onnx_ops();
  for (const char* op : {"Conv", "Relu", "Flatten", "Gemm"}) {
    if (!gb::graph::has_op(op)) GTEST_SKIP() << "ONNX op " << op << " not registered yet";
  }
  Graph g;
  const ValueId x = g.placeholder("input", {DType::f32, {1, 2, 5, 5}});
  const ValueId w = g.constant(ramp({3, 2, 3, 3}, DType::f32), "conv.weight");
  const ValueId b = g.constant(ramp({3}, DType::f32), "conv.bias");
  const ValueId c = g.add("Conv", {x, w, b}, {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}, "conv");
  const ValueId f = g.add("Flatten", {g.add("Relu", {c})}, {{"axis", std::int64_t{1}}});
  const ValueId fw = g.constant(ramp({4, 27}, DType::f32), "fc.weight");
  g.set_outputs({g.add("Gemm", {f, fw}, {{"transB", std::int64_t{1}}, {"alpha", 0.5}}, "fc")});
  expect_round_trip(g, {{"input", ramp({1, 2, 5, 5}, DType::f32, 0.3)}});
}

TEST(GlassboxFormat, ConstantsAreViewsIntoOneBuffer) {
  const std::string bytes = save_glassbox(builtin_graph());
  const Graph g = load_glassbox(bytes);
  const Tensor& w = g.node(g.value(1).producer).attr_tensor("value");
  const Tensor& b = g.node(g.value(2).producer).attr_tensor("value");
  EXPECT_TRUE(w.shares_storage_with(b)) << "both point into the loaded buffer";
  EXPECT_EQ(w.storage()->nbytes, bytes.size());
  const std::ptrdiff_t at = static_cast<const std::byte*>(w.raw_data()) - w.storage()->data;  // its place in the file
  EXPECT_EQ(std::memcmp(w.raw_data(), bytes.data() + at, static_cast<std::size_t>(w.numel()) * 4), 0);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(w.raw_data()) % 16, 0u) << "data aligned to 16 bytes";
}

TEST(GlassboxFormat, LayoutCoversTheBufferInOrder) {
  const std::string bytes = save_glassbox(control_graph());
  const auto regions = gb::convert::flatbuffer_layout(bytes);
  ASSERT_FALSE(regions.empty());
  EXPECT_EQ(regions.front().offset, 0);
  EXPECT_NE(regions.front().what.find("GBOX"), std::string::npos);
  std::int64_t end = 0;
  bool root = false;
  for (const auto& r : regions) {
    root = root || r.what == "root table Net";
    ASSERT_GE(r.offset, end) << "overlap at " << r.what;
    ASSERT_LT(r.offset - end, 16) << "a gap larger than alignment padding before " << r.what;
    for (std::int64_t i = end; i < r.offset; ++i) EXPECT_EQ(bytes[static_cast<std::size_t>(i)], 0) << "padding is zeros";
    end = r.offset + r.size;
  }
  EXPECT_TRUE(root);
  EXPECT_LE(static_cast<std::size_t>(end), bytes.size());
  EXPECT_LT(bytes.size() - static_cast<std::size_t>(end), 16u);
}

TEST(GlassboxFormat, DamagedBuffersAreErrorsNeverCrashes) {
  const std::string bytes = save_glassbox(control_graph());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_NE(error_of([&] { load_glassbox(bytes.substr(0, n)); }), "") << "truncated to " << n;
  }
  int rejected = 0;  // a flipped data byte still loads; a flipped offset or index must not crash
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    rejected += !error_of([&] { load_glassbox(damaged); }).empty();
  }
  EXPECT_GT(rejected, static_cast<int>(bytes.size()) / 2);
  std::string wrong = bytes;
  wrong[4] = 'X';
  EXPECT_NE(error_of([&] { load_glassbox(wrong); }).find("GBOX"), std::string::npos);
  EXPECT_NE(error_of([&] { gb::convert::flatbuffer_layout(wrong); }), "");
  EXPECT_NE(error_of([&] { gb::convert::load_glassbox_file("/nonexistent/model.gbox"); }), "");
}

// Buffers the FlatBuffers verifier accepts but that break the format's rules, made by editing fields the
// offset table locates. Each error names the op and the problem.
TEST(GlassboxFormat, VerifiedButInvalidBuffersNameTheProblem) {
  const std::string bytes = save_glassbox(builtin_graph());
  const auto regions = gb::convert::flatbuffer_layout(bytes);
  auto edit = [&](const std::string& what, std::size_t skip, const std::string& replacement) {
    for (const auto& r : regions) {
      if (r.what.rfind(what, 0) == 0) {
        std::string damaged = bytes;
        damaged.replace(static_cast<std::size_t>(r.offset) + skip, replacement.size(), replacement);
        return error_of([&] { load_glassbox(damaged); });
      }
    }
    ADD_FAILURE() << "no region " << what;
    return std::string();
  };
  auto int32 = [](std::int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto int64 = [](std::int64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
  EXPECT_NE(edit("Op 3 matmul input_indexes", 4, int32(99)).find("tensor index in [0, "), std::string::npos);
  EXPECT_NE(edit("Op 3 matmul input_indexes", 4, int32(4)).find("produced by earlier ops"), std::string::npos);
  EXPECT_NE(edit("Op 3 matmul type", 4, "matmux").find("registered"), std::string::npos);
  EXPECT_NE(edit("Op 4 add output_indexes", 4, int32(3)).find("produced once"), std::string::npos);
  const std::string inferred = edit("Tensor 3 'fc' shape", 4 + 8, int64(5));
  EXPECT_NE(inferred.find("as inferred: f32[2, 4]"), std::string::npos) << inferred;
  EXPECT_NE(inferred.find("op 3 'fc'"), std::string::npos) << inferred;
  EXPECT_NE(edit("Tensor 1 'w' shape", 4, int64(2)).find("bytes of data"), std::string::npos);
  EXPECT_NE(edit("Tensor 0 'x' shape", 4, int64(-7)).find("sizes >= -1"), std::string::npos);
}

// What the fuzzer found, kept in its corpus: each file must load or be a gb::Error, never a crash or UB
// (regression_reshape_overflow.gbox: a reshape whose sizes multiply past 2^63 once overflowed in lib/graph).
TEST(GlassboxFormat, TheFuzzersFindingsAreErrors) {
  const std::string dir = std::string(GB_SOURCE_DIR) + "/tests/fuzz/corpus/glassbox_format/";
  for (const char* name : {"regression_reshape_overflow.gbox", "regression_layout_short_vtable.gbox",
                           "regression_layout_table_size.gbox", "regression_layout_union_type.gbox",
                           "regression_misaligned_int64.gbox"}) {
    try {
      (void)gb::convert::load_glassbox_file(dir + name);
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      SUCCEED() << name << ": " << e.what();
    }
  }
  EXPECT_THROW((void)gb::convert::load_glassbox_file(dir + "regression_reshape_overflow.gbox"), gb::Error);
}

// The seeds of tests/fuzz/fuzz_glassbox_format.cpp: rewritten with GB_REGENERATE_FUZZ_SEED=1.
TEST(GlassboxFuzzSeed, WritesTheSeedCorpus) {
  if (std::getenv("GB_REGENERATE_FUZZ_SEED") == nullptr) GTEST_SKIP() << "set GB_REGENERATE_FUZZ_SEED=1 to rewrite";
  const std::string dir = std::string(GB_SOURCE_DIR) + "/tests/fuzz/corpus/glassbox_format/";
  Graph small;
  small.set_outputs({small.add("relu", {small.add("matmul", {small.placeholder("x", {DType::f32, {2, 3}}),
                                                            small.constant(ramp({3, 2}, DType::f32), "w")})})});
  gb::convert::save_glassbox_file(small, dir + "matmul_relu.gbox");
  gb::convert::save_glassbox_file(builtin_graph(), dir + "builtin_ops.gbox");
  gb::convert::save_glassbox_file(control_graph(), dir + "while_if.gbox");
  EXPECT_EQ(save_glassbox(gb::convert::load_glassbox_file(dir + "while_if.gbox")), save_glassbox(control_graph()));
}

}  // namespace
