// conv_test_helpers.hpp: random convolution cases and comparisons, shared by the convolution unit
// and exercise tests. `direct` (NCHW) is the reference every algorithm is compared with.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "gb/core/rng.hpp"
#include "gb/kernels/conv.hpp"

namespace gb_conv_test {

namespace kn = gb::kernels;

struct ConvCase {
  gb::Shape x, w;
  kn::Conv2dParams p;
  bool bias = true;
};

inline std::string describe(const ConvCase& c) {
  auto str = [](const gb::Shape& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
    return out + "]";
  };
  const kn::Conv2dParams& p = c.p;
  return "x" + str(c.x) + " w" + str(c.w) + " stride " + std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) +
         " pad t" + std::to_string(p.pad_top) + " l" + std::to_string(p.pad_left) + " b" + std::to_string(p.pad_bottom) +
         " r" + std::to_string(p.pad_right) + " dil " + std::to_string(p.dilation_h) + "x" + std::to_string(p.dilation_w) +
         " groups " + std::to_string(p.groups) + (c.bias ? " bias" : "");
}

// A random case whose output is non-empty. winograd_only: 3x3, stride 1, dilation 1.
inline ConvCase random_case(gb::Rng& rng, bool winograd_only) {
  for (;;) {
    ConvCase c;
    c.p.groups = rng.randint(1, 4);
    const std::int64_t icg = rng.randint(1, 6), ocg = rng.randint(1, 6);
    const std::int64_t kh = winograd_only ? 3 : rng.randint(1, 5), kw = winograd_only ? 3 : rng.randint(1, 5);
    c.x = {rng.randint(1, 3), icg * c.p.groups, rng.randint(1, 12), rng.randint(1, 12)};
    c.w = {ocg * c.p.groups, icg, kh, kw};
    if (!winograd_only) {
      c.p.stride_h = rng.randint(1, 4);
      c.p.stride_w = rng.randint(1, 4);
      c.p.dilation_h = rng.randint(1, 3);
      c.p.dilation_w = rng.randint(1, 3);
    }
    c.p.pad_top = rng.randint(0, 3);
    c.p.pad_left = rng.randint(0, 3);
    c.p.pad_bottom = rng.randint(0, 3);
    c.p.pad_right = rng.randint(0, 3);
    c.bias = rng.randint(0, 2) == 1;
    if (c.x[2] + c.p.pad_top + c.p.pad_bottom < c.p.dilation_h * (kh - 1) + 1) continue;
    if (c.x[3] + c.p.pad_left + c.p.pad_right < c.p.dilation_w * (kw - 1) + 1) continue;
    return c;
  }
}

inline double max_abs_diff(const gb::Tensor& a, const gb::Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  if (a.shape() != b.shape()) return INFINITY;
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < va.size(); ++i) m = std::max(m, std::fabs(va[i] - vb[i]));
  return m;
}

// Runs `algo` and `direct` on random inputs of the case and checks they agree to fp32 rounding.
inline void check_against_direct(kn::ConvAlgo algo, const ConvCase& c, std::uint64_t seed, double tol = 1e-4) {
  gb::Rng rng(seed);
  const gb::Tensor x = rng.uniform(c.x, -1, 1), w = rng.uniform(c.w, -1, 1);
  const gb::Tensor b = c.bias ? rng.uniform({c.w[0]}, -1, 1) : gb::Tensor();
  const gb::Tensor expected = kn::conv2d(x, w, b, c.p, kn::ConvAlgo::direct);
  const gb::Tensor got = kn::conv2d(x, w, b, c.p, algo);
  EXPECT_LE(max_abs_diff(got, expected), tol) << kn::conv_algo_name(algo) << " " << describe(c);
}

}  // namespace gb_conv_test
