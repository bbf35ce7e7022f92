// layout_test.cpp: tensor layouts (layout.hpp). MindSpore's convention (tensor-map entries count
// device-matrix axes from the right, devices numbered row-major) checked on worked examples; shards
// checked by coverage (a fully split layout partitions the tensor, each replicating axis multiplies
// the copies) and by round trips through to_shards / from_shards with random values.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/layout.hpp"

namespace {

using namespace gb::parallel;
using gb::Tensor;

Layout layout(std::vector<std::int64_t> matrix, std::vector<int> map, std::vector<std::int64_t> shape, std::vector<int> partial = {}) {
  return Layout{std::move(matrix), std::move(map), std::move(shape), std::move(partial)};
}

// Every layout of a 2-D tensor on a device matrix of two axes (each dim: -1, axis 0 or axis 1).
std::vector<Layout> all_2d_layouts(std::vector<std::int64_t> matrix, std::vector<std::int64_t> shape) {
  std::vector<Layout> out;
  for (int a : {-1, 0, 1})
    for (int b : {-1, 0, 1})
      if (a == -1 || a != b) out.push_back(layout(matrix, {a, b}, shape));
  return out;
}

}  // namespace

TEST(Layout, MindSporesConventionAxesCountFromTheRight) {
  // [2, 4]: device 6 sits at (1, 2). Map [1, 0]: dim 0 cut by the axis of 2, dim 1 by the axis of 4.
  EXPECT_EQ(device_coordinates({2, 4}, 6), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(shard_of(layout({2, 4}, {1, 0}, {8, 8}), 6), (std::vector<SliceRange>{{4, 8}, {4, 6}}));
  // Map [0, 1]: dim 0 cut in 4 by axis 0 (coordinate 2), dim 1 in 2 by axis 1 (coordinate 1).
  EXPECT_EQ(shard_of(layout({2, 4}, {0, 1}, {8, 8}), 6), (std::vector<SliceRange>{{4, 6}, {4, 8}}));
  // Map [1, -1]: rows by the axis of 2; the 4 devices of a row of the device matrix hold copies.
  for (int d = 4; d < 8; ++d) EXPECT_EQ(shard_of(layout({2, 4}, {1, -1}, {8, 8}), d), (std::vector<SliceRange>{{4, 8}, {0, 8}}));
  EXPECT_EQ(local_shape(layout({2, 4}, {1, 0}, {8, 8})), (std::vector<std::int64_t>{4, 2}));
  EXPECT_EQ(axis_size(layout({2, 4}, {1, 0}, {8, 8}), 0), 4);
  EXPECT_EQ(axis_group(layout({2, 4}, {1, 0}, {8, 8}), 1, 6), (std::vector<int>{2, 6}));
  EXPECT_EQ(axis_group(layout({2, 4}, {1, 0}, {8, 8}), 0, 6), (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(axis_groups(layout({2, 4}, {1, 0}, {8, 8}), 1).size(), 4u);
}

TEST(Layout, EachElementIsHeldByAsManyDevicesAsTheReplicatingAxesHave) {
  for (const Layout& l : all_2d_layouts({2, 4}, {8, 8})) {
    std::int64_t copies = 8;
    for (int axis : l.tensor_map)
      if (axis != -1) copies /= axis_size(l, axis);
    std::map<std::pair<int, int>, int> held;
    for (int d = 0; d < 8; ++d) {
      const auto r = shard_of(l, d);
      for (std::int64_t i = r[0].begin; i < r[0].end; ++i)
        for (std::int64_t j = r[1].begin; j < r[1].end; ++j) ++held[{static_cast<int>(i), static_cast<int>(j)}];
    }
    ASSERT_EQ(held.size(), 64u) << describe(l);
    for (const auto& [cell, count] : held) EXPECT_EQ(count, copies) << describe(l);
  }
}

TEST(Layout, ShardsHoldTheGlobalValuesAndGlueBack) {
  gb::Rng rng(7);
  for (const auto& matrix : {std::vector<std::int64_t>{2, 4}, std::vector<std::int64_t>{8}, std::vector<std::int64_t>{2, 2, 2}}) {
    std::vector<Layout> layouts;
    if (matrix.size() == 2) layouts = all_2d_layouts(matrix, {8, 8});
    if (matrix.size() == 1) layouts = {layout(matrix, {-1, -1}, {8, 8}), layout(matrix, {0, -1}, {8, 8}), layout(matrix, {-1, 0}, {8, 8})};
    if (matrix.size() == 3) layouts = {layout(matrix, {2, 0}, {8, 8}), layout(matrix, {1, -1}, {8, 8}, {2})};
    for (const Layout& l : layouts) {
      const Tensor global = rng.normal({8, 8}, 0, 1, gb::DType::f64);
      const std::vector<Tensor> shards = to_shards(global, l);
      ASSERT_EQ(static_cast<int>(shards.size()), device_count(l));
      for (int d = 0; d < device_count(l); ++d) {
        const auto r = shard_of(l, d);
        bool zero = false;  // a partial layout keeps the values on coordinate 0 of its partial axes
        for (int axis : l.partial) zero = zero || device_coordinates(l.device_matrix, d)[l.device_matrix.size() - 1 - axis] != 0;
        for (std::int64_t i = r[0].begin; i < r[0].end; ++i)
          for (std::int64_t j = r[1].begin; j < r[1].end; ++j)
            EXPECT_EQ(shards[static_cast<std::size_t>(d)].at({i - r[0].begin, j - r[1].begin}), zero ? 0.0 : global.at({i, j}));
      }
      EXPECT_EQ(from_shards(shards, l).to_vector(), global.to_vector()) << describe(l);
    }
  }
}

TEST(Layout, PartialShardsAreSummed) {
  const Layout l = layout({2, 4}, {-1, 0}, {2, 8}, {1});  // columns split in 4, partial sums along the 2
  std::vector<Tensor> shards;
  for (int d = 0; d < 8; ++d) shards.push_back(Tensor::full({2, 2}, d < 4 ? 1.0 : 10.0, gb::DType::f64));
  EXPECT_EQ(from_shards(shards, l).to_vector(), std::vector<double>(16, 11.0));
}

TEST(Layout, BadLayoutsAreErrors) {
  auto throws = [](const Layout& l) {
    try {
      check_layout(l);
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error&) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(throws(layout({2, 4}, {0, -1}, {6, 8})));        // 6 rows do not split in 4
  EXPECT_TRUE(throws(layout({2, 4}, {2, -1}, {8, 8})));        // no axis 2
  EXPECT_TRUE(throws(layout({2, 4}, {-2, -1}, {8, 8})));       // -2 is not "not split"
  EXPECT_TRUE(throws(layout({2, 4}, {1, 1}, {8, 8})));         // an axis used twice
  EXPECT_TRUE(throws(layout({2, 4}, {1, -1}, {8, 8}, {1})));   // split and partial on one axis
  EXPECT_TRUE(throws(layout({2, 4}, {1}, {8, 8})));            // one map entry for two dims
  EXPECT_TRUE(throws(layout({}, {}, {8})));                    // no device matrix
  EXPECT_TRUE(throws(layout({0, 4}, {-1}, {8})));              // an empty axis
  EXPECT_TRUE(throws(layout({2}, {-1}, {0})));                 // an empty dim
  EXPECT_FALSE(throws(layout({2, 4}, {1, 0}, {8, 8})));
  EXPECT_THROW(shard_of(layout({2, 4}, {1, 0}, {8, 8}), 8), gb::Error);
  EXPECT_THROW(shard_of(layout({2, 4}, {1, 0}, {8, 8}), -1), gb::Error);
  EXPECT_THROW(to_shards(Tensor::zeros({8, 4}), layout({2, 4}, {1, 0}, {8, 8})), gb::Error);
  EXPECT_THROW(from_shards({Tensor::zeros({4, 2})}, layout({2, 4}, {1, 0}, {8, 8})), gb::Error);
}
