// sim.hpp: the simulated cluster (lesson 10 onward). Results are real, times are simulated.
//
// A Cluster is N devices, each with a compute speed and a memory capacity, joined by links whose cost
// is alpha + beta x bytes (alpha: latency in seconds, beta: seconds per byte). Devices sit in nodes:
// two devices of one node talk over the fast intra-node link (NVLink-like), two of different nodes over
// the slow inter-node one (InfiniBand-like).
//
// The Simulator is an event-driven clock over Tasks. A task occupies one or more resources (a device's
// compute stream, its communication stream, a directed link) for a duration, after its dependencies
// have finished. Every resource runs its tasks in the order they were added, like a CUDA stream: that is
// how a pipeline schedule or a DDP bucket order is expressed. When the clock reaches a task's start its
// memory allocations happen and its action runs (the real tensor math); at its end its frees happen.
// Memory is accounted per device and per kind, with the peak of each.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gb::parallel {

// ---- memory ------------------------------------------------------------------------------------
enum class MemoryKind { parameters, gradients, optimizer_states, activations, buffers };
inline constexpr int kMemoryKinds = 5;
const char* memory_kind_name(MemoryKind kind);  // "parameters", "gradients", "optimizer states", ...

// One device's memory: bytes in use per kind, the peak of the total and of each kind. Allocating past
// the capacity throws gb::Error("out of memory on device D", capacity, requested + in use); freeing
// more than is held of a kind throws too. capacity_bytes <= 0 means unlimited.
class Memory {
 public:
  explicit Memory(std::int64_t capacity_bytes = 0) : capacity_(capacity_bytes) {}
  void allocate(MemoryKind kind, std::int64_t bytes);
  void free(MemoryKind kind, std::int64_t bytes);
  std::int64_t in_use(MemoryKind kind) const { return in_use_[static_cast<int>(kind)]; }
  std::int64_t in_use() const;  // all kinds
  std::int64_t peak(MemoryKind kind) const { return peak_[static_cast<int>(kind)]; }
  std::int64_t peak() const { return peak_total_; }
  std::int64_t capacity() const { return capacity_; }
  int device = 0;  // for messages

 private:
  std::int64_t capacity_;
  std::int64_t in_use_[kMemoryKinds] = {};
  std::int64_t peak_[kMemoryKinds] = {};
  std::int64_t peak_total_ = 0;
};

// ---- the cluster -------------------------------------------------------------------------------
struct LinkCost {
  double alpha = 0;  // seconds per message (latency)
  double beta = 0;   // seconds per byte (1 / bandwidth)
  double seconds(std::int64_t bytes) const { return alpha + beta * static_cast<double>(bytes); }
};

struct ClusterSpec {
  int devices = 8;
  int devices_per_node = 8;
  double flops_per_second = 100e12;             // each device's compute speed
  std::int64_t memory_bytes = 80LL << 30;       // each device's capacity (0: unlimited)
  LinkCost intra_node{2e-6, 1.0 / 200e9};       // NVLink-like: 2 us, 200 GB/s
  LinkCost inter_node{10e-6, 1.0 / 25e9};       // InfiniBand-like: 10 us, 25 GB/s
};

class Cluster {
 public:
  explicit Cluster(ClusterSpec spec = {});  // throws gb::Error for devices < 1 or bad costs
  int size() const { return spec_.devices; }
  int node_of(int device) const;
  const LinkCost& link(int from, int to) const;  // throws gb::Error for unknown devices or from == to
  double compute_seconds(double flops) const { return flops / spec_.flops_per_second; }
  const ClusterSpec& spec() const { return spec_; }

 private:
  ClusterSpec spec_;
};

// ---- tasks and the clock ---------------------------------------------------------------------------
enum class TaskKind { forward, backward, optimizer, communication, other };
const char* task_kind_name(TaskKind kind);  // "forward", "backward", "optimizer", "communication", "other"

struct MemoryChange {
  int device = 0;
  MemoryKind kind = MemoryKind::activations;
  std::int64_t bytes = 0;  // > 0 allocates, < 0 frees
};

using ResourceId = int;

struct Task {
  std::string name;                  // e.g. "F3" (forward of micro-batch 3), "ring step 2 send 0->1"
  TaskKind kind = TaskKind::other;
  int device = 0;                    // the lane it is drawn in
  std::vector<ResourceId> resources; // held for the whole duration
  double duration = 0;               // seconds (>= 0)
  std::vector<int> after;            // ids of tasks that must end first (earlier ids only)
  std::vector<MemoryChange> at_start, at_end;
  std::function<void()> action;      // the real work, run when the task starts (may be empty)
  std::map<std::string, double> tags;  // free-form numbers for recordings (micro-batch, stage, bytes...)
};

struct ExecutedTask {
  int id = 0;
  double start = 0, end = 0;
  int device = 0;                    // copied from the Task, so an Execution outlives its Simulator
  TaskKind kind = TaskKind::other;
};

struct MemorySample {  // a device's total memory after a change at `time`
  int device = 0;
  double time = 0;
  std::int64_t bytes = 0;
};

struct Execution {
  std::vector<ExecutedTask> tasks;   // by id
  double makespan = 0;               // the end of the last task
  std::vector<Memory> memory;        // per device, after the run (peaks inside)
  std::vector<MemorySample> memory_timeline;  // in time order
  std::int64_t events = 0;           // starts + ends processed
  // Busy seconds of a device's tasks of one kind (union of intervals, so overlap is not counted twice).
  double busy(int device, TaskKind kind) const;
};

class Simulator {
 public:
  explicit Simulator(Cluster cluster);
  const Cluster& cluster() const { return cluster_; }

  // Resources: each device has a compute stream and a communication stream; each ordered pair of
  // devices a link. Ids are stable for the simulator's life.
  ResourceId compute(int device) const;
  ResourceId comm(int device) const;
  ResourceId link(int from, int to);  // created on first use

  // Adds a task; returns its id (0, 1, 2, ...). Throws gb::Error for a negative duration, an unknown
  // device or resource, or a dependency that is not an earlier task.
  int add(Task task);
  const Task& task(int id) const;
  int task_count() const { return static_cast<int>(tasks_.size()); }

  // Runs the clock: a task starts when all its dependencies have ended and it is the next task of every
  // resource it holds. Deterministic: ties in time are broken by task id. Runs every action once.
  // Throws gb::Error when memory runs out (naming device, time and task).
  Execution run();

 private:
  Cluster cluster_;
  std::vector<Task> tasks_;
  std::map<std::pair<int, int>, ResourceId> links_;
  int resource_count_ = 0;
};

}  // namespace gb::parallel
