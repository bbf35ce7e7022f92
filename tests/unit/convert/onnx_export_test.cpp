// onnx_export_test.cpp: ONNX export (onnx_export.hpp) judged by ONNX's own checker (check_onnx: libonnx's
// check_model plus strict, type-checking shape inference) and by the importer: every node-test model in
// tests/oracle/onnx_node_pass.txt re-exports, passes the checker, re-imports to an equal graph and runs to
// bit-identical outputs; hand-built graphs with If and Loop; what the importer folded is undone (shape
// and axes inputs, Softmax's coerce_2d across opsets); ops outside ONNX's set are Unsupported; models
// broken on purpose are rejected by check_onnx.
#ifndef ONNX_ML
#define ONNX_ML 1  // onnx_proto's interface definition (its headers are onnx-ml.pb.h)
#endif
#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "convert_test_util.hpp"
#include "gb/control/functional.hpp"
#include "gb/convert/onnx_export.hpp"
#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/graph/executor.hpp"
#include "gb/graph/registry.hpp"

namespace {

namespace fs = std::filesystem;
using gb::DType;
using gb::Tensor;
using gb::convert::check_onnx;
using gb::convert::export_onnx;
using gb::convert::parse_onnx;
using gb::graph::Graph;
using gb::graph::ValueId;
using gb::graph::ValueInfo;

const std::string kNodeTests = "/usr/share/libonnx-testdata/data/node/";

using convert_test::error_of;  // convert_test_util.hpp

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Same ops in the same order, same values (names, infos), same attributes; constants bit-exact.
void expect_same_graph(const Graph& a, const Graph& b, const std::string& where) {
  ASSERT_EQ(a.str(), b.str()) << where;
  ASSERT_EQ(a.size(), b.size()) << where;
  EXPECT_EQ(a.inputs(), b.inputs()) << where;
  EXPECT_EQ(a.outputs(), b.outputs()) << where;
  ASSERT_EQ(a.values().size(), b.values().size()) << where;
  for (std::size_t v = 0; v < a.values().size(); ++v) {
    EXPECT_EQ(a.values()[v].name, b.values()[v].name) << where << " value " << v;
    EXPECT_EQ(a.values()[v].info, b.values()[v].info) << where << " value " << v;
  }
  for (std::size_t n = 0; n < a.size(); ++n) {
    const gb::graph::Node &x = a.nodes()[n], &y = b.nodes()[n];
    const std::string at = where + " node " + std::to_string(n) + " (" + x.op + ")";
    EXPECT_EQ(x.name, y.name) << at;
    EXPECT_EQ(x.inputs, y.inputs) << at;
    ASSERT_EQ(x.attrs.size(), y.attrs.size()) << at;
    for (const auto& [key, value] : x.attrs) {
      ASSERT_TRUE(y.attrs.count(key)) << at << " " << key;
      const gb::graph::Attribute& other = y.attrs.at(key);
      ASSERT_EQ(value.index(), other.index()) << at << " " << key;
      if (const auto* t = std::get_if<Tensor>(&value)) {
        const Tensor& u = std::get<Tensor>(other);
        ASSERT_EQ(t->dtype(), u.dtype()) << at << " " << key;
        ASSERT_EQ(t->shape(), u.shape()) << at << " " << key;
        const Tensor tc = t->contiguous(), uc = u.contiguous();
        EXPECT_EQ(std::memcmp(tc.raw_data(), uc.raw_data(), static_cast<std::size_t>(t->numel()) * gb::dtype_size(t->dtype())), 0) << at << " " << key;
      } else if (const auto* sub = std::get_if<gb::graph::GraphPtr>(&value)) {
        expect_same_graph(**sub, *std::get<gb::graph::GraphPtr>(other), at + " " + key);
      } else if (const auto* f = std::get_if<double>(&value)) {
        EXPECT_EQ(std::memcmp(f, &std::get<double>(other), sizeof(double)), 0) << at << " " << key;  // bit-exact
      } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
        EXPECT_EQ(*i, std::get<std::int64_t>(other)) << at << " " << key;
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        EXPECT_EQ(*s, std::get<std::string>(other)) << at << " " << key;
      } else {
        EXPECT_EQ(std::get<std::vector<std::int64_t>>(value), std::get<std::vector<std::int64_t>>(other)) << at << " " << key;
      }
    }
  }
}

