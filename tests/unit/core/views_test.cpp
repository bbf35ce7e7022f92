// Unit tests: views share storage and only change (shape, strides, offset).
#include "test_helpers.hpp"

using gb::DType;
using gb::Tensor;
using gb_test::Values;

TEST(Views, ReshapeOfContiguousSharesStorage) {
  const Tensor t = Tensor::arange(12);
  const Tensor r = t.reshape({3, 4});
  EXPECT_TRUE(r.shares_storage_with(t));
  EXPECT_EQ(r.shape(), (gb::Shape{3, 4}));
  EXPECT_EQ(r.strides(), (gb::Strides{4, 1}));
  EXPECT_EQ(r.to_vector(), t.to_vector());
  EXPECT_EQ(t.reshape({2, -1, 3}).shape(), (gb::Shape{2, 2, 3}));
  EXPECT_EQ(t.reshape({-1}).shape(), (gb::Shape{12}));
  EXPECT_EQ(t.view({12, 1}).shape(), (gb::Shape{12, 1}));
  EXPECT_EQ(Tensor::scalar(1).reshape({1, 1}).shape(), (gb::Shape{1, 1}));
  EXPECT_EQ(Tensor::zeros({1, 1}).reshape({}).shape(), gb::Shape{});
  EXPECT_EQ(Tensor::zeros({0, 3}).reshape({3, 0, 5}).numel(), 0);
  // Writing through the view is seen by the original.
  Tensor w = t.reshape({3, 4}).select(0, 2);
  w.copy_from(Tensor::full({4}, -1));
  EXPECT_EQ(t.to_vector()[8], -1.0);
  EXPECT_EQ(t.to_vector()[11], -1.0);
  EXPECT_EQ(t.to_vector()[7], 7.0);
}

TEST(Views, ReshapeErrors) {
  const Tensor t = Tensor::arange(6).reshape({2, 3});
  EXPECT_ERROR(t.reshape({4, 2}), "reshape", "6 elements", "[4, 2]");
  EXPECT_ERROR(t.reshape({-1, -1}), "reshape", "[-1, -1]");
  EXPECT_ERROR(t.reshape({4, -1}), "reshape", "[4, -1]");
  EXPECT_ERROR(t.reshape({-2, 3}), "reshape");
  EXPECT_ERROR(Tensor::zeros({0}).reshape({0, -1}), "reshape");  // ambiguous
  // A transposed tensor cannot be viewed flat: the message says what to do.
  EXPECT_ERROR(t.transpose().reshape({6}), "reshape", "contiguous()", "[3, 2]", "strides [1, 3]");
  EXPECT_EQ(t.transpose().contiguous().reshape({6}).to_vector(), (Values{0, 3, 1, 4, 2, 5}));
}

TEST(Views, ReshapeOfNonContiguousWhenPossible) {
  // Rows 1..2 of every block: each row stays contiguous, so splitting the last axis is a view.
  const Tensor t = Tensor::arange(24).reshape({2, 3, 4}).slice(1, 1, 3);
  const Tensor r = t.reshape({2, 2, 2, 2});
  EXPECT_TRUE(r.shares_storage_with(t));
  EXPECT_EQ(r.to_vector(), t.to_vector());
  // A broadcast tensor can gain axes of size 1.
  const Tensor b = Tensor::arange(3).broadcast_to({4, 3});
  EXPECT_EQ(b.reshape({4, 1, 3}).to_vector(), b.to_vector());
  EXPECT_EQ(b.reshape({4, 1, 3}).strides()[0], 0);
  EXPECT_ERROR(b.reshape({12}), "reshape", "contiguous()");
  // Merging axes of a transposed tensor with unit axes around them.
  const Tensor u = Tensor::arange(6).reshape({2, 3}).transpose().unsqueeze(0);  // [1, 3, 2]
  EXPECT_EQ(u.reshape({3, 2}).to_vector(), (Values{0, 3, 1, 4, 2, 5}));
}

