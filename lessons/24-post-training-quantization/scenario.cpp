// 24-post-training-quantization: choosing the range of an activation from calibration data. A digits
// model is trained (lesson 01); the output of one of its layers is collected over N calibration
// batches by one Observer per calibrator (min-max, moving average, percentile, KL, MSE); the |x|
// histogram is drawn with each calibrator's threshold, TensorRT's KL sweep is drawn candidate by
// candidate (with P and Q of the narrowest and of the chosen candidate), and a table compares what
// each threshold costs on held-out activations (clipped fraction, MSE, SQNR).
// The scenario checks its own numbers: the observers against the sweep, the thresholds against the
// largest |x|, the error of every calibrator against the histogram's own bound.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/train.hpp"
#include "gb/quant/calibrate.hpp"
#include "gb/quant/qparams.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_24_post_training_quantization;

namespace {

namespace q = gb::quant;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 24-post-training-quantization self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}
std::string str(std::int64_t v) { return std::to_string(v); }

const std::vector<q::Calibrator> kCalibrators = {q::Calibrator::minmax, q::Calibrator::moving_average,
                                                 q::Calibrator::percentile, q::Calibrator::kl, q::Calibrator::mse};

struct Setup {
  std::string model = "mlp";
  std::int64_t layer = 3, batches = 8, batch_size = 32, bins = 2048, epochs = 0, seed = 0;
  double percentile = 99.99;
};

// The model's layers 0..layer on a batch of images, without a tape: the activation to quantize.
Tensor activation(nn::Sequential& model, const Tensor& images, std::int64_t layer) {
  autodiff::NoGradGuard no_tape;
  autodiff::Variable v(images);
  for (std::int64_t i = 0; i <= layer; ++i) v = model[static_cast<std::size_t>(i)](v);
  return v.value().contiguous();
}

// --- 1. the model ---------------------------------------------------------------------------------
std::shared_ptr<nn::Sequential> train(Recorder& rec, const Setup& s, nn::Split& split) {
  rec.section("1. Dynamic or static");
  nn::TrainConfig config;
  config.model = s.model;
  config.epochs = s.epochs;
  config.seed = static_cast<std::uint64_t>(s.seed);
  const nn::TrainResult result = nn::train_digits(config);
  split = nn::train_test_split(nn::load_digits(config.data_path), config.test_fraction, config.seed);
  result.model->eval();
  if (s.layer >= static_cast<std::int64_t>(result.model->size()) - 1)
    throw Error("lesson 24-post-training-quantization",
                "a layer index below the last (0.." + str(static_cast<std::int64_t>(result.model->size()) - 2) + ")",
                "layer = " + str(s.layer));
  rec.step("Trained the digits " + s.model + " (seed " + str(s.seed) + "): " + num(100 * result.test.accuracy) +
               "% on the held-out digits; the activation to calibrate is the output of layer " + str(s.layer) + ", " +
               (*result.model)[static_cast<std::size_t>(s.layer)].describe() + ".",
           Level::pass);
  return result.model;
}

// --- 2. collecting activations over calibration batches ------------------------------------------
std::vector<q::Observer> collect(Recorder& rec, nn::Sequential& model, const nn::Dataset& train, const Setup& s) {
  rec.section("2. Collecting activations");
  rec.add_scene(trace::plot_scene("batches", "What each calibration batch adds", "batch", "|x| threshold"));
  rec.recording().scenes.back().plot.series = {{"batch max |x| (dynamic)", trace::SeriesKind::line, {}, {}},
                                               {"min-max", trace::SeriesKind::line, {}, {}},
                                               {"moving average", trace::SeriesKind::line, {}, {}}};
  std::vector<q::Observer> observers;
  for (q::Calibrator c : kCalibrators) observers.emplace_back(c, s.bins, s.percentile);
  const nn::DataLoader loader(train, s.batch_size, /*shuffle=*/true, static_cast<std::uint64_t>(s.seed));
  const std::vector<std::int64_t> order = loader.epoch_order(0);
  const std::int64_t n = std::min(s.batches, loader.batches_per_epoch());
  for (std::int64_t b = 0; b < n; ++b) {
    const Tensor x = activation(model, loader.batch(order, b).images, s.layer);
    for (q::Observer& o : observers) o.observe(x);
    const std::vector<double> v = x.to_vector();
    double amax = 0;
    for (double e : v) amax = std::max(amax, std::fabs(e));
    const double minmax = observers[0].threshold(), moving = observers[1].threshold();
    rec.step("Batch " + str(b + 1) + " of " + str(n) + ": " + str(x.numel()) + " values, largest |x| " + num(amax) +
                 "; min-max keeps the largest so far, " + num(minmax) + ", the moving average is at " + num(moving) + ".",
             Level::op)
        .add_point("batches", "batch max |x| (dynamic)", static_cast<double>(b + 1), amax)
        .add_point("batches", "min-max", static_cast<double>(b + 1), minmax)
        .add_point("batches", "moving average", static_cast<double>(b + 1), moving);
  }
  return observers;
}

