// redistribute.hpp: turning a tensor from one layout into another by inserting collectives (lesson 15).
//
// When an operator wants its input in a layout other than the one its producer left it in, MindSpore
// inserts a redistribution. Looking at each device-matrix axis, the tensor is split along some dim
// (S(d)), replicated (R) or holds partial sums (P) there, and each change is one collective run by the
// groups of devices that differ only along that axis:
//     P -> R      all-reduce                    P -> S(d)   reduce-scatter along d
//     S(d) -> R   all-gather along d            S(d) -> S(e) all-to-all (the split moves from d to e)
//     R -> S(d)   split: keep the local slice, no message      R -> P   keep on coordinate 0, zeros elsewhere
// The plan resolves partial sums first, then moves or gathers the mismatched splits (an all-to-all when
// the target dim is free, otherwise an all-gather: a swap of two axes needs one all-gather, one
// all-to-all and one split), then splits. In the backward pass every step runs in reverse: the backward
// of an all-gather is a reduce-scatter, of an all-to-all the opposite all-to-all, of a split an
// all-gather (strategy.hpp costs both directions).
// Both layouts must share the device matrix and the shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/layout.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

enum class RedistributionKind { split, all_gather, all_to_all, all_reduce, reduce_scatter, make_partial };
const char* redistribution_kind_name(RedistributionKind kind);  // "split", "all-gather", "all-to-all", ...

struct RedistributionStep {
  RedistributionKind kind = RedistributionKind::split;
  int axis = 0;                 // the device axis (from the right) its groups run along
  int from_dim = -1;            // the dim split before (all-gather, all-to-all), else -1
  int to_dim = -1;              // the dim split after (split, all-to-all, reduce-scatter), else -1
  std::vector<std::vector<int>> groups;  // one collective per group, all at once
  std::int64_t bytes = 0;       // each device's local buffer going in
  Layout before, after;
  std::string describe() const;  // "all-gather dim 0 along axis 1 (4 groups of 2)"
};

struct RedistributionPlan {
  Layout from, to;
  std::int64_t element_bytes = 4;
  std::vector<RedistributionStep> steps;  // empty when the layouts are equal
};

// Throws gb::Error for invalid layouts, different device matrices or shapes, element_bytes < 1.
RedistributionPlan plan_redistribution(const Layout& from, const Layout& to, std::int64_t element_bytes = 4);

struct RedistributionMessage {  // one message of the timed run, for the lesson's timeline
  int step = 0, from = 0, to = 0;
  std::int64_t bytes = 0;
  double start = 0, end = 0;
};

struct RedistributionCost {
  double seconds = 0;                         // the steps one after another (each waits for the last)
  std::vector<double> step_seconds;           // per step
  std::vector<std::int64_t> step_bytes_sent;  // per step: the most any device sent, counted from messages
  std::vector<RedistributionMessage> messages;  // timed runs only
};

// Timing only (no values, any size): the plan's collectives on a simulated cluster of the layout's
// devices (spec.devices is overridden), the timed collectives of collectives.hpp, ring algorithms.
RedistributionCost time_redistribution(const RedistributionPlan& plan, const ClusterSpec& spec = {});

// The real thing: `shards` (one per device, laid out as plan.from) go through the real collectives of
// collectives.hpp, and the result is laid out as plan.to. `cost`, when given, receives the measurement
// (the same as time_redistribution's, without messages). Throws gb::Error for shards that do not fit.
std::vector<Tensor> apply_redistribution(const RedistributionPlan& plan, const std::vector<Tensor>& shards,
                                         const ClusterSpec& spec = {}, RedistributionCost* cost = nullptr);

// An all-to-all without values: `bytes` is each rank's whole buffer (n chunks of bytes / n), the
// messages of all_to_all (a rank keeps its own chunk; at step s rank r sends to r + s).
Issued timed_all_to_all(Simulator& sim, const std::vector<int>& group, std::int64_t bytes, const std::vector<int>& after = {});

}  // namespace gb::parallel
