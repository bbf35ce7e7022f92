// collectives_internal.hpp: what the collectives share (collectives*.cpp): the buffers they work on, the
// element loops of a reduction, and Messages, which issues a collective's tasks and fills its Issued.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/ring.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel::detail {

// One flat, contiguous tensor per rank, or none at all: a dry run times the messages without moving
// values (all_reduce_cost, benchmarks). numel and element_size describe every rank's buffer.
struct Buffers {
  std::vector<Tensor> flat;
  std::int64_t numel = 0;
  std::int64_t element_size = 4;
  bool dry() const { return flat.empty(); }
  std::int64_t bytes(std::int64_t elements) const { return elements * element_size; }
};

// A dry buffer set of `bytes` bytes per rank (element size 1, so any byte count works).
Buffers dry_buffers(std::int64_t bytes);
// Checks a collective's arguments (distinct known devices, one tensor per rank, same shape and dtype,
// f32 or f64, contiguous) and returns the tensors as flat views of the caller's storage.
Buffers checked_buffers(const std::string& collective, const Simulator& sim, const std::vector<int>& group,
                        const std::vector<Tensor>& data);
void check_group(const std::string& collective, const Simulator& sim, const std::vector<int>& group);

// The element loops, on flat tensors of one dtype (f32 or f64), `count` elements from the offsets.
// combine: dst = op(dst, src), where mean adds (the division by n comes once, at the end).
void combine(const Tensor& dst, std::int64_t dst_at, const Tensor& src, std::int64_t src_at, std::int64_t count,
             ReduceOp op);
void copy_elements(const Tensor& dst, std::int64_t dst_at, const Tensor& src, std::int64_t src_at, std::int64_t count);
void scale_elements(const Tensor& t, std::int64_t at, std::int64_t count, double factor);

// Issues the tasks of one collective over `group` (ranks are positions in the group). A message holds
// the sender's communication stream and the directed link for alpha + beta x bytes (the cluster's cost
// of that pair); its action moves the values when it starts. The collective's `after` is added to every
// task that has no dependency inside the collective (its first tasks). finish() adds one zero-length "done" task per rank that waits for
// every task that read or wrote that rank's buffer, so a caller may reuse the buffer after it.
class Messages {
 public:
  Messages(Simulator& sim, const std::vector<int>& group, std::string collective, const std::vector<int>& after);
  int size() const { return static_cast<int>(group_.size()); }
  Simulator& sim() { return sim_; }
  int send(int from, int to, std::int64_t bytes, std::vector<int> after, std::function<void()> action, int step,
           const std::string& what);
  // A zero-length task on the rank's communication stream (a local copy, the division of a mean).
  int local(int rank, std::vector<int> after, std::function<void()> action, const std::string& what);
  Issued finish(int steps);

 private:
  std::vector<int> with_start(std::vector<int> after) const;
  Simulator& sim_;
  std::vector<int> group_;
  std::string collective_;
  std::vector<int> after_;
  std::vector<std::vector<int>> touched_;  // per rank: tasks that read or wrote its buffer
  Issued issued_;
};

// ---- the algorithms (collectives_ring.cpp, collectives_tree.cpp) ---------------------------------------

// A ring message as it arrives, for recordings: `task` is its id.
struct RingEvent {
  int task = 0;
  RingPhase phase = RingPhase::reduce_scatter;
  int step = 0, from = 0, to = 0, chunk = 0;
};
using RingObserver = std::function<void(const RingEvent&)>;

// Reduce-scatter over n chunks of `work` (n - 1 steps): the receiver of chunk c at step s computes
// work[q][c] = op(in[q][c], incoming), where incoming is in[p][c] at step 0 and work[p][c] after. At the
// last step the result goes to owned[q] (whole) when `owned` is not empty, else stays in work[q][c];
// for a mean it is divided by n there. in and work may be the same buffers. Returns, per rank, its last
// receive.
std::vector<int> ring_reduce_scatter(Messages& m, const Buffers& in, const Buffers& work,
                                     const std::vector<Tensor>& owned, ReduceOp op, const std::vector<int>& ready,
                                     const RingObserver& observe);
// All-gather over n chunks of `buffers` (n - 1 steps), each rank starting from its own complete chunk;
// ready[r]: the task after which rank r's chunk r is complete (or -1). Returns each rank's last receive.
std::vector<int> ring_all_gather(Messages& m, const Buffers& buffers, const std::vector<int>& ready,
                                 const RingObserver& observe);

// Binomial trees rooted at rank `root`, ceil(log2 n) rounds each (collectives_tree.cpp). Return, per
// rank, the last task that wrote its buffer (-1: none).
std::vector<int> binomial_broadcast(Messages& m, const Buffers& buffers, int root, const std::vector<int>& ready);
std::vector<int> binomial_reduce(Messages& m, const Buffers& buffers, int root, ReduceOp op);
// Recursive doubling: log2 n rounds, rank r exchanging its whole buffer with r xor 2^k.
void recursive_doubling(Messages& m, const Buffers& buffers, ReduceOp op);

int ceil_log2(int n);

}  // namespace gb::parallel::detail
