// cost.cpp: what a model costs for one image (prune.hpp): learned scalars, the ones pruning left
// nonzero, and multiply-adds, found by following the image's shape through the layers.
#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/pool.hpp"

namespace gb::compress {

namespace {

// The [C, H, W] shape after a pooling layer (max: with its dilation; average: dilation 1).
Shape pooled(const Shape& s, const kernels::Pool2dParams& p, bool dilated) {
  const std::int64_t sh = p.stride_h > 0 ? p.stride_h : p.kernel_h, sw = p.stride_w > 0 ? p.stride_w : p.kernel_w;
  return {s[0], kernels::pool_output_size(s[1], p.kernel_h, p.pad_h, sh, dilated ? p.dilation_h : 1, p.ceil_mode),
          kernels::pool_output_size(s[2], p.kernel_w, p.pad_w, sw, dilated ? p.dilation_w : 1, p.ceil_mode)};
}

}  // namespace

ModelCost model_cost(const nn::Sequential& model, const std::vector<std::int64_t>& image_shape) {
  const std::string op = "model_cost";
  if (image_shape.empty()) throw Error(op, "the shape of one image, e.g. [1, 8, 8]", "[]");
  for (std::int64_t d : image_shape)
    if (d < 1) throw Error(op, "an image shape of sizes >= 1", shape_str(image_shape));
  ModelCost cost;
  for (const auto& [name, p] : model.named_parameters()) {
    const Tensor v = p.value().contiguous();
    cost.parameters += v.numel();
    const std::vector<double> values = v.to_vector();
    for (double x : values) cost.nonzero_parameters += x != 0.0 ? 1 : 0;
  }
  Shape s = image_shape;  // the activation of one image, without the batch axis
  for (const auto& [name, layer] : model.children()) {
    const std::string where = "layer " + name + " (" + layer->describe() + ") on an input of shape " + shape_str(s);
    if (auto* conv = dynamic_cast<const nn::Conv2d*>(layer.get())) {
      if (s.size() != 3) throw Error(op, "a [C, H, W] input to a Conv2d", where);
      // One output element is a dot product of IC/groups * KH * KW pairs: that many multiply-adds.
      const kernels::ConvShape c = kernels::conv_shape({1, s[0], s[1], s[2]}, conv->weight.shape(), conv->params, op);
      cost.macs += c.out_channels * c.out_h * c.out_w * c.group_in() * c.kernel_h * c.kernel_w;
      s = {c.out_channels, c.out_h, c.out_w};
    } else if (auto* linear = dynamic_cast<const nn::Linear*>(layer.get())) {
      if (s.empty() || s.back() != linear->in_features)
        throw Error(op, "an input of " + std::to_string(linear->in_features) + " features to the Linear", where);
      // Every output of every row is a dot product of in_features pairs.
      cost.macs += shape_numel(s) / linear->in_features * linear->out_features * linear->in_features;
      s.back() = linear->out_features;
    } else if (dynamic_cast<const nn::Flatten*>(layer.get()) != nullptr) {
      s = {shape_numel(s)};
    } else if (auto* max = dynamic_cast<const nn::MaxPool2d*>(layer.get())) {
      if (s.size() != 3) throw Error(op, "a [C, H, W] input to a pooling layer", where);
      s = pooled(s, max->params, true);
    } else if (auto* avg = dynamic_cast<const nn::AvgPool2d*>(layer.get())) {
      if (s.size() != 3) throw Error(op, "a [C, H, W] input to a pooling layer", where);
      s = pooled(s, avg->params, false);
    } else if (auto* bn = dynamic_cast<const nn::BatchNorm*>(layer.get())) {
      if (s[0] != bn->num_features) throw Error(op, std::to_string(bn->num_features) + " channels into the BatchNorm", where);
    }
    // BatchNorm, activations and Dropout keep the shape and are counted as free (at inference BatchNorm
    // folds into the convolution before it; an activation is a comparison, not a multiply-add).
  }
  return cost;
}

}  // namespace gb::compress