TEST(Views, TransposeAndPermuteStrides) {
  const Tensor t = Tensor::arange(24).reshape({2, 3, 4});
  const Tensor tt = t.transpose();  // the last two axes
  EXPECT_TRUE(tt.shares_storage_with(t));
  EXPECT_EQ(tt.shape(), (gb::Shape{2, 4, 3}));
  EXPECT_EQ(tt.strides(), (gb::Strides{12, 1, 4}));
  EXPECT_EQ(t.transpose(0, 2).strides(), (gb::Strides{1, 4, 12}));
  EXPECT_EQ(t.transpose(-3, -1).shape(), (gb::Shape{4, 3, 2}));
  const Tensor p = t.permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (gb::Shape{4, 2, 3}));
  EXPECT_EQ(p.strides(), (gb::Strides{1, 12, 4}));
  EXPECT_EQ(t.permute({-1, -3, -2}).strides(), p.strides());
  EXPECT_EQ(Tensor::arange(6).reshape({2, 3}).transpose().to_vector(), (Values{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(tt.transpose().to_vector(), t.to_vector());  // twice is the identity
  EXPECT_ERROR(t.permute({0, 1}), "permute", "[0, 1]");
  EXPECT_ERROR(t.permute({0, 1, 1}), "permute", "each axis exactly once");
  EXPECT_ERROR(t.permute({0, 1, 3}), "permute", "axis 3");
  EXPECT_ERROR(Tensor::arange(3).transpose(), "transpose", "axis -2");
}

TEST(Views, SliceLikePython) {
  const Tensor t = Tensor::arange(10);
  EXPECT_EQ(t.slice(0, 2, 5).to_vector(), (Values{2, 3, 4}));
  EXPECT_EQ(t.slice(0, 2, 5).offset(), 2);
  EXPECT_EQ(t.slice(0, 1, 10, 3).to_vector(), (Values{1, 4, 7}));
  EXPECT_EQ(t.slice(0, 1, 10, 3).strides(), (gb::Strides{3}));
  EXPECT_EQ(t.slice(0, -3, 10).to_vector(), (Values{7, 8, 9}));   // t[-3:]
  EXPECT_EQ(t.slice(0, 0, -8).to_vector(), (Values{0, 1}));      // t[:-8]
  EXPECT_EQ(t.slice(0, -100, 2).to_vector(), (Values{0, 1}));    // clamped
  EXPECT_EQ(t.slice(0, 8, 100).to_vector(), (Values{8, 9}));     // clamped
  EXPECT_EQ(t.slice(0, 5, 2).numel(), 0);                        // empty, not an error
  EXPECT_EQ(t.slice(0, 10, 10).numel(), 0);
  EXPECT_TRUE(t.slice(0, 2, 5).shares_storage_with(t));
  const Tensor m = Tensor::arange(20).reshape({4, 5});
  const Tensor s = m.slice(-1, 1, 5, 2).slice(0, 1, 3);
  EXPECT_EQ(s.shape(), (gb::Shape{2, 2}));
  EXPECT_EQ(s.strides(), (gb::Strides{5, 2}));
  EXPECT_EQ(s.offset(), 6);
  EXPECT_EQ(s.to_vector(), (Values{6, 8, 11, 13}));
  EXPECT_ERROR(t.slice(0, 0, 5, 0), "slice", "step");
  EXPECT_ERROR(t.slice(0, 5, 0, -1), "slice", "step");
  EXPECT_ERROR(t.slice(1, 0, 1), "slice", "axis 1");
}

TEST(Views, SelectDropsTheAxis) {
  const Tensor m = Tensor::arange(12).reshape({3, 4});
  const Tensor row = m.select(0, 1);
  EXPECT_EQ(row.shape(), (gb::Shape{4}));
  EXPECT_EQ(row.offset(), 4);
  EXPECT_EQ(row.to_vector(), (Values{4, 5, 6, 7}));
  const Tensor column = m.select(-1, -1);
  EXPECT_EQ(column.strides(), (gb::Strides{4}));
  EXPECT_EQ(column.to_vector(), (Values{3, 7, 11}));
  EXPECT_EQ(m.select(0, 2).select(0, 3).item(), 11.0);
  EXPECT_TRUE(column.shares_storage_with(m));
  EXPECT_ERROR(m.select(0, 3), "select", "3", "[3, 4]");
  EXPECT_ERROR(m.select(1, -5), "select", "-5");
  EXPECT_ERROR(Tensor::zeros({0}).select(0, 0), "select");
}

TEST(Views, BroadcastToHasStrideZero) {
  const Tensor v = Tensor::from_values({1, 2, 3}, {3});
  const Tensor b = v.broadcast_to({2, 3});
  EXPECT_TRUE(b.shares_storage_with(v));
  EXPECT_EQ(b.strides(), (gb::Strides{0, 1}));
  EXPECT_EQ(b.to_vector(), (Values{1, 2, 3, 1, 2, 3}));
  const Tensor c = Tensor::from_values({1, 2}, {2, 1}).broadcast_to({2, 3});
  EXPECT_EQ(c.strides(), (gb::Strides{1, 0}));
  EXPECT_EQ(c.to_vector(), (Values{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(Tensor::scalar(7).broadcast_to({2, 2}).to_vector(), Values(4, 7.0));
  EXPECT_EQ(Tensor::zeros({1}).broadcast_to({0}).numel(), 0);
  EXPECT_EQ(v.broadcast_to({3}).strides(), (gb::Strides{1}));
  EXPECT_ERROR(v.broadcast_to({4}), "broadcast_to", "[3]", "[4]");
  EXPECT_ERROR(v.broadcast_to({3, 1}), "broadcast_to", "[3, 1]");
  EXPECT_ERROR(Tensor::zeros({2, 3}).broadcast_to({3}), "broadcast_to", "[2, 3]", "[3]");
  EXPECT_ERROR(v.broadcast_to({-1, 3}), "broadcast_to");
}

TEST(Views, SqueezeAndUnsqueeze) {
  const Tensor t = Tensor::arange(6).reshape({1, 2, 1, 3});
  EXPECT_EQ(t.squeeze().shape(), (gb::Shape{2, 3}));
  EXPECT_EQ(t.squeeze(0).shape(), (gb::Shape{2, 1, 3}));
  EXPECT_EQ(t.squeeze(-2).shape(), (gb::Shape{1, 2, 3}));
  EXPECT_TRUE(t.squeeze().shares_storage_with(t));
  EXPECT_ERROR(t.squeeze(1), "squeeze", "size 1", "[1, 2, 1, 3]");
  EXPECT_EQ(Tensor::zeros({1, 1}).squeeze().shape(), gb::Shape{});
  const Tensor v = Tensor::arange(3);
  EXPECT_EQ(v.unsqueeze(0).shape(), (gb::Shape{1, 3}));
  EXPECT_EQ(v.unsqueeze(1).shape(), (gb::Shape{3, 1}));
  EXPECT_EQ(v.unsqueeze(-1).shape(), (gb::Shape{3, 1}));
  EXPECT_EQ(v.unsqueeze(-2).shape(), (gb::Shape{1, 3}));
  EXPECT_EQ(v.unsqueeze(1).to_vector(), v.to_vector());
  EXPECT_TRUE(v.unsqueeze(0).is_contiguous());
  EXPECT_EQ(Tensor::scalar(2).unsqueeze(0).shape(), (gb::Shape{1}));
  EXPECT_ERROR(v.unsqueeze(2), "unsqueeze", "axis 2");
  EXPECT_ERROR(v.unsqueeze(-3), "unsqueeze");
}