void expect_identical(const std::vector<Tensor>& a, const std::vector<Tensor>& b, const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].dtype(), b[k].dtype()) << where << " output " << k;
    ASSERT_EQ(a[k].shape(), b[k].shape()) << where << " output " << k;
    const Tensor x = a[k].contiguous(), y = b[k].contiguous();
    EXPECT_EQ(std::memcmp(x.raw_data(), y.raw_data(), static_cast<std::size_t>(x.numel()) * gb::dtype_size(x.dtype())), 0) << where << " output " << k;
  }
}

// export -> check_onnx -> import: the checker's message on failure.
gb::convert::OnnxModel round_trip(const Graph& g, std::int64_t opset, std::string* bytes_out = nullptr) {
  gb::convert::OnnxExportOptions options;
  options.opset = opset;
  const std::string bytes = export_onnx(g, options);
  EXPECT_EQ(error_of([&] { check_onnx(bytes); }), "") << "opset " << opset;
  if (bytes_out) *bytes_out = bytes;
  return parse_onnx(bytes);
}

// --- every case of the pass list ---------------------------------------------------------------------

std::vector<std::string> pass_list() {
  std::ifstream file(std::string(GB_SOURCE_DIR) + "/tests/oracle/onnx_node_pass.txt");
  std::vector<std::string> names;
  for (std::string line; std::getline(file, line);) {
    line = line.substr(0, line.find('#'));
    line.erase(std::remove_if(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); }), line.end());
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

// The first data set's inputs, fed by their own names when those name model inputs, else by position
// (as `glassbox onnx-test` does).
gb::graph::Feeds feeds_of(const gb::convert::OnnxModel& model, const fs::path& dir) {
  gb::graph::Feeds feeds;
  for (int k = 0; fs::exists(dir / ("input_" + std::to_string(k) + ".pb")); ++k) {
    std::string name;
    const Tensor value = gb::convert::load_tensor((dir / ("input_" + std::to_string(k) + ".pb")).string(), &name);
    const auto& names = model.input_names;
    if (std::find(names.begin(), names.end(), name) == names.end()) name = names.at(static_cast<std::size_t>(k));
    feeds[name] = value;
  }
  return feeds;
}

TEST(OnnxExport, EveryPassListCaseRoundTripsThroughTheChecker) {
  const std::vector<std::string> names = pass_list();
  ASSERT_GT(names.size(), 100u);
  if (!fs::exists(kNodeTests)) GTEST_SKIP() << "missing " << kNodeTests;
  int round_trips = 0;
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const gb::convert::OnnxModel original = gb::convert::load_onnx(kNodeTests + name + "/model.onnx");
    const std::string bytes = export_onnx(original);
    EXPECT_EQ(error_of([&] { check_onnx(bytes); }), "");
    const gb::convert::OnnxModel back = parse_onnx(bytes);
    EXPECT_EQ(back.opset, original.opset);
    EXPECT_EQ(back.ir_version, gb::convert::onnx_ir_version(original.opset));
    EXPECT_EQ(back.producer, "glassbox");
    EXPECT_EQ(back.input_names, original.input_names);
    EXPECT_EQ(back.output_names, original.output_names);
    expect_same_graph(original.graph, back.graph, name);
    EXPECT_EQ(export_onnx(back), bytes) << "exporting the re-imported graph gives the same bytes";
    const gb::graph::Feeds feeds = feeds_of(original, fs::path(kNodeTests + name) / "test_data_set_0");
    expect_identical(gb::graph::run(original.graph, feeds), gb::graph::run(back.graph, feeds), name);
    ++round_trips;
  }
  EXPECT_EQ(round_trips, static_cast<int>(names.size()));
}

