// rng.cpp: PCG32 random bits, uniforms from the top bits, normals by Box-Muller.
//
// PCG32 (O'Neill 2014, pcg-random.org): a 64-bit linear congruential state, and an output function
// that xor-shifts the high bits down and rotates them by an amount taken from the top 5 bits.
// Rng(seed, stream) seeds exactly like the reference pcg32_srandom_r, so Rng(42, 54) reproduces
// pcg32-demo: 0xa15c02b7, 0x7b47f409, 0xba1d3330, ...
#include "gb/core/rng.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <type_traits>

#include "convert.hpp"

namespace gb {

namespace {
constexpr std::uint64_t kMultiplier = 6364136223846793005ULL;  // the LCG multiplier of PCG32
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) {
  inc_ = (stream << 1u) | 1u;  // the increment must be odd
  state_ = 0;
  next_u32();
  state_ += seed;
  next_u32();
}

void Rng::set_state(const State& s) {
  if ((s.inc & 1u) == 0) throw Error("Rng::set_state", "an odd increment", std::to_string(s.inc));
  state_ = s.state;
  inc_ = s.inc;
  has_spare_ = s.has_spare;
  spare_ = s.spare;
}

std::uint32_t Rng::next_u32() {
  const std::uint64_t old = state_;
  state_ = old * kMultiplier + inc_;
  const auto xorshifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
  const auto rotation = static_cast<std::uint32_t>(old >> 59u);
  return (xorshifted >> rotation) | (xorshifted << ((0u - rotation) & 31u));
}

// 53 random bits (27 + 26 from two draws) scaled into [0, 1): every double of the form k / 2^53.
double Rng::uniform(double low, double high) {
  if (!(low <= high)) {
    throw Error("uniform", "low <= high", std::to_string(low) + " and " + std::to_string(high));
  }
  const double a = next_u32() >> 5;
  const double b = next_u32() >> 6;
  const double unit = (a * 67108864.0 + b) / 9007199254740992.0;  // (a * 2^26 + b) / 2^53
  const double value = low + (high - low) * unit;
  return value < high ? value : low;  // rounding can reach high when high - low is huge
}

// Box-Muller: two uniforms give two independent standard normals; the second is kept for next time.
double Rng::normal(double mean, double stddev) {
  if (!(stddev >= 0)) throw Error("normal", "stddev >= 0", std::to_string(stddev));
  if (has_spare_) {
    has_spare_ = false;
    return mean + stddev * spare_;
  }
  const double u1 = 1.0 - uniform();  // in (0, 1], so log(u1) is finite
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return mean + stddev * radius * std::cos(angle);
}

// Unbiased: draws that fall in the incomplete last copy of the range are rejected (as in
// pcg32_boundedrand); ranges wider than 32 bits combine two draws.
std::int64_t Rng::randint(std::int64_t low, std::int64_t high) {
  if (low >= high) {
    throw Error("randint", "low < high", std::to_string(low) + " and " + std::to_string(high));
  }
  const std::uint64_t range = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  std::uint64_t draw = 0;
  if (range <= std::numeric_limits<std::uint32_t>::max()) {
    const auto bound = static_cast<std::uint32_t>(range);
    const std::uint32_t threshold = (0u - bound) % bound;
    std::uint32_t r = next_u32();
    while (r < threshold) r = next_u32();
    draw = r % bound;
  } else {
    const std::uint64_t threshold = (0ull - range) % range;
    auto next_u64 = [this] { return (static_cast<std::uint64_t>(next_u32()) << 32) | next_u32(); };
    std::uint64_t r = next_u64();
    while (r < threshold) r = next_u64();
    draw = r % range;
  }
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + draw);  // wraps back into range
}

Tensor Rng::uniform(const Shape& shape, double low, double high, DType dtype) {
  if (!is_floating(dtype)) {
    throw Error("uniform", "a floating dtype (f32 or f64; use randint for integers)", dtype_name(dtype));
  }
  if (!(low <= high)) {
    throw Error("uniform", "low <= high", std::to_string(low) + " and " + std::to_string(high));
  }
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      double value = 0;
      if constexpr (std::is_same_v<T, float>) {
        const double unit = (next_u32() >> 8) / 16777216.0;  // the top 24 bits / 2^24: a float's precision
        value = low + (high - low) * unit;
      } else {
        value = uniform(low, high);  // 53 bits: a double's precision
      }
      out[i] = detail::convert_value<T>(value);
      // Rounding to the dtype may land on the excluded end; fold it back to low, keeping [low, high).
      if (!(out[i] < static_cast<T>(high))) out[i] = detail::convert_value<T>(low);
    }
  });
  return t;
}

Tensor Rng::normal(const Shape& shape, double mean, double stddev, DType dtype) {
  if (!is_floating(dtype)) throw Error("normal", "a floating dtype (f32 or f64)", dtype_name(dtype));
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) out[i] = detail::convert_value<T>(normal(mean, stddev));
  });
  return t;
}

}  // namespace gb
