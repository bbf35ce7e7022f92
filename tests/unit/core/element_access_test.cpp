// Unit tests: at() and set(), which go through strided_offset() (exercise core.tensor.strided_offset).
#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;

TEST(ElementAccess, AtReadsEveryDType) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor t = Tensor::arange(6, d).reshape({2, 3});
    EXPECT_EQ(t.at({0, 0}), 0.0);
    EXPECT_EQ(t.at({1, 2}), 5.0);
    EXPECT_EQ(t.at({1, 0}), 3.0);
  }
  EXPECT_EQ(Tensor::scalar(4.5, DType::f64).at({}), 4.5);
}

TEST(ElementAccess, SetWritesThroughViews) {
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    Tensor t = Tensor::zeros({2, 3}, d);
    Tensor column = t.select(1, 2);  // t[:, 2]
    column.set({1}, 9);
    EXPECT_EQ(t.to_vector(), (gb_test::Values{0, 0, 0, 0, 0, 9}));
    t.transpose().set({0, 1}, 7);  // = t[1, 0]
    EXPECT_EQ(t.at({1, 0}), 7.0);
  }
}

TEST(ElementAccess, SetConvertsLikeTo) {
  Tensor t = Tensor::zeros({3}, DType::i8);
  t.set({0}, 1000.0);
  t.set({1}, -2.7);
  t.set({2}, std::nan(""));
  EXPECT_EQ(t.to_vector(), (gb_test::Values{127, -2, 0}));
}

TEST(ElementAccess, BadIndicesAreErrors) {
  Tensor t = Tensor::zeros({2, 3});
  EXPECT_ERROR(t.at({2, 0}), "strided_offset", "[2, 3]");
  EXPECT_ERROR(t.at({0, -1}), "strided_offset");
  EXPECT_ERROR(t.at({0}), "strided_offset");
  EXPECT_ERROR(t.set({0, 0, 0}, 1.0), "strided_offset");
  EXPECT_ERROR(Tensor::zeros({0}).at({0}), "strided_offset");
  EXPECT_ERROR(Tensor().at({}), "at", "undefined");
  EXPECT_ERROR(Tensor().set({}, 1), "set", "undefined");
}

TEST(ElementAccess, BroadcastViewReadsOneElement) {
  const Tensor b = Tensor::from_values({5, 6}, {2, 1}).broadcast_to({3, 2, 4});
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t k = 0; k < 4; ++k) {
      EXPECT_EQ(b.at({i, 0, k}), 5.0);
      EXPECT_EQ(b.at({i, 1, k}), 6.0);
    }
}
