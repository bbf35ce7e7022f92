// 20-convolution-and-im2col: direct convolution as a sliding window, Im2Col + one GEMM, spatial pack
// with halos, and the six algorithms of gb::kernels::conv2d giving one answer. The recordings
// (record_sliding_window, record_im2col, record_spatial_pack) each get their own scene ids (prefixed)
// so that their "input" and "output" panels do not collide. The scenario checks every output against
// conv2d(direct) on the same small-integer input, the output size formula and the column matrix shape.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_20_convolution_and_im2col;

namespace {

namespace k = gb::kernels;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 20-convolution-and-im2col self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }
// Runs a recording function on a Recorder of its own and appends its scenes (ids prefixed) and steps
// (in `section`) to rec; `out` keeps the unprefixed sub-recording for the checks.
template <class F>
Tensor merged(Recorder& rec, const std::string& prefix, const std::string& section, trace::Recording& out, F&& body) {
  rec.section(section);
  Recorder sub(rec.recording().lesson, rec.recording().title);
  sub.section(section);
  Tensor result = body(sub);
  out = sub.take();
  for (trace::Scene s : out.scenes) {
    s.id = prefix + s.id;
    rec.add_scene(std::move(s));
  }
  for (trace::Step st : out.steps) {
    for (trace::Change& c : st.changes) c.scene = prefix + c.scene;
    rec.recording().steps.push_back(std::move(st));
  }
  return result;
}

// The recordings' inputs: small integers, x cycling through -3..3 and w through -1..1.
Tensor small_values(const Shape& shape, std::int64_t period, std::int64_t shift) {
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((static_cast<std::int64_t>(i) + shift) % period - period / 2);
  return Tensor::from_values(v, shape);
}

std::vector<double> scene_values(const trace::Recording& r, const std::string& id) {
  const trace::Scene* s = r.find_scene(id);
  check(s != nullptr, "a scene " + id, "none");
  return s->tensor.values;
}

struct Setup {
  std::int64_t size, kernel, stride, pad, channels, out_channels, pack_size, tile, seed;
};

void sliding_window(Recorder& rec, const Setup& p) {
  const std::string section = "1. Direct convolution: a sliding window";
  trace::Recording sub;
  const Tensor y = merged(rec, "window_", section, sub, [&](Recorder& r) {
    return k::record_sliding_window(r, p.size, p.size, p.kernel, p.stride, p.pad);
  });
  const Tensor x = small_values({1, 1, p.size, p.size}, 7, 0), w = small_values({1, 1, p.kernel, p.kernel}, 3, 1);
  check(scene_values(sub, "kernel") == w.to_vector(), "the kernel the recording shows", "");
  const Tensor direct = k::conv2d(x, w, Tensor(), k::Conv2dParams::square(p.stride, p.pad), k::ConvAlgo::direct);
  const std::int64_t out = (p.size - p.kernel + 2 * p.pad) / p.stride + 1;
  check(y.shape() == Shape{1, 1, out, out}, "floor((in - k + 2p) / s) + 1 = " + str(out), y.str());
  check(k::conv_output_size(p.size, p.kernel, p.pad, p.pad, p.stride, 1) == out, "conv_output_size agrees", "");
  check(max_abs_diff(y, direct) == 0, "the window's sums equal conv2d(direct) exactly", y.str());
  // LESSONS.md's example: a 5 x 5 x 1 input and six 3 x 3 kernels give six 3 x 3 outputs.
  Rng rng(static_cast<std::uint64_t>(p.seed));
  const Tensor x5 = rng.uniform({1, 1, 5, 5}, -1, 1), w6 = rng.uniform({6, 1, 3, 3}, -1, 1);
  const Tensor y6 = k::conv2d(x5, w6, Tensor(), k::Conv2dParams::square(1, 0), k::ConvAlgo::direct);
  check(y6.shape() == Shape{1, 6, 3, 3}, "six 3 x 3 outputs from a 5 x 5 x 1 input and six 3 x 3 kernels", y6.str());
  rec.step("Output " + str(out) + " x " + str(out) + " = floor((" + str(p.size) + " - " + str(p.kernel) + " + 2*" +
               str(p.pad) + ") / " + str(p.stride) + ") + 1 per axis, equal to conv2d(direct); six 3 x 3 kernels on "
               "a 5 x 5 x 1 input give an output [1, 6, 3, 3].",
           Level::pass);
}

