// 23-quantization-basics: the affine map between reals and an integer grid. LESSONS.md's worked example
// (r = [-1, 0, 0.5, 2] as uint8: S = 3/255, Z = 85, q = [0, 85, 127, 255]; symmetric int8 amax 2:
// S = 2/127, q = [-64, 0, 32, 127]), the rounding staircase and saturation, per-tensor against
// per-channel scales on the first convolution of a trained digits CNN, one output of that convolution
// computed as an int32 dot product with zero points, and its requantization to the output grid in
// fixed point (gemmlowp / TFLite), step by step, beside the float result.
// The scenario checks its own numbers: the published example, the error bounds of rounding, the
// zero-point expansion of the dot product, and the fixed-point result against float rounding.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/train.hpp"
#include "gb/nn/layers.hpp"
#include "gb/quant/fixed_point.hpp"
#include "gb/quant/fold.hpp"
#include "gb/quant/qparams.hpp"
#include "gb/trace/recorder.hpp"
#include "gb/trace/tensor_scene.hpp"

namespace gb::lessons {

extern const char* const lesson_text_23_quantization_basics;

namespace {

namespace q = gb::quant;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 23-quantization-basics self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
std::string str(std::int64_t v) { return std::to_string(v); }
const char* type_name(DType t) { return t == DType::u8 ? "uint8" : "int8"; }

Tensor f32(const std::vector<double>& v) { return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}); }

q::QParams per_tensor(double scale, std::int32_t zero_point, DType dtype, bool restricted = false) {
  q::QParams p;
  p.dtype = dtype;
  p.scale = {scale};
  p.zero_point = {zero_point};
  p.restricted = restricted;
  return p;
}

// --- 1. the worked example -----------------------------------------------------------------------
void worked_example(Recorder& rec) {
  rec.section("1. The affine map: scale and zero point");
  const std::vector<double> r = {-1.0, 0.0, 0.5, 2.0};
  rec.add_scene(trace::table_scene("example", "r = [-1, 0, 0.5, 2] on two grids",
                                   {"map", "r", "r / S", "rounded (half to even)", "q = rounded + Z", "S (q - Z)"}));
  rec.add_scene(trace::plot_scene("example_plot", "Each real value and its integer code", "real value r", "code q"));
  trace::PlotScene& plot = rec.recording().scenes.back().plot;
  plot.series = {{"uint8 affine", trace::SeriesKind::scatter, {}, {}}, {"int8 symmetric", trace::SeriesKind::scatter, {}, {}}};

  struct Map {
    const char* name;
    DType dtype;
    bool symmetric;
    std::vector<double> expected;
  };
  const std::vector<Map> maps = {{"uint8 affine", DType::u8, false, {0, 85, 127, 255}},
                                 {"int8 symmetric", DType::i8, true, {-64, 0, 32, 127}}};
  for (const Map& m : maps) {
    const auto [scale, zero_point] = q::choose_qparams(-1.0, 2.0, m.dtype, m.symmetric, m.symmetric);
    if (m.symmetric) {
      check(std::fabs(scale - 2.0 / 127.0) < 1e-15 && zero_point == 0, "S = 2/127, Z = 0", num(scale) + ", " + str(zero_point));
      rec.step("Symmetric int8 on [-127, 127]: S = max(|-1|, |2|) / 127 = " + num(scale) +
                   " and Z = 0, so real 0 is code 0 and the grid is the same on both sides.",
               Level::pass);
    } else {
      check(std::fabs(scale - 3.0 / 255.0) < 1e-15 && zero_point == 85, "S = 3/255, Z = 85", num(scale) + ", " + str(zero_point));
      rec.step("Affine uint8 on [-1, 2]: S = (2 - (-1)) / 255 = " + num(scale) + " and Z = 0 - round(-1 / S) = " +
                   str(zero_point) + ", the code that stands for real 0.",
               Level::pass);
    }
    const q::QParams p = per_tensor(scale, zero_point, m.dtype, m.symmetric);
    const std::vector<double> codes = q::quantize(f32(r), p).to_vector();
    const std::vector<double> back = q::dequantize(q::quantize(f32(r), p), p).to_vector();
    check(codes == m.expected, std::string(m.name) + " codes as in LESSONS.md", num(codes[0]) + ", " + num(codes[1]) +
                                                                                    ", " + num(codes[2]) + ", " + num(codes[3]));
    for (std::size_t i = 0; i < r.size(); ++i) {
      const double t = r[i] / scale, rounded = std::nearbyint(t);
      const bool tie = std::fabs(t - std::trunc(t)) == 0.5;
      rec.step(std::string(m.name) + ": r = " + num(r[i]) + " gives r / S = " + num(t) +
                   (tie ? ", a tie that rounds to the even " : ", rounded to ") + num(rounded) + ", code q = " +
                   num(codes[i]) + ", which stands for S (q - Z) = " + num(back[i]) + ".",
               Level::element)
          .add_row("example", {m.name, num(r[i]), num(t), num(rounded), num(codes[i]), num(back[i])})
          .add_point("example_plot", m.name, r[i], codes[i]);
    }
  }
}