// --- 3. and 4. the histogram and the thresholds ---------------------------------------------------
double draw_histogram(Recorder& rec, const q::Histogram& h) {
  rec.section("3. The histogram of |x|");
  rec.add_scene(trace::plot_scene("histogram", "|x| over the calibration batches (" + str(static_cast<std::int64_t>(h.counts.size())) +
                                                   " bins) and each calibrator's threshold",
                                  "|x|", "log10(1 + count)"));
  trace::PlotScene& plot = rec.recording().scenes.back().plot;
  plot.series = {{"|x|", trace::SeriesKind::histogram, {}, {}}};
  for (q::Calibrator c : kCalibrators) plot.series.push_back({q::calibrator_name(c), trace::SeriesKind::line, {}, {}});
  std::vector<double> edges, heights;
  double top = 0, tallest = 0, upper_half = 0;
  for (std::size_t b = 0; b <= h.counts.size(); ++b) edges.push_back(static_cast<double>(b) * h.bin_width());
  for (std::size_t b = 0; b < h.counts.size(); ++b) {
    heights.push_back(std::log10(1 + h.counts[b]));
    top = std::max(top, heights.back());
    tallest = std::max(tallest, h.counts[b]);
    if (2 * b >= h.counts.size()) upper_half += h.counts[b];
  }
  // (Counts can be fractional: widening the histogram spreads a bin over the new bins it overlaps.)
  rec.step(str(static_cast<std::int64_t>(std::llround(h.total()))) + " values in " +
               str(static_cast<std::int64_t>(h.counts.size())) + " bins of width " + num(h.bin_width()) +
               " up to the largest |x| = " + num(h.max) + ": the tallest bin holds about " + num(std::round(tallest)) +
               ", the whole upper half of the range about " + num(std::round(upper_half)) + ".",
           Level::pass)
      .set_series("histogram", "|x|", edges, heights);
  return top;
}

void draw_thresholds(Recorder& rec, const std::vector<q::Observer>& observers, const Setup& s, double top) {
  rec.section("4. Min-max, percentile and MSE");
  const double amax = observers[0].threshold();
  for (const q::Observer& o : observers) {
    if (o.method() == q::Calibrator::kl) continue;  // section 5
    const double t = o.threshold();
    check(t > 0 && t <= amax * (1 + 1e-12), std::string(q::calibrator_name(o.method())) + " threshold in (0, max |x|]", num(t));
    std::string why;
    switch (o.method()) {
      case q::Calibrator::minmax: why = "keeps every value: no clipping, the coarsest grid"; break;
      case q::Calibrator::moving_average:
        why = "averages each batch's min and max (c = 0.01), so one wide batch moves it little"; break;
      case q::Calibrator::percentile: why = "clips the top " + num(100 - s.percentile) + "% of the values"; break;
      default: why = "minimises the squared error, rounding plus clipping, over the bin edges"; break;
    }
    rec.step(std::string(q::calibrator_name(o.method())) + ": T = " + num(t) + ", S = T / 127 = " + num(t / 127) + "; it " +
                 why + ".",
             Level::op)
        .set_series("histogram", q::calibrator_name(o.method()), {t, t}, {0, top});
  }
}

