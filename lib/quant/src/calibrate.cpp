// calibrate.cpp: choosing the range to quantize (calibrate.hpp, lesson 24).
//
// Reading order: the |x| histogram, the KL divergence (the exercise), the KL sweep (TensorRT's
// entropy calibration), the percentile and MSE thresholds, then the Observer that feeds them batch by
// batch. Every threshold T is for symmetric int8: S = T / 127, values beyond T saturate.
#include "gb/quant/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "number_text.hpp"
#include "gb/core/error.hpp"

namespace gb::quant {

namespace {

using detail::num;

// Everything the histogram and the observer read: finite f32 values, at least one.
std::vector<float> checked_values(const Tensor& x, const char* op) {
  if (!x.defined()) throw Error(op, "a defined f32 tensor", "an undefined tensor");
  if (x.dtype() != DType::f32) throw Error(op, "an f32 tensor", dtype_name(x.dtype()));
  if (x.numel() == 0) throw Error(op, "a non-empty tensor", "shape " + shape_str(x.shape()));
  const Tensor c = x.contiguous();
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

void check_finite(const std::vector<float>& x, const char* op) {
  if (x.empty()) throw Error(op, "at least one value", "none");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) throw Error(op, "finite values", num(x[i]) + " at index " + std::to_string(i));
}

// The bin of a (>= 0) in a histogram of `bins` bins of width w on [0, max]: b with b*w <= a < (b+1)*w,
// the last bin closed. The edges are b * w computed in double, exactly as numpy.linspace(0, max, bins + 1)
// computes them, so the counts equal numpy.histogram(|x|, bins, range=(0, max)).
std::int64_t bin_of(double a, double w, std::int64_t bins) {
  if (!(w > 0.0)) return 0;
  auto b = static_cast<std::int64_t>(std::min(a / w, static_cast<double>(bins - 1)));
  if (b > 0 && a < static_cast<double>(b) * w) --b;  // a / w rounded up past an edge
  if (b < bins - 1 && a >= static_cast<double>(b + 1) * w) ++b;
  return b;
}

void add_to_histogram(Histogram& h, const std::vector<float>& x) {
  const auto bins = static_cast<std::int64_t>(h.counts.size());
  const double w = h.bin_width();
  for (const float v : x) {
    const double a = std::fabs(static_cast<double>(v));
    h.counts[static_cast<std::size_t>(bin_of(a, w, bins))] += 1.0;
  }
}

double amax_of(const std::vector<float>& x) {
  double m = 0.0;
  for (const float v : x) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

// A histogram widened to [0, new_max]: each old bin's count is spread over the new bins it overlaps,
// in proportion to the overlap (the values are taken as uniform inside a bin). The total is kept.
Histogram widened(const Histogram& h, double new_max) {
  Histogram out;
  out.max = new_max;
  out.counts.assign(h.counts.size(), 0.0);
  if (h.max <= 0.0) {  // everything seen so far was 0: it stays in bin 0
    out.counts[0] = h.total();
    return out;
  }
  const double w_old = h.bin_width(), w_new = out.bin_width();
  const auto bins = static_cast<std::int64_t>(h.counts.size());
  for (std::int64_t b = 0; b < bins; ++b) {
    const double c = h.counts[static_cast<std::size_t>(b)];
    if (c == 0.0) continue;
    const double lo = static_cast<double>(b) * w_old, hi = static_cast<double>(b + 1) * w_old;
    std::int64_t nb = bin_of(lo, w_new, bins);
    while (nb < bins) {
      const double nlo = static_cast<double>(nb) * w_new, nhi = static_cast<double>(nb + 1) * w_new;
      const double overlap = std::min(hi, nhi) - std::max(lo, nlo);
      if (overlap > 0.0) out.counts[static_cast<std::size_t>(nb)] += c * overlap / (hi - lo);
      if (nhi >= hi) break;
      ++nb;
    }
  }
  return out;
}

// p-th percentile of a histogram: the first bin where the cumulative count reaches p% of the total,
// then linear interpolation inside that bin.
double percentile_threshold(const Histogram& h, double percentile) {
  const double total = h.total(), target = total * percentile / 100.0;
  const double w = h.bin_width();
  double before = 0.0;
  for (std::size_t b = 0; b < h.counts.size(); ++b) {
    const double c = h.counts[b];
    if (c > 0.0 && before + c >= target) {
      const double fraction = std::clamp((target - before) / c, 0.0, 1.0);
      return (static_cast<double>(b) + fraction) * w;
    }
    before += c;
  }
  return h.max;
}

// The threshold among the bin edges (b + 1) * w that minimises the squared error of fake-quantizing
// the histogram (each bin's values taken at its centre) with S = T / 127: values below T round to the
// nearest multiple of S, values above clip to 127 S.
double mse_threshold(const Histogram& h) {
  const double w = h.bin_width();
  const std::size_t bins = h.counts.size();
  double best_t = h.max, best_err = std::numeric_limits<double>::infinity();
  for (std::size_t t = 0; t < bins; ++t) {
    const double threshold = static_cast<double>(t + 1) * w;
    const double s = threshold / 127.0;
    double err = 0.0;
    for (std::size_t b = 0; b < bins; ++b) {
      const double c = h.counts[b];
      if (c == 0.0) continue;
      const double centre = (static_cast<double>(b) + 0.5) * w;
      const double q = std::min(std::nearbyint(centre / s), 127.0);
      const double d = centre - q * s;
      err += c * d * d;
    }
    if (err < best_err) {
      best_err = err;
      best_t = threshold;
    }
  }
  return best_t;
}

}  // namespace

const char* calibrator_name(Calibrator c) {
  switch (c) {
    case Calibrator::minmax: return "minmax";
    case Calibrator::moving_average: return "moving_average";
    case Calibrator::percentile: return "percentile";
    case Calibrator::kl: return "kl";
    case Calibrator::mse: return "mse";
  }
  return "minmax";
}

Calibrator calibrator_from_name(const std::string& name) {
  for (Calibrator c : {Calibrator::minmax, Calibrator::moving_average, Calibrator::percentile, Calibrator::kl,
                       Calibrator::mse})
    if (name == calibrator_name(c)) return c;
  throw Error("calibrator_from_name", "one of minmax, moving_average, percentile, kl, mse", "\"" + name + "\"");
}

double Histogram::total() const { return std::accumulate(counts.begin(), counts.end(), 0.0); }

Histogram abs_histogram(const std::vector<float>& x, std::int64_t bins) {
  if (bins < 1) throw Error("abs_histogram", "bins >= 1", std::to_string(bins));
  check_finite(x, "abs_histogram");
  Histogram h;
  h.max = amax_of(x);
  h.counts.assign(static_cast<std::size_t>(bins), 0.0);
  add_to_histogram(h, x);
  return h;
}

Histogram abs_histogram(const Tensor& x, std::int64_t bins) {
  return abs_histogram(checked_values(x, "abs_histogram"), bins);
}

double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
  // BEGIN EXERCISE(quant.calibrate.kl_divergence)
  if (p.size() != q.size())
    throw Error("kl_divergence", "two distributions of the same size",
                std::to_string(p.size()) + " and " + std::to_string(q.size()) + " bins");
  double p_total = 0.0, q_total = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!std::isfinite(p[i]) || !std::isfinite(q[i]) || p[i] < 0.0 || q[i] < 0.0)
      throw Error("kl_divergence", "finite counts >= 0",
                  "p[" + std::to_string(i) + "] = " + num(p[i]) + ", q[" + std::to_string(i) + "] = " + num(q[i]));
    p_total += p[i];
    q_total += q[i];
  }
  if (!(p_total > 0.0) || !(q_total > 0.0))
    throw Error("kl_divergence", "two distributions with some mass", "sums " + num(p_total) + " and " + num(q_total));
  // KL(P || Q) = sum p_i log(p_i / q_i) over the bins where P has mass: what is lost when Q stands in
  // for P. A bin where P has mass and Q has none costs infinitely much.
  double d = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0.0) continue;
    const double pi = p[i] / p_total, qi = q[i] / q_total;
    if (qi == 0.0) return std::numeric_limits<double>::infinity();
    d += pi * std::log(pi / qi);
  }
  return d;
  // END EXERCISE
}

