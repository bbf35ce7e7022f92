// rng.hpp: a seeded random number generator that gives the same numbers on every machine.
//
// std::normal_distribution differs between standard libraries, so recordings would not be
// byte-identical across machines. We use our own: PCG32 (O'Neill 2014) for bits, the top 24/53 bits
// for uniforms, and the Box-Muller transform for normals.
#pragma once

#include <cstdint>

#include "gb/core/tensor.hpp"

namespace gb {

class Rng {
 public:
  // PCG32 seeded like O'Neill's pcg32_srandom_r(seed, stream): Rng(42) gives the pcg32-demo
  // sequence 0xa15c02b7, 0x7b47f409, ... Different streams give independent sequences.
  explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 54);
  std::uint32_t next_u32();
  double uniform(double low = 0.0, double high = 1.0);  // [low, high)
  double normal(double mean = 0.0, double stddev = 1.0);
  std::int64_t randint(std::int64_t low, std::int64_t high);  // [low, high); throws if low >= high

  Tensor uniform(const Shape& shape, double low = 0.0, double high = 1.0, DType dtype = DType::f32);
  Tensor normal(const Shape& shape, double mean = 0.0, double stddev = 1.0, DType dtype = DType::f32);

  // The whole generator state, for checkpoints: restoring it continues the sequence exactly.
  struct State {
    std::uint64_t state = 0, inc = 0;
    bool has_spare = false;
    double spare = 0.0;
  };
  State state() const { return {state_, inc_, has_spare_, spare_}; }
  // Throws gb::Error for an even increment (no PCG32 stream has one: a corrupt checkpoint).
  void set_state(const State& s);

 private:
  std::uint64_t state_ = 0, inc_ = 0;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace gb
