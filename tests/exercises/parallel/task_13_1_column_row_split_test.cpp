// Exercise parallel.tp.column_row_split (lesson 13): the shard of a weight [in, out] that rank r of t
// holds, for a column split ([in, out/t]: output features r out/t ..) and a row split ([in/t, out]).
#include <gtest/gtest.h>

#include <string>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/tensor_parallel.hpp"

namespace {

namespace p = gb::parallel;
using gb::Tensor;

// w[i, j] = 100 i + j: every value says where it came from.
Tensor numbered(std::int64_t in, std::int64_t out) {
  Tensor w = Tensor::zeros({in, out});
  for (std::int64_t i = 0; i < in; ++i)
    for (std::int64_t j = 0; j < out; ++j) w.set({i, j}, static_cast<double>(100 * i + j));
  return w;
}

TEST(Task_13_1_ColumnRowSplit, ShapesOfBothSplits) {
  const Tensor w = numbered(6, 8);
  for (int t : {1, 2}) {
    for (int r = 0; r < t; ++r) {
      EXPECT_EQ(p::tp_shard(w, p::TpSplit::column, t, r).shape(), (gb::Shape{6, 8 / t}));
      EXPECT_EQ(p::tp_shard(w, p::TpSplit::row, t, r).shape(), (gb::Shape{6 / t, 8}));
    }
  }
  EXPECT_EQ(p::tp_shard(w, p::TpSplit::column, 4, 3).shape(), (gb::Shape{6, 2}));
  EXPECT_EQ(p::tp_shard(w, p::TpSplit::row, 3, 2).shape(), (gb::Shape{2, 8}));
}

TEST(Task_13_1_ColumnRowSplit, EachRankHoldsItsOwnSlice) {
  const Tensor w = numbered(4, 8);
  // Column split over 4: rank 2 holds output features 4 and 5 of every row.
  const Tensor c = p::tp_shard(w, p::TpSplit::column, 4, 2);
  for (std::int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(c.at({i, 0}), 100.0 * static_cast<double>(i) + 4);
    EXPECT_EQ(c.at({i, 1}), 100.0 * static_cast<double>(i) + 5);
  }
  // Row split over 2: rank 1 holds input features 2 and 3.
  const Tensor rows = p::tp_shard(w, p::TpSplit::row, 2, 1);
  for (std::int64_t j = 0; j < 8; ++j) {
    EXPECT_EQ(rows.at({0, j}), 200.0 + static_cast<double>(j));
    EXPECT_EQ(rows.at({1, j}), 300.0 + static_cast<double>(j));
  }
  EXPECT_TRUE(c.is_contiguous());
}

TEST(Task_13_1_ColumnRowSplit, ConcatenatingTheShardsGivesBackTheWeight) {
  const Tensor w = gb::Rng(1).normal({6, 12});
  for (int t : {1, 2, 3, 6}) {
    for (p::TpSplit split : {p::TpSplit::column, p::TpSplit::row}) {
      std::vector<Tensor> shards;
      for (int r = 0; r < t; ++r) shards.push_back(p::tp_shard(w, split, t, r));
      EXPECT_TRUE(gb::allclose(p::tp_unshard(shards, split), w, 0, 0)) << p::tp_split_name(split) << ", t = " << t;
    }
  }
}

TEST(Task_13_1_ColumnRowSplit, WhatDoesNotSplitEquallyIsAnError) {
  const Tensor w = Tensor::zeros({6, 8});
  auto expect_error = [&](p::TpSplit split, int t, int rank, const std::string& words) {
    try {
      p::tp_shard(w, split, t, rank);
      ADD_FAILURE() << "accepted t = " << t << ", rank " << rank;
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error(p::TpSplit::column, 3, 0, "dividing the output features");  // 8 columns over 3
  expect_error(p::TpSplit::row, 4, 0, "dividing the input features");      // 6 rows over 4
  expect_error(p::TpSplit::column, 2, 2, "rank");
  expect_error(p::TpSplit::row, 0, 0, "t >= 1");
  try {
    p::tp_shard(Tensor::zeros({8}), p::TpSplit::column, 2, 0);
    ADD_FAILURE() << "accepted a 1-d weight";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[in, out]"), std::string::npos) << e.what();
  }
}

// Megatron's MLP on the shards: sum over r of GeLU(X A_r + a_r) B_r + b equals GeLU(X A + a) B + b.
TEST(Task_13_1_ColumnRowSplit, AnMlpBuiltOnTheSplitEqualsTheUnsplitOne) {
  namespace ad = gb::autodiff;
  gb::Rng rng(2);
  const Tensor x = rng.normal({5, 8}), a = rng.normal({8, 16}), a_bias = rng.normal(gb::Shape{16}), b = rng.normal({16, 8}), b_bias = rng.normal(gb::Shape{8});
  auto mlp = [](const Tensor& x, const Tensor& a, const Tensor& a_bias, const Tensor& b) {
    return gb::matmul(ad::gelu(ad::Variable(gb::add(gb::matmul(x, a), a_bias))).value(), b);
  };
  const Tensor want = gb::add(mlp(x, a, a_bias, b), b_bias);
  for (int t : {1, 2, 4}) {
    Tensor sum = Tensor::zeros({5, 8});
    for (int r = 0; r < t; ++r) {
      sum = gb::add(sum, mlp(x, p::tp_shard(a, p::TpSplit::column, t, r), p::tp_shard_bias(a_bias, t, r), p::tp_shard(b, p::TpSplit::row, t, r)));
    }
    EXPECT_TRUE(gb::allclose(gb::add(sum, b_bias), want, 1e-5, 1e-5)) << "t = " << t;
  }
}

}  // namespace
