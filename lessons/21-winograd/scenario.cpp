// 21-winograd: Winograd's minimal filtering. F(2,3) by hand on LESSONS.md's example (d = [1, 2, 3, 4],
// g = [1, 0, -1] -> [-2, -2], four multiplications instead of six), one tile of F(2x2,3x3) and one of
// F(4x4,3x3) through the four stages with a multiplication counter (record_winograd_tile: 16 vs 36 and
// 36 vs 144), and the fp32 error of both on a whole layer against a double-precision direct convolution.
// The two tile recordings both name their scenes "d", "g", "U", ...: each gets a prefix here.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "gb/core.hpp"
#include "gb/kernels/conv.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/winograd.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_21_winograd;

namespace {

namespace k = gb::kernels;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 21-winograd self-check", what, given);
}

std::string str(std::int64_t v) { return std::to_string(v); }
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
// Runs a recording function on a Recorder of its own and appends its scenes (ids prefixed) and steps
// to rec, in `section`.
template <class F>
auto merged(Recorder& rec, const std::string& prefix, const std::string& section, F&& body) {
  rec.section(section);
  Recorder sub(rec.recording().lesson, rec.recording().title);
  sub.section(section);
  auto result = body(sub);
  trace::Recording out = sub.take();
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

void f23(Recorder& rec) {
  rec.section("1. F(2,3): four multiplications instead of six");
  const std::vector<double> d = {1, 2, 3, 4}, g = {1, 0, -1};
  rec.add_scene(trace::table_scene("f23", "F(2,3) on d = [1, 2, 3, 4], g = [1, 0, -1]", {"term", "formula", "value"}));
  // LESSONS.md's formulas; (g0 + g1 + g2) / 2 and (g0 - g1 + g2) / 2 depend on g only (precomputed once).
  const double m1 = (d[0] - d[2]) * g[0];
  const double m2 = (d[1] + d[2]) * (g[0] + g[1] + g[2]) / 2;
  const double m3 = (d[2] - d[1]) * (g[0] - g[1] + g[2]) / 2;
  const double m4 = (d[1] - d[3]) * g[2];
  const double r0 = m1 + m2 + m3, r1 = m2 - m3 - m4;
  const double direct0 = d[0] * g[0] + d[1] * g[1] + d[2] * g[2], direct1 = d[1] * g[0] + d[2] * g[1] + d[3] * g[2];
  rec.step("Direct: r0 = d0 g0 + d1 g1 + d2 g2 = " + num(direct0) + " and r1 = d1 g0 + d2 g1 + d3 g2 = " + num(direct1) +
               ", six multiplications.",
           Level::op)
      .add_row("f23", {"direct", "r0 = d0 g0 + d1 g1 + d2 g2, r1 = d1 g0 + d2 g1 + d3 g2", "[" + num(direct0) + ", " + num(direct1) + "]"});
  const std::vector<std::vector<std::string>> rows = {{"m1", "(d0 - d2) g0", num(m1)},
                                                      {"m2", "(d1 + d2) (g0 + g1 + g2) / 2", num(m2)},
                                                      {"m3", "(d2 - d1) (g0 - g1 + g2) / 2", num(m3)},
                                                      {"m4", "(d1 - d3) g2", num(m4)}};
  for (const auto& row : rows) {
    rec.step(row[0] + " = " + row[1] + " = " + row[2] + ": one multiplication of a sum of inputs by a constant of the filter.",
             Level::op)
        .add_row("f23", row);
  }
  std::int64_t multiplications = 0;
  const std::vector<float> y = k::winograd_1d(2, {1, 2, 3, 4}, {1, 0, -1}, &multiplications);
  check(r0 == -2 && r1 == -2 && direct0 == -2 && direct1 == -2, "r = [-2, -2] by hand and directly", num(r0) + ", " + num(r1));
  check(y.size() == 2 && y[0] == -2.0f && y[1] == -2.0f, "winograd_1d(2, d, g) = [-2, -2]",
        y.size() == 2 ? num(y[0]) + ", " + num(y[1]) : "size " + str(static_cast<std::int64_t>(y.size())));
  check(multiplications == 4, "4 element-wise products in winograd_1d", str(multiplications));
  rec.step("r0 = m1 + m2 + m3 = " + num(r0) + " and r1 = m2 - m3 - m4 = " + num(r1) +
               ", as direct and as winograd_1d with its BT, G and AT: 4 multiplications instead of 6.",
           Level::pass)
      .add_row("f23", {"Winograd", "r0 = m1 + m2 + m3, r1 = m2 - m3 - m4", "[" + num(r0) + ", " + num(r1) + "]"});
}

void tile(Recorder& rec, std::int64_t m, const std::string& section) {
  const std::int64_t alpha = m + 2;
  const k::WinogradTileCount count =
      merged(rec, "f" + str(m) + "_", section, [&](Recorder& r) { return k::record_winograd_tile(r, m); });
  check(count.winograd == alpha * alpha, str(alpha * alpha) + " Winograd multiplications", str(count.winograd));
  check(count.direct == m * m * 9, str(m * m * 9) + " direct multiplications", str(count.direct));
  check(count.max_abs_diff < 1e-4, "Y equal to direct convolution within 1e-4", sci(count.max_abs_diff));
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", static_cast<double>(count.direct) / static_cast<double>(count.winograd));
  rec.step("F(" + str(m) + "x" + str(m) + ",3x3): " + str(count.winograd) + " multiplications instead of " + str(count.direct) +
               " (" + ratio + "x fewer), and Y equals direct convolution (max |diff| = " + sci(count.max_abs_diff) + ").",
           Level::pass);
}

// Direct convolution in double precision, padding 1 (the reference of section 4).
std::vector<double> reference(const Tensor& x, const Tensor& w) {
  const std::int64_t c = x.size(1), h = x.size(2), wd = x.size(3), oc = w.size(0);
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector();
  std::vector<double> y(static_cast<std::size_t>(oc * h * wd), 0.0);
  for (std::int64_t o = 0; o < oc; ++o)
    for (std::int64_t i = 0; i < h; ++i)
      for (std::int64_t j = 0; j < wd; ++j) {
        double s = 0;
        for (std::int64_t ci = 0; ci < c; ++ci)
          for (std::int64_t a = 0; a < 3; ++a)
            for (std::int64_t b = 0; b < 3; ++b) {
              const std::int64_t ii = i - 1 + a, jj = j - 1 + b;
              if (ii < 0 || ii >= h || jj < 0 || jj >= wd) continue;
              s += xv[static_cast<std::size_t>((ci * h + ii) * wd + jj)] * wv[static_cast<std::size_t>(((o * c + ci) * 3 + a) * 3 + b)];
            }
        y[static_cast<std::size_t>((o * h + i) * wd + j)] = s;
      }
  return y;
}

void accuracy(Recorder& rec, std::int64_t size, std::int64_t channels, std::int64_t seed) {
  rec.section("4. Accuracy on a whole layer");
  Rng rng(static_cast<std::uint64_t>(seed));
  const Tensor x = rng.uniform({1, channels, size, size}, -1, 1);
  const Tensor w = rng.uniform({channels, channels, 3, 3}, -1.0 / 24, 1.0 / 24);
  const std::vector<double> ref = reference(x, w);
  rec.add_scene(trace::table_scene("accuracy", "fp32 error on [1, " + str(channels) + ", " + str(size) + ", " + str(size) +
                                                   "] -> " + str(channels) + " channels, 3x3, padding 1",
                                   {"algorithm", "multiplications per output", "max |y - float64 direct|"}));
  rec.step("A layer of " + str(channels) + " -> " + str(channels) + " channels on " + str(size) + " x " + str(size) +
               " (inputs uniform in [-1, 1], weights in [-1/24, 1/24]) against a direct convolution in double precision.",
           Level::pass);
  const std::vector<std::pair<k::ConvAlgo, std::string>> algos = {
      {k::ConvAlgo::direct, "9"}, {k::ConvAlgo::winograd_2x2, "16 / 4 = 4"}, {k::ConvAlgo::winograd_4x4, "36 / 16 = 2.25"}};
  for (const auto& [a, mults] : algos) {
    const std::vector<double> y = k::conv2d(x, w, Tensor(), k::Conv2dParams::square(1, 1), a).to_vector();
    double err = 0;
    for (std::size_t i = 0; i < y.size(); ++i) err = std::max(err, std::fabs(y[i] - ref[i]));
    check(y.size() == ref.size() && err < 1e-3, std::string(k::conv_algo_name(a)) + " within 1e-3 of float64", sci(err));
    rec.step(std::string(k::conv_algo_name(a)) + ": max |y - float64 direct| = " + sci(err) + " with " + mults +
                 " multiplications per output and input channel.",
             Level::op)
        .add_row("accuracy", {k::conv_algo_name(a), mults, sci(err)});
  }
}

trace::Recording winograd(const Params& params) {
  Recorder rec("21-winograd", "Winograd: F(2,3), F(2x2,3x3), F(4x4,3x3)");
  const std::int64_t size = param_int(params, "size"), channels = param_int(params, "channels"), seed = param_int(params, "seed");
  if (size < 3 || size > 64) throw Error("lesson 21-winograd", "size in [3, 64]", "size = " + str(size));
  if (channels < 1 || channels > 64) throw Error("lesson 21-winograd", "channels in [1, 64]", "channels = " + str(channels));
  if (seed < 0) throw Error("lesson 21-winograd", "seed >= 0", "seed = " + str(seed));
  f23(rec);
  tile(rec, 2, "2. One tile of F(2x2,3x3), stage by stage");
  tile(rec, 4, "3. F(4x4,3x3): 36 instead of 144");
  accuracy(rec, size, channels, seed);
  return rec.take();
}

}  // namespace

Lesson lesson_21_winograd() {
  return {"21-winograd",
          "Winograd: F(2,3), F(2x2,3x3), F(4x4,3x3)",
          "Part III, inference engine",
          {{"size", "16", "height and width of the layer of section 4 (3-64)"},
           {"channels", "8", "input and output channels of the layer of section 4 (1-64)"},
           {"seed", "1", "seed of the random layer of section 4"}},
          lesson_text_21_winograd,
          winograd};
}

}  // namespace gb::lessons
