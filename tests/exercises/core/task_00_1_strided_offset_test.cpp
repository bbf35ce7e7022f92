// Exercise core.tensor.strided_offset (lesson 00-tour): offset + sum_k index[k] * strides[k].
//
// Run only this exercise:  core_exercise_tests --gtest_filter='Task_00_1_StridedOffset.*'
// Views are built with the library's own transpose/slice/broadcast_to, which only change
// (shape, strides, offset); your strided_offset() must find the right element in every one of them.
#include <gtest/gtest.h>

#include "exercise_checks.hpp"
#include "gb/core.hpp"

using gb::Tensor;
using gb_exercise::error_message_of;

// The offset of `index` in t, through the function you write.
static std::int64_t offset_in(const Tensor& t, const std::vector<std::int64_t>& index) {
  return gb::strided_offset(t.offset(), t.shape(), t.strides(), index);
}

TEST(Task_00_1_StridedOffset, ContiguousRowMajor) {
  // Shape [2, 3, 4] in row-major order has strides [12, 4, 1].
  EXPECT_EQ(gb::strided_offset(0, {2, 3, 4}, {12, 4, 1}, {0, 0, 0}), 0);
  EXPECT_EQ(gb::strided_offset(0, {2, 3, 4}, {12, 4, 1}, {0, 0, 3}), 3);
  EXPECT_EQ(gb::strided_offset(0, {2, 3, 4}, {12, 4, 1}, {0, 2, 0}), 8);
  EXPECT_EQ(gb::strided_offset(0, {2, 3, 4}, {12, 4, 1}, {1, 0, 0}), 12);
  EXPECT_EQ(gb::strided_offset(0, {2, 3, 4}, {12, 4, 1}, {1, 2, 3}), 23);
  // Every index of an arange tensor holds its own row-major position.
  const Tensor t = Tensor::arange(24).reshape({2, 3, 4});
  for (std::int64_t i = 0; i < 2; ++i)
    for (std::int64_t j = 0; j < 3; ++j)
      for (std::int64_t k = 0; k < 4; ++k) EXPECT_EQ(offset_in(t, {i, j, k}), i * 12 + j * 4 + k);
}

TEST(Task_00_1_StridedOffset, ScalarHasOnlyTheOffset) {
  EXPECT_EQ(gb::strided_offset(0, {}, {}, {}), 0);
  EXPECT_EQ(gb::strided_offset(7, {}, {}, {}), 7);
}

TEST(Task_00_1_StridedOffset, StartsFromTheOffset) {
  EXPECT_EQ(gb::strided_offset(5, {2, 3}, {3, 1}, {0, 0}), 5);
  EXPECT_EQ(gb::strided_offset(5, {2, 3}, {3, 1}, {1, 2}), 10);
  // select(0, 1) of a [3, 4] tensor starts at element 4.
  const Tensor row = Tensor::arange(12).reshape({3, 4}).select(0, 1);
  EXPECT_EQ(row.offset(), 4);
  EXPECT_EQ(offset_in(row, {0}), 4);
  EXPECT_EQ(offset_in(row, {3}), 7);
  EXPECT_DOUBLE_EQ(row.at({2}), 6.0);
}

TEST(Task_00_1_StridedOffset, Transposed) {
  // The transpose of a [2, 3] tensor has shape [3, 2] and strides [1, 3].
  const Tensor t = Tensor::arange(6).reshape({2, 3}).transpose();
  EXPECT_EQ(offset_in(t, {0, 0}), 0);
  EXPECT_EQ(offset_in(t, {0, 1}), 3);
  EXPECT_EQ(offset_in(t, {2, 0}), 2);
  EXPECT_EQ(offset_in(t, {2, 1}), 5);
  EXPECT_EQ(gb::strided_offset(0, {3, 2}, {1, 3}, {1, 1}), 4);
  // A 3-D permutation: t[i, j, k] = original[j, k, i] = j*12 + k*4 + i.
  const Tensor p = Tensor::arange(24).reshape({2, 3, 4}).permute({2, 0, 1});
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 2; ++j)
      for (std::int64_t k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(p.at({i, j, k}), double(j * 12 + k * 4 + i));
}