// --- 5. the KL sweep ------------------------------------------------------------------------------
void kl(Recorder& rec, const q::Observer& observer, double top) {
  rec.section("5. The KL sweep");
  const q::KlSweep sweep = q::kl_sweep(observer.histogram());
  check(sweep.threshold == observer.threshold(), "the KL observer's threshold is the sweep's", num(observer.threshold()));
  const double w = sweep.histogram.bin_width();
  rec.add_scene(trace::plot_scene("kl", "KL(P || Q) for every candidate threshold T = (i + 0.5) w", "T", "KL(P || Q)"));
  rec.recording().scenes.back().plot.series = {{"divergence", trace::SeriesKind::line, {}, {}},
                                               {"chosen", trace::SeriesKind::scatter, {}, {}}};
  rec.add_scene(trace::plot_scene("pq", "P (clipped histogram) and Q (its 128-level version) of one candidate", "|x|",
                                  "probability"));
  rec.recording().scenes.back().plot.series = {{"P", trace::SeriesKind::line, {}, {}}, {"Q", trace::SeriesKind::line, {}, {}}};

  // P and Q of candidate i, recomputed the way kl_sweep does (calibrate.hpp), for drawing.
  auto pq = [&](std::int64_t i) {
    const std::vector<double>& bins = sweep.counts;  // bin 0 counted as bin 1 where bin 1 is not empty
    std::vector<double> p(bins.begin(), bins.begin() + i), qv(static_cast<std::size_t>(i), 0.0), xs;
    for (std::size_t k = static_cast<std::size_t>(i); k < bins.size(); ++k) p.back() += bins[k];
    const std::int64_t width = i / sweep.levels;
    for (std::int64_t g = 0; g < sweep.levels; ++g) {
      const std::int64_t start = g * width, stop = g == sweep.levels - 1 ? i : start + width;
      double sum = 0, nonzero = 0;
      for (std::int64_t k = start; k < stop; ++k) {
        sum += bins[static_cast<std::size_t>(k)];
        nonzero += p[static_cast<std::size_t>(k)] != 0 ? 1 : 0;
      }
      for (std::int64_t k = start; k < stop; ++k)
        if (nonzero > 0 && p[static_cast<std::size_t>(k)] != 0) qv[static_cast<std::size_t>(k)] = sum / nonzero;
    }
    double sp = 0, sq = 0;
    for (std::size_t k = 0; k < p.size(); ++k) {
      sp += p[k];
      sq += qv[k];
    }
    for (std::size_t k = 0; k < p.size(); ++k) {
      p[k] /= sp;
      qv[k] = sq > 0 ? qv[k] / sq : 0;
      xs.push_back((static_cast<double>(k) + 0.5) * w);
    }
    check(std::isinf(sweep.divergence[static_cast<std::size_t>(i - sweep.levels)]) ||
              std::fabs(q::kl_divergence(p, qv) - sweep.divergence[static_cast<std::size_t>(i - sweep.levels)]) <=
                  1e-9 * (1 + std::fabs(sweep.divergence[static_cast<std::size_t>(i - sweep.levels)])),
          "P and Q redrawn give the sweep's divergence", str(i));
    return std::make_tuple(xs, p, qv);
  };

  {
    const auto [xs, p, qv] = pq(sweep.levels);
    rec.step("The narrowest candidate, i = " + str(sweep.levels) + " bins (T = " + num((sweep.levels + 0.5) * w) +
                 "): P piles every clipped value into its last bin, Q (the same bins at 128 levels, without them) "
                 "cannot: KL = " + num(sweep.divergence[0]) + ".",
             Level::op)
        .set_series("pq", "P", xs, p)
        .set_series("pq", "Q", xs, qv);
  }
  std::vector<double> ts, ds;
  const std::size_t stages = 8, n = sweep.candidates.size();
  std::size_t next = 0;  // the first candidate not drawn yet (infinite divergences are not drawn)
  for (std::size_t stage = 1; stage <= stages; ++stage) {
    const std::size_t upto = n * stage / stages;
    for (std::size_t k = next; k < upto; ++k, ++next) {
      if (!std::isfinite(sweep.divergence[k])) continue;
      ts.push_back((static_cast<double>(sweep.candidates[k]) + 0.5) * w);
      ds.push_back(sweep.divergence[k]);
    }
    rec.step("Candidates up to i = " + str(sweep.candidates[upto - 1]) + " (T = " +
                 num((static_cast<double>(sweep.candidates[upto - 1]) + 0.5) * w) +
                 "): a wider range clips less but merges more bins into each of the 128 levels.",
             Level::tile)
        .set_series("kl", "divergence", ts, ds);
  }
  const std::size_t best = static_cast<std::size_t>(sweep.best - sweep.levels);
  const auto [xs, p, qv] = pq(sweep.best);
  rec.step("The smallest divergence, " + num(sweep.divergence[best]) + ", is at i = " + str(sweep.best) +
               ": T = (i + 0.5) w = " + num(sweep.threshold) + ", S = T / 127 = " + num(sweep.threshold / 127) +
               " (min-max: T = " + num(sweep.histogram.max) + ").",
           Level::op)
      .set_series("kl", "chosen", {sweep.threshold}, {sweep.divergence[best]})
      .set_series("pq", "P", xs, p)
      .set_series("pq", "Q", xs, qv)
      .set_series("histogram", "kl", {sweep.threshold, sweep.threshold}, {0, top});
}