// --- 2. the staircase ----------------------------------------------------------------------------
void staircase(Recorder& rec, double lo, double hi, DType dtype) {
  rec.section("2. Rounding and saturation");
  const auto [scale, zero_point] = q::choose_qparams(lo, hi, dtype);
  const q::QParams p = per_tensor(scale, zero_point, dtype);
  const q::QRange range = p.range();
  const double grid_lo = scale * (range.qmin - zero_point), grid_hi = scale * (range.qmax - zero_point);
  const double margin = 0.25 * (grid_hi - grid_lo);
  rec.add_scene(trace::plot_scene("staircase", std::string(type_name(dtype)) + " grid on [" + num(lo) + ", " + num(hi) +
                                                   "]: q = quantize(r)",
                                  "real value r", "code q"));
  trace::PlotScene& stairs = rec.recording().scenes.back().plot;
  stairs.series = {{"quantize", trace::SeriesKind::line, {}, {}}};
  stairs.thresholds = {{"S (qmin - Z)", grid_lo}, {"0", 0.0}, {"S (qmax - Z)", grid_hi}};
  rec.add_scene(trace::plot_scene("roundtrip_error", "The error of the round trip, S (q - Z) - r", "real value r", "error"));
  trace::PlotScene& err = rec.recording().scenes.back().plot;
  err.series = {{"error", trace::SeriesKind::line, {}, {}}};
  err.thresholds = {{"S (qmin - Z)", grid_lo}, {"S (qmax - Z)", grid_hi}};

  const std::int64_t n = 1201;
  std::vector<double> xs;
  for (std::int64_t i = 0; i < n; ++i)
    xs.push_back(grid_lo - margin + (grid_hi - grid_lo + 2 * margin) * static_cast<double>(i) / static_cast<double>(n - 1));
  const Tensor x = f32(xs);
  const std::vector<double> codes = q::quantize(x, p).to_vector(), back = q::fake_quantize(x, p).to_vector();
  std::vector<double> errors, xs32 = x.to_vector();
  double inside = 0.0, outside = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double e = back[static_cast<std::size_t>(i)] - xs32[static_cast<std::size_t>(i)];
    errors.push_back(e);
    const double r = xs32[static_cast<std::size_t>(i)];
    double& largest = r >= grid_lo && r <= grid_hi ? inside : outside;
    largest = std::max(largest, std::fabs(e));
  }
  check(inside <= 0.5 * scale * (1 + 1e-4), "round-trip error <= S/2 inside the grid", num(inside));
  rec.step("S = " + num(scale) + ", Z = " + str(zero_point) + ": every code covers a step of width S, so the staircase "
               "rises by one code per S and real 0 falls exactly on code Z.",
           Level::pass)
      .set_series("staircase", "quantize", xs32, codes);
  rec.step("Inside [" + num(grid_lo) + ", " + num(grid_hi) + "] rounding costs at most S/2 = " + num(0.5 * scale) +
               " (largest here " + num(inside) + "); outside, the code saturates at " + str(range.qmin) + " or " +
               str(range.qmax) + " and the error grows with the distance (up to " + num(outside) + " here).",
           Level::pass)
      .set_series("roundtrip_error", "error", xs32, errors);
}

