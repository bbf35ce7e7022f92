// onnx_ops_slice_test.cpp: Slice, Gather, Shape, Cast and CastLike (onnx_ops_slice.cpp, onnx_ops_gather.cpp,
// onnx_ops_cast.cpp) beyond the ONNX node tests: NumPy as the oracle (x[start:end:step], np.take, astype:
// ONNX defines these ops "similar to numpy"), the spec's own clamping where NumPy differs, bad inputs as
// gb::Error (never undefined behaviour), the float-to-integer casts ONNX leaves undefined as Unsupported,
// and export: Slice's folded parameters go back to inputs (opset 10+) or attributes (before), judged by
// libonnx's checker.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

#include "convert_test_util.hpp"
#include "gb/convert/onnx_export.hpp"
#include "gb/convert/onnx_import.hpp"
#include "gb/convert/onnx_ops.hpp"
#include "gb/core/npy.hpp"
#include "gb/graph/executor.hpp"

namespace {

namespace fs = std::filesystem;
using gb::DType;
using gb::Shape;
using gb::Tensor;
using gb::graph::Attributes;
using gb::graph::Graph;
using gb::graph::ValueId;
using gb::graph::ValueInfo;
using Ints = std::vector<std::int64_t>;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max(), kMin = std::numeric_limits<std::int64_t>::min();

fs::path temp_dir() {
  const fs::path dir = fs::temp_directory_path() / ("gb_onnx_slice_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// Runs a NumPy script (the oracle) with `d` bound to the temp folder; true when it exits 0.
bool numpy(const std::string& body) {
  const fs::path dir = temp_dir(), file = dir / "oracle.py";
  std::ofstream(file) << "import numpy as np\nd = '" << dir.string() << "/'\n" << body;
  return std::system(("/usr/bin/python3 " + file.string()).c_str()) == 0;
}

Tensor oracle(const std::string& name) { return gb::load_npy((temp_dir() / (name + ".npy")).string()); }

std::string py_list(const Ints& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

Tensor i64s(const Ints& v) {
  Tensor t = Tensor::empty({static_cast<std::int64_t>(v.size())}, DType::i64);  // exact, not through doubles
  std::copy(v.begin(), v.end(), t.data<std::int64_t>());
  return t;
}

using convert_test::error_of;  // convert_test_util.hpp

// One op on tensors fed through placeholders (parameters read at run time), returning its output and,
// through `inferred`, what shape inference said before the run.
Tensor run_op(const std::string& op, const std::vector<Tensor>& inputs, const Attributes& attrs = {}, ValueInfo* inferred = nullptr) {
  gb::convert::register_onnx_ops();
  Graph g;
  std::vector<ValueId> in;
  gb::graph::Feeds feeds;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = "x" + std::to_string(i);
    in.push_back(g.placeholder(name, {inputs[i].dtype(), inputs[i].shape()}));
    feeds[name] = inputs[i];
  }
  const std::vector<ValueId> out = g.add_node(op, in, attrs);
  if (inferred) *inferred = g.value(out[0]).info;
  g.set_outputs(out);
  return gb::graph::run(g, feeds).at(0);
}

void expect_equal(const Tensor& got, const Tensor& expected, const std::string& where) {
  ASSERT_EQ(got.dtype(), expected.dtype()) << where;
  ASSERT_EQ(got.shape(), expected.shape()) << where;
  const std::vector<double> a = got.to_vector(), e = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(e[i])) {
      EXPECT_TRUE(std::isnan(a[i])) << where << " at " << i;
    } else {
      EXPECT_EQ(a[i], e[i]) << where << " at " << i;
    }
  }
}

// --- Slice ---------------------------------------------------------------------------------------------

struct SliceCase {
  Ints starts, ends;
  std::optional<Ints> axes, steps;
};

// NumPy's x[start:end:step] equals the spec's clamping except for a negative step whose start lies before
// the front (start + dim < 0): NumPy takes nothing, ONNX clamps the start to 0 (tested on its own below).
const std::vector<SliceCase> kSliceCases = {
    {{1}, {3}, std::nullopt, std::nullopt},                         // default axes (0) and steps
    {{0, 1}, {3, -1}, std::nullopt, std::nullopt},                  // a negative end
    {{1, 0, 2}, {4, 5, 6}, Ints{0, 1, 2}, Ints{2, 2, 3}},           // steps > 1
    {{-1}, {kMin}, Ints{2}, Ints{-1}},                              // the whole axis backwards
    {{kMax}, {kMin}, Ints{1}, Ints{-2}},                            // start past the end, backwards by 2
    {{4, 3}, {0, 0}, Ints{0, -1}, Ints{-1, -3}},                    // negative steps, negative axis
    {{-100}, {100}, Ints{-2}, Ints{1}},                             // both out of range: the whole axis
    {{2}, {kMax}, Ints{2}, Ints{kMax}},                             // a huge step: one element
    {{3}, {1}, Ints{1}, Ints{1}},                                   // end before start: empty
    {{1}, {3}, Ints{1}, Ints{-1}},                                  // backwards from before the end: empty
    {{0, 0, 0}, {kMax, kMax, kMax}, Ints{2, 0, 1}, Ints{1, 1, 1}},  // axes in any order
    {{5}, {kMin}, Ints{2}, Ints{kMin}},                             // the most negative step
};

std::string slice_expression(const SliceCase& c, std::size_t rank) {
  std::vector<std::string> parts(rank, ":");
  for (std::size_t i = 0; i < c.starts.size(); ++i) {
    std::int64_t axis = c.axes ? (*c.axes)[i] : static_cast<std::int64_t>(i);
    if (axis < 0) axis += static_cast<std::int64_t>(rank);
    const std::int64_t step = c.steps ? (*c.steps)[i] : 1;
    parts[static_cast<std::size_t>(axis)] = std::to_string(c.starts[i]) + ":" + std::to_string(c.ends[i]) + ":" + std::to_string(step);
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::vector<Tensor> slice_inputs(const Tensor& x, const SliceCase& c) {
  std::vector<Tensor> in = {x, i64s(c.starts), i64s(c.ends)};
  if (c.axes || c.steps) {
    Ints axes = c.axes ? *c.axes : Ints{};
    if (!c.axes) for (std::size_t i = 0; i < c.starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    in.push_back(i64s(axes));
  }
  if (c.steps) in.push_back(i64s(*c.steps));
  return in;
}

Attributes slice_attributes(const SliceCase& c) {
  Attributes attrs{{"starts", c.starts}, {"ends", c.ends}};
  if (c.axes) attrs["axes"] = *c.axes;
  if (c.steps) attrs["steps"] = *c.steps;
  return attrs;
}

TEST(OnnxSlice, MatchesNumpySlicingAsInputsAttributesAndFoldedConstants) {
  std::string script = "x = (np.arange(4 * 5 * 6) * 0.5 - 7).astype(np.float32).reshape(4, 5, 6)\nnp.save(d + 'x.npy', x)\n";
  script += "np.save(d + 'xu8.npy', np.arange(4 * 5 * 6, dtype=np.uint8).reshape(4, 5, 6))\n";
  for (std::size_t i = 0; i < kSliceCases.size(); ++i) {
    const std::string e = slice_expression(kSliceCases[i], 3);
    script += "np.save(d + 'slice" + std::to_string(i) + ".npy', np.ascontiguousarray(x[" + e + "]))\n";
    script += "np.save(d + 'sliceu8_" + std::to_string(i) + ".npy', np.ascontiguousarray(np.load(d + 'xu8.npy')[" + e + "]))\n";
  }
  ASSERT_TRUE(numpy(script));
  const Tensor x = oracle("x"), xu8 = oracle("xu8");
  for (std::size_t i = 0; i < kSliceCases.size(); ++i) {
    const SliceCase& c = kSliceCases[i];
    const std::string where = "case " + std::to_string(i) + ": x[" + slice_expression(c, 3) + "]";
    const Tensor expected = oracle("slice" + std::to_string(i));
    ValueInfo dynamic, folded, attribute;
    // Opset 10+: parameters as inputs read at run time; inference knows the rank only.
    expect_equal(run_op("Slice", slice_inputs(x, c), {}, &dynamic), expected, where + " (inputs)");
    expect_equal(run_op("Slice", slice_inputs(xu8, c)), oracle("sliceu8_" + std::to_string(i)), where + " (u8)");
    // The importer's fold: the same inputs with their values as attributes; inference knows the shape.
    expect_equal(run_op("Slice", slice_inputs(x, c), slice_attributes(c), &folded), expected, where + " (folded)");
    EXPECT_EQ(folded.shape, expected.shape()) << where;
    // Opsets 1-9: attributes only.
    expect_equal(run_op("Slice", {x}, slice_attributes(c), &attribute), expected, where + " (attributes)");
    EXPECT_EQ(attribute.shape, expected.shape()) << where;
    EXPECT_EQ(dynamic.shape.size(), 3u) << where;
  }
}

TEST(OnnxSlice, SizesOutsideTheSlicedAxesAreKnownWhenOnlyTheAxesAreConstant) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {4, 5, 6}});
  const ValueId starts = g.placeholder("starts", {DType::i64, {1}}), ends = g.placeholder("ends", {DType::i64, {1}});
  const ValueId axes = g.constant(i64s({1}), "axes");
  const ValueId out = g.add("Slice", {x, starts, ends, axes}, {{"axes", Ints{1}}});
  EXPECT_EQ(g.value(out).info.shape, (Shape{4, -1, 6}));
  const ValueId default_axes = g.add("Slice", {x, starts, ends});  // axes default to [0]: length 1
  EXPECT_EQ(g.value(default_axes).info.shape, (Shape{-1, 5, 6}));
}

// The spec (Slice-13): "start ... clamped into the range [0, dims[axes[i]]-1] for negative stepping" and the
// end into [-1, dims - 1]. A start before the front therefore takes element 0, where NumPy takes nothing.
TEST(OnnxSlice, NegativeStepFromBeforeTheFrontFollowsTheSpecNotNumpy) {
  const Tensor x = Tensor::arange(10, DType::i64);
  const Tensor y = run_op("Slice", {x, i64s({-100}), i64s({kMin}), i64s({0}), i64s({-1})});
  expect_equal(y, i64s({0}), "start -100, end INT64_MIN, step -1 on 10 elements");
  // An axis of size 0 gives nothing either way.
  const Tensor empty = run_op("Slice", {Tensor::empty({0, 3}), i64s({kMax}), i64s({kMin}), i64s({0}), i64s({-1})});
  EXPECT_EQ(empty.shape(), (Shape{0, 3}));
}

TEST(OnnxSlice, BadParametersAreErrorsAtInferenceAndAtRunTime) {
  const Tensor x = Tensor::zeros({4, 5});
  const auto at_run = [&](const std::vector<Tensor>& in) { return error_of([&] { run_op("Slice", in); }); };
  const auto at_infer = [&](const Attributes& attrs) { return error_of([&] { run_op("Slice", {x}, attrs); }); };
  EXPECT_NE(at_run({x, i64s({0, 0}), i64s({1})}), "");                          // ends shorter than starts
  EXPECT_NE(at_run({x, i64s({0}), i64s({1}), i64s({0, 1})}), "");               // axes longer
  EXPECT_NE(at_run({x, i64s({0}), i64s({1}), i64s({0}), i64s({1, 1})}), "");    // steps longer
  EXPECT_NE(at_run({x, i64s({0}), i64s({1}), i64s({0}), i64s({0})}), "");       // a zero step
  EXPECT_NE(at_run({x, i64s({0}), i64s({1}), i64s({2})}), "");                  // axis 2 of a rank-2 input
  EXPECT_NE(at_run({x, i64s({0}), i64s({1}), i64s({-3})}), "");                 // axis -3 of a rank-2 input
  EXPECT_NE(at_run({x, i64s({0, 0}), i64s({1, 1}), i64s({1, -1})}), "");        // one axis twice
  EXPECT_NE(at_run({x, i64s({0})}), "");                                        // starts without ends
  EXPECT_NE(at_run({x, Tensor::zeros({1}), i64s({1})}), "");                    // f32 starts
  EXPECT_NE(at_run({x, i64s({0}).reshape({1, 1}), i64s({1})}), "");             // 2-D starts
  EXPECT_NE(at_infer({{"starts", Ints{0}}}), "");                               // attributes: ends missing
  EXPECT_NE(at_infer({{"starts", Ints{0}}, {"ends", Ints{1}}, {"axes", Ints{5}}}), "");
  EXPECT_NE(at_infer({{"starts", Ints{0}}, {"ends", Ints{1}}, {"steps", Ints{0}}}), "");
  EXPECT_NE(at_infer({{"starts", Ints{0, 1}}, {"ends", Ints{1}}}), "");
  // i32 parameters are ONNX's other index type.
  const Tensor y = run_op("Slice", {Tensor::arange(6), Tensor::from_vector(std::vector<std::int32_t>{4}, {1}),
                                    Tensor::from_vector(std::vector<std::int32_t>{0}, {1}), Tensor::from_vector(std::vector<std::int32_t>{0}, {1}),
                                    Tensor::from_vector(std::vector<std::int32_t>{-2}, {1})});
  expect_equal(y, Tensor::from_vector(std::vector<float>{4, 2}, {2}), "i32 parameters");
}

// --- Gather and Shape ------------------------------------------------------------------------------------

TEST(OnnxGather, MatchesNumpyTake) {
  struct Case {
    Ints indices;
    Shape indices_shape;
    std::int64_t axis;
    DType index_type;
  };
  const std::vector<Case> cases = {
      {{0, 2, 3}, {3}, 0, DType::i64}, {{-1, 0, -4}, {3}, 0, DType::i32}, {{1, 4, 0, 3}, {2, 2}, 1, DType::i64},
      {{-2}, {}, -1, DType::i64},     {{2, 2, 2}, {3}, 2, DType::i32},    {{}, {0}, 1, DType::i64},
  };
  std::string script = "x = (np.arange(4 * 5 * 3) * 1.5 - 20).astype(np.float32).reshape(4, 5, 3)\nnp.save(d + 'gx.npy', x)\n";
  script += "np.save(d + 'gxi8.npy', (np.arange(4 * 5 * 3) - 30).astype(np.int8).reshape(4, 5, 3))\n";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::string shape = "(";
    for (std::int64_t s : cases[i].indices_shape) shape += std::to_string(s) + ",";
    script += "idx = np.array(" + py_list(cases[i].indices) + ", dtype=np.int64).reshape(" + shape + "))\n";
    script += "np.save(d + 'gather" + std::to_string(i) + ".npy', np.take(x, idx, axis=" + std::to_string(cases[i].axis) + "))\n";
    script += "np.save(d + 'gatheri8_" + std::to_string(i) + ".npy', np.take(np.load(d + 'gxi8.npy'), idx, axis=" + std::to_string(cases[i].axis) +
              "))\n";
  }
  ASSERT_TRUE(numpy(script));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Tensor indices = Tensor::from_values(std::vector<double>(c.indices.begin(), c.indices.end()), c.indices_shape, c.index_type);
    const Attributes attrs{{"axis", c.axis}};
    ValueInfo inferred;
    const Tensor expected = oracle("gather" + std::to_string(i));
    expect_equal(run_op("Gather", {oracle("gx"), indices}, attrs, &inferred), expected, "gather case " + std::to_string(i));
    EXPECT_EQ(inferred.shape, expected.shape()) << i;
    expect_equal(run_op("Gather", {oracle("gxi8"), indices}, attrs), oracle("gatheri8_" + std::to_string(i)), "i8 gather case " + std::to_string(i));
  }
}

