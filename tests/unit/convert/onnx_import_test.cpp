// onnx_import_test.cpp: ONNX models and tensors built here with libonnx's protobuf classes, imported and
// run (a MatMul + Add + Relu against the hand computation), tensors stored both ways (raw_data and the
// typed fields), and the files a loader must refuse without crashing.
#ifndef ONNX_ML
#define ONNX_ML 1  // onnx_proto's interface definition (its headers are onnx-ml.pb.h)
#endif
#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "gb/convert/onnx_import.hpp"
#include "gb/graph/executor.hpp"

namespace {

using gb::Tensor;
using gb::convert::Unsupported;

// "error" (a gb::Error that is not Unsupported), "unsupported", or "none".
std::string outcome(const std::function<void()>& f) {
  try {
    f();
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const Unsupported&) {
    return "unsupported";
  } catch (const gb::Error&) {
    return "error";
  }
  return "none";
}

void add_input(onnx::GraphProto& g, const std::string& name, int type, const std::vector<std::int64_t>& dims) {
  onnx::ValueInfoProto* v = g.add_input();
  v->set_name(name);
  onnx::TypeProto::Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  t->mutable_shape();  // a scalar has a shape with no dims
  for (std::int64_t d : dims) {
    if (d < 0) t->mutable_shape()->add_dim()->set_dim_param("batch");  // a symbolic dim
    else t->mutable_shape()->add_dim()->set_dim_value(d);
  }
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out) {
  onnx::NodeProto* n = g.add_node();
  n->set_op_type(op);
  for (const std::string& s : in) n->add_input(s);
  for (const std::string& s : out) n->add_output(s);
  return n;
}

onnx::ModelProto model_with_opset(std::int64_t opset) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.set_producer_name("glassbox-test");
  onnx::OperatorSetIdProto* set = m.add_opset_import();
  set->set_domain("");
  set->set_version(opset);
  return m;
}

// x[batch, 3] -> relu(x W + b), W [3, 4] in raw_data, b [4] in float_data.
onnx::ModelProto tiny_mlp(const std::vector<float>& w, const std::vector<float>& b) {
  onnx::ModelProto m = model_with_opset(13);
  onnx::GraphProto& g = *m.mutable_graph();
  onnx::TensorProto* tw = g.add_initializer();
  tw->set_name("W");
  tw->set_data_type(onnx::TensorProto::FLOAT);
  tw->add_dims(3), tw->add_dims(4);
  tw->set_raw_data(std::string(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float)));
  onnx::TensorProto* tb = g.add_initializer();
  tb->set_name("b");
  tb->set_data_type(onnx::TensorProto::FLOAT);
  tb->add_dims(4);
  for (float v : b) tb->add_float_data(v);
  add_input(g, "x", onnx::TensorProto::FLOAT, {-1, 3});
  add_node(g, "MatMul", {"x", "W"}, {"h"});
  add_node(g, "Add", {"h", "b"}, {"z"});
  add_node(g, "Relu", {"z"}, {"y"});
  g.add_output()->set_name("y");
  return m;
}

TEST(OnnxImport, TinyMatMulAddReluRunsAndEqualsTheHandComputation) {
  std::vector<float> w(12), b = {0.5f, -1.0f, 0.25f, -3.0f};
  for (int i = 0; i < 12; ++i) w[static_cast<std::size_t>(i)] = 0.1f * static_cast<float>(i) - 0.5f;
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(tiny_mlp(w, b).SerializeAsString());
  EXPECT_EQ(model.opset, 13);
  EXPECT_EQ(model.producer, "glassbox-test");
  EXPECT_EQ(model.input_names, std::vector<std::string>{"x"});
  EXPECT_EQ(model.output_names, std::vector<std::string>{"y"});
  ASSERT_EQ(model.graph.inputs().size(), 1u);  // initializers are constants, not placeholders
  EXPECT_EQ(model.graph.value(model.graph.inputs()[0]).info.shape, (gb::Shape{-1, 3}));
  EXPECT_EQ(model.graph.value(model.graph.outputs()[0]).info.shape, (gb::Shape{-1, 4}));

  const std::vector<float> x = {1, 2, 3, -1, 0.5f, 2};
  const std::vector<Tensor> out = gb::graph::run(model.graph, {{"x", Tensor::from_vector(x, {2, 3})}});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].shape(), (gb::Shape{2, 4}));
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 4; ++j) {
      double z = b[static_cast<std::size_t>(j)];
      for (int k = 0; k < 3; ++k) z += static_cast<double>(x[static_cast<std::size_t>(i * 3 + k)]) * w[static_cast<std::size_t>(k * 4 + j)];
      EXPECT_NEAR(out[0].at({i, j}), z > 0 ? z : 0.0, 1e-5) << i << ", " << j;
    }
  }
}

