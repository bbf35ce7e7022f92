// Unit tests: contiguous, clone, to (dtype conversion), copy_from.
#include <cmath>
#include <limits>

#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;
using gb_test::Values;

TEST(Copy, ContiguousReturnsItselfOrACopy) {
  const Tensor t = Tensor::arange(6).reshape({2, 3});
  EXPECT_TRUE(t.contiguous().shares_storage_with(t));
  const Tensor c = t.transpose().contiguous();
  EXPECT_FALSE(c.shares_storage_with(t));
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_EQ(c.shape(), (gb::Shape{3, 2}));
  EXPECT_EQ(c.strides(), (gb::Strides{2, 1}));
  EXPECT_EQ(c.to_vector(), (Values{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(Tensor::arange(3).broadcast_to({2, 3}).contiguous().to_vector(), (Values{0, 1, 2, 0, 1, 2}));
}

TEST(Copy, CloneAlwaysCopies) {
  for (DType d : gb_test::kAllDTypes) {
    Tensor t = Tensor::arange(4, d);
    Tensor c = t.clone();
    EXPECT_FALSE(c.shares_storage_with(t));
    EXPECT_EQ(c.dtype(), d);
    c.copy_from(Tensor::zeros({4}, d));
    EXPECT_EQ(t.to_vector(), (Values{0, 1, 2, 3}));
    EXPECT_EQ(Tensor::zeros({0, 2}, d).clone().shape(), (gb::Shape{0, 2}));
  }
  const Tensor view = Tensor::arange(20).reshape({4, 5}).slice(1, 1, 4, 2);
  EXPECT_EQ(view.clone().to_vector(), view.to_vector());
  EXPECT_EQ(view.clone().offset(), 0);
}

TEST(Copy, ToConvertsEveryPairOfDTypes) {
  for (DType from : gb_test::kAllDTypes) {
    for (DType to : gb_test::kAllDTypes) {
      SCOPED_TRACE(std::string(gb::dtype_name(from)) + " -> " + gb::dtype_name(to));
      const Tensor t = Tensor::from_values({0, 1, 2, 100}, {2, 2}, from).transpose();
      const Tensor u = t.to(to);
      EXPECT_EQ(u.dtype(), to);
      EXPECT_TRUE(u.is_contiguous());
      EXPECT_EQ(u.to_vector(), (Values{0, 2, 1, 100}));
    }
  }
}

TEST(Copy, FloatToIntTruncatesSaturatesAndMapsNanToZero) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor f = Tensor::from_values({2.7, -2.7, 1e10, -1e10, nan, inf, -inf, -0.5}, {8}, DType::f64);
  EXPECT_EQ(f.to(DType::i32).to_vector(),
            (Values{2, -2, 2147483647.0, -2147483648.0, 0, 2147483647.0, -2147483648.0, 0}));
  EXPECT_EQ(f.to(DType::u8).to_vector(), (Values{2, 0, 255, 0, 0, 255, 0, 0}));
  EXPECT_EQ(f.to(DType::i8).to_vector(), (Values{2, -2, 127, -128, 0, 127, -128, 0}));
  const Tensor g = Tensor::from_values({1e30f, -1e30f, 3.9f}, {3}, DType::f32);
  const std::vector<double> i64 = g.to(DType::i64).to_vector();
  EXPECT_EQ(static_cast<std::int64_t>(i64[1]), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(i64[2], 3.0);
  EXPECT_EQ(g.to(DType::i64).data<std::int64_t>()[0], std::numeric_limits<std::int64_t>::max());
}

TEST(Copy, IntToIntWrapsAndF64ToF32Overflows) {
  EXPECT_EQ(Tensor::from_values({300, -1, 128}, {3}, DType::i32).to(DType::i8).to_vector(), (Values{44, -1, -128}));
  EXPECT_EQ(Tensor::from_values({-1, 256}, {2}, DType::i64).to(DType::u8).to_vector(), (Values{255, 0}));
  EXPECT_EQ(Tensor::from_values({1e300, 0.5}, {2}, DType::f64).to(DType::f32).to_vector(),
            (Values{std::numeric_limits<double>::infinity(), 0.5}));
  const Values nan = Tensor::from_values({std::nan("")}, {1}, DType::f64).to(DType::f32).to_vector();
  EXPECT_TRUE(std::isnan(nan[0]));
}

TEST(Copy, CopyFromBroadcastsAndConverts) {
  Tensor t = Tensor::zeros({2, 3}, DType::i32);
  t.copy_from(Tensor::from_values({1.9, 2.1, -3.5}, {3}, DType::f64));
  EXPECT_EQ(t.to_vector(), (Values{1, 2, -3, 1, 2, -3}));
  t.transpose().select(0, 1).copy_from(Tensor::scalar(9, DType::i32));  // column 1
  EXPECT_EQ(t.to_vector(), (Values{1, 9, -3, 1, 9, -3}));
  EXPECT_ERROR(t.copy_from(Tensor::zeros({4})), "copy_from", "[2, 3]", "[4]");
  EXPECT_ERROR(t.copy_from(Tensor()), "copy_from", "undefined");
  Tensor empty = Tensor::zeros({0, 3});
  empty.copy_from(Tensor::ones({3}));
  EXPECT_EQ(empty.numel(), 0);
}

TEST(Copy, CopyFromAnOverlappingViewReadsTheSourceFirst) {
  Tensor t = Tensor::arange(9).reshape({3, 3});
  t.copy_from(t.transpose());  // in place transpose: must not read values it already overwrote
  EXPECT_EQ(t.to_vector(), (Values{0, 3, 6, 1, 4, 7, 2, 5, 8}));
  Tensor v = Tensor::arange(5);
  v.slice(0, 1, 5).copy_from(v.slice(0, 0, 4));  // shift right by one
  EXPECT_EQ(v.to_vector(), (Values{0, 0, 1, 2, 3}));
}