TEST(OnnxGather, IndicesOutOfRangeAndBadAxesAreErrors) {
  const Tensor x = Tensor::zeros({4, 5});
  const auto gather = [&](const Ints& indices, std::int64_t axis) { return error_of([&] { run_op("Gather", {x, i64s(indices)}, {{"axis", axis}}); }); };
  EXPECT_NE(gather({4}, 0), "");                           // one past the end
  EXPECT_NE(gather({-5}, 0), "");                          // one before the front
  EXPECT_NE(gather({0, kMax}, 1), "");
  EXPECT_NE(gather({kMin}, 1), "");
  EXPECT_EQ(gather({3, -4}, 0), "");                       // the extremes that are fine
  EXPECT_NE(gather({0}, 2), "");                           // axis out of range
  EXPECT_NE(gather({0}, -3), "");
  EXPECT_NE(error_of([&] { run_op("Gather", {x, Tensor::zeros({1})}); }), "");            // f32 indices
  EXPECT_NE(error_of([&] { run_op("Gather", {Tensor::scalar(1), i64s({0})}); }), "");     // scalar data
  EXPECT_NE(error_of([&] { run_op("Gather", {Tensor::zeros({0, 2}), i64s({0})}); }), "");  // nothing to pick from
}

TEST(OnnxShape, MatchesPythonSlicingOfTheShape) {
  const Tensor x = Tensor::zeros({2, 3, 4, 5});
  const std::vector<std::pair<std::optional<std::int64_t>, std::optional<std::int64_t>>> ranges = {
      {std::nullopt, std::nullopt}, {1, std::nullopt}, {-1, std::nullopt}, {-10, 2}, {1, -1}, {3, 1}, {std::nullopt, 10}, {kMin, kMax}};
  std::string script = "s = [2, 3, 4, 5]\n";
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const auto text = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("None"); };
    script += "np.save(d + 'shape" + std::to_string(i) + ".npy', np.array(s[" + text(ranges[i].first) + ":" + text(ranges[i].second) +
              "], dtype=np.int64))\n";
  }
  ASSERT_TRUE(numpy(script));
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    Attributes attrs;
    if (ranges[i].first) attrs["start"] = *ranges[i].first;
    if (ranges[i].second) attrs["end"] = *ranges[i].second;
    ValueInfo inferred;
    const Tensor expected = oracle("shape" + std::to_string(i));
    expect_equal(run_op("Shape", {x}, attrs, &inferred), expected, "shape case " + std::to_string(i));
    EXPECT_EQ(inferred, (ValueInfo{DType::i64, expected.shape()})) << i;
  }
}

