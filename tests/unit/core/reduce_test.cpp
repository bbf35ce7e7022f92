// Unit tests: sum, mean, max, argmax over axes (negative, several, keepdim), dtypes, NaN, empty.
#include <cmath>
#include <limits>

#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;
using gb_test::Values;

namespace {
const double kNan = std::numeric_limits<double>::quiet_NaN();
// [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], [[12, ...], ...]]
Tensor cube(DType d = DType::f32) { return Tensor::arange(24, d).reshape({2, 3, 4}); }
}  // namespace

TEST(Reduce, SumOverAxes) {
  const Tensor t = cube();
  EXPECT_EQ(gb::sum(t).shape(), gb::Shape{});
  EXPECT_EQ(gb::sum(t).item(), 276.0);
  EXPECT_EQ(gb::sum(t, {0}).to_vector(), (Values{12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}));
  EXPECT_EQ(gb::sum(t, {1}).to_vector(), (Values{12, 15, 18, 21, 48, 51, 54, 57}));
  EXPECT_EQ(gb::sum(t, {-1}).to_vector(), (Values{6, 22, 38, 54, 70, 86}));
  EXPECT_EQ(gb::sum(t, {-1}).shape(), (gb::Shape{2, 3}));
  EXPECT_EQ(gb::sum(t, {0, 2}).to_vector(), (Values{60, 92, 124}));
  EXPECT_EQ(gb::sum(t, {2, 0}).to_vector(), (Values{60, 92, 124}));
  EXPECT_EQ(gb::sum(t, {0, 1, 2}).item(), 276.0);
  EXPECT_EQ(gb::sum(t, {1}, true).shape(), (gb::Shape{2, 1, 4}));
  EXPECT_EQ(gb::sum(t, {}, true).shape(), (gb::Shape{1, 1, 1}));
  EXPECT_EQ(gb::sum(t, {0, -1}, true).shape(), (gb::Shape{1, 3, 1}));
  // Through a view: the transposed tensor sums along its own axes.
  EXPECT_EQ(gb::sum(Tensor::arange(6).reshape({2, 3}).transpose(), {1}).to_vector(), (Values{3, 5, 7}));
  EXPECT_EQ(gb::sum(Tensor::scalar(5)).item(), 5.0);
  EXPECT_EQ(gb::sum(Tensor::arange(3).broadcast_to({4, 3}), {0}).to_vector(), (Values{0, 4, 8}));
}

TEST(Reduce, SumDTypes) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor s = gb::sum(Tensor::full({100}, 100, d));
    EXPECT_EQ(s.dtype(), gb::is_floating(d) ? d : DType::i64);
    EXPECT_EQ(s.item(), 10000.0);  // no overflow: integers accumulate in 64 bits
  }
  // Float sums accumulate in double: a million f32 additions of 0.1 stay accurate.
  EXPECT_NEAR(gb::sum(Tensor::full({1000000}, 0.1)).item(), 100000.0, 1e-2);
}

TEST(Reduce, MeanDTypesAndValues) {
  const Tensor t = cube();
  EXPECT_EQ(gb::mean(t).item(), 11.5);
  EXPECT_EQ(gb::mean(t, {-1}).to_vector(), (Values{1.5, 5.5, 9.5, 13.5, 17.5, 21.5}));
  EXPECT_EQ(gb::mean(t, {0, 1}, true).shape(), (gb::Shape{1, 1, 4}));
  EXPECT_EQ(gb::mean(t).dtype(), DType::f32);
  EXPECT_EQ(gb::mean(cube(DType::f64)).dtype(), DType::f64);
  for (DType d : {DType::i8, DType::u8, DType::i32, DType::i64}) {
    const Tensor m = gb::mean(Tensor::from_values({1, 2}, {2}, d));
    EXPECT_EQ(m.dtype(), DType::f64);
    EXPECT_EQ(m.item(), 1.5);
  }
}

TEST(Reduce, EmptyInputs) {
  EXPECT_EQ(gb::sum(Tensor::zeros({0})).item(), 0.0);
  EXPECT_EQ(gb::sum(Tensor::zeros({0}, DType::i32)).dtype(), DType::i64);
  EXPECT_EQ(gb::sum(Tensor::zeros({2, 0}), {1}).to_vector(), (Values{0, 0}));
  EXPECT_EQ(gb::sum(Tensor::zeros({0, 3}), {0}).to_vector(), (Values{0, 0, 0}));
  EXPECT_EQ(gb::sum(Tensor::zeros({0, 3}), {1}).shape(), (gb::Shape{0}));
  EXPECT_TRUE(std::isnan(gb::mean(Tensor::zeros({0})).item()));
  EXPECT_TRUE(std::isnan(gb::mean(Tensor::zeros({0}, DType::i64)).item()));
  EXPECT_ERROR(gb::max(Tensor::zeros({0})), "max", "[0]");
  EXPECT_ERROR(gb::max(Tensor::zeros({3, 0}), {1}), "max", "[3, 0]");
  EXPECT_EQ(gb::max(Tensor::zeros({0, 3}), {1}).shape(), (gb::Shape{0}));  // no output element, nothing to reduce
  EXPECT_ERROR(gb::argmax(Tensor::zeros({2, 0}), 1), "argmax", "[2, 0]");
  EXPECT_EQ(gb::argmax(Tensor::zeros({0, 2}), 1).shape(), (gb::Shape{0}));
}