// Beyond the pass list: every node-test model glassbox imports (some then skip at run time, e.g. training
// dropout) exports, passes the checker and re-imports to an equal graph.
TEST(OnnxExport, EveryImportableNodeModelExportsAndChecks) {
  if (!fs::exists(kNodeTests)) GTEST_SKIP() << "missing " << kNodeTests;
  int imported = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(kNodeTests)) {
    const std::string name = entry.path().filename().string();
    gb::convert::OnnxModel original;
    try {
      original = gb::convert::load_onnx((entry.path() / "model.onnx").string());
    } catch (const gb::convert::Unsupported&) {
      continue;
    }
    SCOPED_TRACE(name);
    ++imported;
    const std::string bytes = export_onnx(original);
    EXPECT_EQ(error_of([&] { check_onnx(bytes); }), "");
    expect_same_graph(original.graph, parse_onnx(bytes).graph, name);
  }
  EXPECT_GE(imported, static_cast<int>(pass_list().size()));
}

// --- hand-built graphs with If and Loop ---------------------------------------------------------------

// y = If(cond, x): then 2x (Add), else x itself (the branch returns its placeholder: the outer name).
Graph if_graph() {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId cond = g.placeholder("cond", {DType::u8, {}});
  const ValueId x = g.placeholder("x", {DType::f32, {-1, 3}});
  auto then_branch = std::make_shared<Graph>();
  const ValueId a = then_branch->placeholder("a", {DType::f32, {-1, 3}});
  then_branch->set_outputs({then_branch->add("Add", {a, a}, {}, "twice")});
  auto else_branch = std::make_shared<Graph>();
  else_branch->set_outputs({else_branch->placeholder("a", {DType::f32, {-1, 3}})});
  g.set_outputs(gb::control::make_if(g, cond, {x}, then_branch, else_branch, "choose"));
  return g;
}

TEST(OnnxExport, IfBranchesReadOuterNamesAndCondIsBool) {
  const Graph g = if_graph();
  std::string bytes;
  const gb::convert::OnnxModel back = round_trip(g, 13, &bytes);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  EXPECT_EQ(proto.producer_name(), "glassbox");
  EXPECT_EQ(proto.ir_version(), 7);
  ASSERT_EQ(proto.graph().input_size(), 2);
  EXPECT_EQ(proto.graph().input(0).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);  // u8 read as If's cond
  EXPECT_EQ(proto.graph().input(1).type().tensor_type().shape().dim(0).dim_param(), "x_dim0");  // -1: symbolic
  const onnx::NodeProto& node = proto.graph().node(0);
  EXPECT_EQ(node.op_type(), "If");
  EXPECT_EQ(node.input_size(), 1);  // the arg x is an outer name again
  EXPECT_EQ(node.attribute(0).g().input_size(), 0);
  EXPECT_EQ(node.attribute(0).g().node(0).input(0), "x");

  const Tensor x = Tensor::from_vector(std::vector<float>{1, -2, 3, 0.5f, 0, -7}, {2, 3});
  for (int cond : {0, 1}) {
    const gb::graph::Feeds feeds{{"cond", Tensor::scalar(cond, DType::u8)}, {"x", x}};
    expect_identical(gb::graph::run(g, feeds), gb::graph::run(back.graph, feeds), "cond " + std::to_string(cond));
  }
  // importing again and exporting gives the same graph: the round trip is stable
  expect_same_graph(back.graph, round_trip(back.graph, 13).graph, "second round trip");
}

// A Loop built in glassbox: trip count, no cond, one carried value x += step (step captured), x scanned.
// The body outputs x_out twice (carried and scan): ONNX names each output once, so export adds an Identity.
Graph loop_graph() {
  gb::convert::register_onnx_ops();
  auto body = std::make_shared<Graph>();
  body->placeholder("i", {DType::i64, {}});
  const ValueId c = body->placeholder("c", {DType::u8, {}});
  const ValueId x = body->placeholder("x", {DType::f32, {2}});
  const ValueId step = body->placeholder("step", {DType::f32, {2}});
  const ValueId x_out = body->add("Add", {x, step}, {}, "x_out");
  body->set_outputs({body->add("Identity", {c}, {}, "c_out"), x_out, x_out});
  Graph g;
  const ValueId m = g.constant(Tensor::from_vector(std::vector<std::int64_t>{4}, {}), "M");
  const ValueId x0 = g.placeholder("x", {DType::f32, {2}});  // the same name as the body's x: made unique
  const ValueId s = g.placeholder("step", {DType::f32, {2}});
  g.set_outputs(g.add_node("Loop", {m, x0, s}, {{"body", gb::graph::GraphPtr(body)}, {"has_cond", std::int64_t{0}}, {"captured", std::int64_t{1}}}, "loop"));
  return g;
}

