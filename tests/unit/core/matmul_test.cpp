// Unit tests: the reference matmul against hand-computed cases; 1-D promotion; batches (MatmulBatch
// suites call broadcast_shapes, exercise core.broadcast.shape_rule).
#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;
using gb_test::Values;

TEST(Matmul, TwoByThreeTimesThreeByTwo) {
  // [[1, 2, 3],    [[7,  8],     [[1*7 + 2*9 + 3*11, 1*8 + 2*10 + 3*12],    [[ 58,  64],
  //  [4, 5, 6]]  x  [9, 10],  =   [4*7 + 5*9 + 6*11, 4*8 + 5*10 + 6*12]]  =  [139, 154]]
  //                 [11, 12]]
  for (DType d : gb_test::kAllDTypes) {
    SCOPED_TRACE(gb::dtype_name(d));
    const Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}, d);
    const Tensor b = Tensor::from_values({7, 8, 9, 10, 11, 12}, {3, 2}, d);
    const Tensor c = gb::matmul(a, b);
    EXPECT_EQ(c.dtype(), d);
    EXPECT_EQ(c.shape(), (gb::Shape{2, 2}));
    if (d == DType::i8 || d == DType::u8) {
      EXPECT_EQ(c.to_vector(), d == DType::i8 ? (Values{58, 64, -117, -102}) : (Values{58, 64, 139, 154}));
    } else {
      EXPECT_EQ(c.to_vector(), (Values{58, 64, 139, 154}));
    }
  }
}

TEST(Matmul, TransposedOperandsAndIdentity) {
  const Tensor a = Tensor::from_values({1, 2, 3, 4}, {2, 2});
  const Tensor eye = Tensor::from_values({1, 0, 0, 1}, {2, 2});
  EXPECT_EQ(gb::matmul(a, eye).to_vector(), a.to_vector());
  EXPECT_EQ(gb::matmul(eye, a).to_vector(), a.to_vector());
  // a^T a = [[1*1 + 3*3, 1*2 + 3*4], [2*1 + 4*3, 2*2 + 4*4]] = [[10, 14], [14, 20]]
  EXPECT_EQ(gb::matmul(a.transpose(), a).to_vector(), (Values{10, 14, 14, 20}));
  // a a^T = [[1 + 4, 3 + 8], [3 + 8, 9 + 16]]
  EXPECT_EQ(gb::matmul(a, a.transpose()).to_vector(), (Values{5, 11, 11, 25}));
  // A column slice as the right operand: b = [[2], [4]] from a[:, 1:2].
  EXPECT_EQ(gb::matmul(a, a.slice(1, 1, 2)).to_vector(), (Values{10, 22}));
}

TEST(Matmul, OneDimensionalOperands) {
  const Tensor v = Tensor::from_values({1, 2, 3}, {3});
  const Tensor w = Tensor::from_values({4, 5, 6}, {3});
  const Tensor dot = gb::matmul(v, w);  // [3] x [3] -> [] = 4 + 10 + 18
  EXPECT_EQ(dot.shape(), gb::Shape{});
  EXPECT_EQ(dot.item(), 32.0);
  const Tensor m = Tensor::from_values({1, 0, 2, 0, 1, 3}, {2, 3});
  const Tensor mv = gb::matmul(m, v);  // [2, 3] x [3] -> [2] = [1 + 6, 2 + 9]
  EXPECT_EQ(mv.shape(), (gb::Shape{2}));
  EXPECT_EQ(mv.to_vector(), (Values{7, 11}));
  const Tensor vm = gb::matmul(Tensor::from_values({1, 2}, {2}), m);  // [2] x [2, 3] -> [3]
  EXPECT_EQ(vm.shape(), (gb::Shape{3}));
  EXPECT_EQ(vm.to_vector(), (Values{1, 2, 8}));
}

