// 19-gemm: the GEMM optimisation ladder. The five loops of BLIS watched on small matrices
// (record_gemm_blocking: blocks of C, packed panels, micro-tiles), then every rung of the ladder run on
// one odd-sized product and checked against gb::matmul in double precision, then the sizes the default
// blocking keeps in each cache level. No timings are recorded (recordings are deterministic); the
// notebook notebooks/kernels.ipynb and bench/bench_gemm measure them.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/kernels/gemm.hpp"
#include "gb/kernels/recordings.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_19_gemm;

namespace {

namespace k = gb::kernels;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 19-gemm self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }
Tensor scene_tensor(Recorder& rec, const std::string& id) {
  const trace::Scene* s = rec.recording().find_scene(id);
  check(s != nullptr && s->kind == trace::SceneKind::tensor, "a tensor scene " + id, "none");
  return Tensor::from_values(s->tensor.values, {s->tensor.rows, s->tensor.cols});
}

void five_loops(Recorder& rec, std::int64_t m, std::int64_t n, std::int64_t kk, bool elements) {
  rec.section("1. Five loops around a micro-kernel");
  const k::RecordBlocking blk;
  const Tensor c = k::record_gemm_blocking(rec, m, n, kk, blk, elements);
  // Independent check: the A and B the recording shows, multiplied by the reference matmul.
  const Tensor expected = gb::matmul(scene_tensor(rec, "A"), scene_tensor(rec, "B"));
  check(max_abs_diff(c, expected) == 0, "the recorded blocked GEMM equals matmul(A, B) exactly (small integers)",
        c.str());
  const std::int64_t blocks = ((m + blk.mc - 1) / blk.mc) * ((n + blk.nc - 1) / blk.nc) * ((kk + blk.kc - 1) / blk.kc);
  const std::int64_t tiles_per_block = (blk.mc / blk.mr) * (blk.nc / blk.nr);
  rec.step("C = A B equals matmul(A, B) exactly: " + str(blocks) + " (block of C, KC slice) pairs, each up to " +
               str(tiles_per_block) + " micro-tiles of " + str(blk.mr) + " x " + str(blk.nr) + ".",
           Level::pass);
}

struct Rung {
  const char* changes;
  const char* tile;
};
Rung describe(k::Variant v) {
  switch (v) {
    case k::Variant::naive: return {"i, j, p: one dot product per element", "-"};
    case k::Variant::ikj: return {"loop order i, p, j: unit-stride inner loop", "-"};
    case k::Variant::blocked: return {"cache blocks MC x KC x NC", "-"};
    case k::Variant::packed: return {"panels packed into MR/NR slivers", "4 x 8 (in memory)"};
    case k::Variant::micro: return {"the C tile held in registers", "4 x 8"};
    case k::Variant::avx2: return {"AVX2+FMA micro-kernel", "6 x 16"};
    case k::Variant::avx512: return {"AVX-512F micro-kernel", "12 x 32"};
    case k::Variant::threaded: return {"3rd loop (IC) over 2 threads", "best kernel's"};
    case k::Variant::best: return {"the fastest kernel this CPU has", "best kernel's"};
  }
  return {"", ""};
}

void ladder(Recorder& rec, std::int64_t seed) {
  rec.section("2. The ladder, rung by rung");
  const std::int64_t m = 37, n = 45, kk = 29;  // not multiples of any MR, NR, MC, KC: edge tiles everywhere
  Rng rng(static_cast<std::uint64_t>(seed));
  const Tensor a = rng.uniform({m, kk}, -1, 1), b = rng.uniform({kk, n}, -1, 1);
  const Tensor expected = gb::matmul(a.to(DType::f64), b.to(DType::f64));
  rec.add_scene(trace::table_scene("ladder", "every rung on C (37 x 45) = A (37 x 29) B (29 x 45)",
                                   {"rung", "what it changes", "micro-tile", "max |C - matmul|"}));
  rec.step("Every rung computes the same C = A B (37 x 29 times 29 x 45, inputs uniform in [-1, 1]); each is checked "
           "against matmul in double precision.",
           Level::pass);
  std::int64_t ran = 0;
  for (k::Variant v : k::all_variants()) {
    const Rung r = describe(v);
    const std::string name = k::variant_name(v);
    if (!k::variant_available(v)) {
      rec.step("Rung " + name + " needs instructions this CPU lacks, so it is skipped here (the run-time check "
                                "__builtin_cpu_supports says no).",
               Level::op)
          .add_row("ladder", {name, r.changes, r.tile, "not on this CPU"});
      continue;
    }
    const Tensor c = k::gemm(a, b, v, v == k::Variant::threaded ? 2 : 0);
    check(c.shape() == Shape{m, n}, "C of shape [37, 45] from rung " + name, c.str());
    const double err = max_abs_diff(c, expected);
    check(err < 1e-4, "rung " + name + " within 1e-4 of matmul", sci(err));
    ++ran;
    rec.step("Rung " + name + " (" + r.changes + ") agrees with matmul: max |C - matmul| = " + sci(err) + ".", Level::op)
        .add_row("ladder", {name, r.changes, r.tile, sci(err)});
  }
  const Tensor best = k::gemm(a, b, k::Variant::best), chosen = k::gemm(a, b, k::best_variant());
  check(max_abs_diff(best, chosen) == 0, "best = " + std::string(k::variant_name(k::best_variant())) + " bit for bit",
        sci(max_abs_diff(best, chosen)));
  const Tensor one = k::gemm(a, b, k::Variant::threaded, 1), two = k::gemm(a, b, k::Variant::threaded, 2);
  check(max_abs_diff(one, two) == 0, "threaded on 2 threads equals 1 thread bit for bit", sci(max_abs_diff(one, two)));
  rec.step(str(ran) + " rungs ran; best is " + k::variant_name(k::best_variant()) +
               " on this CPU, and two threads give the same bits as one (the same additions in the same order).",
           Level::pass);
}