TEST(OnnxImport, TensorsFromRawDataAndFromTypedFields) {
  onnx::TensorProto typed;  // int64_data
  typed.set_name("shape");
  typed.set_data_type(onnx::TensorProto::INT64);
  typed.add_dims(3);
  for (std::int64_t v : {std::int64_t{2}, std::int64_t{-1}, std::int64_t{1} << 40}) typed.add_int64_data(v);
  std::string name;
  const Tensor t = gb::convert::parse_tensor(typed.SerializeAsString(), &name);
  EXPECT_EQ(name, "shape");
  ASSERT_EQ(t.dtype(), gb::DType::i64);
  EXPECT_EQ(t.data<std::int64_t>()[2], 1LL << 40);

  onnx::TensorProto small;  // UINT8 travels in int32_data
  small.set_data_type(onnx::TensorProto::UINT8);
  small.add_dims(2), small.add_dims(2);
  for (int v : {0, 7, 200, 255}) small.add_int32_data(v);
  const Tensor u = gb::convert::parse_tensor(small.SerializeAsString());
  EXPECT_EQ(u.dtype(), gb::DType::u8);
  EXPECT_EQ(u.to_vector(), (std::vector<double>{0, 7, 200, 255}));

  onnx::TensorProto raw_bool;  // BOOL -> u8, one byte per element in raw_data
  raw_bool.set_data_type(onnx::TensorProto::BOOL);
  raw_bool.add_dims(3);
  raw_bool.set_raw_data(std::string("\x01\x00\x01", 3));
  EXPECT_EQ(gb::convert::parse_tensor(raw_bool.SerializeAsString()).to_vector(), (std::vector<double>{1, 0, 1}));

  // serialize_tensor writes raw_data; parsing it back is bit-exact (a non-contiguous view included)
  const Tensor f = Tensor::from_vector(std::vector<float>{1.5f, -0.0f, 3e-38f, 7, 8, 9}, {2, 3}).transpose();
  const Tensor back = gb::convert::parse_tensor(gb::convert::serialize_tensor(f, "f"), &name);
  EXPECT_EQ(name, "f");
  ASSERT_EQ(back.shape(), (gb::Shape{3, 2}));
  const Tensor dense = f.contiguous();
  EXPECT_EQ(std::memcmp(back.raw_data(), dense.raw_data(), 6 * sizeof(float)), 0);
  onnx::TensorProto proto;
  ASSERT_TRUE(proto.ParseFromString(gb::convert::serialize_tensor(f)));
  EXPECT_TRUE(proto.has_raw_data());
  EXPECT_EQ(proto.data_type(), onnx::TensorProto::FLOAT);
}

TEST(OnnxImport, MalformedTensorsAreErrorsAndOtherDtypesUnsupported) {
  EXPECT_EQ(outcome([] { gb::convert::parse_tensor("\xff\xff\xff garbage"); }), "error");
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(4);
  t.set_raw_data(std::string(12, '\0'));  // 3 floats for 4 elements
  EXPECT_EQ(outcome([&] { gb::convert::parse_tensor(t.SerializeAsString()); }), "error");
  t.clear_raw_data();
  t.add_float_data(1);  // 1 typed value for 4 elements
  EXPECT_EQ(outcome([&] { gb::convert::parse_tensor(t.SerializeAsString()); }), "error");
  t.clear_dims();
  t.add_dims(1LL << 40), t.add_dims(1LL << 40);  // 2^80 elements: refused before allocating
  EXPECT_EQ(outcome([&] { gb::convert::parse_tensor(t.SerializeAsString()); }), "error");
  t.clear_dims();
  t.add_dims(-2);
  EXPECT_EQ(outcome([&] { gb::convert::parse_tensor(t.SerializeAsString()); }), "error");
  onnx::TensorProto half;
  half.set_data_type(onnx::TensorProto::FLOAT16);
  half.add_dims(1);
  half.add_int32_data(0);
  EXPECT_EQ(outcome([&] { gb::convert::parse_tensor(half.SerializeAsString()); }), "unsupported");
  EXPECT_EQ(outcome([] { gb::convert::load_tensor("/nonexistent/input_0.pb"); }), "error");
}

