// layout.hpp: tensor layouts, MindSpore's way of saying which device holds which slice (lesson 15).
//
// A layout is (device matrix, tensor map, tensor shape):
//   device_matrix  the devices seen as a grid, e.g. [2, 4]: 8 devices, numbered row-major
//                  (device 6 has coordinates (1, 2));
//   tensor_map     for each tensor dim, the device-matrix axis that splits it, counted FROM THE RIGHT
//                  as MindSpore does (with [2, 4], axis 0 is the 4, axis 1 the 2), or -1: not split;
//   shape          the global tensor's shape.
// Example: a [8, 8] matrix with device_matrix [2, 4] and tensor_map [1, 0] is cut into 2 row blocks
// (by the axis of size 2) and 4 column blocks (by the axis of size 4): device (i, j) holds rows
// 4i..4i+3 and columns 2j..2j+1. With tensor_map [1, -1] the same device holds rows 4i..4i+3 whole,
// and the 4 devices of a row of the device matrix hold copies: an axis that splits no dim replicates.
//
// Partial sums (not in MindSpore's layouts, added here as in OneFlow's SBP and PyTorch's DTensor):
// `partial` lists device axes along which the devices hold addends of the tensor, not copies. The
// output of a matmul whose contracted dim is split is partial: summing over the axis gives the tensor.
// to_shards puts the values on coordinate 0 of every partial axis and zeros elsewhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::parallel {

struct Layout {
  std::vector<std::int64_t> device_matrix;  // e.g. {2, 4}
  std::vector<int> tensor_map;              // one entry per tensor dim: axis from the right, or -1
  std::vector<std::int64_t> shape;          // the global tensor's shape
  std::vector<int> partial;                 // axes (from the right) holding partial sums; usually empty
  bool operator==(const Layout&) const = default;
};

// Throws gb::Error(operation, expected, given) unless: every device-matrix entry >= 1; one map entry
// per shape dim, each -1 or an axis in [0, rank of the device matrix); no axis used twice (by the map
// or by `partial`); every split dim divisible by its axis' size; shape entries >= 1.
void check_layout(const Layout& layout, const std::string& operation = "layout");

int device_count(const Layout& layout);  // product of the device matrix
// The device's coordinates in the device matrix, left to right (row-major numbering).
std::vector<std::int64_t> device_coordinates(const std::vector<std::int64_t>& device_matrix, int device);
// The size of the device-matrix axis `axis` counted from the right.
std::int64_t axis_size(const Layout& layout, int axis);
// The devices that differ from `device` only along `axis` (from the right), in coordinate order: the
// group a collective along that axis runs in.
std::vector<int> axis_group(const Layout& layout, int axis, int device);
// Every such group, each once.
std::vector<std::vector<int>> axis_groups(const Layout& layout, int axis);

// [begin, end) along one tensor dim.
struct SliceRange {
  std::int64_t begin = 0, end = 0;
  bool operator==(const SliceRange&) const = default;
};

// The slice `device` holds: one range per tensor dim (the exercise parallel.auto.layout_shard).
std::vector<SliceRange> shard_of(const Layout& layout, int device);
std::vector<std::int64_t> local_shape(const Layout& layout);  // the same on every device

// The global tensor cut into one shard per device (new storage each), following the layout; a
// partial layout puts the values on coordinate 0 of its partial axes and zeros on the others.
std::vector<Tensor> to_shards(const Tensor& global, const Layout& layout);
// The inverse: the global tensor from one shard per device (copies are read from coordinate 0 of the
// replicating axes; partial axes are summed).
Tensor from_shards(const std::vector<Tensor>& shards, const Layout& layout);

// "[2, 4] map [1, 0] of [8, 8]" (with " partial [1]" when partial), for captions and errors.
std::string describe(const Layout& layout);

}  // namespace gb::parallel