// --- Cast ----------------------------------------------------------------------------------------------

// ONNX's TensorProto::DataType numbers.
constexpr std::int64_t kFloat = 1, kUint8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kBool = 9, kFloat16 = 10, kDouble = 11;

TEST(OnnxCast, MatchesNumpyAstypeWhereOnnxDefinesTheResult) {
  struct Case {
    std::string name, source_values, source_type, target_type;
    DType from;
    std::int64_t to;
  };
  const std::vector<Case> cases = {
      {"f32_i32", "[2.7, -2.7, 0.5, -0.5, 1e9, -2147483648.0]", "float32", "int32", DType::f32, kInt32},
      {"f64_i64", "[9.2e18, -9.2e18, 3.99, -0.0]", "float64", "int64", DType::f64, kInt64},
      {"f32_u8", "[255.9, 0.0, -0.9, 17.5]", "float32", "uint8", DType::f32, kUint8},
      {"f32_i8", "[127.9, -128.9, -5.5]", "float32", "int8", DType::f32, kInt8},
      {"f64_f32", "[1e300, -1e300, 3.4028235677973366e38, 3.4028235677973362e38, 0.1, 1e-50, float('nan')]", "float64", "float32", DType::f64,
       kFloat},
      {"f32_f64", "[0.1, float('inf'), float('nan')]", "float32", "float64", DType::f32, kDouble},
      {"i64_i8", "[300, -200, 127, -129, 2**40 + 5]", "int64", "int8", DType::i64, kInt8},
      {"i64_u8", "[300, -1, 256, 2**40 + 255]", "int64", "uint8", DType::i64, kUint8},
      {"i32_f32", "[16777217, -16777219, 2147483647]", "int32", "float32", DType::i32, kFloat},
      {"i64_f64", "[2**53 + 1, -(2**62) - 1]", "int64", "float64", DType::i64, kDouble},
      {"u8_i32", "[0, 255, 128]", "uint8", "int32", DType::u8, kInt32},
      {"i8_u8", "[-1, -128, 5]", "int8", "uint8", DType::i8, kUint8},
      {"f32_bool", "[0.0, -0.0, 0.5, -3.0, float('nan'), float('inf')]", "float32", "bool_", DType::f32, kBool},
      {"i64_bool", "[0, 2, -1, 256]", "int64", "bool_", DType::i64, kBool},
  };
  std::string script = "import warnings\nwarnings.simplefilter('ignore')\n";
  for (const Case& c : cases) {
    script += "a = np.array(" + c.source_values + ").astype(np." + c.source_type + ")\n";
    script += "np.save(d + 'cast_in_" + c.name + ".npy', a)\n";
    script += "np.save(d + 'cast_out_" + c.name + ".npy', a.astype(np." + c.target_type + "))\n";
  }
  ASSERT_TRUE(numpy(script));
  for (const Case& c : cases) {
    const Tensor x = oracle("cast_in_" + c.name);
    ASSERT_EQ(x.dtype(), c.from) << c.name;
    ValueInfo inferred;
    const Tensor expected = oracle("cast_out_" + c.name);  // NumPy's bool loads as u8 0 / 1
    expect_equal(run_op("Cast", {x}, {{"to", c.to}}, &inferred), expected, c.name);
    EXPECT_EQ(inferred.dtype, expected.dtype()) << c.name;
    if (c.to != kBool) expect_equal(run_op("CastLike", {x, Tensor::zeros({1}, expected.dtype())}), expected, c.name + " (CastLike)");
  }
}

