// filters.cpp: structured pruning (lesson 26, Li et al. 2017, "Pruning Filters for Efficient ConvNets"):
// rank the filters of each convolution by their L1 norm, and build a genuinely smaller Sequential
// without the weakest ones (prune.hpp).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "prune_internal.hpp"

namespace gb::compress {

// --- ranking the filters ----------------------------------------------------------------------------------

Tensor filter_l1_norms(const Tensor& conv_weight) {
  const std::string op = "filter_l1_norms";
  if (!conv_weight.defined() || conv_weight.dtype() != DType::f32 || conv_weight.ndim() != 4)
    throw Error(op, "a 4-D f32 convolution weight [OC, IC, KH, KW]",
                conv_weight.defined() ? std::string(dtype_name(conv_weight.dtype())) + " " + shape_str(conv_weight.shape())
                                      : "an undefined tensor");
  const Tensor w = conv_weight.contiguous();
  const std::int64_t filters = w.size(0);
  Tensor norms = Tensor::zeros({filters}, DType::f32);
  // BEGIN EXERCISE(compress.prune.filter_ranking)
  // ||W[oc]||_1 = sum over (ic, kh, kw) of |W[oc, ic, kh, kw]|: in row-major order filter oc is the
  // contiguous block of IC * KH * KW values starting at oc * IC * KH * KW. Sum in double, round once.
  const std::int64_t per_filter = filters > 0 ? w.numel() / filters : 0;  // IC * KH * KW
  const float* v = w.data<float>();
  for (std::int64_t oc = 0; oc < filters; ++oc) {
    double sum = 0;
    for (std::int64_t i = 0; i < per_filter; ++i) sum += std::fabs(static_cast<double>(v[oc * per_filter + i]));
    norms.data<float>()[oc] = static_cast<float>(sum);
  }
  // END EXERCISE
  return norms;
}

std::vector<std::int64_t> filters_to_prune(const Tensor& conv_weight, std::int64_t count) {
  const Tensor norms = filter_l1_norms(conv_weight);
  const std::int64_t filters = norms.numel();
  if (count < 0 || count > filters - 1)
    throw Error("filters_to_prune", "a count in [0, " + std::to_string(filters - 1) + "] (a layer keeps one filter)",
                std::to_string(count));
  std::vector<std::int64_t> chosen;
  // BEGIN EXERCISE(compress.prune.filter_ranking)
  // Rank the filters by norm, smallest first (stable: equal norms keep index order, so the lower index
  // goes first), take the first `count`, and hand them back sorted by index.
  const float* n = norms.data<float>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(filters));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(), [n](std::int64_t a, std::int64_t b) { return n[a] < n[b]; });
  chosen.assign(order.begin(), order.begin() + count);
  std::sort(chosen.begin(), chosen.end());
  // END EXERCISE
  return chosen;
}

// --- building the smaller model ---------------------------------------------------------------------------

namespace {

// t with only the entries `keep` along `axis` (in that order): a new contiguous tensor.
Tensor take(const Tensor& t, std::int64_t axis, const std::vector<std::int64_t>& keep) {
  Shape shape = t.shape();
  shape[static_cast<std::size_t>(axis)] = static_cast<std::int64_t>(keep.size());
  Tensor out = Tensor::empty(shape, t.dtype());
  for (std::size_t j = 0; j < keep.size(); ++j)
    out.select(axis, static_cast<std::int64_t>(j)).copy_from(t.select(axis, keep[j]));
  return out;
}

// Copies `value` into the parameter's (or buffer's) own tensor: the new layer keeps its Variables.
void assign(const Tensor& destination, const Tensor& value) {
  Tensor d = destination;
  d.copy_from(value);
}

std::vector<std::int64_t> all_of(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), std::int64_t{0});
  return v;
}

// The complement of `removed` (sorted) in 0..n-1.
std::vector<std::int64_t> kept_of(std::int64_t n, const std::vector<std::int64_t>& removed) {
  std::vector<std::int64_t> kept;
  for (std::int64_t i = 0; i < n; ++i)
    if (!std::binary_search(removed.begin(), removed.end(), i)) kept.push_back(i);
  return kept;
}

// What the walk knows about the activation between two layers: which channels of the original model
// survive (none known before the first convolution), how many the original had, and whether Flatten
// has already turned the channels into features.
struct Channels {
  std::optional<std::vector<std::int64_t>> kept;
  std::int64_t original = 0;
  bool flattened = false;
};

}  // namespace

