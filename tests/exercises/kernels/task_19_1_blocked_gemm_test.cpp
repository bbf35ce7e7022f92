// Exercise kernels.gemm.blocked_loops (lesson 19-gemm): the cache-blocked loop nest of gemm_blocked in
// lib/kernels/src/gemm_v3_blocked.cpp: loops jc (step NC), pc (step KC), ic (step MC) around rung 2's
// ikj loops on one block, C += alpha * op(A) * op(B). Mind the last block of each loop (min(...)).
//
// Run only this exercise:  kernels_exercise_tests --gtest_filter='Task_19_1_BlockedGemm.*'
#include <gtest/gtest.h>

#include "gemm_helpers.hpp"

namespace kn = gb::kernels;
using gb_kernels_test::check_gemm;
using gb_kernels_test::GemmCase;

TEST(Task_19_1_BlockedGemm, OneBlockIsRungTwo) {
  const gb::Tensor a = gb::Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
  const gb::Tensor b = gb::Tensor::from_values({7, 8, 9, 10, 11, 12}, {3, 2});
  const gb::Tensor c = kn::gemm(a, b, kn::Variant::blocked);
  EXPECT_TRUE(gb::allclose(c, gb::Tensor::from_values({58, 64, 139, 154}, {2, 2}), 0, 0));
}

TEST(Task_19_1_BlockedGemm, EveryBlockSizeAndEdge) {
  // Blocks smaller than the matrices, not dividing them: every loop runs several times and ends short.
  for (const kn::Blocking& blk : {kn::Blocking{4, 3, 5}, kn::Blocking{1, 1, 1}, kn::Blocking{16, 64, 8},
                                  kn::Blocking{144, 256, 4096}}) {
    for (const GemmCase& base : {GemmCase{17, 13, 11}, GemmCase{1, 33, 7}, GemmCase{33, 1, 40}}) {
      GemmCase c = base;
      c.blocking = blk;
      check_gemm(kn::Variant::blocked, c);
    }
  }
}

TEST(Task_19_1_BlockedGemm, TransposesStridesAlphaBeta) {
  for (int t = 0; t < 4; ++t) {
    GemmCase c{29, 23, 31, (t & 1) != 0, (t & 2) != 0, 0.5f, -1.5f, 3};
    c.blocking = {8, 5, 6};
    check_gemm(kn::Variant::blocked, c);
  }
}

TEST(Task_19_1_BlockedGemm, Size257) { check_gemm(kn::Variant::blocked, {257, 257, 257}); }
