// gemm_test.cpp: every rung of the GEMM ladder against gb::matmul (the reference) on odd shapes,
// transposes, leading dimensions, alpha/beta, K = 0 and small blockings that force every loop to
// run more than once; the threaded rung equals the single-threaded one; errors name what was wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "gb/core/error.hpp"
#include "gemm_helpers.hpp"

namespace kn = gb::kernels;
using gb_kernels_test::check_gemm;
using gb_kernels_test::GemmCase;

namespace {

// Every variant this CPU can run (the avx ones only where the CPU has them).
std::vector<kn::Variant> runnable() { return kn::available_variants(); }

}  // namespace

TEST(GemmLadder, NamesRoundTripAndAvailability) {
  EXPECT_EQ(kn::all_variants().size(), 9u);
  for (kn::Variant v : kn::all_variants()) EXPECT_EQ(kn::variant_from_name(kn::variant_name(v)), v);
  EXPECT_EQ(kn::variant_from_name("AVX2"), kn::Variant::avx2);
  const auto available = kn::available_variants();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool has_avx512 = __builtin_cpu_supports("avx512f");
  EXPECT_EQ(std::count(available.begin(), available.end(), kn::Variant::avx2), has_avx2 ? 1 : 0);
  EXPECT_EQ(std::count(available.begin(), available.end(), kn::Variant::avx512), has_avx512 ? 1 : 0);
  EXPECT_EQ(kn::best_variant(), has_avx512 ? kn::Variant::avx512 : has_avx2 ? kn::Variant::avx2 : kn::Variant::micro);
  EXPECT_TRUE(kn::variant_available(kn::best_variant()));
}

TEST(GemmLadder, EveryRungOnOddShapesAndTransposes) {
  const std::int64_t sizes[] = {1, 7, 33};
  for (kn::Variant v : runnable()) {
    for (std::int64_t m : sizes) {
      for (std::int64_t n : sizes) {
        for (std::int64_t k : sizes) {
          for (int t = 0; t < 4; ++t) {
            check_gemm(v, {m, n, k, (t & 1) != 0, (t & 2) != 0});
          }
        }
      }
    }
  }
}

TEST(GemmLadder, EveryRungWith257) {
  const GemmCase cases[] = {{257, 33, 7}, {7, 257, 33, false, true}, {33, 7, 257, true, false},
                            {257, 257, 257}, {1, 257, 257, true, true}, {257, 1, 33}};
  for (kn::Variant v : runnable()) {
    for (const GemmCase& c : cases) check_gemm(v, c);
  }
}

TEST(GemmLadder, SmallBlocksRunEveryLoopManyTimes) {
  // MC, KC, NC far below the sizes, and not multiples of MR or NR: edge blocks and edge tiles everywhere.
  const kn::Blocking blockings[] = {{13, 7, 20}, {4, 1, 8}, {1, 300, 1}, {144, 256, 4096}, kn::Blocking{}};
  for (kn::Variant v : runnable()) {
    if (v == kn::Variant::naive || v == kn::Variant::ikj) continue;  // they have no blocks
    for (const kn::Blocking& blk : blockings) {
      GemmCase c{57, 45, 39, false, false};
      c.blocking = blk;
      check_gemm(v, c);
      c.trans_a = c.trans_b = true;
      c.m = 30;
      check_gemm(v, c);
    }
  }
}

TEST(GemmLadder, LeadingDimensionsAlphaBeta) {
  for (kn::Variant v : runnable()) {
    for (int t = 0; t < 4; ++t) {
      GemmCase c{33, 19, 21, (t & 1) != 0, (t & 2) != 0, 0.5f, -2.0f, 5};
      check_gemm(v, c);
      c.alpha = -1.25f;
      c.beta = 1.0f;
      c.pad = 1;
      check_gemm(v, c);
    }
  }
}

TEST(GemmLadder, BetaZeroIgnoresNaNInC) {
  for (kn::Variant v : runnable()) {
    std::vector<float> a(6, 1.0f), b(6, 2.0f), c(4, std::numeric_limits<float>::quiet_NaN());
    kn::GemmArgs g;
    g.m = g.n = 2;
    g.k = 3;
    g.a = a.data();
    g.lda = 3;
    g.b = b.data();
    g.ldb = 2;
    g.c = c.data();
    g.ldc = 2;
    kn::gemm(v, g);
    for (float x : c) EXPECT_EQ(x, 6.0f) << kn::variant_name(v);
  }
}

TEST(GemmLadder, KZeroAndAlphaZeroLeaveBetaC) {
  for (kn::Variant v : runnable()) {
    check_gemm(v, {5, 6, 0, false, false, 1.0f, 0.5f});
    check_gemm(v, {5, 6, 0, false, false, 1.0f, 0.0f});
    check_gemm(v, {5, 6, 4, false, false, 0.0f, 3.0f});
    // M = 0: A and C are empty and need no pointer; B (2 x 3) still does.
    kn::GemmArgs g;
    g.m = 0;
    g.n = 3;
    g.k = 2;
    g.lda = 2;
    g.ldb = 3;
    g.ldc = 3;
    EXPECT_THROW(kn::gemm(v, g), gb::Error);  // B still needs a pointer: it is 2 x 3
    std::vector<float> b(6, 1.0f);
    g.b = b.data();
    EXPECT_NO_THROW(kn::gemm(v, g));
  }
}

