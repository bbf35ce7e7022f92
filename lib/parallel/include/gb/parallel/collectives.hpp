// collectives.hpp: the communication patterns of distributed training (lesson 10), correct and timed.
//
// Every collective works on one tensor per rank of a group (the ranks are devices of the simulator's
// cluster) and issues its messages as Tasks on the Simulator: each message occupies the sender's
// communication stream and the directed link for alpha + beta x bytes, and its action moves the real
// values (so the result is computed by the messages, step by step, not by a shortcut). Tensors share
// their storage: the caller's tensors hold the results once Simulator::run() has run the actions.
//
// The ring all-reduce is reduce-scatter then all-gather over n chunks: 2(n-1) steps, each rank sending
// one chunk of S/n bytes per step, 2(n-1)/n x S in all; when n does not divide numel the chunks differ
// by at most one element (ring.hpp). The tree reduces to rank 0 and broadcasts back over a binomial tree
// (2 ceil(log2 n) rounds, S per message; a rank takes in one partial sum at a time). Recursive doubling
// exchanges whole buffers with the partner r xor 2^k (log2 n rounds; n must be a power of two). Times
// follow Thakur, Rabenseifner and Gropp 2005 (reductions cost no time: gamma = 0). See ring.hpp and
// collectives_*.cpp for each algorithm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

enum class AllReduceAlgorithm { ring, tree, recursive_doubling };
const char* algorithm_name(AllReduceAlgorithm a);             // "ring", "tree", "recursive_doubling"
AllReduceAlgorithm algorithm_from_name(const std::string& name);  // throws gb::Error for an unknown name

enum class ReduceOp { sum, mean, max };

// What a collective issued: the tasks to wait for on each rank (in group order) and the bytes each
// rank sends. `after` in the calls below: tasks every rank's first message waits for (may be empty).
struct Issued {
  std::vector<int> done;                   // per rank: a zero-length task after every task that read or
                                           // wrote its buffer (its result is complete, its buffer free)
  std::vector<std::int64_t> bytes_sent;    // per rank
  std::vector<int> tasks;                  // every task id issued, in order
  int steps = 0;                           // communication rounds
};

// group: distinct device ids (rank r is group[r]); root: a rank, i.e. a position in the group. broadcast
// and reduce use a binomial tree (ceil(log2 n) rounds); reduce leaves partial sums in the non-root
// ranks' tensors. data: one tensor per rank (same shape, f32 or f64, contiguous). Throws
// gb::Error(collective, expected, given) for mismatched shapes/dtypes, an empty group, unknown devices.
Issued broadcast(Simulator& sim, const std::vector<int>& group, std::vector<Tensor>& data, int root,
                 const std::vector<int>& after = {});
Issued reduce(Simulator& sim, const std::vector<int>& group, std::vector<Tensor>& data, int root,
              ReduceOp op = ReduceOp::sum, const std::vector<int>& after = {});
Issued all_reduce(Simulator& sim, const std::vector<int>& group, std::vector<Tensor>& data,
                  AllReduceAlgorithm algorithm = AllReduceAlgorithm::ring, ReduceOp op = ReduceOp::sum,
                  const std::vector<int>& after = {});
// reduce_scatter: in[r] is the full tensor on rank r (numel divisible by n); out[r] receives chunk r of
// the reduction (numel / n elements, flat). all_gather: in[r] is rank r's chunk; out[r] receives the
// concatenation of every chunk in rank order. Both are the halves of the ring. reduce_scatter keeps its
// inputs (partial sums travel in scratch buffers); out[r] may be rank r's own chunk of in[r].
Issued reduce_scatter(Simulator& sim, const std::vector<int>& group, const std::vector<Tensor>& in,
                      std::vector<Tensor>& out, ReduceOp op = ReduceOp::sum, const std::vector<int>& after = {});
Issued all_gather(Simulator& sim, const std::vector<int>& group, const std::vector<Tensor>& in,
                  std::vector<Tensor>& out, const std::vector<int>& after = {});
// all_to_all: in[r] split into n equal chunks along dim 0; chunk j goes to rank j, landing at position r
// (pairwise exchange: at step s rank r sends to r + s; out must not share storage with in).
Issued all_to_all(Simulator& sim, const std::vector<int>& group, const std::vector<Tensor>& in,
                  std::vector<Tensor>& out, const std::vector<int>& after = {});
// One message: `data` (on `from`) copied into `into` (on `to`); returns the task id.
int send_recv(Simulator& sim, int from, int to, const Tensor& data, Tensor into, const std::vector<int>& after = {});

// Timed only: the same messages as the collectives above, with their times and bytes, but no values
// (no tensors exist). For costing models too big to hold (the hybrid and auto-parallel planners, lesson
// 15). bytes: each rank's whole buffer for all-reduce and reduce-scatter, each rank's chunk for all-gather.
// reduce_scatter and all_gather are the ring's halves; bytes need not divide by n (chunks of whole bytes
// differing by at most one). Throws gb::Error for an empty group, unknown devices or bytes < 0.
Issued timed_all_reduce(Simulator& sim, const std::vector<int>& group, std::int64_t bytes,
                        AllReduceAlgorithm algorithm = AllReduceAlgorithm::ring, const std::vector<int>& after = {});
Issued timed_reduce_scatter(Simulator& sim, const std::vector<int>& group, std::int64_t bytes,
                            const std::vector<int>& after = {});
Issued timed_all_gather(Simulator& sim, const std::vector<int>& group, std::int64_t bytes,
                        const std::vector<int>& after = {});
int timed_send(Simulator& sim, int from, int to, std::int64_t bytes, const std::vector<int>& after = {});

// The time and volume of one all-reduce of `bytes` over n devices joined by one link cost, measured by
// running it on a fresh simulator (a flat cluster, every pair at `link`).
struct CollectiveCost {
  double seconds = 0;
  std::int64_t bytes_sent_per_rank = 0;  // the largest over ranks
  int steps = 0;
};
CollectiveCost all_reduce_cost(AllReduceAlgorithm algorithm, int n, std::int64_t bytes, LinkCost link);

}  // namespace gb::parallel
