// tensor_parallel_split.cpp: which slice of a weight each tensor-parallel rank holds (lesson 13; see
// tensor_parallel.hpp), and putting the slices back together.
#include <string>

#include "gb/core/error.hpp"
#include "gb/parallel/tensor_parallel.hpp"

namespace gb::parallel {

const char* tp_split_name(TpSplit split) { return split == TpSplit::column ? "column" : "row"; }

Tensor tp_shard(const Tensor& weight, TpSplit split, int t, int rank) {
  Tensor shard;
  // BEGIN EXERCISE(parallel.tp.column_row_split)
  const std::string op = std::string("tp_shard (") + tp_split_name(split) + " split)";
  if (!weight.defined() || weight.ndim() != 2) {
    throw Error(op, "a weight [in, out]", weight.defined() ? std::to_string(weight.ndim()) + "-d" : "an undefined tensor");
  }
  if (t < 1) throw Error(op, "t >= 1 ranks", std::to_string(t));
  if (rank < 0 || rank >= t) throw Error(op, "a rank in 0.." + std::to_string(t - 1), std::to_string(rank));
  // A column split cuts the output features (axis 1), a row split the input features (axis 0).
  const std::int64_t axis = split == TpSplit::column ? 1 : 0;
  const std::int64_t size = weight.shape()[static_cast<std::size_t>(axis)];
  if (size % t != 0) {
    throw Error(op, "t = " + std::to_string(t) + " dividing the " + (axis == 1 ? "output" : "input") + " features",
                std::to_string(size));
  }
  const std::int64_t width = size / t;
  shard = weight.slice(axis, rank * width, (rank + 1) * width).clone();
  // END EXERCISE
  return shard;
}

Tensor tp_shard_bias(const Tensor& bias, int t, int rank) {
  if (!bias.defined() || bias.ndim() != 1) {
    throw Error("tp_shard_bias", "a bias [n]", bias.defined() ? std::to_string(bias.ndim()) + "-d" : "an undefined tensor");
  }
  // A bias is one row of the outputs: split like a column-split weight [1, n].
  return tp_shard(bias.reshape({1, bias.shape()[0]}), TpSplit::column, t, rank).reshape({bias.shape()[0] / t});
}

Tensor tp_unshard(const std::vector<Tensor>& shards, TpSplit split) {
  const std::string op = "tp_unshard";
  if (shards.empty()) throw Error(op, "at least one shard", "none");
  const Tensor& first = shards.front();
  const std::size_t axis = split == TpSplit::column ? first.ndim() - 1 : 0;
  if (!first.defined() || first.ndim() < 1 || first.ndim() > 2) throw Error(op, "1-d or 2-d shards", "another tensor");
  Shape shape = first.shape();
  shape[axis] *= static_cast<std::int64_t>(shards.size());
  Tensor full = Tensor::zeros(shape, first.dtype());
  const std::int64_t width = first.shape()[axis];
  for (std::size_t r = 0; r < shards.size(); ++r) {
    if (shards[r].shape() != first.shape() || shards[r].dtype() != first.dtype()) {
      throw Error(op, "shards of one shape and dtype", "shard " + std::to_string(r) + " differs");
    }
    full.slice(static_cast<std::int64_t>(axis), static_cast<std::int64_t>(r) * width, static_cast<std::int64_t>(r + 1) * width)
        .copy_from(shards[r]);
  }
  return full;
}

}  // namespace gb::parallel