// --- 3. per tensor or per channel ----------------------------------------------------------------
struct Trained {
  Tensor weight;  // the first convolution's weight [16, 1, 3, 3]
  nn::Dataset test;
  double accuracy = 0;
};

Trained train_cnn(Recorder& rec, std::int64_t epochs, std::int64_t seed) {
  nn::TrainConfig config;
  config.model = "cnn";
  config.epochs = epochs;
  config.seed = static_cast<std::uint64_t>(seed);
  const nn::TrainResult result = nn::train_digits(config);
  // What an int8 engine stores is the convolution with the BatchNorm after it folded in (lesson 25):
  // W'_c = W_c gamma_c / sqrt(var_c + eps), one factor per filter.
  const auto& conv = dynamic_cast<const nn::Conv2d&>((*result.model)[0]);
  const auto& bn = dynamic_cast<const nn::BatchNorm&>((*result.model)[1]);
  Trained t;
  t.weight = q::fold_batch_norm(conv, bn).weight.contiguous();
  t.test = nn::train_test_split(nn::load_digits(config.data_path), config.test_fraction, config.seed).test;
  t.accuracy = result.test.accuracy;
  rec.step("Trained the digits CNN for " + str(epochs) + " epochs (seed " + str(seed) + "): " + num(100 * t.accuracy) +
               "% on the held-out digits; its first convolution, with its BatchNorm folded in, has 16 filters of 3 x 3 "
               "weights.",
           Level::pass);
  return t;
}

