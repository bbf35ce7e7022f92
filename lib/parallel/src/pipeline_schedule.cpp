// pipeline_schedule.cpp: the operation order of every stage in the four pipeline schedules (lesson 14).
#include <algorithm>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/pipeline.hpp"

namespace gb::parallel {

namespace {

void check_shape(const std::string& op, int stage, int stages, int microbatches) {
  if (stages < 1) throw Error(op, "at least 1 stage", std::to_string(stages));
  if (microbatches < 1) throw Error(op, "at least 1 micro-batch", std::to_string(microbatches));
  if (stage < 0 || stage >= stages) {
    throw Error(op, "a stage in [0, " + std::to_string(stages) + ")", std::to_string(stage));
  }
}

Operation forward(int microbatch, int chunk = 0) { return {Phase::forward, microbatch, chunk}; }
Operation backward(int microbatch, int chunk = 0) { return {Phase::backward, microbatch, chunk}; }

}  // namespace

std::string operation_name(const Operation& op, int chunks) {
  std::string name = (op.phase == Phase::forward ? "F" : "B") + std::to_string(op.microbatch);
  if (chunks > 1) name += "." + std::to_string(op.chunk);
  return name;
}

const char* schedule_name(Schedule schedule) {
  switch (schedule) {
    case Schedule::naive: return "naive";
    case Schedule::gpipe: return "gpipe";
    case Schedule::one_f_one_b: return "1f1b";
    case Schedule::interleaved: return "interleaved";
  }
  return "?";
}

Schedule schedule_from_name(const std::string& name) {
  for (Schedule s : {Schedule::naive, Schedule::gpipe, Schedule::one_f_one_b, Schedule::interleaved}) {
    if (name == schedule_name(s)) return s;
  }
  throw Error("pipeline schedule", "naive, gpipe, 1f1b or interleaved", name);
}

int warmup_forwards(int stage, int stages, int microbatches) {
  check_shape("warmup_forwards", stage, stages, microbatches);
  return std::min(stages - stage - 1, microbatches);
}

// Naive model parallelism: the whole batch (here: each micro-batch in turn) goes through every stage
// and back before the next starts. The device order is F0 B0 F1 B1 ...; the dependencies do the rest.
std::vector<Operation> naive_order(int stage, int stages, int microbatches) {
  check_shape("naive_order", stage, stages, microbatches);
  std::vector<Operation> order;
  for (int i = 0; i < microbatches; ++i) {
    order.push_back(forward(i));
    order.push_back(backward(i));
  }
  return order;
}

// GPipe: every forward, then every backward, the last micro-batch's first (its activations arrive last
// at the last stage, so its gradient is the first one ready there).
std::vector<Operation> gpipe_order(int stage, int stages, int microbatches) {
  check_shape("gpipe_order", stage, stages, microbatches);
  std::vector<Operation> order;
  for (int i = 0; i < microbatches; ++i) order.push_back(forward(i));
  for (int i = microbatches - 1; i >= 0; --i) order.push_back(backward(i));
  return order;
}

// 1F1B (PipeDream-Flush): the warm-up fills the pipeline (stage r needs p - r - 1 forwards in flight
// before the first gradient comes back to it), the steady state retires one micro-batch per forward,
// the cool-down drains the backwards. Stage r never holds more than warm-up + 1 micro-batches.
std::vector<Operation> one_f_one_b_order(int stage, int stages, int microbatches) {
  check_shape("one_f_one_b_order", stage, stages, microbatches);
  std::vector<Operation> order;
  // BEGIN EXERCISE(parallel.pipeline.one_f_one_b)
  const int warmup = warmup_forwards(stage, stages, microbatches);
  for (int i = 0; i < warmup; ++i) order.push_back(forward(i));   // warm-up
  for (int i = 0; i < microbatches - warmup; ++i) {                // steady state: one F, one B
    order.push_back(forward(warmup + i));
    order.push_back(backward(i));
  }
  for (int i = microbatches - warmup; i < microbatches; ++i) order.push_back(backward(i));  // cool-down
  // END EXERCISE
  return order;
}

// Megatron-LM's interleaved 1F1B (megatron/core/pipeline_parallel/schedules.py,
// forward_backward_pipelining_with_interleaving). The stage runs m v "virtual" operations per phase.
// Virtual id k walks groups of p v: p micro-batches on chunk 0, the same p on chunk 1, ..., then the
// next p micro-batches. Backwards take the chunks the other way round (chunk v - 1 first). Warm-up is
// 2 (p - r - 1) + (v - 1) p forwards (all of them when m == p), then 1F1B, then the cool-down.
std::vector<Operation> interleaved_order(int stage, int stages, int microbatches, int chunks) {
  check_shape("interleaved_order", stage, stages, microbatches);
  if (chunks < 2) {
    throw Error("interleaved_order", "at least 2 model chunks per stage (1 chunk is plain 1F1B)", std::to_string(chunks));
  }
  if (microbatches % stages != 0) {
    throw Error("interleaved_order", "a number of micro-batches that is a multiple of the " + std::to_string(stages) + " stages",
                std::to_string(microbatches));
  }
  const int p = stages, v = chunks, total = microbatches * chunks;
  auto virtual_op = [&](int k, Phase phase) {
    const int in_group = k % (p * v);
    int chunk = in_group / p;
    if (phase == Phase::backward) chunk = v - 1 - chunk;
    return Operation{phase, (k / (p * v)) * p + in_group % p, chunk};
  };
  const int warmup = microbatches == stages ? total : std::min(2 * (p - stage - 1) + (v - 1) * p, total);
  std::vector<Operation> order;
  for (int k = 0; k < warmup; ++k) order.push_back(virtual_op(k, Phase::forward));
  for (int k = 0; k < total - warmup; ++k) {
    order.push_back(virtual_op(warmup + k, Phase::forward));
    order.push_back(virtual_op(k, Phase::backward));
  }
  for (int k = total - warmup; k < total; ++k) order.push_back(virtual_op(k, Phase::backward));
  return order;
}

std::vector<std::vector<Operation>> schedule_orders(Schedule schedule, int stages, int microbatches, int chunks) {
  if (schedule != Schedule::interleaved && chunks != 1) {
    throw Error(std::string("schedule_orders(") + schedule_name(schedule) + ")", "1 model chunk per stage (only interleaved has more)",
                std::to_string(chunks));
  }
  check_shape("schedule_orders", 0, stages, microbatches);
  std::vector<std::vector<Operation>> orders;
  for (int r = 0; r < stages; ++r) {
    switch (schedule) {
      case Schedule::naive: orders.push_back(naive_order(r, stages, microbatches)); break;
      case Schedule::gpipe: orders.push_back(gpipe_order(r, stages, microbatches)); break;
      case Schedule::one_f_one_b: orders.push_back(one_f_one_b_order(r, stages, microbatches)); break;
      case Schedule::interleaved: orders.push_back(interleaved_order(r, stages, microbatches, chunks)); break;
    }
  }
  return orders;
}

double bubble_formula(Schedule schedule, int stages, int microbatches, int chunks) {
  check_shape("bubble_formula", 0, stages, microbatches);
  const double p = stages, m = microbatches, v = chunks;
  switch (schedule) {
    case Schedule::naive: return (p - 1) / p;
    case Schedule::gpipe:
    case Schedule::one_f_one_b: return (p - 1) / (m + p - 1);
    case Schedule::interleaved: return (p - 1) / (v * m + p - 1);
  }
  return 0;
}

}  // namespace gb::parallel
