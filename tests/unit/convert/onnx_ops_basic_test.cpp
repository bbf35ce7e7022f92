// onnx_ops_basic_test.cpp: the basic ONNX ops in gb::graph's registry: inference errors at graph-building
// time, and the semantics the ONNX node tests cover least (dynamic shapes read at run time, 1-D MatMul,
// Gemm's transposes against gb::matmul, Softmax on large numbers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gb/convert/onnx_ops.hpp"
#include "gb/core/ops.hpp"
#include "gb/graph/executor.hpp"

namespace {

using gb::Shape;
using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;
using gb::graph::ValueId;
using gb::graph::ValueInfo;

bool infer_fails(const std::string& op, const std::vector<ValueInfo>& inputs, const Attributes& attrs = {}) {
  gb::convert::register_onnx_ops();
  Graph g;
  std::vector<ValueId> in;
  for (std::size_t i = 0; i < inputs.size(); ++i) in.push_back(g.placeholder("x" + std::to_string(i), inputs[i]));
  try {
    g.add_node(op, in, attrs);
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error&) {
    return true;
  }
  return false;
}

// Runs one op on the given tensors (fed as placeholders); returns its outputs.
std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs = {}) {
  gb::convert::register_onnx_ops();
  Graph g;
  std::vector<ValueId> in;
  gb::graph::Feeds feeds;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = "x" + std::to_string(i);
    in.push_back(g.placeholder(name, {inputs[i].dtype(), inputs[i].shape()}));
    feeds[name] = inputs[i];
  }
  g.set_outputs(g.add_node(op, in, attrs));
  return gb::graph::run(g, feeds);
}

Tensor ints(const std::vector<std::int64_t>& v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}); }

Tensor ramp(const Shape& shape, double scale = 0.25) {
  Tensor t = Tensor::arange(gb::shape_numel(shape)).reshape(shape).clone();
  return gb::mul(gb::sub(t, Tensor::scalar(3)), Tensor::scalar(scale));
}

TEST(OnnxOpsBasic, TheSetIsRegisteredUnderOnnxNames) {
  const std::vector<std::string> names = gb::convert::onnx_op_names();
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten",
                         "Reshape", "Transpose", "Concat", "Squeeze", "Unsqueeze", "Constant", "Identity", "Dropout", "MatMul", "Gemm"}) {
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), op)) << op;
  }
}

TEST(OnnxOpsBasic, InferenceErrorsAtGraphBuildingTime) {
  const ValueInfo f23{gb::DType::f32, {2, 3}}, f4{gb::DType::f32, {4}}, i23{gb::DType::i64, {2, 3}};
  EXPECT_TRUE(infer_fails("Add", {f23, f4}));                         // [2, 3] + [4] do not broadcast
  EXPECT_TRUE(infer_fails("Mul", {f23, i23}));                        // two dtypes
  EXPECT_FALSE(infer_fails("Add", {f23, {gb::DType::f32, {-1, 1}}}));  // a dynamic size broadcasts
  EXPECT_TRUE(infer_fails("Relu", {i23}));                            // activations are floating
  EXPECT_TRUE(infer_fails("MatMul", {f23, f23}));                     // inner 3 vs 2
  EXPECT_TRUE(infer_fails("Gemm", {f23, f23}));
  EXPECT_FALSE(infer_fails("Gemm", {f23, f23}, {{"transB", std::int64_t{1}}}));
  EXPECT_TRUE(infer_fails("Gemm", {f23, f23, {gb::DType::f32, {3}}}, {{"transB", std::int64_t{1}}}));  // C [3] vs [2, 2]
  EXPECT_TRUE(infer_fails("Concat", {f23, f4}, {{"axis", std::int64_t{0}}}));                            // ranks differ
  EXPECT_TRUE(infer_fails("Concat", {f23, f23}));                                                       // axis required
  EXPECT_TRUE(infer_fails("Transpose", {f23}, {{"perm", std::vector<std::int64_t>{0, 0}}}));
  EXPECT_TRUE(infer_fails("Softmax", {f23}, {{"axis", std::int64_t{2}}}));
  EXPECT_TRUE(infer_fails("Flatten", {f23}, {{"axis", std::int64_t{3}}}));
  EXPECT_TRUE(infer_fails("Reshape", {f23}, {{"shape", std::vector<std::int64_t>{-1, -1}}}));
  EXPECT_TRUE(infer_fails("Reshape", {f23}, {{"shape", std::vector<std::int64_t>{4, 2}}}));  // 6 elements vs 8
  EXPECT_TRUE(infer_fails("Squeeze", {f23}, {{"axes", std::vector<std::int64_t>{0}}}));       // size 2, not 1
  EXPECT_TRUE(infer_fails("Unsqueeze", {f23}, {{"axes", std::vector<std::int64_t>{1, 1}}}));  // repeated
  EXPECT_TRUE(infer_fails("Identity", {f23, f23}));                                           // one input
}