TEST(OnnxCast, UndefinedFloatToIntegerCastsAreUnsupportedNotUndefinedBehaviour) {
  const auto cast = [](double value, DType from, std::int64_t to) {
    return error_of([&] { run_op("Cast", {Tensor::from_values({1.0, value}, {2}, from)}, {{"to", to}}); });
  };
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const std::int64_t to : {kUint8, kInt8, kInt32, kInt64}) {
    EXPECT_EQ(cast(nan, DType::f32, to).rfind("unsupported: Cast", 0), 0u) << to;
    EXPECT_EQ(cast(inf, DType::f64, to).rfind("unsupported: Cast", 0), 0u) << to;
    EXPECT_EQ(cast(-inf, DType::f32, to).rfind("unsupported: Cast", 0), 0u) << to;
  }
  EXPECT_NE(cast(256.0, DType::f32, kUint8), "");
  EXPECT_NE(cast(-1.0, DType::f32, kUint8), "");  // truncates to -1: outside u8
  EXPECT_NE(cast(128.0, DType::f64, kInt8), "");
  EXPECT_NE(cast(2147483648.0, DType::f64, kInt32), "");
  EXPECT_NE(cast(9223372036854775808.0, DType::f64, kInt64), "");  // 2^63
  EXPECT_EQ(cast(-9223372036854775808.0, DType::f64, kInt64), "");  // -2^63 fits
  // Element types glassbox does not have, and a missing `to`.
  EXPECT_EQ(error_of([] { run_op("Cast", {Tensor::zeros({2})}, {{"to", kFloat16}}); }).rfind("unsupported:", 0), 0u);
  EXPECT_EQ(error_of([] { run_op("Cast", {Tensor::zeros({2})}, {{"to", std::int64_t{8}}}); }).rfind("unsupported:", 0), 0u);  // STRING
  const std::string missing = error_of([] { run_op("Cast", {Tensor::zeros({2})}); });
  EXPECT_NE(missing, "");
  EXPECT_NE(missing.rfind("unsupported:", 0), 0u);
}