TEST(Reduce, MaxKeepsDType) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor t = Tensor::from_values({3, 9, 1, 4, 2, 8}, {2, 3}, d);
    EXPECT_EQ(gb::max(t).dtype(), d);
    EXPECT_EQ(gb::max(t).item(), 9.0);
    EXPECT_EQ(gb::max(t, {0}).to_vector(), (Values{4, 9, 8}));
    EXPECT_EQ(gb::max(t, {1}, true).to_vector(), (Values{9, 8}));
    EXPECT_EQ(gb::max(t, {1}, true).shape(), (gb::Shape{2, 1}));
  }
  EXPECT_EQ(gb::max(Tensor::from_values({-5, -7}, {2}, DType::i8)).item(), -5.0);
  EXPECT_EQ(gb::max(Tensor::from_values({-128}, {1}, DType::i8)).item(), -128.0);
  EXPECT_EQ(gb::max(Tensor::from_values({-INFINITY}, {1}, DType::f32)).item(), -INFINITY);
}

TEST(Reduce, MaxPropagatesNan) {
  const Tensor t = Tensor::from_values({1, kNan, 3, 4, 5, 6}, {2, 3});
  EXPECT_TRUE(std::isnan(gb::max(t).item()));
  const Values rows = gb::max(t, {1}).to_vector();
  EXPECT_TRUE(std::isnan(rows[0]));
  EXPECT_EQ(rows[1], 6.0);
  EXPECT_TRUE(std::isnan(gb::max(Tensor::from_values({kNan, 1}, {2})).item()));
}

TEST(Reduce, ArgmaxFirstMaximum) {
  const Tensor t = Tensor::from_values({3, 9, 9, 4, 2, 4}, {2, 3});
  EXPECT_EQ(gb::argmax(t, 1).dtype(), DType::i64);
  EXPECT_EQ(gb::argmax(t, 1).to_vector(), (Values{1, 0}));  // ties: the first one
  EXPECT_EQ(gb::argmax(t, -1).to_vector(), (Values{1, 0}));
  EXPECT_EQ(gb::argmax(t, 0).to_vector(), (Values{1, 0, 0}));
  EXPECT_EQ(gb::argmax(t, 0, true).shape(), (gb::Shape{1, 3}));
  EXPECT_EQ(gb::argmax(t, 1, true).shape(), (gb::Shape{2, 1}));
  EXPECT_EQ(gb::argmax(t.transpose(), 0).to_vector(), (Values{1, 0}));
  for (DType d : gb_test::kAllDTypes) {
    EXPECT_EQ(gb::argmax(Tensor::from_values({1, 7, 3, 7}, {4}, d), 0).to_vector(), (Values{1}));
  }
  EXPECT_EQ(gb::argmax(cube(), 1).to_vector(), Values(8, 2.0));
  EXPECT_ERROR(gb::argmax(t, 2), "argmax", "axis 2");
  EXPECT_ERROR(gb::argmax(Tensor::scalar(1), -1), "argmax");
}

TEST(Reduce, ArgmaxReturnsTheFirstNan) {
  const Tensor t = Tensor::from_values({1, kNan, 5, kNan}, {4});
  EXPECT_EQ(gb::argmax(t, 0).item(), 1.0);
  EXPECT_EQ(gb::argmax(Tensor::from_values({kNan, 9}, {2}), 0).item(), 0.0);
}

TEST(Reduce, BadAxesAreErrors) {
  const Tensor t = cube();
  EXPECT_ERROR(gb::sum(t, {3}), "sum", "axis 3");
  EXPECT_ERROR(gb::sum(t, {-4}), "sum", "axis -4");
  EXPECT_ERROR(gb::sum(t, {1, -2}), "sum", "distinct axes", "[1, -2]");
  EXPECT_ERROR(gb::mean(t, {0, 0}), "mean", "distinct");
  EXPECT_ERROR(gb::max(t, {5}), "max", "axis 5");
  EXPECT_ERROR(gb::sum(Tensor::scalar(1), {0}), "sum");
}

TEST(Reduce, IntegerSumWrapsInsteadOfOverflowing) {
  Tensor t = Tensor::zeros({2}, DType::i64);
  t.data<std::int64_t>()[0] = std::numeric_limits<std::int64_t>::max();
  t.data<std::int64_t>()[1] = 1;
  EXPECT_EQ(gb::sum(t).data<std::int64_t>()[0], std::numeric_limits<std::int64_t>::min());
}