TEST(OnnxImport, MalformedModelsAreErrorsUnknownOpsUnsupported) {
  EXPECT_EQ(outcome([] { gb::convert::parse_onnx("this is not a protobuf \xff\xff"); }), "error");
  EXPECT_EQ(outcome([] { gb::convert::load_onnx("/nonexistent/model.onnx"); }), "error");
  EXPECT_EQ(outcome([] { gb::convert::parse_onnx(onnx::ModelProto().SerializeAsString()); }), "error");  // no opset

  const std::vector<float> w(12, 1.0f), b(4, 0.0f);
  onnx::ModelProto dangling = tiny_mlp(w, b);
  dangling.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(dangling.SerializeAsString()); }), "error");

  onnx::ModelProto bad_output = tiny_mlp(w, b);
  bad_output.mutable_graph()->mutable_output(0)->set_name("nowhere");
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(bad_output.SerializeAsString()); }), "error");

  onnx::ModelProto twice = tiny_mlp(w, b);
  twice.mutable_graph()->mutable_node(2)->set_output(0, "h");  // h defined again
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(twice.SerializeAsString()); }), "error");

  onnx::ModelProto shapes = tiny_mlp(w, b);  // W [3, 4] but x [batch, 5]
  shapes.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(5);
  try {
    gb::convert::parse_onnx(shapes.SerializeAsString());
    ADD_FAILURE() << "MatMul of [batch, 5] and [3, 4] imported";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("node 0 (MatMul)"), std::string::npos) << e.what();
  }

  onnx::ModelProto unknown = tiny_mlp(w, b);
  unknown.mutable_graph()->mutable_node(2)->set_op_type("NoSuchOp");
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(unknown.SerializeAsString()); }), "unsupported");
  onnx::ModelProto domain = tiny_mlp(w, b);
  domain.mutable_graph()->mutable_node(2)->set_domain("com.microsoft");
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(domain.SerializeAsString()); }), "unsupported");
  onnx::ModelProto old = tiny_mlp(w, b);
  old.mutable_opset_import(0)->set_version(6);
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(old.SerializeAsString()); }), "unsupported");
  onnx::ModelProto input_type = tiny_mlp(w, b);
  input_type.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::STRING);
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(input_type.SerializeAsString()); }), "unsupported");
}

TEST(OnnxImport, OptionalInputsTrailingDroppedMiddleUnsupported) {
  onnx::ModelProto m = model_with_opset(13);
  onnx::GraphProto& g = *m.mutable_graph();
  add_input(g, "x", onnx::TensorProto::FLOAT, {2, 2});
  add_node(g, "Dropout", {"x", "", ""}, {"y", "mask"});  // both optional inputs absent
  g.add_output()->set_name("y");
  g.add_output()->set_name("mask");
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(m.SerializeAsString());
  const Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  const std::vector<Tensor> out = gb::graph::run(model.graph, {{"x", x}});
  EXPECT_EQ(out[0].to_vector(), x.to_vector());
  EXPECT_EQ(out[1].dtype(), gb::DType::u8);
  EXPECT_EQ(out[1].to_vector(), (std::vector<double>{1, 1, 1, 1}));

  g.mutable_node(0)->set_input(2, "x");  // ratio absent, training_mode given: a gap
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(m.SerializeAsString()); }), "unsupported");
}

