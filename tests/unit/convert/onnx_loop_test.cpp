// onnx_loop_test.cpp: ONNX's Loop (onnx_ops_loop.cpp) through the importer, against loops computed by
// hand from the ONNX spec's pseudo-code:
//     for (i = 0; (M absent || i < M) && cond; ++i) { cond = ... (ignored when cond is absent); v = ...; }
// and against the ONNX test vectors of test_loop11 (the spec's example, y += x[i] with the scan of y):
// trip count and cond, cond only (a while loop), trip count only (cond_out ignored), zero iterations,
// scan outputs (the iteration number itself), outer names read by the body and by an If nested in it;
// then bad signatures (gb::Error), and the infinite loop and sequence-typed loops (Unsupported).
#ifndef ONNX_ML
#define ONNX_ML 1  // onnx_proto's interface definition (its headers are onnx-ml.pb.h)
#endif
#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <optional>

#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/executor.hpp"

namespace {

using gb::DType;
using gb::Tensor;
using gb::graph::Graph;
using gb::graph::ValueId;
using gb::graph::ValueInfo;

const std::string kNodeTests = "/usr/share/libonnx-testdata/data/node/";

// "error" (a gb::Error that is not Unsupported), "unsupported", or "none".
std::string outcome(const std::function<void()>& f) {
  try {
    f();
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::convert::Unsupported&) {
    return "unsupported";
  } catch (const gb::Error&) {
    return "error";
  }
  return "none";
}

// --- building ONNX models with libonnx's classes --------------------------------------------------

void add_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name, int type, const std::vector<std::int64_t>& dims) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  t->mutable_shape();  // a scalar: a shape with no dims
  for (std::int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}
void add_input(onnx::GraphProto& g, const std::string& name, int type, const std::vector<std::int64_t>& dims) {
  add_value(g.mutable_input(), name, type, dims);
}
void add_output(onnx::GraphProto& g, const std::string& name) { g.add_output()->set_name(name); }

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out) {
  onnx::NodeProto* n = g.add_node();
  n->set_op_type(op);
  for (const std::string& s : in) n->add_input(s);
  for (const std::string& s : out) n->add_output(s);
  return n;
}

onnx::GraphProto* add_graph(onnx::NodeProto* node, const std::string& key) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(key);
  return a->mutable_g();
}

void add_initializer(onnx::GraphProto& g, const std::string& name, const Tensor& value) {
  ASSERT_TRUE(g.add_initializer()->ParseFromString(gb::convert::serialize_tensor(value, name)));
}

onnx::ModelProto model_with_opset(std::int64_t opset) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  onnx::OperatorSetIdProto* set = m.add_opset_import();
  set->set_domain("");
  set->set_version(opset);
  return m;
}

Tensor scalar_i64(std::int64_t v) { return Tensor::from_vector(std::vector<std::int64_t>{v}, {}); }
Tensor scalar_bool(bool v) { return Tensor::scalar(v ? 1 : 0, DType::u8); }

// --- the spec's example: test_loop11's vectors -------------------------------------------------------
// ONNX's example sums x = [1, 2, 3, 4, 5] into y: y_out = y_in + x[i], scanning y_out. glassbox has no
// Slice, so x[i] comes from a second carried value k (1, 2, 3 ...: k_out = k_in + one, `one` an outer
// initializer the body reads). The result must equal the test case's expected outputs.
onnx::ModelProto spec_example(const Tensor& trip_count, const Tensor& cond, const Tensor& y) {
  onnx::ModelProto m = model_with_opset(11);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("spec_example");
  add_input(g, "trip_count", onnx::TensorProto::INT64, trip_count.shape());
  add_input(g, "cond", onnx::TensorProto::BOOL, cond.shape());
  add_input(g, "y", onnx::TensorProto::FLOAT, y.shape());
  add_initializer(g, "k0", Tensor::from_vector(std::vector<float>{1}, {1}));
  add_initializer(g, "one", Tensor::from_vector(std::vector<float>{1}, {1}));
  onnx::NodeProto* loop = add_node(g, "Loop", {"trip_count", "cond", "y", "k0"}, {"res_y", "res_k", "res_scan"});
  onnx::GraphProto& body = *add_graph(loop, "body");
  add_input(body, "iter_count", onnx::TensorProto::INT64, {});
  add_input(body, "cond_in", onnx::TensorProto::BOOL, {});
  add_input(body, "y_in", onnx::TensorProto::FLOAT, {1});
  add_input(body, "k_in", onnx::TensorProto::FLOAT, {1});
  add_node(body, "Identity", {"cond_in"}, {"cond_out"});
  add_node(body, "Add", {"y_in", "k_in"}, {"y_out"});
  add_node(body, "Add", {"k_in", "one"}, {"k_out"});  // `one`: an outer name
  add_node(body, "Identity", {"y_out"}, {"scan_out"});
  for (const char* name : {"cond_out", "y_out", "k_out", "scan_out"}) add_output(body, name);
  add_output(g, "res_y");
  add_output(g, "res_scan");
  return m;
}

