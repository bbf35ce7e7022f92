// layout.cpp: tensor layouts (layout.hpp): checking one, the slice a device holds, cutting a global
// tensor into shards and gluing them back.
#include "gb/parallel/layout.hpp"

#include <string>
#include <vector>

#include "gb/core/error.hpp"

namespace gb::parallel {

namespace {

std::string ints(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// The position, left to right, of the axis counted from the right.
std::size_t from_left(const Layout& layout, int axis) {
  return layout.device_matrix.size() - 1 - static_cast<std::size_t>(axis);
}

int device_of(const std::vector<std::int64_t>& device_matrix, const std::vector<std::int64_t>& coords) {
  std::int64_t d = 0;
  for (std::size_t i = 0; i < device_matrix.size(); ++i) d = d * device_matrix[i] + coords[i];
  return static_cast<int>(d);
}

}  // namespace

void check_layout(const Layout& layout, const std::string& operation) {
  const int rank = static_cast<int>(layout.device_matrix.size());
  if (rank == 0) throw Error(operation, "a device matrix with at least one axis", "[]");
  std::int64_t devices = 1;
  for (std::int64_t n : layout.device_matrix) {
    if (n < 1) throw Error(operation, "device-matrix entries >= 1", shape_str(layout.device_matrix));
    devices *= n;
    if (devices > (1 << 20)) throw Error(operation, "at most 2^20 devices", shape_str(layout.device_matrix));
  }
  if (layout.tensor_map.size() != layout.shape.size()) {
    throw Error(operation, "one tensor-map entry per dim of " + shape_str(layout.shape), ints(layout.tensor_map));
  }
  std::vector<int> used(static_cast<std::size_t>(rank), 0);
  auto use = [&](int axis, const std::string& what) {
    if (axis < 0 || axis >= rank) {
      throw Error(operation, what + " entries -1 or an axis in [0, " + std::to_string(rank) + ") counted from the right",
                  std::to_string(axis));
    }
    if (used[static_cast<std::size_t>(axis)]++) {
      throw Error(operation, "each device axis used once (by the tensor map or partial)",
                  "axis " + std::to_string(axis) + " twice in map " + ints(layout.tensor_map) + " partial " + ints(layout.partial));
    }
  };
  for (std::size_t dim = 0; dim < layout.shape.size(); ++dim) {
    if (layout.shape[dim] < 1) throw Error(operation, "shape entries >= 1", shape_str(layout.shape));
    const int axis = layout.tensor_map[dim];
    if (axis == -1) continue;
    use(axis, "tensor-map");
    const std::int64_t n = axis_size(layout, axis);
    if (layout.shape[dim] % n != 0) {
      throw Error(operation, "dim " + std::to_string(dim) + " divisible by its axis' " + std::to_string(n) + " devices",
                  shape_str(layout.shape) + " with map " + ints(layout.tensor_map));
    }
  }
  for (int axis : layout.partial) use(axis, "partial");
}

int device_count(const Layout& layout) {
  std::int64_t n = 1;
  for (std::int64_t d : layout.device_matrix) n *= d;
  return static_cast<int>(n);
}

std::vector<std::int64_t> device_coordinates(const std::vector<std::int64_t>& device_matrix, int device) {
  std::int64_t total = 1;
  for (std::int64_t n : device_matrix) total *= n;
  if (device < 0 || device >= total) {
    throw Error("device_coordinates", "a device in [0, " + std::to_string(total) + ")", std::to_string(device));
  }
  std::vector<std::int64_t> coords(device_matrix.size());
  std::int64_t rest = device;
  for (std::size_t i = device_matrix.size(); i-- > 0;) {  // row-major: the rightmost axis varies fastest
    coords[i] = rest % device_matrix[i];
    rest /= device_matrix[i];
  }
  return coords;
}

std::int64_t axis_size(const Layout& layout, int axis) {
  if (axis < 0 || axis >= static_cast<int>(layout.device_matrix.size())) {
    throw Error("axis_size", "an axis in [0, " + std::to_string(layout.device_matrix.size()) + ")", std::to_string(axis));
  }
  return layout.device_matrix[from_left(layout, axis)];
}

std::vector<int> axis_group(const Layout& layout, int axis, int device) {
  std::vector<std::int64_t> coords = device_coordinates(layout.device_matrix, device);
  const std::size_t i = from_left(layout, axis);
  std::vector<int> group;
  for (coords[i] = 0; coords[i] < axis_size(layout, axis); ++coords[i]) group.push_back(device_of(layout.device_matrix, coords));
  return group;
}

std::vector<std::vector<int>> axis_groups(const Layout& layout, int axis) {
  std::vector<std::vector<int>> groups;
  const std::size_t i = from_left(layout, axis);
  for (int d = 0; d < device_count(layout); ++d) {
    if (device_coordinates(layout.device_matrix, d)[i] == 0) groups.push_back(axis_group(layout, axis, d));
  }
  return groups;
}

std::vector<SliceRange> shard_of(const Layout& layout, int device) {
  check_layout(layout, "shard_of");
  const std::vector<std::int64_t> coords = device_coordinates(layout.device_matrix, device);
  std::vector<SliceRange> ranges(layout.shape.size());
  // BEGIN EXERCISE(parallel.auto.layout_shard)
  // Dim i is split by axis a = tensor_map[i] (from the right) into n = axis_size(a) equal blocks; the
  // device's coordinate c along that axis picks block c: [c x size/n, (c + 1) x size/n). A dim with
  // -1 is whole on every device.
  for (std::size_t dim = 0; dim < layout.shape.size(); ++dim) {
    const int axis = layout.tensor_map[dim];
    if (axis == -1) {
      ranges[dim] = {0, layout.shape[dim]};
      continue;
    }
    const std::int64_t block = layout.shape[dim] / axis_size(layout, axis);
    const std::int64_t c = coords[from_left(layout, axis)];
    ranges[dim] = {c * block, (c + 1) * block};
  }
  // END EXERCISE
  return ranges;
}

std::vector<std::int64_t> local_shape(const Layout& layout) {
  check_layout(layout, "local_shape");
  std::vector<std::int64_t> shape = layout.shape;
  for (std::size_t dim = 0; dim < shape.size(); ++dim) {
    if (layout.tensor_map[dim] != -1) shape[dim] /= axis_size(layout, layout.tensor_map[dim]);
  }
  return shape;
}

namespace {

// The view of `t` covering the ranges.
Tensor view_of(const Tensor& t, const std::vector<SliceRange>& ranges) {
  Tensor v = t;
  for (std::size_t dim = 0; dim < ranges.size(); ++dim) v = v.slice(static_cast<std::int64_t>(dim), ranges[dim].begin, ranges[dim].end);
  return v;
}

bool on_partial_zero(const Layout& layout, const std::vector<std::int64_t>& coords) {
  for (int axis : layout.partial)
    if (coords[from_left(layout, axis)] != 0) return false;
  return true;
}

}  // namespace

std::vector<Tensor> to_shards(const Tensor& global, const Layout& layout) {
  check_layout(layout, "to_shards");
  if (!global.defined() || global.shape() != layout.shape) {
    throw Error("to_shards", "a tensor of the layout's shape " + shape_str(layout.shape),
                global.defined() ? shape_str(global.shape()) : "an undefined tensor");
  }
  std::vector<Tensor> shards;
  for (int d = 0; d < device_count(layout); ++d) {
    if (on_partial_zero(layout, device_coordinates(layout.device_matrix, d))) {
      shards.push_back(view_of(global, shard_of(layout, d)).clone());
    } else {
      shards.push_back(Tensor::zeros(local_shape(layout), global.dtype()));
    }
  }
  return shards;
}

Tensor from_shards(const std::vector<Tensor>& shards, const Layout& layout) {
  check_layout(layout, "from_shards");
  if (static_cast<int>(shards.size()) != device_count(layout)) {
    throw Error("from_shards", std::to_string(device_count(layout)) + " shards, one per device", std::to_string(shards.size()));
  }
  const std::vector<std::int64_t> local = local_shape(layout);
  for (const Tensor& s : shards) {
    if (!s.defined() || s.shape() != local || s.dtype() != shards[0].dtype()) {
      throw Error("from_shards", "shards of the local shape " + shape_str(local) + " and one dtype",
                  s.defined() ? shape_str(s.shape()) : "an undefined tensor");
    }
  }
  // A device counts when it sits at coordinate 0 of every replicating axis (one copy of each slice);
  // along partial axes every device counts, and their addends are summed.
  std::vector<bool> replicating(layout.device_matrix.size(), true);
  for (int axis : layout.tensor_map)
    if (axis != -1) replicating[from_left(layout, axis)] = false;
  for (int axis : layout.partial) replicating[from_left(layout, axis)] = false;
  Tensor global = Tensor::zeros(layout.shape, shards[0].dtype());
  for (int d = 0; d < device_count(layout); ++d) {
    const std::vector<std::int64_t> coords = device_coordinates(layout.device_matrix, d);
    bool counts = true;
    for (std::size_t i = 0; i < coords.size(); ++i) counts = counts && (!replicating[i] || coords[i] == 0);
    if (!counts) continue;
    Tensor target = view_of(global, shard_of(layout, d));
    const std::vector<double> sum = target.to_vector(), add = shards[static_cast<std::size_t>(d)].to_vector();
    std::vector<std::int64_t> index(local.size(), 0);
    for (std::size_t k = 0; k < sum.size(); ++k) {  // row-major walk of the local shape
      target.set(index, sum[k] + add[k]);
      for (std::size_t j = index.size(); j-- > 0;) {
        if (++index[j] < local[j]) break;
        index[j] = 0;
      }
    }
  }
  return global;
}

std::string describe(const Layout& layout) {
  std::string s = shape_str(layout.device_matrix) + " map " + ints(layout.tensor_map) + " of " + shape_str(layout.shape);
  if (!layout.partial.empty()) s += " partial " + ints(layout.partial);
  return s;
}

}  // namespace gb::parallel