KlSweep kl_sweep(const Histogram& h, std::int64_t levels) {
  const auto bins = static_cast<std::int64_t>(h.counts.size());
  if (levels < 2) throw Error("kl_sweep", "levels >= 2", std::to_string(levels));
  if (bins <= levels)
    throw Error("kl_sweep", "more bins than levels (" + std::to_string(levels) + ")", std::to_string(bins) + " bins");
  if (!(h.max > 0.0) || !(h.total() > 0.0))
    throw Error("kl_sweep", "a histogram with counts and max > 0", "max " + num(h.max) + ", total " + num(h.total()));
  KlSweep sweep;
  sweep.histogram = h;
  sweep.levels = levels;
  // The zero spike: after a ReLU the first bin holds every exact zero, often half of all values. The
  // grid represents 0 exactly (the zero point), so they cost nothing, but their spike dominates P and
  // makes any merging of bin 0 with its neighbours look expensive: the sweep would clip hard. Like
  // NVIDIA's pytorch-quantization, count bin 0 as bin 1 (a smooth start) before sweeping.
  // Only where bin 1 holds values: an empty bin 1 means discrete values (image pixels k/16), and there
  // the replacement would leave P a single spike that every candidate keeps whole (divergence 0).
  std::vector<double> counts = h.counts;
  if (counts[1] > 0.0) counts[0] = counts[1];
  sweep.counts = counts;
  const double outliers_total = std::accumulate(counts.begin(), counts.end(), 0.0);
  if (!(outliers_total > 0.0))
    throw Error("kl_sweep", "counts beyond the first bin", "all values in the first bin");
  double inside = 0.0;  // sum of bins[0:i]
  for (std::int64_t b = 0; b < levels; ++b) inside += counts[static_cast<std::size_t>(b)];
  for (std::int64_t i = levels; i < bins; ++i) {
    if (i > levels) inside += counts[static_cast<std::size_t>(i - 1)];
    // P: the first i bins, with everything beyond the threshold clipped into the last of them.
    std::vector<double> p(counts.begin(), counts.begin() + i);
    p[static_cast<std::size_t>(i - 1)] += outliers_total - inside;
    // Q: the same first i bins WITHOUT the clipped outliers, merged into `levels` groups of i / levels
    // bins (the remainder joins the last group), each group's count then spread evenly over the bins
    // of the group where P is non-zero. Q is what the int8 grid keeps: detail inside a group is lost,
    // and so is the mass beyond the threshold, which P piles up in its last bin. (Merging P itself
    // would make Q == P for every i < 2 * levels, a divergence of 0 at the narrowest candidates.)
    std::vector<double> q(static_cast<std::size_t>(i), 0.0);
    const std::int64_t width = i / levels;
    for (std::int64_t g = 0; g < levels; ++g) {
      const std::int64_t start = g * width, stop = g == levels - 1 ? i : start + width;
      double sum = 0.0;
      std::int64_t nonzero = 0;
      for (std::int64_t k = start; k < stop; ++k) {
        sum += counts[static_cast<std::size_t>(k)];
        nonzero += p[static_cast<std::size_t>(k)] != 0.0 ? 1 : 0;
      }
      if (nonzero == 0) continue;
      for (std::int64_t k = start; k < stop; ++k)
        if (p[static_cast<std::size_t>(k)] != 0.0) q[static_cast<std::size_t>(k)] = sum / static_cast<double>(nonzero);
    }
    sweep.candidates.push_back(i);
    // Q empty (every value of bins[0:i] was in the replaced first bin): nothing kept, never chosen.
    const bool q_empty = std::all_of(q.begin(), q.end(), [](double v) { return v == 0.0; });
    sweep.divergence.push_back(q_empty ? std::numeric_limits<double>::infinity() : kl_divergence(p, q));
  }
  // The smallest divergence (the first on ties: the narrowest such range).
  std::size_t best = 0;
  for (std::size_t k = 1; k < sweep.divergence.size(); ++k)
    if (sweep.divergence[k] < sweep.divergence[best]) best = k;
  sweep.best = sweep.candidates[best];
  sweep.threshold = (static_cast<double>(sweep.best) + 0.5) * h.bin_width();
  return sweep;
}

