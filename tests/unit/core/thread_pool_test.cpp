// Unit tests: ThreadPool::parallel_for covers every index once, small n, n == 0, exceptions, nesting.
#include <atomic>
#include <stdexcept>

#include "test_helpers.hpp"

TEST(ThreadPool, EveryIndexExactlyOnce) {
  for (std::size_t threads : {1u, 2u, 4u, 7u}) {
    gb::ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (std::int64_t n : {1, 2, 3, 5, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(n));
      std::atomic<int> chunks{0};
      pool.parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
        EXPECT_LT(begin, end);  // no empty chunks
        ++chunks;
        for (std::int64_t i = begin; i < end; ++i) ++hits[static_cast<std::size_t>(i)];
      });
      for (auto& h : hits) EXPECT_EQ(h.load(), 1);
      EXPECT_LE(chunks.load(), static_cast<int>(std::min<std::int64_t>(n, static_cast<std::int64_t>(threads))));
    }
  }
}

TEST(ThreadPool, ZeroWorkReturnsAtOnce) {
  gb::ThreadPool pool(3);
  bool called = false;
  pool.parallel_for(0, [&](std::int64_t, std::int64_t) { called = true; });
  EXPECT_FALSE(called);
  EXPECT_ERROR(pool.parallel_for(-1, [](std::int64_t, std::int64_t) {}), "parallel_for", "-1");
  EXPECT_GE(gb::ThreadPool(0).size(), 1u);  // 0 threads means one
  gb::ThreadPool defaults;
  EXPECT_GE(defaults.size(), 1u);
}

TEST(ThreadPool, ExceptionsReachTheCaller) {
  gb::ThreadPool pool(4);
  EXPECT_THROW(pool.parallel_for(100,
                                 [](std::int64_t begin, std::int64_t) {
                                   if (begin == 0) throw std::runtime_error("chunk failed");
                                 }),
               std::runtime_error);
  EXPECT_ERROR(pool.parallel_for(8, [](std::int64_t, std::int64_t) { throw gb::Error("op", "x", "y"); }),
               "op: expected x, given y");
  // The pool still works afterwards.
  std::atomic<std::int64_t> total{0};
  pool.parallel_for(10, [&](std::int64_t begin, std::int64_t end) { total += end - begin; });
  EXPECT_EQ(total.load(), 10);
}

TEST(ThreadPool, NestedParallelForDoesNotDeadlock) {
  gb::ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.parallel_for(4, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      pool.parallel_for(10, [&](std::int64_t b, std::int64_t e) { inner += static_cast<int>(e - b); });
    }
  });
  EXPECT_EQ(inner.load(), 40);
}

TEST(ThreadPool, ManyCallsInARow) {
  gb::ThreadPool pool(3);
  std::atomic<std::int64_t> total{0};
  for (int round = 0; round < 200; ++round) {
    pool.parallel_for(7, [&](std::int64_t begin, std::int64_t end) { total += end - begin; });
  }
  EXPECT_EQ(total.load(), 1400);
}