// --- export: folded parameters undone, bools recovered ------------------------------------------------------

// export -> check_onnx -> import; the checker's message (empty when it accepts) through `check`.
gb::convert::OnnxModel round_trip(const Graph& g, std::int64_t opset, std::string* check) {
  gb::convert::OnnxExportOptions options;
  options.opset = opset;
  const std::string bytes = gb::convert::export_onnx(g, options);
  *check = error_of([&] { gb::convert::check_onnx(bytes); });
  return gb::convert::parse_onnx(bytes);
}

TEST(OnnxSliceExport, FoldedParametersGoBackToInputsOrAttributesByOpset) {
  gb::convert::register_onnx_ops();
  const SliceCase c{{3, 0}, {0, kMax}, Ints{0, -1}, Ints{-1, 2}};
  const SliceCase plain{{1, 0}, {3, kMax}, Ints{0, -1}, Ints{1, 1}};  // steps of 1: expressible before opset 10
  const Tensor x = Tensor::arange(4 * 5).reshape({4, 5});
  gb::graph::Feeds feeds{{"x", x}};
  for (const SliceCase* sc : {&c, &plain}) {
    // As the importer leaves a Slice with constant parameters: constant inputs and their folded copies.
    Graph folded;
    std::vector<ValueId> in = {folded.placeholder("x", {DType::f32, {4, 5}})};
    const std::vector<Tensor> parameters = slice_inputs(x, *sc);
    for (std::size_t k = 1; k < parameters.size(); ++k) in.push_back(folded.constant(parameters[k]));
    folded.set_outputs({folded.add("Slice", in, slice_attributes(*sc), "slice")});
    // As an opset-9 model leaves it: attributes only.
    Graph attributes;
    const ValueId ax = attributes.placeholder("x", {DType::f32, {4, 5}});
    attributes.set_outputs({attributes.add("Slice", {ax}, slice_attributes(*sc), "slice")});
    const Tensor expected = gb::graph::run(folded, feeds).at(0);
    for (const Graph* g : {&folded, &attributes}) {
      std::string check;
      const gb::convert::OnnxModel back = round_trip(*g, 13, &check);
      EXPECT_EQ(check, "");
      expect_equal(gb::graph::run(back.graph, feeds).at(0), expected, "opset 13");
      EXPECT_EQ(back.graph.value(back.graph.outputs()[0]).info.shape, expected.shape());  // re-folded on import
      if (sc == &plain) {
        const gb::convert::OnnxModel old = round_trip(*g, 9, &check);
        EXPECT_EQ(check, "");
        expect_equal(gb::graph::run(old.graph, feeds).at(0), expected, "opset 9");
      } else {
        gb::convert::OnnxExportOptions options;
        options.opset = 9;
        EXPECT_EQ(error_of([&] { gb::convert::export_onnx(*g, options); }).rfind("unsupported:", 0), 0u);  // step -1 before opset 10
      }
    }
  }
  // Parameters computed at run time cannot become opset-9 attributes.
  Graph dynamic;
  const ValueId dx = dynamic.placeholder("x", {DType::f32, {4, 5}});
  const ValueId s = dynamic.placeholder("s", {DType::i64, {1}}), e = dynamic.placeholder("e", {DType::i64, {1}});
  dynamic.set_outputs({dynamic.add("Slice", {dx, s, e})});
  gb::convert::OnnxExportOptions options;
  options.opset = 9;
  EXPECT_EQ(error_of([&] { gb::convert::export_onnx(dynamic, options); }).rfind("unsupported:", 0), 0u);
  std::string check;
  round_trip(dynamic, 13, &check);
  EXPECT_EQ(check, "");
}