void im2col_gemm(Recorder& rec, const Setup& p) {
  const std::string section = "2. Im2Col: every window becomes a column";
  trace::Recording sub;
  const Tensor y = merged(rec, "im2col_", section, sub, [&](Recorder& r) {
    return k::record_im2col(r, p.channels, p.size, p.size, p.out_channels, p.kernel, p.stride, p.pad);
  });
  const Tensor x = small_values({1, p.channels, p.size, p.size}, 7, 0);
  const Tensor w = small_values({p.out_channels, p.channels, p.kernel, p.kernel}, 3, 1);
  check(scene_values(sub, "input") == x.to_vector() && scene_values(sub, "weights") == w.to_vector(),
        "the input and weights the recording shows", "");
  const k::Conv2dParams cp = k::Conv2dParams::square(p.stride, p.pad);
  const k::ConvShape s = k::conv_shape(x.shape(), w.shape(), cp);
  const trace::Scene* col = sub.find_scene("col");
  const std::int64_t rows = p.channels * p.kernel * p.kernel, cols = s.out_h * s.out_w;
  check(col != nullptr && col->tensor.rows == rows && col->tensor.cols == cols,
        "a column matrix of (C*KH*KW) x (OH*OW) = " + str(rows) + " x " + str(cols),
        col ? str(col->tensor.rows) + " x " + str(col->tensor.cols) : "none");
  const Tensor direct = k::conv2d(x, w, Tensor(), cp, k::ConvAlgo::direct);
  check(max_abs_diff(y, direct) == 0, "im2col + GEMM equals conv2d(direct) exactly", y.str());
  const Tensor fast = k::conv2d(x, w, Tensor(), cp, k::ConvAlgo::im2col);
  check(max_abs_diff(fast, direct) == 0, "conv2d(im2col) equals conv2d(direct)", fast.str());
  const std::int64_t input = p.channels * p.size * p.size;
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", static_cast<double>(rows * cols) / static_cast<double>(input));
  rec.step("The column matrix is " + str(rows) + " x " + str(cols) + " = " + str(rows * cols) + " floats for an input of " +
               str(input) + " (" + ratio + "x), and one GEMM with the " + str(p.out_channels) + " x " + str(rows) +
               " weights gives exactly conv2d(direct).",
           Level::pass);
}

void spatial_pack(Recorder& rec, const Setup& p) {
  const std::string section = "3. Spatial pack: tiles with halos";
  trace::Recording sub;
  const Tensor y = merged(rec, "pack_", section, sub, [&](Recorder& r) {
    return k::record_spatial_pack(r, p.pack_size, p.pack_size, p.kernel, p.tile, p.stride, p.pad);
  });
  const Tensor x = small_values({1, 1, p.pack_size, p.pack_size}, 7, 0), w = small_values({1, 1, p.kernel, p.kernel}, 3, 1);
  check(scene_values(sub, "input") == x.to_vector(), "the input the recording shows", "");
  const Tensor direct = k::conv2d(x, w, Tensor(), k::Conv2dParams::square(p.stride, p.pad), k::ConvAlgo::direct);
  check(max_abs_diff(y, direct) == 0, "the packed tiles give conv2d(direct) exactly", y.str());
  const trace::Scene* tiles = sub.find_scene("tiles");
  std::size_t rows = 0;
  for (const trace::Step& st : sub.steps)
    for (const trace::Change& c : st.changes) rows += c.kind == trace::ChangeKind::add_row && c.scene == "tiles";
  const std::int64_t out = y.size(-1), per_axis = (out + p.tile - 1) / p.tile;
  check(tiles != nullptr && static_cast<std::int64_t>(rows) == per_axis * per_axis,
        "one row per tile: ceil(" + str(out) + " / " + str(p.tile) + ")^2", str(static_cast<std::int64_t>(rows)));
  rec.step(str(per_axis * per_axis) + " tiles of at most " + str(p.tile) + " x " + str(p.tile) + " outputs, each computed "
               "from its own packed input tile with halo, give exactly conv2d(direct).",
           Level::pass);
}

