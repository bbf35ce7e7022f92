// tensor_scene.cpp: a Tensor scene from a gb::Tensor (the only place gb_trace uses gb_core's Tensor).
//
// The scene is a 2-D grid. A tensor of rank 0, 1 or 2 keeps its own rows and columns (a scalar is
// 1 x 1, a vector one row); higher ranks keep their last axis as the columns and stack every leading
// index as rows, the way NumPy prints them: shape [2, 3, 4] -> 6 x 4.
#include <string>

#include "gb/core/error.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::trace {
namespace {

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(op, "a defined tensor", "an undefined (default-constructed) tensor");
}

}  // namespace

Scene tensor_scene(const std::string& id, const std::string& title, const Tensor& t) {
  check_defined(t, "tensor_scene");
  Scene scene;
  scene.id = id;
  scene.title = title;
  scene.kind = SceneKind::tensor;
  const Shape& shape = t.shape();
  std::int64_t cols = shape.empty() ? 1 : shape.back();
  scene.tensor.cols = cols;
  scene.tensor.rows = cols == 0 ? shape_numel(Shape(shape.begin(), shape.end() - 1)) : t.numel() / cols;
  scene.tensor.values = t.to_vector();
  scene.tensor.dtype = dtype_name(t.dtype());
  scene.tensor.shape = shape_str(shape);
  return scene;
}

// Row-major flattening of the full index is also the flat index into the 2-D view, because the view
// only regroups the leading axes.
std::int64_t tensor_cell(const Tensor& t, const std::vector<std::int64_t>& index) {
  check_defined(t, "tensor_cell");
  const Shape& shape = t.shape();
  if (index.size() != shape.size())
    throw Error("tensor_cell", "an index with " + std::to_string(shape.size()) + " entries for shape " + shape_str(shape),
                std::to_string(index.size()) + " entries");
  std::int64_t cell = 0;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (index[k] < 0 || index[k] >= shape[k])
      throw Error("tensor_cell",
                  "index[" + std::to_string(k) + "] in [0, " + std::to_string(shape[k]) + ") for shape " +
                      shape_str(shape),
                  std::to_string(index[k]));
    cell = cell * shape[k] + index[k];
  }
  return cell;
}

}  // namespace gb::trace