TEST(OnnxLoop, TheSpecExampleGivesTestLoop11sOutputs) {
  const std::string dir = kNodeTests + "test_loop11/test_data_set_0/";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "missing " << dir;
  const Tensor trip_count = gb::convert::load_tensor(dir + "input_0.pb"), cond = gb::convert::load_tensor(dir + "input_1.pb");
  const Tensor y = gb::convert::load_tensor(dir + "input_2.pb");
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(spec_example(trip_count, cond, y).SerializeAsString());
  const std::vector<Tensor> out = gb::graph::run(model.graph, {{"trip_count", trip_count}, {"cond", cond}, {"y", y}});
  ASSERT_EQ(out.size(), 2u);
  for (int k = 0; k < 2; ++k) {
    const Tensor expected = gb::convert::load_tensor(dir + "output_" + std::to_string(k) + ".pb");
    EXPECT_EQ(out[static_cast<std::size_t>(k)].shape(), expected.shape()) << k;
    EXPECT_EQ(out[static_cast<std::size_t>(k)].to_vector(), expected.to_vector()) << k;  // small integers: exact
  }
  EXPECT_EQ(out[1].shape(), (gb::Shape{5, 1}));  // 5 iterations of a [1] value
}

// --- trip count and condition, each optional -------------------------------------------------------
// x doubles each iteration; cond_out = (10 - x_out) quantized to u8 (QuantizeLinear: nonzero while
// 10 - x_out >= 0.5, our only comparison), so with cond the loop stops after x reaches 16.
onnx::ModelProto doubling_loop(bool with_trip_count, bool with_cond) {
  onnx::ModelProto m = model_with_opset(13);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("doubling");
  if (with_trip_count) add_input(g, "M", onnx::TensorProto::INT64, {});
  if (with_cond) add_input(g, "cond", onnx::TensorProto::BOOL, {});
  add_input(g, "x0", onnx::TensorProto::FLOAT, {});
  onnx::NodeProto* loop = add_node(g, "Loop", {with_trip_count ? "M" : "", with_cond ? "cond" : "", "x0"}, {"x_final", "x_scan"});
  onnx::GraphProto& body = *add_graph(loop, "body");
  add_input(body, "i", onnx::TensorProto::INT64, {});
  add_input(body, "c_in", onnx::TensorProto::BOOL, {});
  add_input(body, "x_in", onnx::TensorProto::FLOAT, {});
  add_initializer(body, "ten", Tensor::scalar(10));  // initializers of the body itself
  add_initializer(body, "scale", Tensor::scalar(1));
  add_initializer(body, "zero", Tensor::scalar(0, DType::u8));
  add_node(body, "Add", {"x_in", "x_in"}, {"x_out"});
  add_node(body, "Sub", {"ten", "x_out"}, {"gap"});
  add_node(body, "QuantizeLinear", {"gap", "scale", "zero"}, {"c_out"});
  add_node(body, "Identity", {"x_out"}, {"x_each"});
  for (const char* name : {"c_out", "x_out", "x_each"}) add_output(body, name);
  add_output(g, "x_final");
  add_output(g, "x_scan");
  return m;
}