void six_algorithms(Recorder& rec, const Setup& p) {
  rec.section("4. Six algorithms, one answer");
  Rng rng(static_cast<std::uint64_t>(p.seed));
  const Tensor x = rng.uniform({1, 4, 8, 8}, -1, 1), w = rng.uniform({8, 4, 3, 3}, -1, 1), b = rng.uniform({8}, -1, 1);
  const k::Conv2dParams cp = k::Conv2dParams::square(1, 1);
  const k::ConvShape s = k::conv_shape(x.shape(), w.shape(), cp);
  const Tensor reference = k::conv2d(x, w, b, cp, k::ConvAlgo::direct);
  rec.add_scene(trace::table_scene("algorithms", "x [1, 4, 8, 8], w [8, 4, 3, 3], padding 1",
                                   {"algorithm", "max |y - direct|", "workspace (bytes)"}));
  rec.step("One convolution (4 -> 8 channels, 8 x 8, 3 x 3, padding 1) computed by every algorithm of conv2d.", Level::pass);
  for (k::ConvAlgo a : k::all_conv_algos()) {
    const Tensor y = k::conv2d(x, w, b, cp, a);
    const double err = max_abs_diff(y, reference);
    check(y.shape() == reference.shape() && err < 1e-4, std::string(k::conv_algo_name(a)) + " within 1e-4 of direct", sci(err));
    const std::int64_t bytes = static_cast<std::int64_t>(k::workspace_bytes(s, a));
    rec.step(std::string(k::conv_algo_name(a)) + " agrees with direct (max |diff| = " + sci(err) + ") using " + str(bytes) +
                 " bytes of workspace.",
             Level::op)
        .add_row("algorithms", {k::conv_algo_name(a), sci(err), str(bytes)});
  }
  check(k::choose_algorithm(s) == k::ConvAlgo::im2col, "the chooser picks im2col for 4 -> 8 channels, 3x3",
        k::conv_algo_name(k::choose_algorithm(s)));
  rec.step("For this shape the chooser (ConvAlgo::best) picks im2col: 4 input channels are too few for Winograd (it needs "
           "8), and im2col's one GEMM beats the other algorithms.",
           Level::pass);
}

trace::Recording convolution(const Params& params) {
  Recorder rec("20-convolution-and-im2col", "Convolution: direct, Im2Col + GEMM, spatial pack");
  Setup p{param_int(params, "size"),     param_int(params, "kernel"),       param_int(params, "stride"),
          param_int(params, "pad"),      param_int(params, "channels"),     param_int(params, "out_channels"),
          param_int(params, "pack_size"), param_int(params, "tile"),        param_int(params, "seed")};
  const std::string lesson = "lesson 20-convolution-and-im2col";
  if (p.kernel < 1 || p.kernel > 3) throw Error(lesson, "kernel in [1, 3]", "kernel = " + str(p.kernel));
  if (p.stride < 1 || p.stride > 3) throw Error(lesson, "stride in [1, 3]", "stride = " + str(p.stride));
  if (p.pad < 0 || p.pad >= p.kernel) throw Error(lesson, "pad in [0, kernel - 1]", "pad = " + str(p.pad));
  if (p.size < p.kernel || p.size > 8) throw Error(lesson, "size in [kernel, 8]", "size = " + str(p.size));
  if (p.channels < 1 || p.channels > 4 || p.out_channels < 1 || p.out_channels > 4) {
    throw Error(lesson, "channels and out_channels in [1, 4]",
                "channels = " + str(p.channels) + ", out_channels = " + str(p.out_channels));
  }
  if (p.pack_size < p.kernel || p.pack_size > 16) throw Error(lesson, "pack_size in [kernel, 16]", "pack_size = " + str(p.pack_size));
  if (p.tile < 1 || p.tile > 8) throw Error(lesson, "tile in [1, 8]", "tile = " + str(p.tile));
  if (p.seed < 0) throw Error(lesson, "seed >= 0", "seed = " + str(p.seed));
  sliding_window(rec, p);
  im2col_gemm(rec, p);
  spatial_pack(rec, p);
  six_algorithms(rec, p);
  return rec.take();
}

}  // namespace

Lesson lesson_20_convolution_and_im2col() {
  return {"20-convolution-and-im2col",
          "Convolution: direct, Im2Col + GEMM, spatial pack",
          "Part III, inference engine",
          {{"size", "5", "input height and width of sections 1 and 2 (kernel-8)"},
           {"kernel", "3", "kernel size k (1-3)"},
           {"stride", "1", "stride s (1-3)"},
           {"pad", "0", "zero padding p on every side (0 to kernel - 1)"},
           {"channels", "1", "input channels of the Im2Col recording (1-4)"},
           {"out_channels", "4", "filters of the Im2Col recording (1-4)"},
           {"pack_size", "10", "input height and width of the spatial-pack recording (kernel-16)"},
           {"tile", "4", "output tile of the spatial pack (1-8)"},
           {"seed", "1", "seed of the random inputs of the six-kernel example and of section 4"}},
          lesson_text_20_convolution_and_im2col,
          convolution};
}

}  // namespace gb::lessons
