// calibrate.hpp: choosing the range to quantize from the values a tensor really takes (lesson 24).
//
// Min-max keeps every value but spends the grid on rare outliers; the other calibrators clip:
//   minmax           the largest |x| seen (symmetric) or min/max (affine)
//   moving_average   min/max averaged over batches: m <- m + c (batch_min - m), c = 0.01, first batch as is
//   percentile       the p-th percentile of |x| (default 99.99), read off the histogram: the first bin
//                    where the cumulative count reaches p% of the total, interpolated linearly inside it
//   kl               TensorRT's entropy calibration (Migacz, GTC 2017): 2048 bins of |x| on [0, amax];
//                    the first bin's count is first replaced by the second's (as NVIDIA's
//                    pytorch-quantization does: after a ReLU it holds the exact zeros, which the grid
//                    keeps exactly, and their spike would otherwise pull the threshold far down);
//                    for every i in [128, 2048): P = bins[0:i] with the outliers bins[i:] added to P[i-1],
//                    Q = bins[0:i] (without the outliers, as the slides) merged into 128 levels (i / 128
//                    bins each, the remainder in the last) and spread back over P's non-zero bins, KL(P || Q)
//                    (+infinity where P has mass and Q none: that candidate is never chosen);
//                    threshold = (m + 0.5) * bin_width for the i = m with the smallest divergence
//                    (the choices where published implementations differ are written in README.md)
//   mse              the threshold t minimising the expected squared error of fake-quantizing the
//                    histogram with S = t / 127 (clipping error + rounding error), searched over bin edges
// Every calibrator returns a threshold T > 0 for symmetric int8 (S = T / 127). Empty input, NaN or Inf
// values are gb::Error; an all-zero input gives T = 0 (documented: choose_qparams then gives S = eps).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"

namespace gb::quant {

enum class Calibrator { minmax, moving_average, percentile, kl, mse };
const char* calibrator_name(Calibrator c);                  // "minmax", "moving_average", ...
Calibrator calibrator_from_name(const std::string& name);   // gb::Error naming the known names

// A histogram of |x| on [0, max]: counts[b] counts values in [b*w, (b+1)*w), w = max / bins
// (the last bin also takes |x| == max).
struct Histogram {
  double max = 0.0;
  std::vector<double> counts;
  double bin_width() const { return counts.empty() ? 0.0 : max / static_cast<double>(counts.size()); }
  double total() const;
};
// bins >= 1; NaN/Inf/empty are gb::Error.
Histogram abs_histogram(const Tensor& x, std::int64_t bins = 2048);
Histogram abs_histogram(const std::vector<float>& x, std::int64_t bins = 2048);

// Exercise quant.calibrate.kl_divergence: KL(P || Q) = sum_i p_i log(p_i / q_i) after normalising
// both to sum 1, summed over bins where p_i > 0 (q_i == 0 there gives +infinity); the sizes must match.
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q);

// The sweep of the KL calibrator, kept whole so the lesson can draw it.
struct KlSweep {
  Histogram histogram;                   // as observed (bin 0 NOT replaced: what the lesson draws)
  std::vector<double> counts;            // what the sweep used: histogram.counts with the zero-spike rule
  std::int64_t levels = 128;
  std::vector<std::int64_t> candidates;  // i = levels .. bins-1
  std::vector<double> divergence;        // KL(P || Q) for each candidate
  std::int64_t best = 0;                 // the candidate with the smallest divergence (the first on ties)
  double threshold = 0.0;                // (best + 0.5) * bin_width
};
KlSweep kl_sweep(const Histogram& h, std::int64_t levels = 128);

// Collects what the calibrators need over many batches (a running |x| histogram that is rebuilt
// wider when a batch exceeds its max, each old bin's count spread over the new bins it overlaps in
// proportion to the overlap, plus the min/max statistics), then gives a threshold.
class Observer {
 public:
  explicit Observer(Calibrator method = Calibrator::minmax, std::int64_t bins = 2048, double percentile = 99.99,
                    double averaging_constant = 0.01);
  void observe(const Tensor& x);   // f32; NaN/Inf are gb::Error
  bool empty() const { return batches_ == 0; }
  std::int64_t batches() const { return batches_; }
  double min() const { return min_; }   // minmax: over everything; moving_average: the average
  double max() const { return max_; }
  const Histogram& histogram() const { return hist_; }
  Calibrator method() const { return method_; }
  double threshold() const;        // symmetric threshold T (gb::Error when nothing was observed)

 private:
  Calibrator method_;
  double percentile_, averaging_constant_;
  std::int64_t batches_ = 0;
  double min_ = 0.0, max_ = 0.0;
  Histogram hist_;
};

// One call for a bag of values: the threshold the method picks (Python's gb.quant.calibrate).
double calibrate(const Tensor& values, Calibrator method, std::int64_t bins = 2048, double percentile = 99.99);

}  // namespace gb::quant