TEST(OnnxExport, LoopWithCaptureExportsChecksAndRuns) {
  const Graph g = loop_graph();
  std::string bytes;
  const gb::convert::OnnxModel back = round_trip(g, 13, &bytes);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  const onnx::NodeProto& loop = proto.graph().node(0);
  ASSERT_EQ(loop.op_type(), "Loop");
  ASSERT_EQ(loop.input_size(), 3);  // M, "" (no cond), x
  EXPECT_EQ(loop.input(1), "");
  ASSERT_EQ(loop.attribute_size(), 1);  // only body: glassbox's has_cond, captured are gone
  const onnx::GraphProto& body = loop.attribute(0).g();
  EXPECT_EQ(body.input_size(), 3);  // i, c, x_1: step is the outer name
  EXPECT_EQ(body.input(1).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);
  EXPECT_EQ(body.output(0).type().tensor_type().elem_type(), onnx::TensorProto::BOOL);
  EXPECT_NE(body.input(2).name(), "x");  // names are unique in the whole model

  const gb::graph::Feeds feeds{{"x", Tensor::from_vector(std::vector<float>{1, 2}, {2})},
                               {"step", Tensor::from_vector(std::vector<float>{0.5f, -1}, {2})}};
  const std::vector<Tensor> want = gb::graph::run(g, feeds);
  EXPECT_EQ(want[0].to_vector(), (std::vector<double>{3, -2}));
  EXPECT_EQ(want[1].shape(), (gb::Shape{4, 2}));
  expect_identical(want, gb::graph::run(back.graph, feeds), "loop");
  expect_same_graph(back.graph, round_trip(back.graph, 13).graph, "second round trip");
}

// Opsets 7-8 are IR 3: every initializer is also listed among the graph inputs, and a subgraph's constants
// become Constant nodes (a Loop body's inputs are its signature, no place for initializers).
TEST(OnnxExport, Ir3ListsInitializersAmongInputs) {
  gb::convert::register_onnx_ops();
  auto body = std::make_shared<Graph>();
  body->placeholder("i", {DType::i64, {}});
  const ValueId c = body->placeholder("c", {DType::u8, {}});
  const ValueId x = body->placeholder("x", {DType::f32, {2}});
  const ValueId k = body->constant(Tensor::from_vector(std::vector<float>{2, 3}, {2}), "k");
  body->set_outputs({body->add("Identity", {c}), body->add("Mul", {x, k})});
  Graph g;
  const ValueId m = g.constant(Tensor::from_vector(std::vector<std::int64_t>{3}, {}), "M");
  const ValueId x0 = g.placeholder("x0", {DType::f32, {2}});
  const ValueId y = g.add("Add", {x0, g.constant(Tensor::from_vector(std::vector<float>{1, -1}, {2}), "w")});
  g.set_outputs(g.add_node("Loop", {m, y}, {{"body", gb::graph::GraphPtr(body)}, {"has_cond", std::int64_t{0}}}, "loop"));

  std::string bytes;
  const gb::convert::OnnxModel back = round_trip(g, 8, &bytes);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  EXPECT_EQ(proto.ir_version(), 3);
  EXPECT_EQ(proto.graph().input_size(), 3);  // x0, then the initializers M and w
  EXPECT_EQ(back.input_names, std::vector<std::string>{"x0"});
  const onnx::GraphProto& loop_body = proto.graph().node(1).attribute(0).g();
  EXPECT_EQ(loop_body.initializer_size(), 0);
  EXPECT_EQ(loop_body.node(0).op_type(), "Constant");
  const gb::graph::Feeds feeds{{"x0", Tensor::from_vector(std::vector<float>{0.5f, 4}, {2})}};
  const std::vector<Tensor> want = gb::graph::run(g, feeds);
  EXPECT_EQ(want[0].to_vector(), (std::vector<double>{1.5 * 8, 3 * 27}));
  expect_identical(want, gb::graph::run(back.graph, feeds), "opset 8");
}