TEST(Matmul, FloatsAccumulateInDouble) {
  // 1e8 + 1 - 1e8 in float would lose the 1; the accumulator is double.
  const Tensor a = Tensor::from_values({1e8, 1, -1e8}, {1, 3});
  const Tensor b = Tensor::from_values({1, 1, 1}, {3, 1});
  EXPECT_EQ(gb::matmul(a, b).item(), 1.0);
}

TEST(Matmul, IntegersWrapLikeTheirDType) {
  const Tensor a = Tensor::from_values({100, 100}, {1, 2}, DType::i8);
  EXPECT_EQ(gb::matmul(a, a.transpose()).to_vector(), (Values{32}));  // 20000 mod 256 = 32
  Tensor big = Tensor::zeros({1, 1}, DType::i64);
  big.data<std::int64_t>()[0] = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(gb::matmul(big, big).data<std::int64_t>()[0], 1);  // (2^63 - 1)^2 mod 2^64 = 1
}

TEST(Matmul, EmptyDimensions) {
  EXPECT_EQ(gb::matmul(Tensor::zeros({0, 3}), Tensor::zeros({3, 2})).shape(), (gb::Shape{0, 2}));
  const Tensor k0 = gb::matmul(Tensor::ones({2, 0}), Tensor::ones({0, 3}));  // an empty sum: zeros
  EXPECT_EQ(k0.shape(), (gb::Shape{2, 3}));
  EXPECT_EQ(k0.to_vector(), Values(6, 0.0));
}

TEST(Matmul, ErrorsNameBothShapes) {
  EXPECT_ERROR(gb::matmul(Tensor::zeros({2, 3}), Tensor::zeros({4, 5})),
               "matmul: expected a.shape[-1] == b.shape[-2], given [2, 3] and [4, 5]");
  EXPECT_ERROR(gb::matmul(Tensor::zeros({3}), Tensor::zeros({4})), "matmul", "[3] and [4]");
  EXPECT_ERROR(gb::matmul(Tensor::scalar(1), Tensor::zeros({3})), "matmul", "[] and [3]");
  EXPECT_ERROR(gb::matmul(Tensor::zeros({2, 2}), Tensor::zeros({2, 2}, DType::f64)), "matmul", "f32 and f64");
}

TEST(MatmulBatch, BatchAxesBroadcast) {
  // Two 2x2 matrices times one shared matrix.
  const Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  const Tensor b = Tensor::from_values({0, 1, 1, 0}, {2, 2});  // swaps the columns
  const Tensor c = gb::matmul(a, b);
  EXPECT_EQ(c.shape(), (gb::Shape{2, 2, 2}));
  EXPECT_EQ(c.to_vector(), (Values{2, 1, 4, 3, 6, 5, 8, 7}));
  // [2, 1, 1, 3] x [4, 3, 1] -> [2, 4, 1, 1]: every pair (i, j) is sum_k a_i[k] * b_j[k].
  const Tensor x = Tensor::arange(6).reshape({2, 1, 1, 3});
  const Tensor y = Tensor::arange(12).reshape({4, 3, 1});
  const Tensor z = gb::matmul(x, y);
  EXPECT_EQ(z.shape(), (gb::Shape{2, 4, 1, 1}));
  EXPECT_EQ(z.to_vector(), (Values{5, 14, 23, 32, 14, 50, 86, 122}));
  // A batched matrix times a vector.
  EXPECT_EQ(gb::matmul(a, Tensor::from_values({1, 1}, {2})).to_vector(), (Values{3, 7, 11, 15}));
  EXPECT_EQ(gb::matmul(a, Tensor::from_values({1, 1}, {2})).shape(), (gb::Shape{2, 2}));
  EXPECT_EQ(gb::matmul(Tensor::zeros({0, 2, 3}), Tensor::zeros({3, 4})).shape(), (gb::Shape{0, 2, 4}));
}

TEST(MatmulBatch, MismatchedBatchesNameBothShapes) {
  EXPECT_ERROR(gb::matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({5, 4, 2})), "matmul", "batch",
               "[2, 3, 4] and [5, 4, 2]");
}
