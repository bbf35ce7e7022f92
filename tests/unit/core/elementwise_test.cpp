// Unit tests: binary ops with broadcasting (they call broadcast_shapes, exercise core.broadcast.shape_rule),
// integer semantics, comparisons; neg and allclose (no broadcasting) are in suites of their own.
#include <cmath>
#include <limits>

#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;
using gb_test::Values;

namespace {
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
Tensor values(const Values& v, DType d) { return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}, d); }
}  // namespace

TEST(ElementwiseArithmetic, EveryOpEveryDType) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor a = values({6, 8, 9, 12}, d);
    const Tensor b = values({3, 2, 4, 5}, d);
    EXPECT_EQ(gb::add(a, b).to_vector(), (Values{9, 10, 13, 17}));
    EXPECT_EQ(gb::sub(a, b).to_vector(), (Values{3, 6, 5, 7}));
    EXPECT_EQ(gb::mul(a, b).to_vector(), (Values{18, 16, 36, 60}));
    EXPECT_EQ(gb::maximum(a, b).to_vector(), (Values{6, 8, 9, 12}));
    EXPECT_EQ(gb::minimum(a, b).to_vector(), (Values{3, 2, 4, 5}));
    EXPECT_EQ((a + b).dtype(), d);
    EXPECT_EQ((a - b).to_vector(), gb::sub(a, b).to_vector());
    EXPECT_EQ((a * b).to_vector(), gb::mul(a, b).to_vector());
    const Values quotient = gb::div(a, b).to_vector();
    if (gb::is_floating(d)) {
      EXPECT_EQ(quotient, (Values{2, 4, 2.25, d == DType::f32 ? double(12.0f / 5.0f) : 12.0 / 5.0}));
    } else {
      EXPECT_EQ(quotient, (Values{2, 4, 2, 2}));  // floor division
    }
    EXPECT_EQ((a / b).to_vector(), quotient);
  }
}

