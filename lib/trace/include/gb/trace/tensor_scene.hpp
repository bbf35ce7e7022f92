// tensor_scene.hpp: a Tensor scene from a gb::Tensor (the only place trace needs core).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/trace/recording.hpp"

namespace gb::trace {

// 0-D -> 1x1, 1-D -> 1 x n, 2-D -> rows x cols; higher ranks are flattened to (prod(leading), last).
Scene tensor_scene(const std::string& id, const std::string& title, const Tensor& t);
// Flat row-major cell index of a tensor index in that 2-D view.
std::int64_t tensor_cell(const Tensor& t, const std::vector<std::int64_t>& index);

}  // namespace gb::trace
