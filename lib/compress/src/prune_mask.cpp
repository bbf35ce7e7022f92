// prune_mask.cpp: unstructured magnitude pruning (lesson 26): how many weights go, which ones (the
// smallest |w|, per layer or with one global threshold), and masks applied to a model (prune.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "prune_internal.hpp"

namespace gb::compress {

// --- checks shared by the pruning files -------------------------------------------------------------------

namespace detail {

void check_unit_interval(const std::string& op, const std::string& what, double value) {
  if (!(value >= 0.0 && value <= 1.0)) throw Error(op, what + " in [0, 1]", std::to_string(value));
}

void check_weight(const std::string& op, const Tensor& weight) {
  if (!weight.defined()) throw Error(op, "a defined weight tensor", "an undefined tensor");
  if (weight.dtype() != DType::f32) throw Error(op, "an f32 weight", dtype_name(weight.dtype()));
  if (weight.numel() == 0) throw Error(op, "a non-empty weight", "shape " + shape_str(weight.shape()));
  const Tensor w = weight.contiguous();
  const float* v = w.data<float>();
  for (std::int64_t i = 0; i < w.numel(); ++i)
    if (!std::isfinite(v[i])) throw Error(op, "finite weights", std::to_string(v[i]) + " at flat index " + std::to_string(i));
}

Tensor parameter_value(const nn::Module& model, const std::string& name, const std::string& op) {
  for (const auto& [n, p] : model.named_parameters())
    if (n == name) return p.value();
  throw Error(op, "the name of a parameter of the model", "'" + name + "'");
}

}  // namespace detail

// --- how many, and which ----------------------------------------------------------------------------------

std::int64_t prune_count(std::int64_t numel, double sparsity) {
  detail::check_unit_interval("prune_count", "a sparsity", sparsity);
  if (numel < 0) throw Error("prune_count", "numel >= 0", std::to_string(numel));
  // torch.nn.utils.prune: round(amount * tensor_size), Python's round, which sends halves to the even
  // neighbour (0.5 * 7 = 3.5 -> 4, 0.5 * 5 = 2.5 -> 2). std::nearbyint in the default rounding mode
  // (to nearest, ties to even) is the same rule on the same double.
  return static_cast<std::int64_t>(std::nearbyint(sparsity * static_cast<double>(numel)));
}

Tensor magnitude_mask(const Tensor& weight, double sparsity) {
  const std::string op = "magnitude_mask";
  detail::check_weight(op, weight);
  detail::check_unit_interval(op, "a sparsity", sparsity);
  const Tensor w = weight.contiguous();
  Tensor mask = Tensor::ones(w.shape(), DType::f32);
  // BEGIN EXERCISE(compress.prune.magnitude_mask)
  // k = round(sparsity * numel) weights go. Rank the flat indices by |w|, smallest first. stable_sort keeps equal magnitudes in index order,
  // so among ties the lower index is pruned first. The first k of the ranking get a 0 in the mask.
  const std::int64_t k = prune_count(w.numel(), sparsity);
  const float* v = w.data<float>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(w.numel()));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [v](std::int64_t a, std::int64_t b) { return std::fabs(v[a]) < std::fabs(v[b]); });
  float* m = mask.data<float>();
  for (std::int64_t i = 0; i < k; ++i) m[order[static_cast<std::size_t>(i)]] = 0.0f;
  // END EXERCISE
  return mask;
}

std::vector<Tensor> global_magnitude_masks(const std::vector<Tensor>& weights, double sparsity) {
  const std::string op = "global_magnitude_masks";
  if (weights.empty()) throw Error(op, "at least one weight", "an empty list");
  detail::check_unit_interval(op, "a sparsity", sparsity);
  // One threshold over all of them is one ranking of all their weights: lay them end to end (earlier
  // tensors first, so ties go to the earlier tensor, then the lower index), prune that long vector as
  // one weight, and cut its mask back into pieces of the original shapes.
  std::int64_t total = 0;
  for (const Tensor& w : weights) {
    detail::check_weight(op, w);
    total += w.numel();
  }
  Tensor all = Tensor::empty({total}, DType::f32);
  std::int64_t at = 0;
  for (const Tensor& w : weights) {
    const Tensor c = w.contiguous();
    std::copy_n(c.data<float>(), c.numel(), all.data<float>() + at);
    at += c.numel();
  }
  const Tensor all_mask = magnitude_mask(all, sparsity);
  std::vector<Tensor> masks;
  at = 0;
  for (const Tensor& w : weights) {
    masks.push_back(all_mask.slice(0, at, at + w.numel()).reshape(w.shape()).clone());
    at += w.numel();
  }
  return masks;
}

