// Unit tests: printing (NumPy style, with shape and dtype), summaries of large tensors.
#include <sstream>

#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;

TEST(Print, MatrixLikeTheHeader) {
  EXPECT_EQ(Tensor::arange(6).reshape({2, 3}).str(),
            "tensor([[0, 1, 2],\n"
            "        [3, 4, 5]], shape=[2, 3], dtype=f32)");
}

TEST(Print, ScalarsVectorsAndDTypes) {
  EXPECT_EQ(Tensor::scalar(3.5).str(), "tensor(3.5, shape=[], dtype=f32)");
  EXPECT_EQ(Tensor::arange(3, DType::i64).str(), "tensor([0, 1, 2], shape=[3], dtype=i64)");
  EXPECT_EQ(Tensor::from_values({-1, 10}, {2}, DType::i8).str(), "tensor([-1, 10], shape=[2], dtype=i8)");
  EXPECT_EQ(Tensor::from_values({1.5, 1.0 / 3, -2, 1e6}, {4}, DType::f64).str(),
            "tensor([   1.5, 0.3333,     -2,  1e+06], shape=[4], dtype=f64)");
  EXPECT_EQ(Tensor::from_values({NAN, INFINITY, -INFINITY}, {3}).str(),
            "tensor([ nan,  inf, -inf], shape=[3], dtype=f32)");
  EXPECT_EQ(gb::to_string(Tensor()), "tensor(undefined)");
}

TEST(Print, EmptyTensors) {
  EXPECT_EQ(Tensor::zeros({0}).str(), "tensor([], shape=[0], dtype=f32)");
  EXPECT_EQ(Tensor::zeros({2, 0}).str(), "tensor([[],\n        []], shape=[2, 0], dtype=f32)");
}

TEST(Print, ThreeDimensionsLeaveABlankLine) {
  EXPECT_EQ(Tensor::arange(8, DType::i32).reshape({2, 2, 2}).str(),
            "tensor([[[0, 1],\n"
            "         [2, 3]],\n"
            "\n"
            "        [[4, 5],\n"
            "         [6, 7]]], shape=[2, 2, 2], dtype=i32)");
}

TEST(Print, ViewsPrintTheirOwnElements) {
  EXPECT_EQ(Tensor::arange(6).reshape({2, 3}).transpose().str(),
            "tensor([[0, 3],\n"
            "        [1, 4],\n"
            "        [2, 5]], shape=[3, 2], dtype=f32)");
  EXPECT_EQ(Tensor::arange(10, DType::u8).slice(0, 7, 10).str(), "tensor([7, 8, 9], shape=[3], dtype=u8)");
}

TEST(Print, LargeTensorsAreSummarised) {
  EXPECT_EQ(Tensor::arange(1001, DType::i32).str(),
            "tensor([   0,    1,    2, ...,  998,  999, 1000], shape=[1001], dtype=i32)");
  EXPECT_EQ(Tensor::arange(1000, DType::i32).str().find("..."), std::string::npos);  // 1000 is not > 1000
  const std::string m = Tensor::arange(2000, DType::i64).reshape({100, 20}).str();
  EXPECT_EQ(m.substr(0, 51), "tensor([[   0,    1,    2, ...,   17,   18,   19],\n");
  EXPECT_CONTAINS(m, "\n        ...,\n        [1940, 1941, 1942, ..., 1957, 1958, 1959],");
  EXPECT_CONTAINS(m, "[1980, 1981, 1982, ..., 1997, 1998, 1999]], shape=[100, 20], dtype=i64)");
  // Summarised means short: 7 rows of text.
  EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 6);
}

TEST(Print, StreamOperator) {
  std::ostringstream os;
  os << Tensor::ones({1}, DType::u8);
  EXPECT_EQ(os.str(), "tensor([1], shape=[1], dtype=u8)");
}
