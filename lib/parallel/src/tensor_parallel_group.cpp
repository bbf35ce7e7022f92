// tensor_parallel_group.cpp: a TP group's tasks on the simulator (lesson 13; see tensor_parallel.hpp).
#include <algorithm>
#include <string>
#include <utility>

#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/parallel/tensor_parallel.hpp"
#include "tensor_parallel_internal.hpp"

namespace gb::parallel {

TpGroup::TpGroup(Simulator& sim, std::vector<int> devices, bool values)
    : sim_(&sim), devices_(std::move(devices)), values_(values), last_(devices_.size(), -1) {
  if (devices_.empty()) throw Error("TpGroup", "at least one device", "none");
  for (int d : devices_) {
    if (d < 0 || d >= sim.cluster().size()) {
      throw Error("TpGroup", "devices 0.." + std::to_string(sim.cluster().size() - 1), std::to_string(d));
    }
  }
}

int TpGroup::device(int rank) const {
  if (rank < 0 || rank >= size()) throw Error("TpGroup::device", "a rank in 0.." + std::to_string(size() - 1), std::to_string(rank));
  return devices_[static_cast<std::size_t>(rank)];
}

std::vector<int> TpGroup::after(int rank) const {
  const int last = last_[static_cast<std::size_t>(rank)];
  return last < 0 ? std::vector<int>{} : std::vector<int>{last};
}

int TpGroup::last(int rank) const {
  device(rank);  // checks the rank
  return last_[static_cast<std::size_t>(rank)];
}

void TpGroup::wait_for(int rank, int task) {
  Task join;  // zero length, no resource: only the two dependencies
  join.name = "wait for the input";
  join.device = device(rank);
  join.after = after(rank);
  if (task >= 0) join.after.push_back(task);
  last_[static_cast<std::size_t>(rank)] = sim_->add(std::move(join));
}

int TpGroup::compute(int rank, const std::string& name, TaskKind kind, double flops, std::function<void()> action) {
  Task task;
  task.name = name;
  task.kind = kind;
  task.device = device(rank);
  task.resources = {sim_->compute(task.device)};
  task.duration = sim_->cluster().compute_seconds(flops);
  task.after = after(rank);
  task.tags["flops"] = flops;
  if (values_) task.action = std::move(action);
  last_[static_cast<std::size_t>(rank)] = sim_->add(std::move(task));
  return last_[static_cast<std::size_t>(rank)];
}

void TpGroup::hold(int rank, MemoryKind kind, std::int64_t bytes) {
  Task task;
  task.name = std::string("hold ") + memory_kind_name(kind);
  task.device = device(rank);
  task.resources = {sim_->compute(task.device)};
  task.after = after(rank);
  task.at_start = {{task.device, kind, bytes}};
  last_[static_cast<std::size_t>(rank)] = sim_->add(std::move(task));
}

void TpGroup::all_reduce(const std::string& name, TaskKind phase, std::vector<Tensor>& data, const Shape& shape, ReduceOp op) {
  // Every rank's first message waits for all ranks to have produced their part: an all-reduce is a
  // synchronisation point, which is why TP's all-reduces sit on the critical path.
  std::vector<int> before;
  for (int r = 0; r < size(); ++r) {
    if (last_[static_cast<std::size_t>(r)] >= 0) before.push_back(last_[static_cast<std::size_t>(r)]);
  }
  const std::int64_t bytes = shape_numel(shape) * 4;  // f32
  Issued issued = values_ ? parallel::all_reduce(*sim_, devices_, data, AllReduceAlgorithm::ring, op, before)
                          : timed_all_reduce(*sim_, devices_, bytes, AllReduceAlgorithm::ring, before);
  last_ = issued.done;
  TpCollective c;
  c.name = name;
  c.phase = phase;
  c.op = op;
  c.buffer_bytes = values_ && !data.empty() ? data.front().numel() * static_cast<std::int64_t>(dtype_size(data.front().dtype())) : bytes;
  c.bytes_sent = issued.bytes_sent;
  c.tasks = issued.tasks;
  collectives_.push_back(std::move(c));
}

TpActivation TpGroup::activation(const Shape& shape) const {
  TpActivation a{shape, {}};
  if (values_) {
    for (int r = 0; r < size(); ++r) a.copies.push_back(Tensor::zeros(shape));
  }
  return a;
}

namespace tp_detail {

TpActivation residual(TpGroup& g, const TpActivation& x, const TpActivation& z, TaskKind kind) {
  TpActivation out = g.activation(x.shape);
  for (int r = 0; r < g.size(); ++r) {
    g.compute(r, "residual add", kind, static_cast<double>(shape_numel(x.shape)), [r, x, z, out]() mutable {
      const auto i = static_cast<std::size_t>(r);
      out.copies[i].copy_from(x.copies[i] + z.copies[i]);
    });
  }
  return out;
}

}  // namespace tp_detail

}  // namespace gb::parallel