// --- what the importer folded, undone ------------------------------------------------------------------

TEST(OnnxExport, FoldedShapesAndAxesBecomeInputsAgain) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {2, 1, 3}});
  const ValueId squeezed = g.add("Squeeze", {x}, {{"axes", std::vector<std::int64_t>{1}}}, "squeeze");  // opset 11's attribute
  const ValueId shape = g.constant(Tensor::from_vector(std::vector<std::int64_t>{3, 2}, {2}), "shape");
  g.set_outputs({g.add("Reshape", {squeezed, shape}, {{"shape", std::vector<std::int64_t>{3, 2}}}, "reshape"),
                 g.add("Unsqueeze", {x}, {{"axes", std::vector<std::int64_t>{0}}}, "unsqueeze")});
  const gb::graph::Feeds feeds{{"x", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 1, 3})}};
  for (std::int64_t opset : {11, 13}) {
    std::string bytes;
    const gb::convert::OnnxModel back = round_trip(g, opset, &bytes);
    onnx::ModelProto proto;
    ASSERT_TRUE(proto.ParseFromString(bytes));
    for (const onnx::NodeProto& node : proto.graph().node()) {
      const bool takes_input = node.op_type() == "Reshape" || opset >= 13;  // axes: an input from opset 13
      EXPECT_EQ(node.input_size(), takes_input ? 2 : 1) << node.op_type() << " at opset " << opset;
      EXPECT_EQ(node.attribute_size(), takes_input ? 0 : 1) << node.op_type() << " at opset " << opset;
    }
    expect_identical(gb::graph::run(g, feeds), gb::graph::run(back.graph, feeds), "opset " + std::to_string(opset));
  }
}

// opset 11's Softmax normalises rows flattened at axis (the importer's coerce_2d), opset 13's one axis:
// at the last axis they agree and either opset can say it; elsewhere only the model's own opset can.
TEST(OnnxExport, SoftmaxAcrossOpsetsOnlyWhereTheMeaningIsKept) {
  gb::convert::register_onnx_ops();
  const auto softmax = [](std::int64_t axis, bool coerce) {
    Graph g;
    const ValueId x = g.placeholder("x", {DType::f32, {2, 3, 4}});
    gb::graph::Attributes attrs{{"axis", axis}};
    if (coerce) attrs["coerce_2d"] = std::int64_t{1};
    g.set_outputs({g.add("Softmax", {x}, attrs, "softmax")});
    return g;
  };
  Tensor x = Tensor::empty({2, 3, 4});
  for (int i = 0; i < 24; ++i) x.data<float>()[i] = static_cast<float>((i * 7) % 5) * 0.3f;
  for (bool coerce : {false, true}) {
    for (std::int64_t opset : {11, 13}) {
      const Graph last = softmax(2, coerce);
      expect_identical(gb::graph::run(last, {{"x", x}}), gb::graph::run(round_trip(last, opset).graph, {{"x", x}}), "last axis");
      const bool expressible = coerce == (opset < 13);
      EXPECT_EQ(contains(error_of([&] { export_onnx(softmax(1, coerce), {opset}); }), "unsupported"), !expressible)
          << "coerce " << coerce << " opset " << opset;
    }
  }
}

// --- what export refuses ------------------------------------------------------------------------------

