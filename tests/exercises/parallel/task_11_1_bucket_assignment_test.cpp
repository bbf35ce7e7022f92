// task_11_1_bucket_assignment_test.cpp: exercise parallel.ddp.bucket_assignment (lesson 11-data-parallel).
// assign_buckets(sizes, {first cap, cap}) must walk the parameters in reverse registration order (the
// order backward makes their gradients ready), put each whole parameter in the open bucket, and close
// the bucket as soon as its bytes reach its cap: the small first cap for the first bucket, the cap
// afterwards (torch's compute_bucket_assignment_by_size, fed the parameters in that order).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "gb/parallel/ddp.hpp"

namespace {

using gb::parallel::assign_buckets;
using gb::parallel::BucketOptions;
using Buckets = std::vector<std::vector<int>>;

BucketOptions caps(std::int64_t first, std::int64_t cap) {
  BucketOptions o;
  o.first_bucket_bytes = first;
  o.bucket_cap_bytes = cap;
  return o;
}

}  // namespace

TEST(Task_11_1_BucketAssignment, ReverseOrderWhenEverythingFitsInOneBucket) {
  EXPECT_EQ(assign_buckets({40, 400, 40, 400}), (Buckets{{3, 2, 1, 0}}));  // 880 bytes < 1 MiB
}

TEST(Task_11_1_BucketAssignment, TheFirstBucketClosesAtTheSmallCap) {
  // 100-byte parameters, first cap 250, cap 1000: the first bucket closes with 300 bytes (3 params).
  const std::vector<std::int64_t> sizes(10, 100);
  EXPECT_EQ(assign_buckets(sizes, caps(250, 1000)), (Buckets{{9, 8, 7}, {6, 5, 4, 3, 2, 1, 0}}));
}

TEST(Task_11_1_BucketAssignment, LaterBucketsCloseAtTheCap) {
  const std::vector<std::int64_t> sizes(12, 100);
  EXPECT_EQ(assign_buckets(sizes, caps(200, 400)), (Buckets{{11, 10}, {9, 8, 7, 6}, {5, 4, 3, 2}, {1, 0}}));
}

TEST(Task_11_1_BucketAssignment, TheTorchDefaultsOfOneAndTwentyFiveMebibytes) {
  // A 4 MiB embedding (registered first) and ten 3 MiB layers after it: backward reaches the layers
  // first. 1 MiB: the first layer alone; then 25 MiB buckets: 9 x 3 = 27 MiB >= 25 closes after 9.
  std::vector<std::int64_t> sizes = {4LL << 20};
  for (int i = 0; i < 10; ++i) sizes.push_back(3LL << 20);
  EXPECT_EQ(assign_buckets(sizes), (Buckets{{10}, {9, 8, 7, 6, 5, 4, 3, 2, 1}, {0}}));
}

TEST(Task_11_1_BucketAssignment, AParameterIsNeverSplit) {
  const std::vector<std::int64_t> sizes = {100, 300, 50, 2000, 10, 10, 600};
  const Buckets buckets = assign_buckets(sizes, caps(400, 1000));
  std::vector<int> seen(sizes.size(), 0);
  for (const auto& bucket : buckets)
    for (int p : bucket) ++seen[static_cast<std::size_t>(p)];
  for (std::size_t p = 0; p < sizes.size(); ++p) EXPECT_EQ(seen[p], 1) << "parameter " << p;
  // Reverse order: 600 >= 400 closes the first bucket; 10 + 10 + 2000 >= 1000 the second; then 50 + 300 +
  // 100 = 450 is the partly filled last one. (torch gives the same buckets for the reversed list.)
  EXPECT_EQ(buckets, (Buckets{{6}, {5, 4, 3}, {2, 1, 0}}));
}

TEST(Task_11_1_BucketAssignment, AParameterLargerThanTheCapAfterAClosedBucketIsAlone) {
  // 5000 bytes > cap 1000 arrives at an empty bucket: it fills it alone and closes it at once.
  EXPECT_EQ(assign_buckets({100, 100, 5000, 400}, caps(400, 1000)), (Buckets{{3}, {2}, {1, 0}}));
  // A single parameter larger than both caps is one bucket.
  EXPECT_EQ(assign_buckets({1 << 30}), (Buckets{{0}}));
}
