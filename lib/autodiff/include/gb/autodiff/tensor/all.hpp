// all.hpp: reverse-mode automatic differentiation on Tensors (lesson 04 reverse mode, lesson 05).
#pragma once

#include "gb/autodiff/tensor/checkpoint.hpp"
#include "gb/autodiff/tensor/jacobian.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/autodiff/tensor/variable.hpp"