TEST(OnnxExport, OpsOutsideOnnxAreUnsupportedNamingTheOp) {
  gb::convert::register_onnx_ops();
  Graph core;  // lib/graph's own lowercase ops are glassbox's, not ONNX's
  core.set_outputs({core.add("relu", {core.placeholder("x", {DType::f32, {3}})})});
  const std::string relu = error_of([&] { export_onnx(core); });
  EXPECT_TRUE(contains(relu, "unsupported") && contains(relu, "relu")) << relu;

  gb::graph::OpDef fused;  // a fused op of a later lesson (passes): ONNX has no FusedConv
  fused.name = "FusedConv";
  fused.num_inputs = 1;
  fused.infer = [](const gb::graph::InferContext& ctx) { return std::vector<ValueInfo>{ctx.inputs[0]}; };
  fused.kernel = [](const gb::graph::KernelContext& ctx) { return std::vector<Tensor>{ctx.inputs[0]}; };
  gb::graph::register_op(fused);
  Graph passes;
  passes.set_outputs({passes.add("FusedConv", {passes.placeholder("x", {DType::f32, {3}})})});
  const std::string message = error_of([&] { export_onnx(passes); });
  EXPECT_TRUE(contains(message, "unsupported") && contains(message, "FusedConv")) << message;

  Graph unknown_attribute;  // an attribute ONNX's Relu does not have
  unknown_attribute.set_outputs({unknown_attribute.add("Relu", {unknown_attribute.placeholder("x", {DType::f32, {3}})}, {{"slope", 0.5}})});
  EXPECT_TRUE(contains(error_of([&] { export_onnx(unknown_attribute); }), "slope"));

  const Graph g = if_graph();  // If exists at opset 7, but opset 6 is outside the exporter's range
  EXPECT_TRUE(contains(error_of([&] { export_onnx(g, {6}); }), "unsupported"));
}

TEST(OnnxExport, CheckOnnxRejectsBrokenModels) {
  std::string bytes = export_onnx(if_graph());
  EXPECT_EQ(error_of([&] { check_onnx(bytes); }), "");
  EXPECT_NE(error_of([&] { check_onnx("not a model \xff\xff"); }), "");

  const auto broken = [&](const std::function<void(onnx::ModelProto&)>& damage) {
    onnx::ModelProto m;
    EXPECT_TRUE(m.ParseFromString(bytes));
    damage(m);
    return error_of([&] { check_onnx(m.SerializeAsString()); });
  };
  // a node reads a name nobody defines (the branch's x)
  const std::string dangling = broken([](onnx::ModelProto& m) {
    m.mutable_graph()->mutable_node(0)->mutable_attribute(0)->mutable_g()->mutable_node(0)->set_input(0, "nowhere");
  });
  EXPECT_TRUE(contains(dangling, "check_onnx") && contains(dangling, "nowhere")) << dangling;
  // If's cond as uint8: the type checker's error
  const std::string uint8_cond = broken([](onnx::ModelProto& m) {
    m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::UINT8);
  });
  EXPECT_NE(uint8_cond, "");
  // an attribute the op does not have
  const std::string attribute = broken([](onnx::ModelProto& m) {
    onnx::AttributeProto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
    a->set_name("coerce_2d");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(1);
  });
  EXPECT_TRUE(contains(attribute, "coerce_2d")) << attribute;
  // a name defined twice (SSA)
  EXPECT_NE(broken([](onnx::ModelProto& m) { m.mutable_graph()->mutable_node(0)->set_output(0, "x"); }), "");
  // a declared output shape that contradicts inference: If's branches give [-1, 3], not [-1, 4]
  EXPECT_NE(broken([](onnx::ModelProto& m) {
              onnx::TensorShapeProto* shape = m.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
              shape->mutable_dim(1)->set_dim_value(4);
            }),
            "");
}

TEST(OnnxExport, SaveOnnxWritesTheBytes) {
  const Graph g = if_graph();
  const std::string path = (fs::temp_directory_path() / "glassbox_onnx_export_test.onnx").string();
  gb::convert::save_onnx(g, path);
  EXPECT_EQ(gb::convert::load_onnx(path).graph.str(), parse_onnx(export_onnx(g)).graph.str());
  fs::remove(path);
  EXPECT_NE(error_of([&] { gb::convert::save_onnx(g, "/nonexistent/dir/model.onnx"); }), "");
}

}  // namespace
