// mesh_test.cpp: the device mesh of lesson 15: every device has one coordinate and back, each group
// kind partitions the devices, and TP groups are consecutive devices (inside a node when tp divides it).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/mesh.hpp"

namespace {

using namespace gb::parallel;

// Every device in exactly one group of the kind, each group of the expected size.
void expect_partition(const std::vector<std::vector<int>>& groups, int devices, int group_size) {
  std::multiset<int> seen;
  for (const auto& g : groups) {
    EXPECT_EQ(static_cast<int>(g.size()), group_size);
    seen.insert(g.begin(), g.end());
  }
  EXPECT_EQ(static_cast<int>(seen.size()), devices);
  for (int d = 0; d < devices; ++d) EXPECT_EQ(seen.count(d), 1u) << d;
}

TEST(Mesh, CoordinatesRoundTripAndGroupsPartitionTheDevices) {
  for (auto [dp, tp, pp] : {std::tuple{1, 1, 1}, {2, 4, 2}, {3, 2, 4}, {4, 1, 3}, {1, 8, 1}}) {
    const Mesh mesh(dp, tp, pp);
    ASSERT_EQ(mesh.size(), dp * tp * pp);
    for (int d = 0; d < mesh.size(); ++d) {
      EXPECT_EQ(mesh.device(mesh.coord(d)), d);
      // The device's own groups hold it, and vary exactly one coordinate.
      for (int other : mesh.tp_group(d)) {
        EXPECT_EQ(mesh.coord(other).dp, mesh.coord(d).dp);
        EXPECT_EQ(mesh.coord(other).pp, mesh.coord(d).pp);
      }
      const auto dpg = mesh.dp_group(d);
      EXPECT_NE(std::find(dpg.begin(), dpg.end(), d), dpg.end());
      const auto ppg = mesh.pp_group(d);
      for (int s = 0; s < pp; ++s) EXPECT_EQ(mesh.coord(ppg[static_cast<std::size_t>(s)]).pp, s);
    }
    expect_partition(mesh.tp_groups(), mesh.size(), tp);
    expect_partition(mesh.dp_groups(), mesh.size(), dp);
    expect_partition(mesh.pp_groups(), mesh.size(), pp);
  }
}

TEST(Mesh, TensorParallelGroupsStayInsideANode) {
  const Mesh mesh(2, 4, 2);  // 16 devices, nodes of 8
  EXPECT_TRUE(mesh.tp_within_nodes(8));
  EXPECT_TRUE(mesh.tp_within_nodes(4));
  EXPECT_FALSE(mesh.tp_within_nodes(2));
  EXPECT_EQ(mesh.tp_group(5), (std::vector<int>{4, 5, 6, 7}));
  // Pipeline stages are a node apart: stage 1 of device 0 is device tp x dp = 8.
  EXPECT_EQ(mesh.pp_group(0), (std::vector<int>{0, 8}));
  EXPECT_EQ(mesh.dp_group(1), (std::vector<int>{1, 5}));
  EXPECT_EQ(mesh.describe(), "dp 2 x tp 4 x pp 2 = 16 devices");
}

TEST(Mesh, BadSizesAndCoordinatesAreErrors) {
  EXPECT_THROW(Mesh(0, 1, 1), gb::Error);
  EXPECT_THROW(Mesh(1 << 16, 1 << 16, 1 << 16), gb::Error);  // 2^48 devices: an error, not an int overflow
  EXPECT_THROW(Mesh(1 << 12, 1 << 12, 2), gb::Error);
  const Mesh mesh(2, 2, 2);
  EXPECT_THROW(mesh.coord(8), gb::Error);
  EXPECT_THROW(mesh.coord(-1), gb::Error);
  EXPECT_THROW(mesh.device({2, 0, 0}), gb::Error);
  EXPECT_THROW(mesh.tp_within_nodes(0), gb::Error);
}

}  // namespace