Observer::Observer(Calibrator method, std::int64_t bins, double percentile, double averaging_constant)
    : method_(method), percentile_(percentile), averaging_constant_(averaging_constant) {
  if (bins < 1) throw Error("Observer", "bins >= 1", std::to_string(bins));
  if (method == Calibrator::kl && bins <= 128)
    throw Error("Observer", "more than 128 bins for the KL calibrator", std::to_string(bins));
  if (!(percentile > 0.0 && percentile <= 100.0))
    throw Error("Observer", "a percentile in (0, 100]", num(percentile));
  if (!(averaging_constant > 0.0 && averaging_constant <= 1.0))
    throw Error("Observer", "an averaging constant in (0, 1]", num(averaging_constant));
  hist_.counts.assign(static_cast<std::size_t>(bins), 0.0);
}

void Observer::observe(const Tensor& x) {
  const std::vector<float> v = checked_values(x, "Observer::observe");
  check_finite(v, "Observer::observe");
  const auto [lo_it, hi_it] = std::minmax_element(v.begin(), v.end());
  const double lo = *lo_it, hi = *hi_it;
  if (batches_ == 0) {
    min_ = lo;
    max_ = hi;
  } else if (method_ == Calibrator::moving_average) {
    // PyTorch's MovingAverageMinMaxObserver: an exponential moving average of each batch's min and max.
    min_ += averaging_constant_ * (lo - min_);
    max_ += averaging_constant_ * (hi - max_);
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  // The running |x| histogram: widen it first when this batch reaches beyond it.
  const double amax = amax_of(v);
  if (batches_ == 0)
    hist_.max = amax;
  else if (amax > hist_.max)
    hist_ = widened(hist_, amax);
  add_to_histogram(hist_, v);
  ++batches_;
}

double Observer::threshold() const {
  if (batches_ == 0) throw Error("Observer::threshold", "at least one observed batch", "none");
  switch (method_) {
    case Calibrator::minmax:
    case Calibrator::moving_average: return std::max(-min_, max_);
    case Calibrator::percentile: return hist_.max > 0.0 ? percentile_threshold(hist_, percentile_) : 0.0;
    case Calibrator::kl: return hist_.max > 0.0 ? kl_sweep(hist_).threshold : 0.0;
    case Calibrator::mse: return hist_.max > 0.0 ? mse_threshold(hist_) : 0.0;
  }
  return 0.0;
}

double calibrate(const Tensor& values, Calibrator method, std::int64_t bins, double percentile) {
  Observer o(method, bins, percentile);
  o.observe(values);
  return o.threshold();
}

}  // namespace gb::quant