// A constant shape input is folded into the attribute, so inference knows every size; opset 11's
// Softmax normalises rows of the input flattened to 2-D at axis (coerce_2d), opset 13's one axis.
TEST(OnnxImport, ConstantShapeFoldsAndSoftmaxFollowsTheOpset) {
  for (std::int64_t opset : {11, 13}) {
    onnx::ModelProto m = model_with_opset(opset);
    onnx::GraphProto& g = *m.mutable_graph();
    add_input(g, "x", onnx::TensorProto::FLOAT, {2, 3, 2});
    onnx::NodeProto* shape = add_node(g, "Constant", {}, {"shape"});
    onnx::AttributeProto* value = shape->add_attribute();
    value->set_name("value_ints");  // an INTS attribute, no tensor needed
    value->set_type(onnx::AttributeProto::INTS);
    for (std::int64_t d : {0, -1}) value->add_ints(d);
    add_node(g, "Reshape", {"x", "shape"}, {"r"});
    onnx::NodeProto* softmax = add_node(g, "Softmax", {"x"}, {"s"});
    onnx::AttributeProto* axis = softmax->add_attribute();
    axis->set_name("axis");
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(1);
    g.add_output()->set_name("r");
    g.add_output()->set_name("s");
    const gb::convert::OnnxModel model = gb::convert::parse_onnx(m.SerializeAsString());
    EXPECT_EQ(model.graph.value(model.graph.outputs()[0]).info.shape, (gb::Shape{2, 6}));  // not [-1, -1]

    Tensor x = Tensor::empty({2, 3, 2});
    for (int i = 0; i < 12; ++i) x.data<float>()[i] = static_cast<float>(i % 5) * 0.7f;
    const Tensor s = gb::graph::run(model.graph, {{"x", x}})[1];
    // opset 11: each of the 2 rows of 6 sums to 1; opset 13: each column s[b, :, c] (3 elements) sums to 1
    for (int b = 0; b < 2; ++b) {
      if (opset == 11) {
        double total = 0;
        for (int j = 0; j < 6; ++j) total += s.data<float>()[b * 6 + j];
        EXPECT_NEAR(total, 1.0, 1e-6);
      } else {
        for (int c = 0; c < 2; ++c) EXPECT_NEAR(s.at({b, 0, c}) + s.at({b, 1, c}) + s.at({b, 2, c}), 1.0, 1e-6);
      }
    }
  }
}

// ONNX If branches read outer names (x here) instead of taking inputs: the importer passes them explicitly.
TEST(OnnxImport, IfBranchesReadOuterNames) {
  onnx::ModelProto m = model_with_opset(13);
  onnx::GraphProto& g = *m.mutable_graph();
  add_input(g, "cond", onnx::TensorProto::BOOL, {});
  add_input(g, "x", onnx::TensorProto::FLOAT, {3});
  onnx::NodeProto* node = add_node(g, "If", {"cond"}, {"y"});
  onnx::AttributeProto* then_branch = node->add_attribute();
  then_branch->set_name("then_branch");
  then_branch->set_type(onnx::AttributeProto::GRAPH);
  add_node(*then_branch->mutable_g(), "Add", {"x", "x"}, {"twice"});
  then_branch->mutable_g()->add_output()->set_name("twice");
  onnx::AttributeProto* else_branch = node->add_attribute();
  else_branch->set_name("else_branch");
  else_branch->set_type(onnx::AttributeProto::GRAPH);
  add_node(*else_branch->mutable_g(), "Identity", {"x"}, {"same"});
  else_branch->mutable_g()->add_output()->set_name("same");
  g.add_output()->set_name("y");
  const gb::convert::OnnxModel model = gb::convert::parse_onnx(m.SerializeAsString());
  const Tensor x = Tensor::from_vector(std::vector<float>{1, -2, 3}, {3});
  for (std::uint8_t cond : {0, 1}) {
    const Tensor y = gb::graph::run(model.graph, {{"cond", Tensor::scalar(cond, gb::DType::u8)}, {"x", x}})[0];
    EXPECT_EQ(y.to_vector(), cond ? (std::vector<double>{2, -4, 6}) : x.to_vector()) << int{cond};
  }
  else_branch->mutable_g()->mutable_node(0)->set_input(0, "nowhere");  // a free name nobody defines
  EXPECT_EQ(outcome([&] { gb::convert::parse_onnx(m.SerializeAsString()); }), "error");
}

}  // namespace
