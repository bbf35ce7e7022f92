// Unit tests: shape_str, shape_numel, contiguous_strides, normalize_axis.
#include "test_helpers.hpp"

TEST(Shape, Str) {
  EXPECT_EQ(gb::shape_str({}), "[]");
  EXPECT_EQ(gb::shape_str({4}), "[4]");
  EXPECT_EQ(gb::shape_str({2, 3}), "[2, 3]");
  EXPECT_EQ(gb::shape_str({0, 1, -1}), "[0, 1, -1]");
}

TEST(Shape, Numel) {
  EXPECT_EQ(gb::shape_numel({}), 1);
  EXPECT_EQ(gb::shape_numel({5}), 5);
  EXPECT_EQ(gb::shape_numel({2, 3, 4}), 24);
  EXPECT_EQ(gb::shape_numel({2, 0, 4}), 0);
  EXPECT_ERROR(gb::shape_numel({2, -3}), "shape_numel", "[2, -3]");
  EXPECT_ERROR(gb::shape_numel({1LL << 40, 1LL << 40}), "shape_numel");  // overflows int64
}

TEST(Shape, ContiguousStrides) {
  EXPECT_EQ(gb::contiguous_strides({}), gb::Strides{});
  EXPECT_EQ(gb::contiguous_strides({5}), (gb::Strides{1}));
  EXPECT_EQ(gb::contiguous_strides({2, 3}), (gb::Strides{3, 1}));
  EXPECT_EQ(gb::contiguous_strides({2, 3, 4}), (gb::Strides{12, 4, 1}));
  EXPECT_EQ(gb::contiguous_strides({4, 1, 5}), (gb::Strides{5, 5, 1}));
  EXPECT_EQ(gb::contiguous_strides({2, 0, 3}).size(), 3u);
}

TEST(Shape, NormalizeAxis) {
  EXPECT_EQ(gb::normalize_axis(0, 3, "op"), 0);
  EXPECT_EQ(gb::normalize_axis(2, 3, "op"), 2);
  EXPECT_EQ(gb::normalize_axis(-1, 3, "op"), 2);
  EXPECT_EQ(gb::normalize_axis(-3, 3, "op"), 0);
  EXPECT_ERROR(gb::normalize_axis(3, 3, "sum"), "sum", "axis 3");
  EXPECT_ERROR(gb::normalize_axis(-4, 3, "sum"), "sum", "axis -4");
  EXPECT_ERROR(gb::normalize_axis(0, 0, "argmax"), "argmax");
}
