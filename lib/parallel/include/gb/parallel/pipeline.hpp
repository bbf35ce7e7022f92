// pipeline.hpp: pipeline parallelism (lesson 14): the schedules, and their execution on the simulator.
//
// The model is cut into p contiguous stages, one per device; a batch is cut into m micro-batches. A
// schedule is, for every stage, the ordered list of operations it runs: the forward F(i) or the
// backward B(i) of micro-batch i. The device runs them in that order (like a CUDA stream); F(i) on
// stage s waits for F(i) on stage s - 1 and its activation message, B(i) on stage s for B(i) on stage
// s + 1 and its gradient message. Whatever the schedule leaves a device waiting is the bubble.
//
//   naive        one micro-batch at a time through the whole pipeline: F0 B0 F1 B1 ... on every stage.
//                Only one device works at a time: bubble (p - 1) / p.
//   gpipe        all forwards, then all backwards in reverse micro-batch order (Huang et al. 2019).
//                Bubble (p - 1) / (m + p - 1); every stage holds the activations of all m micro-batches.
//   1f1b         PipeDream-Flush (Narayanan et al. 2021): stage r runs min(p - r - 1, m) warm-up
//                forwards, then alternates one forward and one backward, then the cool-down backwards.
//                Same bubble as GPipe, but stage r holds at most min(p - r, m) micro-batches.
//   interleaved  Megatron-LM's interleaved 1F1B (Narayanan et al. 2021, "Efficient Large-Scale Language
//                Model Training on GPU Clusters"): each stage holds v model chunks (chunk c of the
//                p v chunks on stage c mod p), so a micro-batch loops v times round the devices and the
//                bubble shrinks to (p - 1)(tf + tb) / v: a fraction (p - 1) / (v m + p - 1).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gb/parallel/sim.hpp"

namespace gb::parallel {

// ---- schedules ---------------------------------------------------------------------------------------
enum class Phase { forward, backward };

struct Operation {
  Phase phase = Phase::forward;
  int microbatch = 0;
  int chunk = 0;  // the model chunk on this stage, 0..v-1 (interleaved; 0 otherwise): model chunk chunk*p + stage
  bool operator==(const Operation&) const = default;
};
std::string operation_name(const Operation& op, int chunks = 1);  // "F3", "B3"; "F3.1" (chunk 1) when chunks > 1

enum class Schedule { naive, gpipe, one_f_one_b, interleaved };
const char* schedule_name(Schedule schedule);                   // "naive", "gpipe", "1f1b", "interleaved"
Schedule schedule_from_name(const std::string& name);            // throws gb::Error for an unknown name

// The forwards stage r runs before its first backward in 1F1B: p - r - 1, but never more than m.
int warmup_forwards(int stage, int stages, int microbatches);

// The operations of one stage, in order. Each throws gb::Error for stages < 1, microbatches < 1 or a
// stage outside [0, stages). Exercise parallel.pipeline.one_f_one_b: one_f_one_b_order.
std::vector<Operation> naive_order(int stage, int stages, int microbatches);
std::vector<Operation> gpipe_order(int stage, int stages, int microbatches);
std::vector<Operation> one_f_one_b_order(int stage, int stages, int microbatches);
// Megatron's order; chunks (v) >= 2 and microbatches a multiple of stages, else gb::Error.
std::vector<Operation> interleaved_order(int stage, int stages, int microbatches, int chunks);
// Every stage's order; chunks must be 1 except for the interleaved schedule.
std::vector<std::vector<Operation>> schedule_orders(Schedule schedule, int stages, int microbatches, int chunks = 1);

// The published bubble fractions with uniform stages and free messages: (p-1)/p for naive,
// (p-1)/(m+p-1) for GPipe and 1F1B, (p-1)/(v m + p-1) interleaved. For tables beside the measurement.
double bubble_formula(Schedule schedule, int stages, int microbatches, int chunks = 1);

// ---- execution on the simulator ---------------------------------------------------------------------
struct PipelineSpec {
  Schedule schedule = Schedule::one_f_one_b;
  int stages = 4, microbatches = 8;
  int chunks = 1;          // model chunks per stage (interleaved only)
  bool recompute = false;  // keep only each stage's input; the backward re-runs the forward first
  // Seconds of one micro-batch's forward and backward on a whole stage (a chunk takes 1/v of them).
  double forward_seconds = 1, backward_seconds = 2;
  std::vector<double> stage_forward_seconds, stage_backward_seconds;  // per stage; empty: uniform
  // Bytes one micro-batch leaves saved for the backward on a whole stage (a chunk: 1/v of them), and the
  // bytes of the activation that crosses a stage boundary (the message; all that recompute keeps).
  std::int64_t activation_bytes = 64LL << 20;
  std::int64_t boundary_bytes = 8LL << 20;
  // Cost of one message between neighbouring stages: alpha + beta x boundary_bytes. Free by default, so
  // that the bubble formulas hold exactly with uniform stages.
  LinkCost link{0, 0};
};

// The real work behind the simulated operations (optional); each runs when its task starts. A piece is
// a model chunk in pipeline order, 0..p v - 1 (piece k is chunk k / p on stage k mod p).
struct PipelineWork {
  std::function<void(int piece, Phase phase, int microbatch)> compute;
  // The message after piece `from`'s F (activation to from + 1) or B (gradient to from - 1).
  std::function<void(int from, int to, Phase phase, int microbatch)> send;
};

struct PipelineEvent {  // one executed operation
  int stage = 0;
  Operation op;
  double start = 0, end = 0;
};
struct MessageEvent {  // one executed message (its sender's op, to the neighbour's)
  int from_stage = 0, to_stage = 0;
  Operation op;  // the op whose result it carries (an F: activation, a B: gradient)
  double start = 0, end = 0;
};

// What one simulated run measured. Everything is read off the Execution, none of it from a formula.
struct PipelineRun {
  PipelineSpec spec;
  std::vector<PipelineEvent> events;    // every operation, by start time (then stage)
  std::vector<MessageEvent> messages;   // every message between two devices, by start time
  double makespan = 0;
  std::vector<double> busy, idle;       // per stage: seconds computing, makespan - busy
  double bubble = 0;                    // sum of idle / (p x makespan)
  std::vector<std::int64_t> peak_activation_bytes;  // per stage, the memory peak of activations
  std::vector<int> peak_in_flight;      // per stage: most (micro-batch, chunk)s forwarded, not yet backwarded
  std::vector<MemorySample> memory;     // each stage's activation memory over time
};

// Builds the tasks of spec's schedule on a simulator of spec.stages devices, runs it, measures it.
// Throws gb::Error for a bad spec (stages, micro-batches, chunks, durations < 0, bytes < 0,
// boundary_bytes > activation_bytes, per-stage lists of the wrong length).
PipelineRun run_pipeline(const PipelineSpec& spec, const PipelineWork& work = {});

}  // namespace gb::parallel
