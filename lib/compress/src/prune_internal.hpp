// prune_internal.hpp: what the pruning files share (not installed): input checks and parameter lookup.
#pragma once

#include <cstdint>
#include <string>

#include "gb/core/tensor.hpp"
#include "gb/nn/module.hpp"

namespace gb::compress::detail {

// A sparsity (or fraction) in [0, 1]; throws gb::Error(op, "<what> in [0, 1]", value) otherwise, NaN included.
void check_unit_interval(const std::string& op, const std::string& what, double value);

// A weight we can rank by magnitude: defined, f32, non-empty, every value finite.
void check_weight(const std::string& op, const Tensor& weight);

// The parameter `name` of `model` (its own tensor, shared: writing into it changes the model). Throws
// gb::Error(op, ...) naming the name when the model has no such parameter.
Tensor parameter_value(const nn::Module& model, const std::string& name, const std::string& op);

}  // namespace gb::compress::detail
