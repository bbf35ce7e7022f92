// tensor_scene_test.cpp: any tensor as a 2-D grid of cells, and the cell of a tensor index.
#include <gtest/gtest.h>

#include "gb/trace/tensor_scene.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

TEST(TensorScene, ShapesBecomeRowsAndColumns) {
  struct Case {
    Shape shape;
    std::int64_t rows, cols;
  };
  const Case cases[] = {{{}, 1, 1}, {{5}, 1, 5}, {{2, 3}, 2, 3}, {{2, 3, 4}, 6, 4}, {{2, 1, 2, 3}, 4, 3},
                        {{0, 3}, 0, 3}, {{0}, 1, 0}, {{2, 0}, 2, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(shape_str(c.shape));
    const Tensor t = Tensor::arange(shape_numel(c.shape), DType::f64).reshape(c.shape);
    const Scene s = tensor_scene("t", "title", t);
    EXPECT_EQ(s.kind, SceneKind::tensor);
    EXPECT_EQ(s.id, "t");
    EXPECT_EQ(s.title, "title");
    EXPECT_EQ(s.tensor.rows, c.rows);
    EXPECT_EQ(s.tensor.cols, c.cols);
    EXPECT_EQ(static_cast<std::int64_t>(s.tensor.values.size()), shape_numel(c.shape));
    EXPECT_EQ(s.tensor.shape, shape_str(c.shape));
    EXPECT_EQ(s.tensor.dtype, "f64");
  }
}

TEST(TensorScene, ValuesInRowMajorOrderOfTheView) {
  // A transposed view: the scene shows what the view shows, not the storage order.
  const Tensor t = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3}, DType::i32).transpose();
  const Scene s = tensor_scene("t", "", t);
  EXPECT_EQ(s.tensor.rows, 3);
  EXPECT_EQ(s.tensor.cols, 2);
  EXPECT_EQ(s.tensor.values, (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(s.tensor.dtype, "i32");
  EXPECT_EQ(s.tensor.shape, "[3, 2]");
}

TEST(TensorScene, CellOfAnIndex) {
  const Tensor t = Tensor::zeros({2, 3, 4});
  EXPECT_EQ(tensor_cell(t, {0, 0, 0}), 0);
  EXPECT_EQ(tensor_cell(t, {1, 2, 3}), 23);
  EXPECT_EQ(tensor_cell(t, {1, 0, 2}), 14);  // row 1*3+0 = 3, column 2 -> 3*4+2
  EXPECT_EQ(tensor_cell(Tensor::scalar(1), {}), 0);
  EXPECT_TRUE(testing::throws_error_with([&] { tensor_cell(t, {0, 0}); }, {"tensor_cell", "3 entries", "given 2"}));
  EXPECT_TRUE(testing::throws_error_with([&] { tensor_cell(t, {0, 3, 0}); }, {"index[1] in [0, 3)", "given 3"}));
  EXPECT_TRUE(testing::throws_error_with([&] { tensor_cell(t, {-1, 0, 0}); }, {"given -1"}));
}

TEST(TensorScene, UndefinedTensorIsAnError) {
  EXPECT_TRUE(testing::throws_error_with([] { tensor_scene("t", "", Tensor()); }, {"tensor_scene", "defined"}));
  EXPECT_THROW(tensor_cell(Tensor(), {}), gb::Error);
}

}  // namespace
}  // namespace gb::trace