// --- masks on a model --------------------------------------------------------------------------------------

namespace {

// The dotted names of the Linear and Conv2d weights under `module` (prefix "" at the top).
void collect_prunable(const nn::Module& module, const std::string& prefix, std::set<std::string>& names) {
  if (dynamic_cast<const nn::Linear*>(&module) != nullptr || dynamic_cast<const nn::Conv2d*>(&module) != nullptr)
    names.insert(prefix + "weight");
  for (const auto& [name, child] : module.children()) collect_prunable(*child, prefix + name + ".", names);
}

}  // namespace

std::vector<std::string> prunable_parameters(const nn::Module& model) {
  std::set<std::string> prunable;
  collect_prunable(model, "", prunable);
  std::vector<std::string> names;  // in named_parameters() order
  for (const auto& [name, p] : model.named_parameters())
    if (prunable.count(name) != 0) names.push_back(name);
  return names;
}

const char* scope_name(Scope scope) { return scope == Scope::layer ? "layer" : "global"; }

Scope scope_from_name(const std::string& name) {
  if (name == "layer") return Scope::layer;
  if (name == "global") return Scope::global;
  throw Error("scope_from_name", "a pruning scope, layer or global", "'" + name + "'");
}

Masks magnitude_masks(const nn::Module& model, double sparsity, Scope scope) {
  const std::string op = "magnitude_masks";
  detail::check_unit_interval(op, "a sparsity", sparsity);
  const std::vector<std::string> names = prunable_parameters(model);
  if (names.empty()) throw Error(op, "a model with a Linear or Conv2d weight", "none");
  std::vector<Tensor> weights;
  for (const std::string& name : names) weights.push_back(detail::parameter_value(model, name, op));
  Masks masks;
  if (scope == Scope::global) {
    const std::vector<Tensor> all = global_magnitude_masks(weights, sparsity);
    for (std::size_t i = 0; i < names.size(); ++i) masks[names[i]] = all[i];
  } else {
    for (std::size_t i = 0; i < names.size(); ++i) masks[names[i]] = magnitude_mask(weights[i], sparsity);
  }
  return masks;
}

void apply_masks(nn::Module& model, const Masks& masks) {
  const std::string op = "apply_masks";
  // Check every entry before changing anything, so a bad mask leaves the model as it was.
  std::vector<std::pair<Tensor, Tensor>> pairs;
  for (const auto& [name, mask] : masks) {
    Tensor w = detail::parameter_value(model, name, op);
    if (!mask.defined() || mask.dtype() != DType::f32 || mask.shape() != w.shape())
      throw Error(op, "an f32 mask of shape " + shape_str(w.shape()) + " for '" + name + "'",
                  mask.defined() ? std::string(dtype_name(mask.dtype())) + " " + shape_str(mask.shape()) : "undefined");
    if (w.dtype() != DType::f32 || !w.is_contiguous()) throw Error(op, "a contiguous f32 parameter '" + name + "'", "another layout");
    pairs.emplace_back(w, mask.contiguous());
  }
  // weight *= mask, straight into the parameter's storage: no tape, the Variable keeps its identity.
  for (auto& [w, mask] : pairs) {
    float* v = w.data<float>();
    const float* m = mask.data<float>();
    for (std::int64_t i = 0; i < w.numel(); ++i) v[i] *= m[i];
  }
}

SparsityCount count_sparsity(const nn::Module& model) {
  SparsityCount count;
  for (const std::string& name : prunable_parameters(model)) {
    const Tensor w = detail::parameter_value(model, name, "count_sparsity").contiguous();
    const float* v = w.data<float>();
    for (std::int64_t i = 0; i < w.numel(); ++i) count.zeros += v[i] == 0.0f ? 1 : 0;
    count.total += w.numel();
  }
  return count;
}

}  // namespace gb::compress