FilterPruning prune_filters(const nn::Sequential& model, double fraction) {
  const std::string op = "prune_filters";
  if (!(fraction >= 0.0 && fraction < 1.0)) throw Error(op, "a fraction of filters in [0, 1)", std::to_string(fraction));
  Rng rng(0);  // the new layers' initial values, all overwritten below
  FilterPruning result;
  result.model = std::make_shared<nn::Sequential>();
  Channels ch;
  const auto children = model.children();
  for (const auto& [name, layer] : children) {
    const std::string where = "layer " + name + " (" + layer->describe() + ")";
    if (auto* conv = dynamic_cast<const nn::Conv2d*>(layer.get())) {
      if (conv->params.groups != 1) throw Error(op, "Conv2d layers with groups == 1", where);
      if (ch.flattened) throw Error(op, "no Conv2d after Flatten", where);
      // Its input channels: those the previous convolution kept (all of them for the first one).
      const std::vector<std::int64_t> in = ch.kept ? *ch.kept : all_of(conv->in_channels);
      // Its own filters: round(fraction * OC), half to even, at most OC - 1, ranked on the original
      // weight (Li et al.'s "independent" strategy: each layer judged on its own trained filters).
      const std::int64_t oc = conv->out_channels;
      const std::int64_t count = std::min(prune_count(oc, fraction), oc - 1);
      const std::vector<std::int64_t> removed = filters_to_prune(conv->weight.value(), count);
      const std::vector<std::int64_t> out = kept_of(oc, removed);
      auto small = std::make_shared<nn::Conv2d>(static_cast<std::int64_t>(in.size()), static_cast<std::int64_t>(out.size()),
                                                conv->kernel_size, rng, conv->params, conv->bias.defined());
      assign(small->weight.value(), take(take(conv->weight.value(), 0, out), 1, in));
      if (conv->bias.defined()) assign(small->bias.value(), take(conv->bias.value(), 0, out));
      result.model->add(small);
      result.removed[name] = removed;
      ch = {out, oc, false};
    } else if (auto* bn = dynamic_cast<const nn::BatchNorm*>(layer.get())) {
      if (ch.flattened) throw Error(op, "no BatchNorm after Flatten (its features would mix channels)", where);
      const std::vector<std::int64_t> keep = ch.kept ? *ch.kept : all_of(bn->num_features);
      if (ch.kept && bn->num_features != ch.original)
        throw Error(op, "a BatchNorm of " + std::to_string(ch.original) + " channels", where);
      auto small = std::make_shared<nn::BatchNorm>(static_cast<std::int64_t>(keep.size()), bn->spatial, bn->eps, bn->momentum);
      // The channel's scale and shift go with it, and so do its running statistics (eval mode uses them).
      assign(small->weight.value(), take(bn->weight.value(), 0, keep));
      assign(small->bias.value(), take(bn->bias.value(), 0, keep));
      const auto old_buffers = bn->named_buffers();
      for (const auto& [buffer, value] : small->named_buffers()) {
        for (const auto& [old_name, old_value] : old_buffers)
          if (old_name == buffer) assign(value, old_value.ndim() == 1 ? take(old_value, 0, keep) : old_value);
      }
      result.model->add(small);
    } else if (auto* linear = dynamic_cast<const nn::Linear*>(layer.get())) {
      std::vector<std::int64_t> features = all_of(linear->in_features);
      if (ch.kept && !ch.flattened) throw Error(op, "Flatten between a Conv2d and a Linear", where);
      if (ch.kept) {
        // After Flatten, channel c of [C, H, W] owns the features c * HW ... c * HW + HW - 1.
        if (linear->in_features % ch.original != 0)
          throw Error(op, "a Linear whose inputs are the " + std::to_string(ch.original) + " channels, flattened", where);
        const std::int64_t hw = linear->in_features / ch.original;
        features.clear();
        for (std::int64_t c : *ch.kept)
          for (std::int64_t j = 0; j < hw; ++j) features.push_back(c * hw + j);
      }
      auto small = std::make_shared<nn::Linear>(static_cast<std::int64_t>(features.size()), linear->out_features, rng,
                                                linear->bias.defined());
      assign(small->weight.value(), take(linear->weight.value(), 1, features));
      if (linear->bias.defined()) assign(small->bias.value(), linear->bias.value());
      result.model->add(small);
      ch = {};  // its outputs are all there
      ch.flattened = true;
    } else if (dynamic_cast<const nn::Flatten*>(layer.get()) != nullptr) {
      result.model->add(std::make_shared<nn::Flatten>());
      ch.flattened = true;
    } else if (auto* drop = dynamic_cast<const nn::Dropout*>(layer.get())) {
      auto copy = std::make_shared<nn::Dropout>(drop->p);
      copy->rng = drop->rng;  // the same masks from here on
      result.model->add(copy);
    } else if (dynamic_cast<const nn::ReLU*>(layer.get()) != nullptr) {
      result.model->add(std::make_shared<nn::ReLU>());  // channel by channel: nothing to remove
    } else if (auto* max = dynamic_cast<const nn::MaxPool2d*>(layer.get())) {
      result.model->add(std::make_shared<nn::MaxPool2d>(max->params));
    } else if (auto* avg = dynamic_cast<const nn::AvgPool2d*>(layer.get())) {
      result.model->add(std::make_shared<nn::AvgPool2d>(avg->params));
    } else {
      throw Error(op, "a Sequential of Conv2d, BatchNorm, ReLU, MaxPool2d, AvgPool2d, Flatten, Dropout, Linear", where);
    }
  }
  result.model->eval();
  return result;
}

}  // namespace gb::compress
