// sim.cpp: the memory accounting, the cluster's link costs and the event-driven clock (see sim.hpp).
#include "gb/parallel/sim.hpp"

#include <algorithm>
#include <queue>
#include <set>
#include <tuple>

#include "gb/core/error.hpp"

namespace gb::parallel {

const char* memory_kind_name(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::parameters: return "parameters";
    case MemoryKind::gradients: return "gradients";
    case MemoryKind::optimizer_states: return "optimizer states";
    case MemoryKind::activations: return "activations";
    case MemoryKind::buffers: return "buffers";
  }
  return "?";
}

const char* task_kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::forward: return "forward";
    case TaskKind::backward: return "backward";
    case TaskKind::optimizer: return "optimizer";
    case TaskKind::communication: return "communication";
    case TaskKind::other: return "other";
  }
  return "?";
}

// ---- Memory ----------------------------------------------------------------------------------------
void Memory::allocate(MemoryKind kind, std::int64_t bytes) {
  if (bytes < 0) {
    throw Error("Memory::allocate", "a byte count >= 0", std::to_string(bytes));
  }
  const std::int64_t total = in_use() + bytes;
  if (capacity_ > 0 && total > capacity_) {
    throw Error("out of memory on device " + std::to_string(device),
                "at most " + std::to_string(capacity_) + " bytes",
                std::to_string(total) + " bytes (" + std::to_string(bytes) + " more of " +
                    memory_kind_name(kind) + ")");
  }
  const int k = static_cast<int>(kind);
  in_use_[k] += bytes;
  peak_[k] = std::max(peak_[k], in_use_[k]);
  peak_total_ = std::max(peak_total_, total);
}

void Memory::free(MemoryKind kind, std::int64_t bytes) {
  const int k = static_cast<int>(kind);
  if (bytes < 0 || bytes > in_use_[k]) {
    throw Error("Memory::free on device " + std::to_string(device),
                "at most the " + std::to_string(in_use_[k]) + " bytes of " + memory_kind_name(kind) +
                    " in use",
                std::to_string(bytes));
  }
  in_use_[k] -= bytes;
}

std::int64_t Memory::in_use() const {
  std::int64_t total = 0;
  for (std::int64_t b : in_use_) total += b;
  return total;
}

// ---- Cluster ---------------------------------------------------------------------------------------
Cluster::Cluster(ClusterSpec spec) : spec_(spec) {
  if (spec_.devices < 1) throw Error("Cluster", "at least 1 device", std::to_string(spec_.devices));
  if (spec_.devices_per_node < 1) {
    throw Error("Cluster", "at least 1 device per node", std::to_string(spec_.devices_per_node));
  }
  if (!(spec_.flops_per_second > 0)) {
    throw Error("Cluster", "flops_per_second > 0", std::to_string(spec_.flops_per_second));
  }
  for (const LinkCost* c : {&spec_.intra_node, &spec_.inter_node}) {
    if (!(c->alpha >= 0) || !(c->beta >= 0)) {
      throw Error("Cluster", "link costs alpha >= 0 and beta >= 0",
                  "alpha " + std::to_string(c->alpha) + ", beta " + std::to_string(c->beta));
    }
  }
}

int Cluster::node_of(int device) const {
  if (device < 0 || device >= spec_.devices) {
    throw Error("Cluster::node_of", "a device in [0, " + std::to_string(spec_.devices) + ")",
                std::to_string(device));
  }
  return device / spec_.devices_per_node;
}

const LinkCost& Cluster::link(int from, int to) const {
  const int a = node_of(from), b = node_of(to);
  if (from == to) throw Error("Cluster::link", "two different devices", "device " + std::to_string(from) + " twice");
  return a == b ? spec_.intra_node : spec_.inter_node;
}

// ---- Execution -------------------------------------------------------------------------------------
double Execution::busy(int device, TaskKind kind) const {
  std::vector<std::pair<double, double>> spans;
  for (const ExecutedTask& e : tasks) {
    if (e.device == device && e.kind == kind && e.end > e.start) spans.emplace_back(e.start, e.end);
  }
  std::sort(spans.begin(), spans.end());
  double total = 0, cur_start = 0, cur_end = -1;
  bool open = false;
  for (const auto& [s, e] : spans) {
    if (!open || s > cur_end) {
      if (open) total += cur_end - cur_start;
      cur_start = s;
      cur_end = e;
      open = true;
    } else {
      cur_end = std::max(cur_end, e);
    }
  }
  if (open) total += cur_end - cur_start;
  return total;
}

// ---- Simulator -------------------------------------------------------------------------------------
Simulator::Simulator(Cluster cluster) : cluster_(std::move(cluster)) {
  resource_count_ = 2 * cluster_.size();  // compute(d) = 2d, comm(d) = 2d + 1, links after
}

ResourceId Simulator::compute(int device) const {
  cluster_.node_of(device);  // validates
  return 2 * device;
}

ResourceId Simulator::comm(int device) const {
  cluster_.node_of(device);
  return 2 * device + 1;
}

ResourceId Simulator::link(int from, int to) {
  cluster_.link(from, to);  // validates
  auto [it, inserted] = links_.emplace(std::make_pair(from, to), resource_count_);
  if (inserted) ++resource_count_;
  return it->second;
}

