// memory_plan_internal.hpp: what the memory-plan sources share (not part of the public API).
#pragma once

#include <cstdint>
#include <string>

#include "gb/passes/memory_plan.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::passes::detail {

constexpr std::int64_t kArenaAlignment = 64;  // bytes: a cache line, and enough for every dtype

// `bytes` rounded up to a multiple of kArenaAlignment.
std::int64_t align_up(std::int64_t bytes);

// The bytes live at step `step`: the rounded size of every interval with first <= step <= last, except
// that a value written in place counts nothing at its first step (its input still holds those bytes).
std::int64_t live_bytes_at(const MemoryPlan& plan, int step);

std::string value_label(ValueId id);  // "v12"

// The "memory" timeline that run_with_plan records (memory_plan_record.cpp): the scene at construction,
// then one step per execution step.
class MemoryTrace {
 public:
  MemoryTrace(trace::Recorder& rec, const Graph& graph, const MemoryPlan& plan);
  void ran(int step);

 private:
  std::string lane_of(std::int64_t offset) const;
  trace::Recorder& rec_;
  const Graph& graph_;
  const MemoryPlan& plan_;
  std::string scene_;
};

}  // namespace gb::passes::detail
