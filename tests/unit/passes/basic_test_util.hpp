// basic_test_util.hpp: what the tests of the basic passes share (basic_passes_test.cpp,
// pass_manager_test.cpp): random feeds, op counts, and the oracle every pass test ends with — the
// optimised graph, fed the same random inputs, gives the same bits as run_fifo of the original graph.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/graph/executor.hpp"
#include "gb/passes/pass_manager.hpp"

namespace gb::passes::testing {

using Ints = std::vector<std::int64_t>;
using graph::ValueId;

// A random tensor for a placeholder: f32 uniform in [-1, 1), integer codes over the dtype's range
// (u8, i8), small integers otherwise. A dynamic size (-1) becomes 2.
inline Tensor random_tensor(const graph::ValueInfo& info, std::uint64_t seed) {
  Shape shape = info.shape;
  for (std::int64_t& d : shape) d = d < 0 ? 2 : d;
  Rng rng(seed);
  if (info.dtype == DType::f32 || info.dtype == DType::f64) return rng.uniform(shape, -1.0, 1.0, info.dtype);
  const double lo = info.dtype == DType::u8 ? 0 : info.dtype == DType::i8 ? -128 : -100;
  const double hi = info.dtype == DType::u8 ? 256 : info.dtype == DType::i8 ? 128 : 100;
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (double& e : v) e = static_cast<double>(rng.randint(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi)));
  return Tensor::from_values(v, shape, info.dtype);
}

inline graph::Feeds random_feeds(const Graph& g, std::uint64_t seed) {
  graph::Feeds feeds;
  for (ValueId v : g.inputs()) {
    const graph::Node& p = g.node(g.value(v).producer);
    feeds[p.attr_string("name")] = random_tensor(g.value(v).info, seed++);
  }
  return feeds;
}

inline std::size_t count_op(const Graph& g, const std::string& op) {
  std::size_t n = 0;
  for (const graph::Node& node : g.nodes()) n += node.op == op ? 1 : 0;
  return n;
}

inline std::vector<std::string> rules(const std::vector<Rewrite>& log) {
  std::vector<std::string> names;
  for (const Rewrite& w : log) names.push_back(w.rule);
  return names;
}

inline NodeId producer(const Graph& g, ValueId v) { return g.value(v).producer; }

// Same dtype, shape and bytes. With `zero_sign_free`, -0.0 and +0.0 count as equal (x + 0 -> x turns
// one into the other; every other basic rule is exact to the bit).
inline bool same_bits(const Tensor& a, const Tensor& b, bool zero_sign_free = false) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  if (zero_sign_free && a.dtype() == DType::f32) {
    const float *pa = ca.data<float>(), *pb = cb.data<float>();
    for (std::int64_t i = 0; i < a.numel(); ++i) {
      if (std::memcmp(pa + i, pb + i, sizeof(float)) != 0 && !(pa[i] == 0.0f && pb[i] == 0.0f)) return false;
    }
    return true;
  }
  return std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

// The graph's signature survives: the same placeholders (names, infos) in the same order.
inline void expect_same_inputs(const Graph& original, const Graph& optimised) {
  ASSERT_EQ(original.inputs().size(), optimised.inputs().size());
  for (std::size_t k = 0; k < original.inputs().size(); ++k) {
    const graph::Value &a = original.value(original.inputs()[k]), &b = optimised.value(optimised.inputs()[k]);
    EXPECT_EQ(original.node(a.producer).attr_string("name"), optimised.node(b.producer).attr_string("name"));
    EXPECT_EQ(a.info, b.info);
  }
}

// The oracle: run_fifo of the original on random feeds, bit for bit.
inline void expect_same_outputs(const Graph& original, const Graph& optimised, std::uint64_t seed,
                                bool zero_sign_free = false) {
  expect_same_inputs(original, optimised);
  const graph::Feeds feeds = random_feeds(original, seed);
  const std::vector<Tensor> want = graph::run_fifo(original, feeds).outputs;
  const std::vector<Tensor> got = graph::run_fifo(optimised, feeds).outputs;
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    EXPECT_TRUE(same_bits(want[k], got[k], zero_sign_free)) << "output " << k << ": want " << want[k].str() << "\ngot "
                                                            << got[k].str();
  }
}

// One pass on its own.
inline Graph apply(const Pass& pass, const Graph& g, std::vector<Rewrite>& log) { return pass.run(g, log); }

}  // namespace gb::passes::testing