// --- 6. what each threshold costs on held-out activations -----------------------------------------
void compare(Recorder& rec, const std::vector<q::Observer>& observers, const Tensor& held_out) {
  rec.section("6. Comparing the calibrators");
  rec.add_scene(trace::table_scene("compare", "Symmetric int8 with each threshold, on the held-out digits' activations (" +
                                                  str(held_out.numel()) + " values)",
                                   {"calibrator", "T", "S = T / 127", "clipped", "MSE", "SQNR (dB)"}));
  const std::vector<double> x = held_out.to_vector();
  double signal = 0;
  for (double v : x) signal += v * v;
  std::string best;
  double best_sqnr = -1e300;
  for (const q::Observer& o : observers) {
    const double t = o.threshold();
    q::QParams p;
    p.dtype = DType::i8;
    p.restricted = true;
    p.scale = {t / 127.0};
    p.zero_point = {0};
    const std::vector<double> back = q::fake_quantize(held_out, p).to_vector();
    double err = 0, clipped = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      err += (x[i] - back[i]) * (x[i] - back[i]);
      clipped += std::fabs(x[i]) > 127.5 * p.scale[0] ? 1 : 0;
    }
    const double mse = err / static_cast<double>(x.size()), sqnr = 10 * std::log10(signal / err);
    check(std::isfinite(sqnr) && sqnr > 0, "a finite positive SQNR", num(sqnr));
    if (sqnr > best_sqnr) {
      best_sqnr = sqnr;
      best = q::calibrator_name(o.method());
    }
    const std::string clipped_pct = num(100 * clipped / static_cast<double>(x.size())) + "%";
    rec.step(std::string(q::calibrator_name(o.method())) + ": T = " + num(t) + " clips " + clipped_pct +
                 " of the held-out values; MSE " + num(mse) + ", SQNR " + num(sqnr) + " dB.",
             Level::op)
        .add_row("compare", {q::calibrator_name(o.method()), num(t), num(t / 127), clipped_pct, num(mse), num(sqnr)});
  }
  rec.step("On these activations " + best + " gives the best SQNR, " + num(best_sqnr) +
               " dB; what matters in the end is the model's accuracy (glassbox quant-report).",
           Level::pass);
}

trace::Recording post_training_quantization(const Params& params) {
  Recorder rec("24-post-training-quantization", "Post-training quantization: calibrating the activations");
  Setup s;
  s.model = params.at("model");
  s.layer = param_int(params, "layer");
  s.batches = param_int(params, "batches");
  s.batch_size = param_int(params, "batch_size");
  s.bins = param_int(params, "bins");
  s.percentile = param_double(params, "percentile");
  s.epochs = param_int(params, "epochs");
  s.seed = param_int(params, "seed");
  const std::string lesson = "lesson 24-post-training-quantization";
  if (s.model != "mlp" && s.model != "cnn") throw Error(lesson, "model mlp or cnn", "model = " + s.model);
  if (s.layer < 0) throw Error(lesson, "layer >= 0", "layer = " + str(s.layer));
  if (s.batches < 1 || s.batches > 45) throw Error(lesson, "batches in [1, 45]", "batches = " + str(s.batches));
  if (s.batch_size < 1 || s.batch_size > 256) throw Error(lesson, "batch_size in [1, 256]", "batch_size = " + str(s.batch_size));
  if (s.bins < 256 || s.bins > 8192) throw Error(lesson, "bins in [256, 8192]", "bins = " + str(s.bins));
  if (!(s.percentile > 50 && s.percentile <= 100)) throw Error(lesson, "percentile in (50, 100]", "percentile = " + num(s.percentile));
  if (s.epochs < 0 || s.epochs > 50) throw Error(lesson, "epochs in [0, 50] (0: the model's default)", "epochs = " + str(s.epochs));
  if (s.seed < 0) throw Error(lesson, "seed >= 0", "seed = " + str(s.seed));

  nn::Split split;
  const std::shared_ptr<nn::Sequential> model = train(rec, s, split);
  const std::vector<q::Observer> observers = collect(rec, *model, split.train, s);
  const double top = draw_histogram(rec, observers[0].histogram());
  draw_thresholds(rec, observers, s, top);
  kl(rec, observers[3], top);
  compare(rec, observers, activation(*model, split.test.images, s.layer));
  return rec.take();
}

}  // namespace

Lesson lesson_24_post_training_quantization() {
  return {"24-post-training-quantization",
          "Post-training quantization: calibrating the activations",
          "Part IV, compression",
          {{"model", "mlp", "the digits model to train and calibrate: mlp or cnn"},
           {"layer", "3", "whose output is calibrated (index in the Sequential; mlp: 3 = second Linear, 4 = its ReLU)"},
           {"batches", "8", "calibration batches from the training set (1-45)"},
           {"batch_size", "32", "images per calibration batch (1-256)"},
           {"bins", "2048", "bins of the |x| histogram (256-8192)"},
           {"percentile", "99.99", "the percentile calibrator's p (50-100)"},
           {"epochs", "0", "training epochs (0: the model's default)"},
           {"seed", "0", "seed of the training and of the calibration batches"}},
          lesson_text_24_post_training_quantization,
          post_training_quantization};
}

}  // namespace gb::lessons