struct Expected {
  double x;
  std::vector<double> scan;
};

// The spec's loop, by hand.
Expected spec_loop(std::optional<std::int64_t> trip_count, std::optional<bool> cond, double x) {
  Expected e{x, {}};
  bool keep_going = cond.value_or(true);
  for (std::int64_t i = 0; (!trip_count || i < *trip_count) && keep_going; ++i) {
    e.x = 2 * e.x;
    if (cond) keep_going = 10 - e.x >= 0.5;  // without a cond input, cond_out is ignored
    e.scan.push_back(e.x);
  }
  return e;
}

TEST(OnnxLoop, TripCountAndConditionFollowTheSpec) {
  struct Case {
    std::optional<std::int64_t> trip_count;
    std::optional<bool> cond;
  };
  const Case cases[] = {{10, true}, {2, true}, {0, true}, {10, false}, {6, std::nullopt},
                        {std::nullopt, true}, {std::nullopt, false}};
  for (const Case& c : cases) {
    const std::string label = "M " + (c.trip_count ? std::to_string(*c.trip_count) : "absent") + ", cond " +
                              (c.cond ? std::to_string(*c.cond) : "absent");
    const gb::convert::OnnxModel model = gb::convert::parse_onnx(doubling_loop(c.trip_count.has_value(), c.cond.has_value()).SerializeAsString());
    gb::graph::Feeds feeds{{"x0", Tensor::scalar(1)}};
    if (c.trip_count) feeds["M"] = scalar_i64(*c.trip_count);
    if (c.cond) feeds["cond"] = scalar_bool(*c.cond);
    const std::vector<Tensor> out = gb::graph::run(model.graph, feeds);
    const Expected want = spec_loop(c.trip_count, c.cond, 1);
    ASSERT_EQ(out.size(), 2u) << label;
    EXPECT_EQ(out[0].item(), want.x) << label;
    EXPECT_EQ(out[1].shape(), (gb::Shape{static_cast<std::int64_t>(want.scan.size())})) << label;  // [T], T may be 0
    EXPECT_EQ(out[1].to_vector(), want.scan) << label;
  }
  // the cases differ: 4 iterations with cond (x = 16), 6 without (cond_out ignored: x = 64), 2 with M = 2
  EXPECT_EQ(spec_loop(10, true, 1).x, 16);
  EXPECT_EQ(spec_loop(6, std::nullopt, 1).x, 64);
  EXPECT_EQ(spec_loop(2, true, 1).x, 4);
}

// No carried values: the only output is the scan of the iteration number (declared i64[1] this time).
TEST(OnnxLoop, ScanOutputsStackTheIterationNumbers) {
  onnx::ModelProto m = model_with_opset(13);
  onnx::GraphProto& g = *m.mutable_graph();
  add_initializer(g, "M", scalar_i64(3));
  onnx::NodeProto* loop = add_node(g, "Loop", {"M", ""}, {"iterations"});
  onnx::GraphProto& body = *add_graph(loop, "body");
  add_input(body, "i", onnx::TensorProto::INT64, {1});
  add_input(body, "c_in", onnx::TensorProto::BOOL, {1});
  add_node(body, "Identity", {"c_in"}, {"c_out"});
  add_node(body, "Identity", {"i"}, {"i_each"});
  add_output(body, "c_out");
  add_output(body, "i_each");
  add_output(g, "iterations");
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(m.SerializeAsString());
  EXPECT_EQ(model.graph.value(model.graph.outputs()[0]).info, (ValueInfo{DType::i64, {-1, 1}}));
  const Tensor out = gb::graph::run(model.graph, {})[0];
  EXPECT_EQ(out.dtype(), DType::i64);
  EXPECT_EQ(out.shape(), (gb::Shape{3, 1}));
  EXPECT_EQ(out.to_vector(), (std::vector<double>{0, 1, 2}));
}