TEST(Task_00_1_StridedOffset, Sliced) {
  // arange(10)[2:9:3] = [2, 5, 8]: offset 2, stride 3.
  const Tensor s = Tensor::arange(10).slice(0, 2, 9, 3);
  EXPECT_EQ(offset_in(s, {0}), 2);
  EXPECT_EQ(offset_in(s, {1}), 5);
  EXPECT_EQ(offset_in(s, {2}), 8);
  // A [4, 5] tensor sliced to rows 1:3 and columns 1:5:2 -> offset 6, strides [5, 2].
  const Tensor m = Tensor::arange(20).reshape({4, 5}).slice(0, 1, 3).slice(1, 1, 5, 2);
  EXPECT_EQ(gb::strided_offset(6, {2, 2}, {5, 2}, {1, 1}), 13);
  EXPECT_EQ(offset_in(m, {0, 0}), 6);
  EXPECT_EQ(offset_in(m, {0, 1}), 8);
  EXPECT_EQ(offset_in(m, {1, 0}), 11);
  EXPECT_EQ(offset_in(m, {1, 1}), 13);
  EXPECT_DOUBLE_EQ(m.at({1, 1}), 13.0);
}

TEST(Task_00_1_StridedOffset, BroadcastStrideZero) {
  // A broadcast axis has stride 0: every index along it reads the same element.
  const Tensor b = Tensor::arange(3).broadcast_to({4, 3});
  for (std::int64_t row = 0; row < 4; ++row) {
    for (std::int64_t col = 0; col < 3; ++col) EXPECT_EQ(offset_in(b, {row, col}), col);
  }
  EXPECT_EQ(gb::strided_offset(2, {5, 2}, {0, 1}, {4, 1}), 3);
  EXPECT_EQ(gb::strided_offset(0, {3, 3}, {0, 0}, {2, 2}), 0);
}

TEST(Task_00_1_StridedOffset, SetWritesWhereAtReads) {
  Tensor t = Tensor::zeros({2, 3});
  Tensor view = t.transpose();  // shares storage
  view.set({2, 1}, 42.0);       // = t[1, 2], the last element in memory
  EXPECT_EQ(t.to_vector(), (std::vector<double>{0, 0, 0, 0, 0, 42}));
  EXPECT_DOUBLE_EQ(t.at({1, 2}), 42.0);
}

TEST(Task_00_1_StridedOffset, OutOfRangeIndexIsAnError) {
  const std::string too_big = error_message_of([] { gb::strided_offset(0, {2, 3}, {3, 1}, {2, 0}); });
  EXPECT_CONTAINS(too_big, "strided_offset");
  EXPECT_CONTAINS(too_big, "[2, 3]");  // names the shape
  const std::string last_axis = error_message_of([] { gb::strided_offset(0, {2, 3}, {3, 1}, {0, 3}); });
  EXPECT_CONTAINS(last_axis, "strided_offset");
  // Negative indices are not Python-style here: -1 is out of range too.
  const std::string negative = error_message_of([] { gb::strided_offset(0, {2, 3}, {3, 1}, {-1, 0}); });
  EXPECT_CONTAINS(negative, "strided_offset");
  // A broadcast axis still has its size: index 4 of a size-4 axis is out of range.
  error_message_of([] { gb::strided_offset(0, {4, 3}, {0, 1}, {4, 0}); });
}

TEST(Task_00_1_StridedOffset, WrongRankIsAnError) {
  const std::string too_few = error_message_of([] { gb::strided_offset(0, {2, 3}, {3, 1}, {1}); });
  EXPECT_CONTAINS(too_few, "strided_offset");
  const std::string too_many = error_message_of([] { gb::strided_offset(0, {2, 3}, {3, 1}, {1, 1, 0}); });
  EXPECT_CONTAINS(too_many, "strided_offset");
  error_message_of([] { gb::strided_offset(0, {}, {}, {0}); });
  const Tensor t = Tensor::zeros({2, 3});
  EXPECT_CONTAINS(error_message_of([&] { t.at({0}); }), "strided_offset");
}
