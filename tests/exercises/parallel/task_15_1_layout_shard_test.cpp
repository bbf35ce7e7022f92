// task_15_1_layout_shard_test.cpp: exercise parallel.auto.layout_shard (lesson 15-hybrid-and-auto-parallel).
// shard_of(layout, device) gives the slice a device holds. The convention is MindSpore's (its
// TensorLayout: device matrix, tensor map, tensor shape): devices are numbered row-major in the device
// matrix, a tensor-map entry names a device-matrix axis counted from the right, -1 means not split.
// The expectations are worked by hand from that rule, and by coverage: a fully split layout gives every
// element to exactly one device.
#include <gtest/gtest.h>

#include <vector>

#include "gb/parallel/layout.hpp"

namespace {

using gb::parallel::Layout;
using gb::parallel::shard_of;
using gb::parallel::SliceRange;
using Ranges = std::vector<SliceRange>;

}  // namespace

TEST(Task_15_1_LayoutShard, OneAxisSplitsOneDim) {
  const Layout rows{{8}, {0, -1}, {16, 4}, {}};  // 8 devices, 2 rows each
  for (int d = 0; d < 8; ++d) EXPECT_EQ(shard_of(rows, d), (Ranges{{2 * d, 2 * d + 2}, {0, 4}})) << d;
  const Layout cols{{8}, {-1, 0}, {16, 8}, {}};
  EXPECT_EQ(shard_of(cols, 5), (Ranges{{0, 16}, {5, 6}}));
  const Layout whole{{8}, {-1, -1}, {3, 5}, {}};
  EXPECT_EQ(shard_of(whole, 7), (Ranges{{0, 3}, {0, 5}}));
}

TEST(Task_15_1_LayoutShard, AxesCountFromTheRight) {
  // Device matrix [2, 4]: device 6 is (1, 2). Axis 0 is the 4 (rightmost), axis 1 the 2.
  EXPECT_EQ(shard_of(Layout{{2, 4}, {1, 0}, {8, 8}, {}}, 6), (Ranges{{4, 8}, {4, 6}}));
  EXPECT_EQ(shard_of(Layout{{2, 4}, {0, 1}, {8, 8}, {}}, 6), (Ranges{{4, 6}, {4, 8}}));
  EXPECT_EQ(shard_of(Layout{{2, 4}, {-1, 1}, {8, 8}, {}}, 3), (Ranges{{0, 8}, {0, 4}}));
  EXPECT_EQ(shard_of(Layout{{2, 4}, {-1, 1}, {8, 8}, {}}, 4), (Ranges{{0, 8}, {4, 8}}));
  // Three axes, a 3-D tensor: [2, 3, 2], device 9 = (1, 1, 1); map [2, -1, 1]: dim 0 by the 2 on the
  // left, dim 2 by the 3 in the middle.
  EXPECT_EQ(shard_of(Layout{{2, 3, 2}, {2, -1, 1}, {4, 5, 6}, {}}, 9), (Ranges{{2, 4}, {0, 5}, {2, 4}}));
}

TEST(Task_15_1_LayoutShard, AFullySplitLayoutGivesEachElementToOneDevice) {
  const Layout l{{2, 4}, {0, 1}, {8, 6}, {}};
  std::vector<int> held(8 * 6, 0);
  for (int d = 0; d < 8; ++d) {
    const Ranges r = shard_of(l, d);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].end - r[0].begin, 2);
    EXPECT_EQ(r[1].end - r[1].begin, 3);
    for (auto i = r[0].begin; i < r[0].end; ++i)
      for (auto j = r[1].begin; j < r[1].end; ++j) ++held[static_cast<std::size_t>(i * 6 + j)];
  }
  for (int count : held) EXPECT_EQ(count, 1);
}