// The body reads `flag` and an If nested in it reads `step`: both names of the main graph. The importer
// passes each through every level as an explicit input.
TEST(OnnxLoop, OuterNamesReachTheBodyAndAnIfInsideIt) {
  onnx::ModelProto m = model_with_opset(13);
  onnx::GraphProto& g = *m.mutable_graph();
  add_input(g, "flag", onnx::TensorProto::BOOL, {});
  add_input(g, "step", onnx::TensorProto::FLOAT, {2});
  add_input(g, "x0", onnx::TensorProto::FLOAT, {2});
  add_initializer(g, "M", scalar_i64(3));
  onnx::NodeProto* loop = add_node(g, "Loop", {"M", "", "x0"}, {"x_final"});
  onnx::GraphProto& body = *add_graph(loop, "body");
  add_input(body, "i", onnx::TensorProto::INT64, {});
  add_input(body, "c_in", onnx::TensorProto::BOOL, {});
  add_input(body, "x_in", onnx::TensorProto::FLOAT, {2});
  add_node(body, "Identity", {"c_in"}, {"c_out"});
  onnx::NodeProto* branch = add_node(body, "If", {"flag"}, {"x_out"});
  onnx::GraphProto& then_branch = *add_graph(branch, "then_branch");
  add_node(then_branch, "Add", {"x_in", "step"}, {"up"});
  add_output(then_branch, "up");
  onnx::GraphProto& else_branch = *add_graph(branch, "else_branch");
  add_node(else_branch, "Sub", {"x_in", "step"}, {"down"});
  add_output(else_branch, "down");
  add_output(body, "c_out");
  add_output(body, "x_out");
  add_output(g, "x_final");
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(m.SerializeAsString());

  const gb::graph::Node& node = model.graph.node(model.graph.value(model.graph.outputs()[0]).producer);
  ASSERT_EQ(node.op, "Loop");
  EXPECT_EQ(node.attr_int("captured"), 2);  // flag and step
  EXPECT_EQ(node.attr_int("has_trip_count"), 1);
  EXPECT_EQ(node.attr_int("has_cond"), 0);
  const std::vector<float> step = {0.5f, -2}, x0 = {1, 3};
  for (bool flag : {true, false}) {
    const Tensor out = gb::graph::run(model.graph, {{"flag", scalar_bool(flag)},
                                                    {"step", Tensor::from_vector(step, {2})},
                                                    {"x0", Tensor::from_vector(x0, {2})}})[0];
    for (std::size_t j = 0; j < 2; ++j) EXPECT_EQ(out.to_vector()[j], x0[j] + (flag ? 3.0 : -3.0) * step[j]) << flag << ", " << j;
  }
}

// --- bad signatures: gb::Error at graph-building time -------------------------------------------------

std::shared_ptr<const Graph> body_graph(const ValueInfo& x_in, const std::function<ValueId(Graph&, ValueId)>& x_out,
                                        DType cond_out = DType::u8, std::size_t extra_inputs = 0) {
  auto body = std::make_shared<Graph>();
  body->placeholder("i", {DType::i64, {}});
  const ValueId c = body->placeholder("c", {DType::u8, {}});
  const ValueId x = body->placeholder("x", x_in);
  for (std::size_t k = 0; k < extra_inputs; ++k) body->placeholder("extra" + std::to_string(k), {DType::f32, {}});
  const ValueId c_out = cond_out == DType::u8 ? body->add("Identity", {c}) : body->constant(Tensor::scalar(1, cond_out));
  body->set_outputs({c_out, x_out(*body, x)});
  return body;
}

std::string build_loop(const Tensor& trip_count, const ValueInfo& x0, const gb::graph::GraphPtr& body, gb::graph::Attributes attrs = {}) {
  gb::convert::register_onnx_ops();
  return outcome([&] {
    Graph g;
    const ValueId m = g.constant(trip_count), cond = g.constant(scalar_bool(true)), x = g.placeholder("x0", x0);
    attrs["body"] = body;
    g.set_outputs(g.add_node("Loop", {m, cond, x}, attrs));
  });
}