TEST(ElementwiseArithmetic, BroadcastsLikeNumPy) {
  const Tensor m = Tensor::arange(6).reshape({2, 3});
  const Tensor row = Tensor::from_values({10, 20, 30}, {3});
  const Tensor column = Tensor::from_values({100, 200}, {2, 1});
  EXPECT_EQ((m + row).to_vector(), (Values{10, 21, 32, 13, 24, 35}));
  EXPECT_EQ((m + column).to_vector(), (Values{100, 101, 102, 203, 204, 205}));
  const Tensor outer = row + column;  // [3] and [2, 1] -> [2, 3]
  EXPECT_EQ(outer.shape(), (gb::Shape{2, 3}));
  EXPECT_EQ(outer.to_vector(), (Values{110, 120, 130, 210, 220, 230}));
  EXPECT_EQ((m * Tensor::scalar(2)).to_vector(), (Values{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ((Tensor::scalar(2) - Tensor::scalar(5)).shape(), gb::Shape{});
  EXPECT_EQ((Tensor::scalar(2) - Tensor::scalar(5)).item(), -3.0);
  // Views as operands: a transposed operand is read through its strides.
  EXPECT_EQ((m.transpose() + Tensor::zeros({3, 2})).to_vector(), (Values{0, 3, 1, 4, 2, 5}));
  // Empty operands give empty results.
  EXPECT_EQ((Tensor::zeros({0, 3}) + row).shape(), (gb::Shape{0, 3}));
  EXPECT_EQ((Tensor::zeros({0}) + Tensor::zeros({1})).shape(), (gb::Shape{0}));
}

TEST(ElementwiseArithmetic, MismatchedShapesNameTheOpAndBothShapes) {
  const Tensor a = Tensor::zeros({2, 3});
  const Tensor b = Tensor::zeros({4});
  EXPECT_ERROR(gb::add(a, b), "add: expected shapes that broadcast", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::sub(a, b), "sub:", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::mul(a, b), "mul:", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::div(a, b), "div:", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::maximum(a, b), "maximum:", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::minimum(a, b), "minimum:", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::eq(a, b), "eq:", "[2, 3]", "[4]");
  EXPECT_ERROR(gb::lt(a, Tensor::zeros({3, 2})), "lt:", "[2, 3]", "[3, 2]");
}

TEST(OperandChecks, DTypesMustMatchAndTensorsBeDefined) {
  const Tensor f = Tensor::zeros({2}, DType::f32);
  const Tensor i = Tensor::zeros({2}, DType::i64);
  EXPECT_ERROR(gb::add(f, i), "add: expected operands of the same dtype, given f32 and i64");
  EXPECT_ERROR(gb::gt(i, f), "gt:", "i64 and f32");
  EXPECT_ERROR(gb::add(f, Tensor()), "add", "undefined");
  EXPECT_ERROR(gb::mul(Tensor(), f), "mul", "undefined");
}

TEST(ElementwiseIntegers, WrapAroundLikeNumPy) {
  EXPECT_EQ(gb::add(values({127, -128}, DType::i8), values({1, -1}, DType::i8)).to_vector(), (Values{-128, 127}));
  EXPECT_EQ(gb::add(values({255}, DType::u8), values({2}, DType::u8)).to_vector(), (Values{1}));
  EXPECT_EQ(gb::sub(values({0}, DType::u8), values({1}, DType::u8)).to_vector(), (Values{255}));
  EXPECT_EQ(gb::mul(values({16}, DType::i8), values({16}, DType::i8)).to_vector(), (Values{0}));
  EXPECT_EQ(gb::mul(values({100000}, DType::i32), values({100000}, DType::i32)).to_vector(),
            (Values{1410065408}));
  const auto i64max = std::numeric_limits<std::int64_t>::max();
  const auto i64min = std::numeric_limits<std::int64_t>::min();
  Tensor big = Tensor::full({1}, 0, DType::i64);
  big.data<std::int64_t>()[0] = i64max;
  EXPECT_EQ(gb::add(big, Tensor::ones({1}, DType::i64)).data<std::int64_t>()[0], i64min);
  EXPECT_EQ(gb::mul(big, Tensor::full({1}, 2, DType::i64)).data<std::int64_t>()[0], -2);
}

TEST(ElementwiseIntegers, DivisionFloors) {
  for (DType d : {DType::i8, DType::i32, DType::i64}) {
    SCOPED_TRACE(gb::dtype_name(d));
    EXPECT_EQ(gb::div(values({7, -7, 7, -7, 6, -6, 0}, d), values({2, 2, -2, -2, 3, 3, 5}, d)).to_vector(),
              (Values{3, -4, -4, 3, 2, -2, 0}));
  }
  EXPECT_EQ(gb::div(values({255, 7}, DType::u8), values({2, 7}, DType::u8)).to_vector(), (Values{127, 1}));
  // MIN / -1 does not fit: it wraps to MIN, like NumPy, instead of being undefined behaviour.
  EXPECT_EQ(gb::div(values({-128}, DType::i8), values({-1}, DType::i8)).to_vector(), (Values{-128}));
  EXPECT_EQ(gb::div(values({-2147483648.0}, DType::i32), values({-1}, DType::i32)).to_vector(),
            (Values{-2147483648.0}));
  Tensor min64 = Tensor::zeros({1}, DType::i64);
  min64.data<std::int64_t>()[0] = std::numeric_limits<std::int64_t>::min();
  EXPECT_EQ(gb::div(min64, Tensor::full({1}, -1, DType::i64)).data<std::int64_t>()[0],
            std::numeric_limits<std::int64_t>::min());
}

TEST(ElementwiseIntegers, DivisionByZeroIsAnError) {
  for (DType d : {DType::i8, DType::u8, DType::i32, DType::i64}) {
    EXPECT_ERROR(gb::div(values({1, 2}, d), values({1, 0}, d)), "div", "zero");
  }
}

TEST(ElementwiseFloats, DivisionByZeroFollowsIeee) {
  for (DType d : {DType::f32, DType::f64}) {
    const Values q = gb::div(values({1, -1, 0}, d), values({0, 0, 0}, d)).to_vector();
    EXPECT_EQ(q[0], kInf);
    EXPECT_EQ(q[1], -kInf);
    EXPECT_TRUE(std::isnan(q[2]));
  }
}

TEST(ElementwiseFloats, MaximumAndMinimumPropagateNan) {
  const Tensor a = values({kNan, 1, 5}, DType::f64);
  const Tensor b = values({1, kNan, 2}, DType::f64);
  const Values mx = gb::maximum(a, b).to_vector();
  const Values mn = gb::minimum(a, b).to_vector();
  EXPECT_TRUE(std::isnan(mx[0]) && std::isnan(mx[1]));
  EXPECT_TRUE(std::isnan(mn[0]) && std::isnan(mn[1]));
  EXPECT_EQ(mx[2], 5.0);
  EXPECT_EQ(mn[2], 2.0);
}

TEST(ElementwiseCompare, GivesU8) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor a = values({1, 2, 3}, d);
    const Tensor b = values({2, 2, 2}, d);
    EXPECT_EQ(gb::eq(a, b).dtype(), DType::u8);
    EXPECT_EQ(gb::eq(a, b).to_vector(), (Values{0, 1, 0}));
    EXPECT_EQ(gb::ne(a, b).to_vector(), (Values{1, 0, 1}));
    EXPECT_EQ(gb::lt(a, b).to_vector(), (Values{1, 0, 0}));
    EXPECT_EQ(gb::le(a, b).to_vector(), (Values{1, 1, 0}));
    EXPECT_EQ(gb::gt(a, b).to_vector(), (Values{0, 0, 1}));
    EXPECT_EQ(gb::ge(a, b).to_vector(), (Values{0, 1, 1}));
  }
  // Broadcasting in comparisons, and NaN compares unequal to everything.
  EXPECT_EQ(gb::gt(Tensor::arange(4).reshape({2, 2}), Tensor::scalar(1)).to_vector(), (Values{0, 0, 1, 1}));
  const Tensor n = values({kNan}, DType::f32);
  EXPECT_EQ(gb::eq(n, n).to_vector(), (Values{0}));
  EXPECT_EQ(gb::ne(n, n).to_vector(), (Values{1}));
  EXPECT_EQ(gb::lt(n, n).to_vector(), (Values{0}));
}

TEST(Negation, EveryDType) {
  for (DType d : gb_test::kAllDTypes) {
    const Tensor t = Tensor::from_values({0, 1, 5}, {3}, d);
    EXPECT_EQ(gb::neg(t).dtype(), d);
    if (d == DType::u8) {
      EXPECT_EQ(gb::neg(t).to_vector(), (Values{0, 255, 251}));  // wraps, like NumPy
    } else {
      EXPECT_EQ((-t).to_vector(), (Values{0, -1, -5}));
    }
  }
  EXPECT_EQ(gb::neg(Tensor::from_values({-128}, {1}, DType::i8)).to_vector(), (Values{-128}));
  EXPECT_EQ(gb::neg(Tensor::arange(6).reshape({2, 3}).transpose()).to_vector(), (Values{0, -3, -1, -4, -2, -5}));
  EXPECT_EQ(gb::neg(Tensor::zeros({0})).numel(), 0);
}

TEST(AllClose, ToleranceShapeAndNan) {
  const Tensor a = Tensor::from_values({1, 2, 3}, {3});
  EXPECT_TRUE(gb::allclose(a, a));
  EXPECT_TRUE(gb::allclose(a, Tensor::from_values({1, 2, 3.00001}, {3})));
  EXPECT_FALSE(gb::allclose(a, Tensor::from_values({1, 2, 3.1}, {3})));
  EXPECT_TRUE(gb::allclose(a, Tensor::from_values({1, 2, 3.1}, {3}), 0.0, 0.2));
  EXPECT_FALSE(gb::allclose(a, a.reshape({3, 1})));
  EXPECT_TRUE(gb::allclose(a, a.to(DType::i32)));  // values compared as doubles
  const Tensor n = Tensor::from_values({kNan}, {1});
  EXPECT_FALSE(gb::allclose(n, n));
  const Tensor inf = Tensor::from_values({kInf}, {1});
  EXPECT_TRUE(gb::allclose(inf, inf));
  EXPECT_FALSE(gb::allclose(inf, Tensor::from_values({-kInf}, {1})));
  EXPECT_TRUE(gb::allclose(Tensor::zeros({0}), Tensor::zeros({0})));
  EXPECT_ERROR(gb::allclose(a, Tensor()), "allclose", "undefined");
}