TEST(OnnxCastExport, CastToBoolWritesABoolAndGatherShapeCastPassTheChecker) {
  gb::convert::register_onnx_ops();
  Graph g;
  const ValueId x = g.placeholder("x", {DType::f32, {3, 4}});
  const ValueId shape = g.add("Shape", {x}, {{"start", std::int64_t{-1}}});  // [4]
  const ValueId picked = g.add("Gather", {x, g.constant(i64s({2, 0}))}, {{"axis", std::int64_t{1}}});
  const ValueId mask = g.add("Cast", {picked}, {{"to", kBool}});
  const ValueId as_int = g.add("Cast", {mask}, {{"to", kInt32}});
  const ValueId like = g.add("CastLike", {as_int, picked});
  g.set_outputs({shape, mask, like});
  for (const std::int64_t opset : {std::int64_t{15}, std::int64_t{17}}) {
    std::string check;
    const gb::convert::OnnxModel back = round_trip(g, opset, &check);
    EXPECT_EQ(check, "") << "opset " << opset;
    const Tensor input = Tensor::from_values({0, 1, -2, 0, 3, 0, 0, 0, 0, 5, 0.5, 0}, {3, 4});
    const std::vector<Tensor> a = gb::graph::run(g, {{"x", input}}), b = gb::graph::run(back.graph, {{"x", input}});
    for (std::size_t k = 0; k < a.size(); ++k) expect_equal(b.at(k), a[k], "output " + std::to_string(k));
    expect_equal(a[1], Tensor::from_values({1, 0, 0, 1, 1, 0}, {3, 2}, DType::u8), "the mask");
  }
  // The exported model's output 1 is ONNX BOOL (elem_type 9): the checker's strict inference agrees.
  gb::convert::OnnxExportOptions options;
  options.opset = 15;
  const std::string bytes = gb::convert::export_onnx(g, options);
  EXPECT_EQ(error_of([&] { gb::convert::check_onnx(bytes); }), "");
}

}  // namespace