double sum_sq(const std::vector<double>& a, const std::vector<double>& b, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

void per_channel(Recorder& rec, const Tensor& w) {
  rec.section("3. Per tensor or per channel");
  const std::int64_t filters = w.size(0), taps = w.numel() / filters;
  rec.add_scene(trace::tensor_scene("weights", "First convolution: one row per filter (16 x 9 weights)",
                                    w.reshape({filters, taps})));
  rec.add_scene(trace::table_scene("channels", "Symmetric int8 (S = max|w| / 127): one scale, or one per filter",
                                   {"filter", "max |w|", "S per tensor", "S per channel", "RMS error per tensor",
                                    "RMS error per channel"}));
  rec.add_scene(trace::plot_scene("channel_error", "RMS error of each filter's weights", "filter", "RMS error"));
  rec.recording().scenes.back().plot.series = {{"per tensor", trace::SeriesKind::line, {}, {}},
                                               {"per channel", trace::SeriesKind::line, {}, {}}};
  const q::QParams pt = q::per_tensor_qparams(w, DType::i8, true, true);
  const q::QParams pc = q::per_channel_qparams(w, 0, DType::i8, true, true);
  const std::vector<double> wv = w.to_vector();
  const std::vector<double> bt = q::fake_quantize(w, pt).to_vector(), bc = q::fake_quantize(w, pc).to_vector();
  rec.step("Per tensor: the largest |w| of all 16 filters sets one scale S = " + num(pt.scale[0]) +
               " for every weight; a filter with small weights then uses only a few of the 255 codes.",
           Level::op);
  double total_t = 0, total_c = 0, signal = 0;
  for (std::int64_t f = 0; f < filters; ++f) {
    const auto from = static_cast<std::size_t>(f * taps), to = static_cast<std::size_t>((f + 1) * taps);
    double amax = 0;
    for (std::size_t i = from; i < to; ++i) {
      amax = std::max(amax, std::fabs(wv[i]));
      signal += wv[i] * wv[i];
    }
    const double et = sum_sq(wv, bt, from, to), ec = sum_sq(wv, bc, from, to);
    total_t += et;
    total_c += ec;
    const double rms_t = std::sqrt(et / static_cast<double>(taps)), rms_c = std::sqrt(ec / static_cast<double>(taps));
    const double sc = pc.scale[static_cast<std::size_t>(f)];
    check(sc <= pt.scale[0] * (1 + 1e-12), "a per-channel scale <= the per-tensor scale", num(sc));
    rec.step("Filter " + str(f) + ": max |w| = " + num(amax) + ", its own scale " + num(sc) + " is " +
                 num(pt.scale[0] / sc) + " times finer; RMS error " + num(rms_c) + " instead of " + num(rms_t) + ".",
             Level::element)
        .read_cells("weights", [&] {
          std::vector<std::int64_t> cells;
          for (std::int64_t i = f * taps; i < (f + 1) * taps; ++i) cells.push_back(i);
          return cells;
        }())
        .add_row("channels", {str(f), num(amax), num(pt.scale[0]), num(sc), num(rms_t), num(rms_c)})
        .add_point("channel_error", "per tensor", static_cast<double>(f), rms_t)
        .add_point("channel_error", "per channel", static_cast<double>(f), rms_c);
  }
  check(total_c <= total_t, "per-channel squared error <= per-tensor", num(total_c) + " > " + num(total_t));
  const double sqnr_t = 10 * std::log10(signal / total_t), sqnr_c = 10 * std::log10(signal / total_c);
  rec.step("Over all " + str(w.numel()) + " weights: SQNR " + num(sqnr_c) + " dB per channel against " + num(sqnr_t) +
               " dB per tensor; a per-channel scale costs one float per filter and nothing in the inner loop.",
           Level::pass);
}

// --- 4. one dot product in int32 -----------------------------------------------------------------
struct DotProduct {
  q::QParams x_params, w_params;
  std::int32_t acc = 0;
  double real = 0;  // the float dot product of the unquantized values
};

DotProduct dot_product(Recorder& rec, const Tensor& image, const Tensor& w0, DType dtype) {
  rec.section("4. Integer arithmetic: one dot product in int32");
  // The 3 x 3 patch around pixel (3, 3) of one digit, and filter 0: one output of the convolution.
  const Tensor patch = image.slice(0, 2, 5).slice(1, 2, 5).contiguous();
  const q::QParams xp = q::per_tensor_qparams(image.contiguous(), dtype);  // the activation's grid: the whole image
  const q::QParams wp = q::per_tensor_qparams(w0, DType::i8, true, true);  // filter 0's own symmetric scale
  const Tensor qx = q::quantize(patch, xp), qw = q::quantize(w0, wp);
  rec.add_scene(trace::tensor_scene("qx", std::string("Activation codes qx (") + type_name(dtype) + ", Z = " +
                                              str(xp.zero_point[0]) + ")",
                                    qx.to(DType::i32)));
  rec.add_scene(trace::tensor_scene("qw", "Weight codes qw of filter 0 (int8, Z = 0)", qw.reshape({3, 3}).to(DType::i32)));
  rec.add_scene(trace::table_scene("terms", "acc = sum (qx - Zx) (qw - Zw), in int32",
                                   {"k", "x", "qx", "qx - Zx", "w", "qw", "(qx - Zx) qw", "acc"}));
  const std::vector<double> xv = patch.to_vector(), wv = w0.to_vector(), qxv = qx.to_vector(), qwv = qw.to_vector();
  const std::int32_t zx = xp.zero_point[0];
  rec.step("The pixels are quantized with the image's grid, S = " + num(xp.scale[0]) + ", Z = " + str(zx) +
               ", the weights with filter 0's symmetric grid, S = " + num(wp.scale[0]) + ".",
           Level::op);
  std::int32_t acc = 0;
  double real = 0, bound = 0;
  std::int64_t raw = 0, sum_qw = 0;
  for (std::size_t k = 0; k < xv.size(); ++k) {
    const auto a = static_cast<std::int32_t>(qxv[k]) - zx, b = static_cast<std::int32_t>(qwv[k]);
    acc += a * b;  // |a| <= 255, |b| <= 127, 9 terms: far from int32's limits
    raw += static_cast<std::int64_t>(qxv[k]) * b;
    sum_qw += b;
    real += xv[k] * wv[k];
    bound += std::fabs(wv[k]) * xp.scale[0] / 2 + std::fabs(xv[k]) * wp.scale[0] / 2 + xp.scale[0] * wp.scale[0] / 4;
    rec.step("k = " + str(static_cast<std::int64_t>(k)) + ": (" + num(qxv[k]) + " - " + str(zx) + ") * " + num(qwv[k]) +
                 " = " + str(static_cast<std::int64_t>(a) * b) + ", acc = " + str(acc) + ".",
             Level::element)
        .read_cells("qx", {static_cast<std::int64_t>(k)})
        .read_cells("qw", {static_cast<std::int64_t>(k)})
        .add_row("terms", {str(static_cast<std::int64_t>(k)), num(xv[k]), num(qxv[k]), str(a), num(wv[k]), num(qwv[k]),
                           str(static_cast<std::int64_t>(a) * b), str(acc)});
  }
  const double approx = xp.scale[0] * wp.scale[0] * acc;
  check(std::fabs(approx - real) <= bound * (1 + 1e-9) + 1e-12, "|Sx Sw acc - x.w| within the rounding bound",
        num(std::fabs(approx - real)) + " > " + num(bound));
  check(raw - static_cast<std::int64_t>(zx) * sum_qw == acc, "sum qx qw - Zx sum qw == acc", str(raw - zx * sum_qw));
  rec.step("acc = " + str(acc) + " stands for Sx Sw acc = " + num(approx) + "; the float dot product is " + num(real) +
               " (difference " + sci(std::fabs(approx - real)) + ", within the rounding bound " + sci(bound) + ").",
           Level::op);
  rec.step("Kernels expand the zero point: sum qx qw = " + str(raw) + " minus Zx sum qw = " + str(zx) + " * " + str(sum_qw) +
               " gives the same " + str(acc) + ", so the inner loop multiplies raw codes and corrects once per output.",
           Level::op);
  return {xp, wp, acc, real};
}

// --- 5. requantization in fixed point -------------------------------------------------------------
void requantization(Recorder& rec, const Tensor& image, const Tensor& w0, const DotProduct& d, DType dtype) {
  rec.section("5. Requantization in fixed point");
  // The output grid: the range of filter 0's 64 outputs on this image (padding 1, no bias), in float.
  const std::vector<double> img = image.contiguous().to_vector(), wv = w0.to_vector();
  std::vector<double> ys;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double s = 0;
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) {
          const int ii = i - 1 + a, jj = j - 1 + b;
          if (ii >= 0 && ii < 8 && jj >= 0 && jj < 8) s += img[static_cast<std::size_t>(ii * 8 + jj)] * wv[static_cast<std::size_t>(a * 3 + b)];
        }
      ys.push_back(s);
    }
  const auto [ymin, ymax] = std::minmax_element(ys.begin(), ys.end());
  const auto [sy, zy] = q::choose_qparams(*ymin, *ymax, dtype);
  const q::QRange range = q::qrange(dtype);
  const double m = d.x_params.scale[0] * d.w_params.scale[0] / sy;
  const q::QuantizedMultiplier qm = q::quantize_multiplier(m);
  const int left = std::max(qm.shift, 0), right = std::max(-qm.shift, 0);

  trace::Scene g = trace::graph_scene("requant", "q_out = saturate(Z_out + M acc), with integers only");
  const std::vector<std::pair<std::string, std::string>> nodes = {
      {"acc", "acc (int32)"},
      {"highmul", "high-mul: acc * multiplier / 2^31"},
      {"shift", "rounding shift: / 2^" + str(right)},
      {"zero", "+ Z_out = " + str(zy)},
      {"clamp", "saturate to [" + str(range.qmin) + ", " + str(range.qmax) + "]"},
      {"float", "float: Z_out + M acc, rounded"}};
  for (const auto& [id, label] : nodes) {
    trace::GraphNode n;
    n.id = id;
    n.label = label;
    n.op = id == "acc" ? "" : id;
    g.graph.nodes.push_back(n);
  }
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"acc", "highmul"}, {"highmul", "shift"}, {"shift", "zero"}, {"zero", "clamp"}, {"acc", "float"}}) {
    g.graph.edges.push_back({from + "->" + to, from, to, ""});
  }
  rec.add_scene(std::move(g));
  rec.add_scene(trace::table_scene("outputs", "All 64 outputs of filter 0 on this image", {"result", "count"}));

  rec.step("The output grid from the float outputs' range [" + num(*ymin) + ", " + num(*ymax) + "]: S_out = " + num(sy) +
               ", Z_out = " + str(zy) + ", so M = Sx Sw / S_out = " + num(m) + ".",
           Level::op)
      .node_state("requant", "acc", trace::NodeState::done)
      .set_value("requant", "acc", str(d.acc));
  rec.step("Offline, M becomes a Q0.31 multiplier and a power of two: M = " + str(qm.multiplier) + " * 2^(" + str(qm.shift) +
               " - 31), the multiplier in [2^30, 2^31).",
           Level::op)
      .highlight("requant", "highmul");
  // M >= 1 would first scale acc up by 2^left (saturating); here M < 1 and left = 0.
  const std::int32_t scaled = static_cast<std::int32_t>(
      std::clamp<std::int64_t>(static_cast<std::int64_t>(d.acc) * (std::int64_t{1} << std::min(left, 31)),
                               std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
  const std::int32_t high = q::saturating_rounding_doubling_high_mul(scaled, qm.multiplier);
  rec.step("High-mul: " + str(scaled) + " * " + str(qm.multiplier) + " / 2^31 = " +
               num(static_cast<double>(scaled) * qm.multiplier / 2147483648.0) + ", rounded to " + str(high) +
               " (one 64-bit product, keep the high half).",
           Level::op)
      .node_state("requant", "highmul", trace::NodeState::done)
      .set_value("requant", "highmul", str(high));
  const std::int32_t shifted = q::rounding_divide_by_pot(high, right);
  rec.step("Rounding shift: " + str(high) + " / 2^" + str(right) + " = " + num(std::ldexp(static_cast<double>(high), -right)) +
               ", rounded to nearest (ties away from zero): " + str(shifted) + ".",
           Level::op)
      .node_state("requant", "shift", trace::NodeState::done)
      .set_value("requant", "shift", str(shifted));
  const std::int64_t with_zero = static_cast<std::int64_t>(shifted) + zy;
  rec.step("Add the output's zero point: " + str(shifted) + " + " + str(zy) + " = " + str(with_zero) + ".", Level::op)
      .node_state("requant", "zero", trace::NodeState::done)
      .set_value("requant", "zero", str(with_zero));
  const std::int32_t out = q::requantize(d.acc, qm, zy, range);
  check(out == std::clamp<std::int64_t>(with_zero, range.qmin, range.qmax), "requantize = the steps above", str(out));
  const double exact = zy + m * d.acc, rounded = std::clamp(std::nearbyint(exact), double(range.qmin), double(range.qmax));
  check(std::fabs(out - rounded) <= 1, "fixed point within one code of float", str(out) + " vs " + num(rounded));
  rec.step("Saturate to the grid: q_out = " + str(out) + "; in float Z_out + M acc = " + num(exact) + " rounds to " +
               num(rounded) + ", and the real output " + num(d.real) + " is code " + num(d.real / sy + zy) + " on this grid.",
           Level::op)
      .node_state("requant", "clamp", trace::NodeState::done)
      .set_value("requant", "clamp", str(out))
      .node_state("requant", "float", trace::NodeState::done)
      .set_value("requant", "float", num(rounded));

  // Every output of the filter, the same way: the integer pipeline against float rounding.
  const q::QParams xp = d.x_params, wp = d.w_params;
  const std::vector<double> qimg = q::quantize(image.contiguous(), xp).to_vector(), qwv = q::quantize(w0, wp).to_vector();
  std::int64_t equal = 0, off_by_one = 0;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      std::int32_t a = 0;
      for (int u = 0; u < 3; ++u)
        for (int v = 0; v < 3; ++v) {
          const int ii = i - 1 + u, jj = j - 1 + v;
          // Padding is real 0, which is code Zx: (Zx - Zx) * w contributes nothing.
          if (ii >= 0 && ii < 8 && jj >= 0 && jj < 8)
            a += (static_cast<std::int32_t>(qimg[static_cast<std::size_t>(ii * 8 + jj)]) - xp.zero_point[0]) *
                 static_cast<std::int32_t>(qwv[static_cast<std::size_t>(u * 3 + v)]);
        }
      const std::int32_t fixed = q::requantize(a, qm, zy, range);
      const double fl = std::clamp(std::nearbyint(zy + m * a), double(range.qmin), double(range.qmax));
      check(std::fabs(fixed - fl) <= 1, "every output within one code of float rounding", str(fixed) + " vs " + num(fl));
      (fixed == fl ? equal : off_by_one) += 1;
    }
  rec.step("All 64 outputs of filter 0: the fixed-point result equals float rounding for " + str(equal) +
               " and differs by one code for " + str(off_by_one) + " (the two roundings of the fixed-point product).",
           Level::pass)
      .add_row("outputs", {"fixed point == float rounding", str(equal)})
      .add_row("outputs", {"off by one code", str(off_by_one)});
}