TEST(OnnxOpsBasic, ShapesReadFromInputsAtRunTime) {
  const Tensor x = ramp({2, 3, 4});
  // Reshape: 0 copies the input's size, -1 takes what is left; inference knew only the rank
  const Tensor r = run_op("Reshape", {x, ints({0, -1})})[0];
  EXPECT_EQ(r.shape(), (Shape{2, 12}));
  EXPECT_EQ(r.to_vector(), x.to_vector());
  // allowzero = 1: a 0 is a real size 0 (a 0-element input reshapes to it)
  EXPECT_EQ(run_op("Reshape", {Tensor::empty({0, 3}), ints({3, 0})}, {{"allowzero", std::int64_t{1}}})[0].shape(), (Shape{3, 0}));
  EXPECT_EQ(run_op("Unsqueeze", {x, ints({-1, 0})})[0].shape(), (Shape{1, 2, 3, 4, 1}));
  EXPECT_EQ(run_op("Squeeze", {Tensor::ones({1, 3, 1})})[0].shape(), (Shape{3}));  // no axes: every size-1 axis
  EXPECT_EQ(run_op("Squeeze", {Tensor::ones({1, 3, 1}), ints({2})})[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(run_op("Transpose", {x})[0].shape(), (Shape{4, 3, 2}));  // default: reversed
  const Tensor c = run_op("Concat", {x, ramp({2, 1, 4}, 2.0)}, {{"axis", std::int64_t{-2}}})[0];
  EXPECT_EQ(c.shape(), (Shape{2, 4, 4}));
  EXPECT_EQ(c.at({1, 3, 2}), ramp({2, 1, 4}, 2.0).at({1, 0, 2}));
  EXPECT_EQ(c.at({1, 2, 3}), x.at({1, 2, 3}));
}

TEST(OnnxOpsBasic, MatMulPromotesOneDimensionalOperandsAndBroadcastsBatches) {
  const Tensor a = ramp({2, 1, 3, 4}), b = ramp({5, 4, 2}), v = ramp({4});
  const Tensor ab = run_op("MatMul", {a, b})[0];
  EXPECT_EQ(ab.shape(), (Shape{2, 5, 3, 2}));
  EXPECT_TRUE(gb::allclose(ab, gb::matmul(a, b), 1e-5, 1e-6));  // lib/kernels' GEMM vs the reference
  EXPECT_EQ(run_op("MatMul", {a, v})[0].shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(run_op("MatMul", {v, b})[0].shape(), (Shape{5, 2}));
  EXPECT_EQ(run_op("MatMul", {v, v})[0].shape(), (Shape{}));
  EXPECT_NEAR(run_op("MatMul", {v, v})[0].item(), gb::sum(gb::mul(v, v)).item(), 1e-6);
}

TEST(OnnxOpsBasic, GemmIsAlphaOpAOpBPlusBetaC) {
  const Tensor a = ramp({4, 3}), b = ramp({5, 4}, 0.5), c = ramp({1, 5}, 2.0);  // A^T [3, 4], B^T [4, 5]
  const Attributes attrs = {{"transA", std::int64_t{1}}, {"transB", std::int64_t{1}}, {"alpha", 0.5}, {"beta", -2.0}};
  const Tensor y = run_op("Gemm", {a, b, c}, attrs)[0];
  const Tensor expected = gb::add(gb::mul(gb::matmul(a.transpose(), b.transpose()), Tensor::scalar(0.5)), gb::mul(c, Tensor::scalar(-2.0)));
  EXPECT_EQ(y.shape(), (Shape{3, 5}));
  EXPECT_TRUE(gb::allclose(y, expected, 1e-5, 1e-6));
  // f64 takes the reference path; the answer is the same
  const Tensor y64 = run_op("Gemm", {a.to(gb::DType::f64), b.to(gb::DType::f64), c.to(gb::DType::f64)}, attrs)[0];
  EXPECT_TRUE(gb::allclose(y64.to(gb::DType::f32), expected, 1e-5, 1e-6));
}

TEST(OnnxOpsBasic, SoftmaxSubtractsTheMaximum) {
  const Tensor x = Tensor::from_vector(std::vector<float>{1000, 1001, 1002, -1e30f, 0, 1e30f}, {2, 3});
  const Tensor s = run_op("Softmax", {x})[0], l = run_op("LogSoftmax", {x})[0];
  const double z = 1 + std::exp(1.0) + std::exp(2.0);
  EXPECT_NEAR(s.at({0, 2}), std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(l.at({0, 0}), -std::log(z), 1e-5);
  EXPECT_EQ(s.at({1, 2}), 1.0);
  EXPECT_EQ(s.at({1, 0}), 0.0);
  EXPECT_FALSE(std::isnan(l.at({1, 1})));
  EXPECT_NEAR(run_op("LeakyRelu", {x})[0].at({1, 0}), -1e28, 1e22);  // alpha 0.01 by default
}

}  // namespace
