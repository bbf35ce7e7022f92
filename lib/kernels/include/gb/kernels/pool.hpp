// pool.hpp: max and average pooling over NCHW f32 tensors, with PyTorch's rules (lesson 20).
//
// Output size per axis: floor((in + 2*pad - dilation*(k-1) - 1) / stride) + 1, or with ceil_mode
// the ceiling, except that a last window starting beyond the input and its left padding is dropped
// (as torch.nn.functional.max_pool2d / avg_pool2d do). The padding never wins a max (it is -inf);
// for the average, count_include_pad divides by the window clipped to the padded input, otherwise by
// the number of real input values in it.
#pragma once

#include <cstdint>

#include "gb/core/tensor.hpp"

namespace gb::kernels {

struct Pool2dParams {
  std::int64_t kernel_h = 2, kernel_w = 2;
  std::int64_t stride_h = 0, stride_w = 0;  // 0 = the kernel size (PyTorch's default)
  std::int64_t pad_h = 0, pad_w = 0;        // on both sides; at most half the kernel
  std::int64_t dilation_h = 1, dilation_w = 1;  // max pooling only
  bool ceil_mode = false;
  bool count_include_pad = true;  // average pooling only

  static Pool2dParams square(std::int64_t kernel, std::int64_t stride = 0, std::int64_t pad = 0, bool ceil_mode = false) {
    Pool2dParams p;
    p.kernel_h = p.kernel_w = kernel;
    p.stride_h = p.stride_w = stride;
    p.pad_h = p.pad_w = pad;
    p.ceil_mode = ceil_mode;
    return p;
  }
};

// The pooled size of one axis (PyTorch's pooling_output_shape); throws gb::Error for bad parameters.
std::int64_t pool_output_size(std::int64_t in, std::int64_t kernel, std::int64_t pad, std::int64_t stride,
                              std::int64_t dilation, bool ceil_mode);

// x [N, C, H, W] f32 (any strides) -> [N, C, OH, OW]. Throws gb::Error for another rank or dtype, an
// empty tensor, kernel/stride/dilation < 1, padding < 0 or above half the kernel, an empty output, or
// (average) a dilation other than 1.
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);

}  // namespace gb::kernels