std::string kib(std::int64_t bytes) {
  char buf[32];
  if (bytes >= 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%g MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  } else {
    std::snprintf(buf, sizeof buf, "%g KiB", static_cast<double>(bytes) / 1024.0);
  }
  return buf;
}

void cache_sizes(Recorder& rec) {
  rec.section("3. Blocks sized for the caches");
  const k::Blocking blk;
  rec.add_scene(trace::table_scene("blocking", "the default blocking (MC = 96, KC = 512, NC = 4096), f32",
                                   {"what", "shape", "bytes", "where it stays"}));
  struct Tile {
    const char* name;
    std::int64_t mr, nr, registers, vector_floats;
  };
  const std::vector<Tile> tiles = {{"micro (SSE)", 4, 8, 16, 4}, {"avx2", 6, 16, 16, 8}, {"avx512", 12, 32, 32, 16}};
  for (const Tile& t : tiles) {
    check(blk.mc % t.mr == 0 && blk.nc % t.nr == 0, "MC a multiple of MR and NC of NR for " + std::string(t.name),
          str(blk.mc) + ", " + str(blk.nc));
  }
  const std::int64_t sliver = blk.kc * 16 * 4, block = blk.mc * blk.kc * 4, panel = blk.kc * blk.nc * 4;
  check(sliver == 32 * 1024 && block == 192 * 1024 && panel == 8 * 1024 * 1024, "32 KiB, 192 KiB and 8 MiB",
        str(sliver) + ", " + str(block) + ", " + str(panel));
  rec.step("A KC x NR sliver of B (512 x 16 floats) is " + kib(sliver) +
               ": the whole 32 KiB L1 (twice that for the 12 x 32 kernel), more than the textbook rule. Measured, the "
               "longer KC still wins: each C tile is loaded and stored half as often, and L2 keeps the sliver coming.",
           Level::op)
      .add_row("blocking", {"B sliver", "KC x NR = 512 x 16", kib(sliver), "L1 (32 KiB), partly L2"});
  rec.step("An MC x KC block of A (96 x 512 floats) is " + kib(block) + " and stays in L2.", Level::op)
      .add_row("blocking", {"A block", "MC x KC = 96 x 512", kib(block), "L2 (1 MiB)"});
  rec.step("A KC x NC panel of B (512 x 4096 floats) is " + kib(panel) + " and stays in L3.", Level::op)
      .add_row("blocking", {"B panel", "KC x NC = 512 x 4096", kib(panel), "L3 (32 MiB)"});
  for (const Tile& t : tiles) {
    const std::int64_t accumulators = t.mr * t.nr / t.vector_floats;
    check(accumulators < t.registers, "the C tile fits the vector registers", str(accumulators));
    rec.step("The " + str(t.mr) + " x " + str(t.nr) + " C tile of " + t.name + " needs " + str(accumulators) + " of the " +
                 str(t.registers) + " vector registers, leaving room for the A and B values.",
             Level::op)
        .add_row("blocking", {std::string("C tile, ") + t.name, "MR x NR = " + str(t.mr) + " x " + str(t.nr),
                              str(accumulators) + " registers", "registers (" + str(t.registers) + ")"});
  }
}

trace::Recording gemm_lesson(const Params& params) {
  Recorder rec("19-gemm", "GEMM: the optimisation ladder");
  const std::int64_t m = param_int(params, "m"), n = param_int(params, "n"), kk = param_int(params, "k");
  const std::int64_t elements = param_int(params, "elements"), seed = param_int(params, "seed");
  if (m < 1 || m > 16 || n < 1 || n > 16 || kk < 1 || kk > 16) {
    throw Error("lesson 19-gemm", "m, n and k in [1, 16] (a size worth watching)",
                "m = " + str(m) + ", n = " + str(n) + ", k = " + str(kk));
  }
  if (elements != 0 && elements != 1) throw Error("lesson 19-gemm", "elements = 0 or 1", "elements = " + str(elements));
  if (seed < 0) throw Error("lesson 19-gemm", "seed >= 0", "seed = " + str(seed));
  five_loops(rec, m, n, kk, elements == 1);
  ladder(rec, seed);
  cache_sizes(rec);
  return rec.take();
}

}  // namespace

Lesson lesson_19_gemm() {
  return {"19-gemm",
          "GEMM: the optimisation ladder",
          "Part III, inference engine",
          {{"m", "6", "rows M of A and C in the recorded blocked GEMM (1-16)"},
           {"n", "8", "columns N of B and C (1-16)"},
           {"k", "8", "the reduction K (1-16)"},
           {"elements", "1", "1: also record each multiply-add into the first micro-tile (element level)"},
           {"seed", "1", "seed of the random 37 x 29 and 29 x 45 matrices of the ladder"}},
          lesson_text_19_gemm,
          gemm_lesson};
}

}  // namespace gb::lessons
