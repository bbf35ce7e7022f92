// 12-zero-and-fsdp: ZeRO stages 0-3 (and FSDP's names for them): memory per device measured from the
// accounting of a simulated step at the paper's scale (7.5e9 parameters on 64 devices), the paper's
// table reproduced beside its formulas, the timeline and memory counters of a small step per stage with
// real collectives, and the communication volume each stage sends. The scenario checks its numbers:
// the measured model states against the formulas, the volumes against 2 (n-1)/n Psi and 3 (n-1)/n Psi.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/parallel/zero.hpp"
#include "gb/parallel/zero_record.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_12_zero_and_fsdp;

namespace {

namespace p = gb::parallel;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 12-zero-and-fsdp self-check", what, given);
}

std::string gb_text(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
  return buf;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

const char* const kStageNames[] = {"0 (plain DP)", "1 (P_os)", "2 (P_os+g)", "3 (P_os+g+p)"};
const char* const kFsdp[] = {"NO_SHARD", "-", "SHARD_GRAD_OP", "FULL_SHARD"};

// The paper's formula for stage s, in bytes.
double formula(double psi, double nd, double k, int stage) {
  const double f[] = {(2 + 2 + k) * psi, 2 * psi + 2 * psi + k * psi / nd, 2 * psi + (2 + k) * psi / nd,
                      (2 + 2 + k) * psi / nd};
  return f[stage];
}

struct Settings {
  std::int64_t parameters = 7'500'000'000LL, timeline_parameters = 1 << 20;
  int devices = 64, timeline_devices = 4, k = 12;
};

p::ZeroConfig config(std::int64_t psi, int nd, int stage, int k, bool communicate) {
  p::ZeroConfig c;
  c.num_params = psi;
  c.devices = nd;
  c.stage = stage;
  c.k = k;
  c.communicate = communicate;
  c.cluster.memory_bytes = 0;
  return c;
}

// One stage: the paper-scale memory row, the bar, and the small step's timeline.
void stage_memory(Recorder& rec, const Settings& s, int stage) {
  const p::ZeroStep big = p::simulate_zero_step(config(s.parameters, s.devices, stage, s.k, false));
  const double measured = static_cast<double>(big.model_states.total());
  const double expected = formula(static_cast<double>(s.parameters), s.devices, s.k, stage);
  // Shards are rounded up to whole parameters: at most 2 + 2 + K bytes above the formula.
  check(measured >= expected - 0.5 && measured <= expected + 4 + s.k, "the paper's " + gb_text(expected) + " at stage " + std::to_string(stage),
        gb_text(measured));
  const p::ModelStates& m = big.model_states;
  rec.step("Stage " + std::string(kStageNames[stage]) + ": device 0's model states peak at " + gb_text(measured) +
               ", the paper's formula gives " + gb_text(expected) + ".",
           Level::op)
      .add_row("zero_memory", {kStageNames[stage], kFsdp[stage], gb_text(static_cast<double>(m.parameters)),
                               gb_text(static_cast<double>(m.gradients)), gb_text(static_cast<double>(m.optimizer_states)),
                               gb_text(measured), gb_text(expected)})
      .add_point("memory_bars", "measured", stage, measured / 1e9)
      .add_point("memory_bars", "paper formula", stage, expected / 1e9);

  const p::ZeroStep small = p::simulate_zero_step(config(s.timeline_parameters, s.timeline_devices, stage, s.k, true));
  p::record_zero_step(rec, "timeline_stage_" + std::to_string(stage),
                      "Stage " + std::string(kStageNames[stage]) + ": one step of " + num(static_cast<double>(s.timeline_parameters)) +
                          " parameters on " + std::to_string(s.timeline_devices) + " devices (us, MiB)",
                      small,
                      "One step at stage " + std::to_string(stage) + ": device 0 peaks at " + num(static_cast<double>(small.peak_bytes) / (1 << 20)) +
                          " MiB, of which " + num(static_cast<double>(small.buffer_peak_bytes) / (1 << 20)) + " MiB transient buffers.");
}

trace::Recording zero_and_fsdp(const Params& params) {
  Recorder rec("12-zero-and-fsdp", "ZeRO and FSDP: sharding the model states");
  Settings s;
  s.parameters = param_int(params, "parameters");
  s.devices = static_cast<int>(param_int(params, "devices"));
  s.k = static_cast<int>(param_int(params, "k"));
  s.timeline_parameters = param_int(params, "timeline_parameters");
  s.timeline_devices = static_cast<int>(param_int(params, "timeline_devices"));
  if (s.parameters < 1 || s.parameters > 1'000'000'000'000'000LL)
    throw Error("lesson 12 parameter parameters", "1..1e15", std::to_string(s.parameters));
  if (s.devices < 1 || s.devices > 4096) throw Error("lesson 12 parameter devices", "1..4096", std::to_string(s.devices));
  if (s.k < 0 || s.k > 64) throw Error("lesson 12 parameter k", "0..64 bytes", std::to_string(s.k));
  if (s.timeline_devices < 2 || s.timeline_devices > 16)
    throw Error("lesson 12 parameter timeline_devices", "2..16", std::to_string(s.timeline_devices));
  if (s.timeline_parameters < 1024 || s.timeline_parameters > (1 << 22))
    throw Error("lesson 12 parameter timeline_parameters", "1024..4194304", std::to_string(s.timeline_parameters));

  rec.add_scene(trace::table_scene("zero_memory", "Model states per device: " + num(static_cast<double>(s.parameters)) +
                                                      " parameters, " + std::to_string(s.devices) + " devices, K = " + std::to_string(s.k),
                                   {"stage", "FSDP", "fp16 weights", "fp16 gradients", "optimizer states", "measured", "paper formula"}));
  rec.add_scene(trace::plot_scene("memory_bars", "Model states per device (GB) by ZeRO stage", "stage", "GB per device"));

  rec.section("1. Where the memory goes");
  rec.step("Every parameter costs 2 + 2 + " + std::to_string(s.k) + " bytes of model states: " +
               gb_text(static_cast<double>((4 + s.k) * s.parameters)) + " for the whole model.",
           Level::pass);
  stage_memory(rec, s, 0);
  rec.section("2. ZeRO-1: shard the optimizer states");
  stage_memory(rec, s, 1);
  rec.section("3. ZeRO-2: shard the gradients too");
  stage_memory(rec, s, 2);
  rec.section("4. ZeRO-3 and FSDP: shard the parameters");
  stage_memory(rec, s, 3);

  rec.section("5. The communication price");
  rec.add_scene(trace::table_scene("volume", "Values sent per device in one step (" + num(static_cast<double>(s.timeline_parameters)) +
                                                 " parameters, " + std::to_string(s.timeline_devices) + " devices)",
                                   {"stage", "collectives", "bytes sent", "in Psi", "paper (ring)"}));
  const double psi = static_cast<double>(s.timeline_parameters), nd = s.timeline_devices, ring = (nd - 1) / nd;
  double volume[4];
  for (int stage = 0; stage <= 3; ++stage) {
    const p::ZeroStep step = p::simulate_zero_step(config(s.timeline_parameters, s.timeline_devices, stage, s.k, true));
    volume[stage] = static_cast<double>(step.bytes_sent_per_rank) / 2;  // fp16 values
    const double paper = (stage == 3 ? 3 : 2) * ring;
    rec.step("Stage " + std::to_string(stage) + " sends " + num(volume[stage] / psi) + " Psi per device in " +
                 std::to_string(step.collectives.size()) + " collectives.",
             Level::op)
        .add_row("volume", {kStageNames[stage], std::to_string(step.collectives.size()), std::to_string(step.bytes_sent_per_rank),
                            num(volume[stage] / psi), num(paper)});
  }
  // Layers and shards pad the buffers a little: within 1% of the formulas.
  for (int stage = 0; stage <= 3; ++stage) {
    const double paper = (stage == 3 ? 3 : 2) * ring * psi;
    check(std::fabs(volume[stage] / paper - 1) < 0.01, num(paper) + " values at stage " + std::to_string(stage), num(volume[stage]));
  }
  rec.step("ZeRO-3 sends " + num(volume[3] / volume[0]) + " times what plain data parallelism sends; stages 1 and 2 send the same.",
           Level::pass);
  return rec.take();
}

}  // namespace

Lesson lesson_12_zero_and_fsdp() {
  return {"12-zero-and-fsdp",
          "ZeRO and FSDP: sharding the model states",
          "Part II, distributed training (simulated)",
          {{"parameters", "7500000000", "Psi, the model's parameters (the paper's example: 7.5e9)"},
           {"devices", "64", "Nd, the data-parallel devices"},
           {"k", "12", "bytes of optimizer state per parameter (Adam in mixed precision: 12)"},
           {"timeline_parameters", "1048576", "parameters of the small model whose steps are drawn (1024..4194304)"},
           {"timeline_devices", "4", "devices of the drawn steps (2..16)"}},
          lesson_text_12_zero_and_fsdp,
          zero_and_fsdp};
}

}  // namespace gb::lessons
