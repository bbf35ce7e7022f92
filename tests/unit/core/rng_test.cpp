// Unit tests: PCG32 against the published reference, determinism, uniform and normal statistics.
#include <cmath>

#include "test_helpers.hpp"

using gb::DType;
using gb::Rng;

TEST(Rng, MatchesThePcg32Reference) {
  // pcg32-demo from pcg-random.org (pcg-c-basic): pcg32_srandom_r(&rng, 42u, 54u).
  Rng rng(42, 54);
  const std::uint32_t expected[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e};
  for (std::uint32_t value : expected) EXPECT_EQ(rng.next_u32(), value);
  Rng by_default(42);  // stream 54 is the default
  EXPECT_EQ(by_default.next_u32(), 0xa15c02b7u);
}

TEST(Rng, SameSeedSameNumbers) {
  Rng a(7), b(7), c(8), d(7, 1);
  bool differs_by_seed = false, differs_by_stream = false;
  for (int i = 0; i < 100; ++i) {
    const std::uint32_t x = a.next_u32();
    EXPECT_EQ(x, b.next_u32());
    differs_by_seed |= x != c.next_u32();
    differs_by_stream |= x != d.next_u32();
  }
  EXPECT_TRUE(differs_by_seed);
  EXPECT_TRUE(differs_by_stream);
  for (DType dtype : {DType::f32, DType::f64}) {
    EXPECT_EQ(Rng(3).normal({4, 5}, 0, 1, dtype).to_vector(), Rng(3).normal({4, 5}, 0, 1, dtype).to_vector());
    EXPECT_EQ(Rng(3).uniform({9}, -1, 1, dtype).to_vector(), Rng(3).uniform({9}, -1, 1, dtype).to_vector());
  }
}

TEST(Rng, UniformStatistics) {
  Rng rng(123);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.uniform(2.0, 5.0);
    ASSERT_GE(x, 2.0);
    ASSERT_LT(x, 5.0);
    sum += x;
    sum_sq += x * x;
  }
  const double mean = sum / n;
  const double var = sum_sq / n - mean * mean;
  EXPECT_NEAR(mean, 3.5, 0.02);        // (a + b) / 2
  EXPECT_NEAR(var, 9.0 / 12.0, 0.01);  // (b - a)^2 / 12
}

TEST(Rng, UniformTensor) {
  Rng rng(5);
  for (DType dtype : {DType::f32, DType::f64}) {
    const gb::Tensor t = rng.uniform({100000}, -1, 1, dtype);
    EXPECT_EQ(t.dtype(), dtype);
    double sum = 0, sum_sq = 0;
    for (double x : t.to_vector()) {
      ASSERT_GE(x, -1.0);
      ASSERT_LT(x, 1.0);
      sum += x;
      sum_sq += x * x;
    }
    EXPECT_NEAR(sum / 100000, 0.0, 0.01);
    EXPECT_NEAR(sum_sq / 100000, 4.0 / 12.0, 0.01);  // variance (b - a)^2 / 12 around mean 0
  }
  EXPECT_EQ(rng.uniform({3}, 4, 4).to_vector(), (gb_test::Values{4, 4, 4}));
  EXPECT_ERROR(rng.uniform({3}, 0, 1, DType::i32), "uniform", "i32");
  EXPECT_ERROR(rng.uniform({3}, 1, 0), "uniform", "low <= high");
  EXPECT_ERROR(rng.uniform(1.0, 0.0), "uniform", "low <= high");
}

TEST(Rng, NormalStatistics) {
  Rng rng(2024);
  const int n = 100000;
  double sum = 0, sum_sq = 0;
  int within_one_sigma = 0;
  for (int i = 0; i < n; ++i) {
    const double x = rng.normal(1.0, 2.0);
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum_sq += x * x;
    within_one_sigma += std::fabs(x - 1.0) < 2.0;
  }
  const double mean = sum / n;
  const double stddev = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_NEAR(stddev, 2.0, 0.03);
  EXPECT_NEAR(within_one_sigma / double(n), 0.6827, 0.01);  // the 68% of the bell curve
  const gb::Tensor t = Rng(9).normal({100000}, -3, 0.5, DType::f64);
  const std::vector<double> v = t.to_vector();
  double s = 0, s2 = 0;
  for (double x : v) s += x, s2 += x * x;
  EXPECT_NEAR(s / n, -3.0, 0.01);
  EXPECT_NEAR(std::sqrt(s2 / n - (s / n) * (s / n)), 0.5, 0.01);
  EXPECT_ERROR(rng.normal(0.0, -1.0), "normal", "stddev");
  EXPECT_ERROR(rng.normal({2}, 0, 1, DType::u8), "normal", "u8");
}

TEST(Rng, Randint) {
  Rng rng(1);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) {
    const std::int64_t x = rng.randint(-2, 4);
    ASSERT_GE(x, -2);
    ASSERT_LT(x, 4);
    ++counts[static_cast<std::size_t>(x + 2)];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  EXPECT_EQ(rng.randint(7, 8), 7);
  // The whole int64 range works (a 64-bit range), and stays in bounds.
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  for (int i = 0; i < 100; ++i) {
    const std::int64_t x = rng.randint(lo, hi);
    EXPECT_LT(x, hi);
  }
  EXPECT_ERROR(rng.randint(3, 3), "randint", "low < high");
  EXPECT_ERROR(rng.randint(4, 3), "randint");
}

TEST(Rng, RestoredStateContinuesTheSequence) {
  gb::Rng a(7);
  a.normal();  // leaves a spare normal behind: the state must carry it
  const gb::Rng::State saved = a.state();
  std::vector<double> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(a.normal());
  gb::Rng b(99);
  b.set_state(saved);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(b.normal(), expected[static_cast<std::size_t>(i)]);
  gb::Rng::State bad = saved;
  bad.inc = 2;
  EXPECT_THROW(b.set_state(bad), gb::Error);
}
