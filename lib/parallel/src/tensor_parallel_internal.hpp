// tensor_parallel_internal.hpp: small helpers shared by the tensor-parallel sources (lesson 13).
#pragma once

#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/parallel/tensor_parallel.hpp"

namespace gb::parallel::tp_detail {

// Shard i of every rank (or its gradient), in rank order: what tp_unshard puts back together.
inline std::vector<Tensor> gathered(const std::vector<std::vector<autodiff::Variable>>& shards, std::size_t i, bool grad) {
  std::vector<Tensor> out;
  for (const auto& rank : shards) out.push_back(grad ? rank[i].grad().value() : rank[i].value());
  return out;
}

// Row i has a one at column id_i - first when first <= id_i < first + width (a rank's vocabulary range;
// first = 0, width = V: the plain one-hot rows).
inline Tensor one_hot_in_range(const Tensor& ids, std::int64_t first, std::int64_t width) {
  const std::vector<double> v = ids.to_vector();
  Tensor out = Tensor::zeros({static_cast<std::int64_t>(v.size()), width});
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto local = static_cast<std::int64_t>(v[i]) - first;
    if (local >= 0 && local < width) out.set({static_cast<std::int64_t>(i), local}, 1.0);
  }
  return out;
}

// x + z on every rank (the residual connection: each rank adds its own copies, no communication).
TpActivation residual(TpGroup& g, const TpActivation& x, const TpActivation& z, TaskKind kind);

}  // namespace gb::parallel::tp_detail
