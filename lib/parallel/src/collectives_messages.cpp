// collectives_messages.cpp: what every collective shares: argument checks, the element loops of a
// reduction, and Messages, which turns "rank p sends b bytes to rank q" into a Task on the simulator.
#include <algorithm>
#include <cstring>
#include <set>
#include <string>

#include "collectives_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::parallel::detail {

Buffers dry_buffers(std::int64_t bytes) {
  Buffers b;
  b.numel = bytes;
  b.element_size = 1;
  return b;
}

void check_group(const std::string& collective, const Simulator& sim, const std::vector<int>& group) {
  if (group.empty()) throw Error(collective, "a group of at least one device", "an empty group");
  std::set<int> seen;
  for (int d : group) {
    if (d < 0 || d >= sim.cluster().size()) {
      throw Error(collective, "devices of the cluster, in [0, " + std::to_string(sim.cluster().size()) + ")",
                  "device " + std::to_string(d));
    }
    if (!seen.insert(d).second) throw Error(collective, "distinct devices in the group", "device " + std::to_string(d) + " twice");
  }
}

Buffers checked_buffers(const std::string& collective, const Simulator& sim, const std::vector<int>& group,
                        const std::vector<Tensor>& data) {
  check_group(collective, sim, group);
  if (data.size() != group.size()) {
    throw Error(collective, "one tensor per rank (" + std::to_string(group.size()) + ")", std::to_string(data.size()) + " tensors");
  }
  Buffers b;
  for (std::size_t r = 0; r < data.size(); ++r) {
    const Tensor& t = data[r];
    const std::string which = "rank " + std::to_string(r) + "'s tensor";
    if (!t.defined()) throw Error(collective, "a defined tensor on every rank", which + " undefined");
    if (t.dtype() != DType::f32 && t.dtype() != DType::f64) {
      throw Error(collective, "f32 or f64 tensors", which + " of dtype " + dtype_name(t.dtype()));
    }
    if (!t.is_contiguous()) throw Error(collective, "contiguous tensors", which + " strided");
    if (t.shape() != data[0].shape() || t.dtype() != data[0].dtype()) {
      throw Error(collective, "the same shape and dtype on every rank (" + shape_str(data[0].shape()) + " " +
                                  dtype_name(data[0].dtype()) + ")",
                  which + " " + shape_str(t.shape()) + " " + dtype_name(t.dtype()));
    }
    b.flat.push_back(t.reshape({t.numel()}));
  }
  b.numel = data[0].numel();
  b.element_size = static_cast<std::int64_t>(dtype_size(data[0].dtype()));
  return b;
}

// ---- element loops ------------------------------------------------------------------------------------
namespace {

template <class T> T* at(const Tensor& t, std::int64_t i) { return static_cast<T*>(t.raw_data()) + i; }

template <class T> void combine_typed(T* dst, const T* src, std::int64_t count, ReduceOp op) {
  if (op == ReduceOp::max) {
    for (std::int64_t i = 0; i < count; ++i) dst[i] = std::max(dst[i], src[i]);
  } else {  // sum, and mean before its division
    for (std::int64_t i = 0; i < count; ++i) dst[i] += src[i];
  }
}

}  // namespace

void combine(const Tensor& dst, std::int64_t dst_at, const Tensor& src, std::int64_t src_at, std::int64_t count,
             ReduceOp op) {
  if (dst.dtype() == DType::f64) {
    combine_typed(at<double>(dst, dst_at), at<double>(src, src_at), count, op);
  } else {
    combine_typed(at<float>(dst, dst_at), at<float>(src, src_at), count, op);
  }
}

void copy_elements(const Tensor& dst, std::int64_t dst_at, const Tensor& src, std::int64_t src_at, std::int64_t count) {
  const std::size_t size = dtype_size(dst.dtype());
  char* to = static_cast<char*>(dst.raw_data()) + static_cast<std::size_t>(dst_at) * size;
  const char* from = static_cast<const char*>(src.raw_data()) + static_cast<std::size_t>(src_at) * size;
  if (to != from && count > 0) std::memmove(to, from, static_cast<std::size_t>(count) * size);
}

void scale_elements(const Tensor& t, std::int64_t at_, std::int64_t count, double factor) {
  if (t.dtype() == DType::f64) {
    double* p = at<double>(t, at_);
    for (std::int64_t i = 0; i < count; ++i) p[i] *= factor;
  } else {
    float* p = at<float>(t, at_);
    for (std::int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(p[i] * factor);
  }
}

// ---- Messages -----------------------------------------------------------------------------------------
Messages::Messages(Simulator& sim, const std::vector<int>& group, std::string collective, const std::vector<int>& after)
    : sim_(sim), group_(group), collective_(std::move(collective)), after_(after), touched_(group.size()) {
  issued_.bytes_sent.assign(group.size(), 0);
}

// A task with no dependency inside the collective is one of its first: it waits for `after`. Every
// other task depends, through the collective's own tasks, on one of those.
std::vector<int> Messages::with_start(std::vector<int> after) const {
  if (after.empty()) after = after_;
  return after;
}

int Messages::send(int from, int to, std::int64_t bytes, std::vector<int> after, std::function<void()> action, int step,
                   const std::string& what) {
  const int a = group_[static_cast<std::size_t>(from)], b = group_[static_cast<std::size_t>(to)];
  Task task;
  task.name = collective_ + " " + what + ": " + std::to_string(from) + "->" + std::to_string(to);
  task.kind = TaskKind::communication;
  task.device = a;
  task.resources = {sim_.comm(a), sim_.link(a, b)};
  task.duration = sim_.cluster().link(a, b).seconds(bytes);
  task.after = with_start(std::move(after));
  task.action = std::move(action);
  task.tags = {{"from", from}, {"to", to}, {"step", step}, {"bytes", static_cast<double>(bytes)}};
  const int id = sim_.add(std::move(task));
  touched_[static_cast<std::size_t>(from)].push_back(id);
  touched_[static_cast<std::size_t>(to)].push_back(id);
  issued_.bytes_sent[static_cast<std::size_t>(from)] += bytes;
  issued_.tasks.push_back(id);
  return id;
}

int Messages::local(int rank, std::vector<int> after, std::function<void()> action, const std::string& what) {
  const int d = group_[static_cast<std::size_t>(rank)];
  Task task;
  task.name = collective_ + " " + what + " on " + std::to_string(rank);
  task.kind = TaskKind::communication;
  task.device = d;
  task.resources = {sim_.comm(d)};
  task.after = with_start(std::move(after));
  task.action = std::move(action);
  const int id = sim_.add(std::move(task));
  touched_[static_cast<std::size_t>(rank)].push_back(id);
  issued_.tasks.push_back(id);
  return id;
}

Issued Messages::finish(int steps) {
  for (std::size_t r = 0; r < group_.size(); ++r) {
    Task done;
    done.name = collective_ + " done on " + std::to_string(r);
    done.kind = TaskKind::communication;
    done.device = group_[r];
    done.after = touched_[r].empty() ? after_ : touched_[r];
    const int id = sim_.add(std::move(done));
    issued_.done.push_back(id);
    issued_.tasks.push_back(id);
  }
  issued_.steps = steps;
  return std::move(issued_);
}

}  // namespace gb::parallel::detail