TEST(GemmLadder, ThreadedEqualsSingleThreadedBitForBit) {
  const kn::Variant single = kn::best_variant();
  for (int threads : {1, 2, 3, 4}) {
    for (const GemmCase& base : {GemmCase{257, 129, 300}, GemmCase{7, 33, 513, true, true}, GemmCase{300, 5, 9}}) {
      GemmCase c = base;
      c.threads = threads;
      c.blocking = {48, 128, 64};
      const gb::Tensor one = check_gemm(single, c, 7);
      const gb::Tensor many = check_gemm(kn::Variant::threaded, c, 7);
      EXPECT_TRUE(gb::allclose(one, many, 0.0, 0.0)) << "threads = " << threads;
    }
  }
}

TEST(GemmTensor, MatchesMatmulOnViews) {
  gb::Rng rng(3);
  const gb::Tensor a = rng.uniform({33, 40}, -1, 1), b = rng.uniform({40, 7}, -1, 1);
  for (kn::Variant v : runnable()) {
    EXPECT_TRUE(gb::allclose(kn::gemm(a, b, v), gb::matmul(a, b), 1e-4, 1e-4)) << kn::variant_name(v);
    // transposed views (passed without a copy), a slice with a step (copied), a column slice (ld > cols)
    const gb::Tensor at = rng.uniform({40, 33}, -1, 1).transpose(), bt = rng.uniform({7, 40}, -1, 1).transpose();
    EXPECT_TRUE(gb::allclose(kn::gemm(at, bt, v, 2), gb::matmul(at, bt), 1e-4, 1e-4)) << kn::variant_name(v);
    const gb::Tensor stepped = rng.uniform({66, 40}, -1, 1).slice(0, 0, 66, 2);
    EXPECT_TRUE(gb::allclose(kn::gemm(stepped, b, v), gb::matmul(stepped, b), 1e-4, 1e-4));
    const gb::Tensor cols = rng.uniform({40, 20}, -1, 1).slice(1, 3, 10);
    EXPECT_TRUE(gb::allclose(kn::gemm(a, cols, v), gb::matmul(a, cols), 1e-4, 1e-4));
    const gb::Tensor row = rng.uniform({1, 40}, -1, 1), col = rng.uniform({40, 1}, -1, 1);
    EXPECT_TRUE(gb::allclose(kn::gemm(row, col, v), gb::matmul(row, col), 1e-4, 1e-4));
    EXPECT_TRUE(gb::allclose(kn::gemm(col, row, v), gb::matmul(col, row), 1e-4, 1e-4));
    const gb::Tensor empty = kn::gemm(gb::Tensor::zeros({0, 4}), gb::Tensor::zeros({4, 3}), v);
    EXPECT_EQ(empty.shape(), (gb::Shape{0, 3}));
    const gb::Tensor k0 = kn::gemm(gb::Tensor::zeros({2, 0}), gb::Tensor::zeros({0, 3}), v);
    EXPECT_TRUE(gb::allclose(k0, gb::Tensor::zeros({2, 3})));
  }
}

TEST(GemmErrors, NameWhatWasWrong) {
  std::vector<float> x(64, 1.0f);
  kn::GemmArgs g;
  g.m = g.n = g.k = 4;
  g.a = g.b = x.data();
  g.c = x.data() + 32;
  g.lda = g.ldb = g.ldc = 4;
  auto message = [&](const kn::GemmArgs& args, kn::Variant v = kn::Variant::naive) -> std::string {
    try {
      kn::gemm(v, args);
    } catch (const gb::Error& e) {
      EXPECT_EQ(e.op(), "gemm");
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return "";
  };
  kn::GemmArgs bad = g;
  bad.m = -1;
  EXPECT_NE(message(bad).find("M = -1"), std::string::npos);
  bad = g;
  bad.lda = 3;
  EXPECT_NE(message(bad).find("lda = 3"), std::string::npos);
  bad = g;
  bad.trans_b = true;
  bad.ldb = 3;
  EXPECT_NE(message(bad).find("ldb = 3"), std::string::npos);
  bad = g;
  bad.ldc = 2;
  EXPECT_NE(message(bad).find("ldc = 2"), std::string::npos);
  bad = g;
  bad.a = nullptr;
  EXPECT_NE(message(bad).find("nullptr"), std::string::npos);
  bad = g;
  bad.blocking.kc = 0;
  EXPECT_NE(message(bad, kn::Variant::blocked).find("KC = 0"), std::string::npos);
  bad = g;
  bad.threads = -2;
  EXPECT_NE(message(bad, kn::Variant::threaded).find("-2"), std::string::npos);
  EXPECT_THROW(kn::variant_from_name("fastest"), gb::Error);
  if (!kn::variant_available(kn::Variant::avx512)) {
    EXPECT_THROW(kn::gemm(kn::Variant::avx512, g), gb::Error);
  }

  const gb::Tensor m23 = gb::Tensor::zeros({2, 3});
  EXPECT_THROW(kn::gemm(m23, m23), gb::Error);                                  // K mismatch
  EXPECT_THROW(kn::gemm(gb::Tensor::zeros({2, 3, 4}), m23), gb::Error);         // 3-D
  EXPECT_THROW(kn::gemm(gb::Tensor::zeros({3, 2}, gb::DType::f64), m23), gb::Error);  // f64
  EXPECT_THROW(kn::gemm(gb::Tensor(), m23), gb::Error);                         // undefined
  try {
    kn::gemm(m23, m23);
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 3]"), std::string::npos) << e.what();
  }
}
