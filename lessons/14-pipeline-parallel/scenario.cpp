// 14-pipeline-parallel: the four pipeline schedules run on the simulated cluster, one Gantt chart each:
// naive model parallelism, GPipe (with and without recomputation), 1F1B and interleaved 1F1B. Every
// span, idle gap and memory counter is read off the simulator's execution; the scenario checks the
// measured bubbles against the published formulas, the activation peaks against the schedules' claims,
// and runs real pipeline-parallel training of a small MLP against the same step on one device.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/functional.hpp"
#include "gb/parallel/pipeline.hpp"
#include "gb/parallel/pipeline_record.hpp"
#include "gb/parallel/pipeline_training.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_14_pipeline_parallel;

namespace {

namespace pp = gb::parallel;
using pp::Schedule;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 14-pipeline-parallel self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string mib(std::int64_t bytes) { return num(static_cast<double>(bytes) / (1 << 20)); }

std::string list(const std::vector<int>& v) {
  std::string out;
  for (int x : v) out += (out.empty() ? "" : " ") + std::to_string(x);
  return out;
}

struct Settings {
  int stages = 4, microbatches = 8, chunks = 2;
  double fwd_time = 1, bwd_time = 2;
};

pp::PipelineRun simulate(const Settings& s, Schedule schedule, bool recompute = false) {
  pp::PipelineSpec spec;
  spec.schedule = schedule;
  spec.stages = s.stages;
  spec.microbatches = s.microbatches;
  spec.chunks = schedule == Schedule::interleaved ? s.chunks : 1;
  spec.recompute = recompute;
  spec.forward_seconds = s.fwd_time;
  spec.backward_seconds = s.bwd_time;
  return pp::run_pipeline(spec);
}

// One row of the comparison table, and the check that the measured bubble is the formula's.
void add_row(Recorder& rec, const std::string& label, const pp::PipelineRun& run) {
  const double formula = pp::bubble_formula(run.spec.schedule, run.spec.stages, run.spec.microbatches, run.spec.chunks);
  if (!run.spec.recompute) {
    check(std::fabs(run.bubble - formula) < 1e-9, "the " + label + " bubble measured equal to the formula " + num(formula), num(run.bubble));
  }
  rec.step("The table gains the " + label + " row: makespan " + num(run.makespan) + " s, bubble " + num(run.bubble) + ".", Level::op)
      .add_row("schedules", {label, num(run.makespan), num(run.bubble), run.spec.recompute ? "-" : num(formula),
                             list(run.peak_in_flight), mib(run.peak_activation_bytes.front())});
}

// --- 1. naive model parallel ----------------------------------------------------------------------------
void naive(Recorder& rec, const Settings& s) {
  rec.section("1. Naive model parallel");
  rec.add_scene(trace::table_scene("schedules", "The schedules compared (measured on the simulator)",
                                   {"schedule", "makespan (s)", "bubble measured", "bubble formula", "peak in flight per stage",
                                    "stage 0 peak activations (MiB)"}));
  const pp::PipelineRun run = simulate(s, Schedule::naive);
  pp::record_pipeline_timeline(rec, run, "naive", "Naive model parallel: one micro-batch at a time");
  add_row(rec, "naive", run);
}

// --- 2. GPipe -----------------------------------------------------------------------------------------------
pp::PipelineRun gpipe(Recorder& rec, const Settings& s) {
  rec.section("2. GPipe and the bubble");
  const pp::PipelineRun run = simulate(s, Schedule::gpipe);
  pp::record_pipeline_timeline(rec, run, "gpipe", "GPipe: all forwards, then all backwards");
  for (int peak : run.peak_in_flight) check(peak == s.microbatches, "GPipe holding all m micro-batches", std::to_string(peak));
  add_row(rec, "GPipe", run);
  return run;
}

// --- 3. recomputation ---------------------------------------------------------------------------------------
void recomputation(Recorder& rec, const Settings& s, const pp::PipelineRun& plain) {
  rec.section("3. Recomputation");
  const pp::PipelineRun run = simulate(s, Schedule::gpipe, true);
  pp::record_pipeline_timeline(rec, run, "gpipe_recompute", "GPipe with recomputation: each backward re-runs its forward");
  check(run.makespan > plain.makespan, "recomputation to take longer than " + num(plain.makespan) + " s", num(run.makespan));
  check(run.peak_activation_bytes.front() < plain.peak_activation_bytes.front(),
        "recomputation to lower the activation peak below " + mib(plain.peak_activation_bytes.front()) + " MiB",
        mib(run.peak_activation_bytes.front()));
  rec.step("Recomputation costs " + num(run.makespan - plain.makespan) + " s more and lowers stage 0's activation peak from " +
               mib(plain.peak_activation_bytes.front()) + " to " + mib(run.peak_activation_bytes.front()) + " MiB.",
           Level::op);
  add_row(rec, "GPipe + recompute", run);
}

// --- 4. 1F1B ------------------------------------------------------------------------------------------------
void one_f_one_b(Recorder& rec, const Settings& s) {
  rec.section("4. 1F1B and activation memory");
  const pp::PipelineRun run = simulate(s, Schedule::one_f_one_b);
  pp::record_pipeline_timeline(rec, run, "1f1b", "1F1B (PipeDream-Flush): warm-up, one forward one backward, cool-down");
  for (int r = 0; r < s.stages; ++r) {
    const int expected = std::min(s.stages - r, s.microbatches);
    check(run.peak_in_flight[static_cast<std::size_t>(r)] == expected,
          "stage " + std::to_string(r) + " holding min(p - r, m) = " + std::to_string(expected) + " micro-batches",
          std::to_string(run.peak_in_flight[static_cast<std::size_t>(r)]));
  }
  add_row(rec, "1F1B", run);

  // The same schedule with the real math: an MLP cut into the stages, trained one step on micro-batches,
  // against one step on one device with the whole batch.
  pp::PipelineSpec spec = run.spec;
  const std::vector<std::int64_t> widths(static_cast<std::size_t>(s.stages) + 1, 8);
  auto single = pp::mlp_stack(widths, 0), piped = pp::mlp_stack(widths, 0);
  Rng rng(1);
  const Tensor x = rng.normal({4 * static_cast<std::int64_t>(s.microbatches), 8}), y = rng.normal({4 * static_cast<std::int64_t>(s.microbatches), 8});
  nn::SGD single_opt(single->parameters(), {0.1, 0, 0, false, 0}), piped_opt(piped->parameters(), {0.1, 0, 0, false, 0});
  const auto loss = nn::mse_loss((*single)(autodiff::Variable(x)), autodiff::Variable(y));
  loss.backward();
  single_opt.step();
  const pp::PipelineStepResult step = pp::pipeline_train_step(pp::split_into_pieces(*piped, s.stages), piped_opt, x, y, spec);
  const double expected = loss.value().to_vector()[0];
  double worst = 0;
  const auto a = piped->state_dict(), b = single->state_dict();
  for (const auto& [name, value] : b) worst = std::max(worst, max_abs_diff(a.at(name), value));
  check(std::fabs(step.loss - expected) <= 1e-5 * std::fabs(expected), "the pipelined loss equal to one device's " + num(expected), num(step.loss));
  check(worst < 1e-5, "the same parameters after one step (within 1e-5)", sci(worst));
  rec.step("Run for real on a " + std::to_string(widths.size() - 1) + "-layer MLP, 1F1B gives the loss " + num(step.loss) +
               " of one device's full batch, and parameters within " + sci(worst) + " after the step.",
           Level::op);
}

// --- 5. interleaved 1F1B ------------------------------------------------------------------------------------
void interleaved(Recorder& rec, const Settings& s) {
  rec.section("5. Interleaved 1F1B");
  const pp::PipelineRun run = simulate(s, Schedule::interleaved);
  pp::record_pipeline_timeline(rec, run, "interleaved", "Interleaved 1F1B: " + std::to_string(s.chunks) + " model chunks per stage");
  add_row(rec, "interleaved (v = " + std::to_string(s.chunks) + ")", run);
  rec.step("With " + std::to_string(s.chunks) + " chunks per stage the bubble time is (p - 1)(tf + tb) / v = " +
               num((s.stages - 1) * (s.fwd_time + s.bwd_time) / s.chunks) + " s, paid for with " +
               std::to_string(run.messages.size()) + " messages instead of " +
               std::to_string(2 * (s.stages - 1) * s.microbatches) + ".",
           Level::op);
}

trace::Recording pipeline(const Params& params) {
  Recorder rec("14-pipeline-parallel", "Pipeline parallelism: GPipe, 1F1B and the bubble");
  Settings s;
  const std::int64_t stages = param_int(params, "stages"), microbatches = param_int(params, "microbatches"),
                     chunks = param_int(params, "chunks");
  s.fwd_time = param_double(params, "fwd_time");
  s.bwd_time = param_double(params, "bwd_time");
  if (stages < 2 || stages > 16) throw Error("lesson 14 parameter stages", "2..16", std::to_string(stages));
  if (microbatches < 1 || microbatches > 64) throw Error("lesson 14 parameter microbatches", "1..64", std::to_string(microbatches));
  if (microbatches % stages != 0) {
    throw Error("lesson 14 parameter microbatches", "a multiple of stages (interleaved 1F1B needs it)", std::to_string(microbatches));
  }
  if (chunks < 2 || chunks > 8) throw Error("lesson 14 parameter chunks", "2..8", std::to_string(chunks));
  if (!(s.fwd_time > 0 && s.fwd_time <= 100)) throw Error("lesson 14 parameter fwd_time", "0 < fwd_time <= 100", num(s.fwd_time));
  if (!(s.bwd_time > 0 && s.bwd_time <= 100)) throw Error("lesson 14 parameter bwd_time", "0 < bwd_time <= 100", num(s.bwd_time));
  s.stages = static_cast<int>(stages);
  s.microbatches = static_cast<int>(microbatches);
  s.chunks = static_cast<int>(chunks);

  naive(rec, s);
  const pp::PipelineRun plain = gpipe(rec, s);
  recomputation(rec, s, plain);
  one_f_one_b(rec, s);
  interleaved(rec, s);
  return rec.take();
}

}  // namespace

Lesson lesson_14_pipeline_parallel() {
  return {"14-pipeline-parallel",
          "Pipeline parallelism: GPipe, 1F1B and the bubble",
          "Part II, distributed training (simulated)",
          {{"stages", "4", "pipeline stages p, one device each (2..16)"},
           {"microbatches", "8", "micro-batches m per batch (a multiple of stages, for interleaving)"},
           {"chunks", "2", "model chunks v per stage in interleaved 1F1B (2..8)"},
           {"fwd_time", "1", "seconds of one micro-batch's forward on one stage"},
           {"bwd_time", "2", "seconds of one micro-batch's backward on one stage (about twice the forward)"}},
          lesson_text_14_pipeline_parallel,
          pipeline};
}

}  // namespace gb::lessons