trace::Recording quantization_basics(const Params& params) {
  Recorder rec("23-quantization-basics", "Quantization basics: the affine map, int8 arithmetic, requantization");
  const double lo = param_double(params, "min"), hi = param_double(params, "max");
  const std::string dtype_name_param = params.at("dtype");
  const std::int64_t epochs = param_int(params, "epochs"), seed = param_int(params, "seed"), image = param_int(params, "image");
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    throw Error("lesson 23-quantization-basics", "finite min < max", "min = " + num(lo) + ", max = " + num(hi));
  if (dtype_name_param != "int8" && dtype_name_param != "uint8")
    throw Error("lesson 23-quantization-basics", "dtype int8 or uint8", "dtype = " + dtype_name_param);
  if (epochs < 1 || epochs > 50) throw Error("lesson 23-quantization-basics", "epochs in [1, 50]", "epochs = " + str(epochs));
  if (seed < 0) throw Error("lesson 23-quantization-basics", "seed >= 0", "seed = " + str(seed));
  const DType dtype = dtype_name_param == "uint8" ? DType::u8 : DType::i8;

  worked_example(rec);
  staircase(rec, lo, hi, dtype);
  rec.section("3. Per tensor or per channel");
  const Trained t = train_cnn(rec, epochs, seed);
  if (image < 0 || image >= t.test.size())
    throw Error("lesson 23-quantization-basics", "image in [0, " + str(t.test.size()) + ")", "image = " + str(image));
  per_channel(rec, t.weight);
  const Tensor digit = t.test.images.select(0, image).select(0, 0);  // [8, 8]
  const Tensor w0 = t.weight.select(0, 0).select(0, 0).contiguous();  // [3, 3]
  const DotProduct d = dot_product(rec, digit, w0, dtype);
  requantization(rec, digit, w0, d, dtype);
  return rec.take();
}

}  // namespace

Lesson lesson_23_quantization_basics() {
  return {"23-quantization-basics",
          "Quantization basics: the affine map, int8 arithmetic, requantization",
          "Part IV, compression",
          {{"min", "-1", "lower end of the range drawn in section 2"},
           {"max", "2", "upper end of the range drawn in section 2"},
           {"dtype", "int8", "activation grid of sections 2, 4 and 5: int8 (TFLite) or uint8 (PyTorch, QNNPACK)"},
           {"epochs", "4", "epochs of the digits CNN whose first convolution is quantized (1-50)"},
           {"seed", "0", "seed of the CNN's training"},
           {"image", "0", "which held-out digit the dot product of sections 4 and 5 reads"}},
          lesson_text_23_quantization_basics,
          quantization_basics};
}

}  // namespace gb::lessons