TEST(OnnxLoop, BadBodySignaturesAreErrors) {
  gb::convert::register_onnx_ops();
  const ValueInfo f2{DType::f32, {2}};
  const auto same = [](Graph& b, ValueId x) { return b.add("Add", {x, x}); };
  const Tensor three = scalar_i64(3);
  EXPECT_EQ(build_loop(three, f2, body_graph(f2, same)), "none");  // the well-formed loop, for reference
  EXPECT_EQ(build_loop(three, f2, body_graph(f2, same, DType::u8, 1)), "error");  // an input too many
  EXPECT_EQ(build_loop(three, f2, body_graph(f2, same, DType::f32)), "error");    // cond_out not a bool
  EXPECT_EQ(build_loop(three, {DType::f32, {3}}, body_graph(f2, same)), "error");  // x0 [3] into x [2]
  EXPECT_EQ(build_loop(three, {DType::f64, {2}}, body_graph(f2, same)), "error");  // x0 f64 into x f32
  const auto concat = [](Graph& b, ValueId x) { return b.add("Concat", {x, x}, {{"axis", std::int64_t{0}}}); };
  EXPECT_EQ(build_loop(three, f2, body_graph(f2, concat)), "error");  // x_out [4] cannot be fed back into x [2]
  EXPECT_EQ(build_loop(Tensor::scalar(3), f2, body_graph(f2, same)), "error");  // M f32
  EXPECT_EQ(build_loop(three, f2, nullptr), "error");                           // no body
  EXPECT_EQ(build_loop(three, f2, body_graph(f2, same), {{"captured", std::int64_t{5}}}), "error");
  EXPECT_EQ(build_loop(three, f2, body_graph(f2, same), {{"has_cond", std::int64_t{2}}}), "error");
  auto no_outputs = std::make_shared<Graph>(*body_graph(f2, same));
  no_outputs->set_outputs({});
  EXPECT_EQ(build_loop(three, f2, no_outputs), "error");
}

TEST(OnnxLoop, BadOnnxLoopsAreErrorsSequencesUnsupported) {
  onnx::ModelProto m = doubling_loop(true, true);
  m.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_g()->mutable_input()->RemoveLast();  // 2 body inputs for 1 carried
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(m.SerializeAsString()); }), "error");
  onnx::ModelProto no_body = doubling_loop(true, true);
  no_body.mutable_graph()->mutable_node(0)->clear_attribute();
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(no_body.SerializeAsString()); }), "error");
  onnx::ModelProto one_input = doubling_loop(true, true);
  one_input.mutable_graph()->mutable_node(0)->mutable_input()->Clear();
  one_input.mutable_graph()->mutable_node(0)->add_input("M");
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(one_input.SerializeAsString()); }), "error");
  onnx::ModelProto dangling = doubling_loop(true, true);  // the body reads a name nobody defines
  dangling.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_g()->mutable_node(0)->set_input(1, "nowhere");
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(dangling.SerializeAsString()); }), "error");

  // neither M nor cond: the spec's infinite loop (cond_out is ignored), refused rather than run forever
  EXPECT_EQ(outcome([] { gb::convert::parse_onnx(doubling_loop(false, false).SerializeAsString()); }), "unsupported");

  // ONNX's own sequence-typed loops: reported as unsupported, never a crash
  for (const char* name : {"test_loop13_seq", "test_loop16_seq_none"}) {
    const std::string path = kNodeTests + name + "/model.onnx";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "missing " << path;
    EXPECT_EQ(outcome([&] { gb::convert::load_onnx(path); }), "unsupported") << name;
  }
}

// A body input left untyped takes the type the Loop feeds it (ONNX allows it).
TEST(OnnxLoop, UntypedBodyInputsTakeTheLoopsTypes) {
  onnx::ModelProto m = doubling_loop(true, false);
  onnx::GraphProto& body = *m.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_g();
  for (int k = 0; k < 3; ++k) body.mutable_input(k)->clear_type();
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(m.SerializeAsString());
  const std::vector<Tensor> out = gb::graph::run(model.graph, {{"M", scalar_i64(3)}, {"x0", Tensor::scalar(1.5)}});
  EXPECT_EQ(out[0].item(), 12);
  EXPECT_EQ(out[1].to_vector(), (std::vector<double>{3, 6, 12}));
}

}  // namespace
