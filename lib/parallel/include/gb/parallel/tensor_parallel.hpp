// tensor_parallel.hpp: Megatron-LM's tensor parallelism (lesson 13; Shoeybi et al. 2019, section 3),
// the two pieces everything else is made of: how a weight is split over the t ranks of a TP group, and
// the group itself, which puts each rank's compute and the group's all-reduces on the simulator.
//
// A linear layer Y = X W with W [in, out] can be split two ways:
//   column split  W = [W_0 | W_1 | ... ]  rank r holds W_r = W[:, r out/t : (r+1) out/t]  and computes
//                 Y_r = X W_r, its own slice of Y's columns: no communication, but every rank needs all of X.
//   row split     W = [W_0; W_1; ...]      rank r holds W_r = W[r in/t : (r+1) in/t, :]  and computes
//                 X_r W_r from its slice of X's columns: Y = sum_r X_r W_r, a partial sum to all-reduce.
// The blocks (tensor_parallel_layers.hpp) chain a column split into a row split, so the slice Y_r the
// first produces is exactly the X_r the second needs, and only the sum at the end travels.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

enum class TpSplit { column, row };
const char* tp_split_name(TpSplit split);  // "column", "row"

// The shard rank r of t holds of a weight [in, out]: [in, out/t] for a column split, [in/t, out] for a
// row split (a contiguous copy). Throws gb::Error for a weight that is not 2-D, t < 1, a rank outside
// 0..t-1, or t not dividing the split dimension (equal slices only, as Megatron requires).
// Exercise parallel.tp.column_row_split.
Tensor tp_shard(const Tensor& weight, TpSplit split, int t, int rank);
// A bias [n] split like a column-split weight's columns: rank r's [n/t] (same errors).
Tensor tp_shard_bias(const Tensor& bias, int t, int rank);
// The inverse: the t shards put back side by side (column) or one under the other (row).
Tensor tp_unshard(const std::vector<Tensor>& shards, TpSplit split);

// An activation every rank of the group holds in full (X before a column-parallel layer, Z after g):
// one copy per rank, the same values in each. `shape` is kept even when the copies are absent
// (a timing-only run, where no values exist).
struct TpActivation {
  Shape shape;
  std::vector<Tensor> copies;  // per rank; empty when timing only
};

// One all-reduce the group issued: the f operator's (backward), g's (forward), or one of the
// vocabulary-parallel softmax's. Bytes are counted from the messages the collective sent.
struct TpCollective {
  std::string name;            // e.g. "g: all-reduce MLP output"
  TaskKind phase = TaskKind::forward;  // forward or backward
  ReduceOp op = ReduceOp::sum;
  std::int64_t buffer_bytes = 0;       // the reduced tensor, per rank
  std::vector<std::int64_t> bytes_sent;  // per rank, from the issued messages
  std::vector<int> tasks;              // the message tasks, for the timeline
};

// A tensor-parallel group on the simulator: t ranks (devices of the cluster), each a sequence of tasks.
// Every rank's next task waits for its previous one (a rank's work is one stream of dependent kernels);
// an all-reduce starts when every rank has finished what came before it and each rank continues when its
// part of the all-reduce is done. values = false builds a timing-only run: no actions, no tensors, the
// collectives timed by bytes (timed_all_reduce), for models too big to hold.
class TpGroup {
 public:
  TpGroup(Simulator& sim, std::vector<int> devices, bool values = true);  // throws gb::Error for no devices
  int size() const { return static_cast<int>(devices_.size()); }
  int device(int rank) const;
  bool values() const { return values_; }
  Simulator& simulator() { return *sim_; }

  // A compute task of rank r costing `flops` at the device's speed; `action` is the real math (dropped
  // when timing only). Returns the task id.
  int compute(int rank, const std::string& name, TaskKind kind, double flops, std::function<void()> action = {});
  // From now on rank r holds `bytes` of `kind` (a zero-length task that allocates).
  void hold(int rank, MemoryKind kind, std::int64_t bytes);
  // One ring all-reduce of each rank's buffer (data[r], same shape, f32/f64), in place; timing only:
  // `shape` f32 elements per rank and data empty.
  void all_reduce(const std::string& name, TaskKind phase, std::vector<Tensor>& data, const Shape& shape,
                  ReduceOp op = ReduceOp::sum);
  const std::vector<TpCollective>& collectives() const { return collectives_; }
  // For pipelines of TP groups on one simulator (hybrid_training.hpp): rank r's latest task (-1 before
  // the first), and a task from outside the group (the message bringing rank r its input) that rank r's
  // next task must wait for.
  int last(int rank) const;
  void wait_for(int rank, int task);
  // A fresh activation of `shape` on every rank (zeros, filled by the tasks' actions; none when timing only).
  TpActivation activation(const Shape& shape) const;

 private:
  std::vector<int> after(int rank) const;
  Simulator* sim_;
  std::vector<int> devices_;
  bool values_;
  std::vector<int> last_;  // per rank: the id of its latest task, -1 before the first
  std::vector<TpCollective> collectives_;
};

}  // namespace gb::parallel