int Simulator::add(Task task) {
  const int id = static_cast<int>(tasks_.size());
  if (!(task.duration >= 0)) {
    throw Error("Simulator::add(" + task.name + ")", "a duration >= 0", std::to_string(task.duration));
  }
  cluster_.node_of(task.device);
  for (ResourceId r : task.resources) {
    if (r < 0 || r >= resource_count_) {
      throw Error("Simulator::add(" + task.name + ")",
                  "resources from compute(), comm() or link() (ids below " +
                      std::to_string(resource_count_) + ")",
                  std::to_string(r));
    }
  }
  std::sort(task.resources.begin(), task.resources.end());
  task.resources.erase(std::unique(task.resources.begin(), task.resources.end()), task.resources.end());
  for (int d : task.after) {
    if (d < 0 || d >= id) {
      throw Error("Simulator::add(" + task.name + ")", "dependencies on earlier tasks (ids below " +
                      std::to_string(id) + ")", std::to_string(d));
    }
  }
  for (const auto* changes : {&task.at_start, &task.at_end}) {
    for (const MemoryChange& c : *changes) cluster_.node_of(c.device);
  }
  tasks_.push_back(std::move(task));
  return id;
}

const Task& Simulator::task(int id) const {
  if (id < 0 || id >= task_count()) {
    throw Error("Simulator::task", "an id in [0, " + std::to_string(task_count()) + ")", std::to_string(id));
  }
  return tasks_[static_cast<std::size_t>(id)];
}

namespace {

void apply(std::vector<Memory>& memory, const std::vector<MemoryChange>& changes, double time,
           const Task& task, std::vector<MemorySample>& timeline) {
  for (const MemoryChange& c : changes) {
    Memory& m = memory[static_cast<std::size_t>(c.device)];
    try {
      if (c.bytes >= 0) {
        m.allocate(c.kind, c.bytes);
      } else {
        m.free(c.kind, -c.bytes);
      }
    } catch (const Error& e) {
      throw Error("Simulator::run: task " + task.name + " at t = " + std::to_string(time) + " s",
                  "memory that fits", e.what());
    }
    timeline.push_back({c.device, time, m.in_use()});
  }
}

}  // namespace

Execution Simulator::run() {
  const int n = task_count();
  Execution ex;
  ex.tasks.resize(static_cast<std::size_t>(n));
  for (int d = 0; d < cluster_.size(); ++d) {
    ex.memory.emplace_back(cluster_.spec().memory_bytes);
    ex.memory.back().device = d;
  }

  // Each resource's tasks in the order they were added; head[r] is the one running or next.
  std::vector<std::vector<int>> queue(static_cast<std::size_t>(resource_count_));
  std::vector<std::size_t> head(static_cast<std::size_t>(resource_count_), 0);
  std::vector<std::vector<int>> dependents(static_cast<std::size_t>(n));
  std::vector<int> waiting(static_cast<std::size_t>(n), 0);
  for (int t = 0; t < n; ++t) {
    const Task& task = tasks_[static_cast<std::size_t>(t)];
    for (ResourceId r : task.resources) queue[static_cast<std::size_t>(r)].push_back(t);
    std::vector<int> deps = task.after;
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    waiting[static_cast<std::size_t>(t)] = static_cast<int>(deps.size());
    for (int d : deps) dependents[static_cast<std::size_t>(d)].push_back(t);
  }

  auto startable = [&](int t) {
    if (waiting[static_cast<std::size_t>(t)] != 0) return false;
    for (ResourceId r : tasks_[static_cast<std::size_t>(t)].resources) {
      const auto& q = queue[static_cast<std::size_t>(r)];
      if (head[static_cast<std::size_t>(r)] >= q.size() || q[head[static_cast<std::size_t>(r)]] != t) {
        return false;
      }
    }
    return true;
  };

  using Event = std::pair<double, int>;  // (end time, task id), earliest first, then lowest id
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> ends;
  std::vector<char> started(static_cast<std::size_t>(n), 0);
  std::set<int> candidates;
  for (int t = 0; t < n; ++t) candidates.insert(t);
  double now = 0;
  int finished = 0;

  while (true) {
    // Start every candidate that can start now, lowest id first. A zero-duration task's end event is
    // at `now` and is processed in the next round.
    for (int t : candidates) {
      if (started[static_cast<std::size_t>(t)] || !startable(t)) continue;
      started[static_cast<std::size_t>(t)] = 1;
      Task& task = tasks_[static_cast<std::size_t>(t)];
      ex.tasks[static_cast<std::size_t>(t)] = {t, now, now + task.duration, task.device, task.kind};
      apply(ex.memory, task.at_start, now, task, ex.memory_timeline);
      if (task.action) task.action();
      ++ex.events;
      ends.push({now + task.duration, t});
    }
    candidates.clear();
    if (ends.empty()) break;
    // Process every end at the earliest time (frees before the next starts).
    now = ends.top().first;
    while (!ends.empty() && ends.top().first == now) {
      const int t = ends.top().second;
      ends.pop();
      const Task& task = tasks_[static_cast<std::size_t>(t)];
      apply(ex.memory, task.at_end, now, task, ex.memory_timeline);
      ++ex.events;
      ++finished;
      for (ResourceId r : task.resources) {
        auto& h = head[static_cast<std::size_t>(r)];
        ++h;
        const auto& q = queue[static_cast<std::size_t>(r)];
        if (h < q.size()) candidates.insert(q[h]);
      }
      for (int d : dependents[static_cast<std::size_t>(t)]) {
        if (--waiting[static_cast<std::size_t>(d)] == 0) candidates.insert(d);
      }
    }
    ex.makespan = std::max(ex.makespan, now);
  }
  if (finished != n) {
    throw Error("Simulator::run", "every task to run", std::to_string(n - finished) + " tasks never started");
  }
  return ex;
}

}  // namespace gb::parallel
