// calibrate_test.cpp: the |x| histogram, the calibrators and the Observer (lib/quant/src/calibrate.cpp).
// kl_divergence is exercise quant.calibrate.kl_divergence (tests/exercises/quant); the KL tests here
// use it through kl_sweep. tests/python/test_quant.py re-implements the histogram, the percentile, the
// MSE search and TensorRT's KL sweep in NumPy and compares on many inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/quant/calibrate.hpp"
#include "test_helpers.hpp"

namespace {

using gb::Tensor;
namespace quant = gb::quant;

Tensor f32(const std::vector<double>& v) { return Tensor::from_values(v, {static_cast<std::int64_t>(v.size())}); }

// Gaussian values plus a few far outliers: the case calibration exists for.
std::vector<float> with_outliers(std::uint64_t seed, int n = 20000) {
  gb::Rng rng(seed);
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<float>(rng.normal(0.0, 1.0)));
  v.push_back(40.0f);
  v.push_back(-35.0f);
  return v;
}

Tensor tensor_of(const std::vector<float>& v) {
  std::vector<double> d(v.begin(), v.end());
  return f32(d);
}

TEST(Calibrator, NamesRoundTripAndUnknownNamesAreErrors) {
  for (auto c : {quant::Calibrator::minmax, quant::Calibrator::moving_average, quant::Calibrator::percentile,
                 quant::Calibrator::kl, quant::Calibrator::mse})
    EXPECT_EQ(quant::calibrator_from_name(quant::calibrator_name(c)), c);
  EXPECT_ERROR(quant::calibrator_from_name("entropy"), "calibrator_from_name", "minmax", "kl", "\"entropy\"");
}

TEST(AbsHistogram, CountsHalfOpenBinsOfAbsoluteValues) {
  // max 1, 4 bins of 0.25: [0, .25) [.25, .5) [.5, .75) [.75, 1]
  const quant::Histogram h = quant::abs_histogram(f32({0.0, 0.1, -0.5, 0.25, 0.99, 1.0, -1.0}), 4);
  EXPECT_EQ(h.max, 1.0);
  EXPECT_EQ(h.bin_width(), 0.25);
  EXPECT_EQ(h.counts, (std::vector<double>{2, 1, 1, 3}));
  EXPECT_EQ(h.total(), 7.0);
}

// Values that sit exactly on an edge b * w (computed in double) belong to bin b, even where
// a / w rounds just below b.
TEST(AbsHistogram, EdgesAreTheProductsBinTimesWidth) {
  const std::int64_t bins = 10;
  std::vector<float> v;
  for (int i = 1; i <= 10; ++i) v.push_back(static_cast<float>(i) * 0.1f);
  const quant::Histogram h = quant::abs_histogram(v, bins);
  const double w = h.bin_width();
  for (float x : v) {
    const double a = x;
    std::int64_t b = 0;
    while (b < bins - 1 && a >= static_cast<double>(b + 1) * w) ++b;  // the definition, read literally
    // x alone, in a histogram with the same max (the second value, which lands in the last bin).
    const quant::Histogram pair = quant::abs_histogram(std::vector<float>{x, static_cast<float>(h.max)}, bins);
    std::vector<double> expected(static_cast<std::size_t>(bins), 0.0);
    expected[static_cast<std::size_t>(b)] += 1;
    expected.back() += 1;
    EXPECT_EQ(pair.counts, expected) << "x = " << x;
  }
  EXPECT_EQ(h.total(), 10.0);
}

TEST(AbsHistogram, BadInputsAreErrors) {
  EXPECT_ERROR(quant::abs_histogram(f32({1.0}), 0), "abs_histogram", "bins >= 1");
  EXPECT_ERROR(quant::abs_histogram(f32({1.0, NAN}), 8), "abs_histogram", "finite", "index 1");
  EXPECT_ERROR(quant::abs_histogram(Tensor::zeros({0}), 8), "abs_histogram", "non-empty");
  EXPECT_ERROR(quant::abs_histogram(Tensor::zeros({2}, gb::DType::i32), 8), "abs_histogram", "f32", "i32");
  EXPECT_ERROR(quant::abs_histogram(std::vector<float>{}, 8), "abs_histogram", "at least one value");
}

// A distribution that fits in the first 128 bins loses nothing at 128 levels: divergence 0 at the
// first candidate, which wins (the first on ties).
TEST(KlSweep, ADistributionOfAtMost128BinsIsKeptWhole) {
  quant::Histogram h;
  h.max = 2048.0;  // bin width 1
  h.counts.assign(2048, 0.0);
  gb::Rng rng(5);
  for (int b = 0; b < 128; ++b) h.counts[static_cast<std::size_t>(b)] = static_cast<double>(rng.randint(0, 50));
  const quant::KlSweep s = quant::kl_sweep(h);
  ASSERT_EQ(s.candidates.size(), 2048u - 128u);
  EXPECT_EQ(s.candidates.front(), 128);
  EXPECT_EQ(s.candidates.back(), 2047);
  ASSERT_EQ(s.divergence.size(), s.candidates.size());
  EXPECT_EQ(s.divergence[0], 0.0);
  EXPECT_EQ(s.best, 128);
  EXPECT_DOUBLE_EQ(s.threshold, 128.5);
}

TEST(KlSweep, BestIsTheSmallestDivergenceAndClipsTheOutliers) {
  const std::vector<float> v = with_outliers(6);
  const quant::KlSweep s = quant::kl_sweep(quant::abs_histogram(v));
  const auto it = std::min_element(s.divergence.begin(), s.divergence.end());
  EXPECT_EQ(s.best, s.candidates[static_cast<std::size_t>(it - s.divergence.begin())]);
  EXPECT_DOUBLE_EQ(s.threshold, (static_cast<double>(s.best) + 0.5) * s.histogram.bin_width());
  for (double d : s.divergence) EXPECT_GE(d, 0.0);
  // The Gaussian part ends near 4.5; the outliers at 35 and 40 are clipped.
  EXPECT_GT(s.threshold, 2.0);
  EXPECT_LT(s.threshold, 10.0);
}

TEST(KlSweep, BadHistogramsAreErrors) {
  quant::Histogram h;
  h.max = 1.0;
  h.counts.assign(128, 1.0);
  EXPECT_ERROR(quant::kl_sweep(h), "kl_sweep", "more bins than levels", "128 bins");
  h.counts.assign(256, 0.0);
  EXPECT_ERROR(quant::kl_sweep(h), "kl_sweep", "counts");
  h.counts.assign(256, 1.0);
  EXPECT_ERROR(quant::kl_sweep(h, 1), "kl_sweep", "levels >= 2");
}

// On data without outliers every calibrator keeps (nearly) the whole range. With two far outliers
// among 20000 values, percentile and KL clip far below them; MSE, which pays (40 - T)^2 for each
// clipped outlier but only S^2 / 12 per value for rounding, clips just a little.
TEST(Calibrate, PercentileAndKlClipTheOutliersMseLittleMinMaxNothing) {
  const std::vector<float> v = with_outliers(7);
  const Tensor x = tensor_of(v);
  EXPECT_EQ(quant::calibrate(x, quant::Calibrator::minmax), 40.0);
  EXPECT_EQ(quant::calibrate(x, quant::Calibrator::moving_average), 40.0);  // one batch: its min and max
  for (auto c : {quant::Calibrator::percentile, quant::Calibrator::kl}) {
    const double t = quant::calibrate(x, c);
    EXPECT_GT(t, 2.0) << quant::calibrator_name(c);
    EXPECT_LT(t, 10.0) << quant::calibrator_name(c);
  }
  const double mse = quant::calibrate(x, quant::Calibrator::mse);
  EXPECT_GT(mse, 20.0);
  EXPECT_LT(mse, 40.0);
  // Uniform values in [-1, 1]: nothing to clip, every threshold within a few bins of 1.
  gb::Rng rng(8);
  const Tensor u = rng.uniform({20000}, -1.0, 1.0);
  for (auto c : {quant::Calibrator::minmax, quant::Calibrator::percentile, quant::Calibrator::mse})
    EXPECT_NEAR(quant::calibrate(u, c), 1.0, 0.01) << quant::calibrator_name(c);
}

// The percentile read off the histogram is within one bin of the percentile of the sorted values.
TEST(Calibrate, PercentileIsWithinOneBinOfTheSortedValues) {
  const std::vector<float> v = with_outliers(9);
  std::vector<double> a;
  for (float x : v) a.push_back(std::fabs(static_cast<double>(x)));
  std::sort(a.begin(), a.end());
  const double w = quant::abs_histogram(v).bin_width();
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const double rank = p / 100.0 * static_cast<double>(a.size() - 1);  // numpy's "linear" percentile
    const auto lo = static_cast<std::size_t>(std::floor(rank));
    const double exact = a[lo] + (rank - static_cast<double>(lo)) * (a[std::min(lo + 1, a.size() - 1)] - a[lo]);
    EXPECT_NEAR(quant::calibrate(tensor_of(v), quant::Calibrator::percentile, 2048, p), exact, w) << p;
  }
  EXPECT_EQ(quant::calibrate(tensor_of(v), quant::Calibrator::percentile, 2048, 100.0), 40.0);
}

// The MSE threshold gives the smallest error among the bin edges; check it against every edge by
// fake-quantizing the values themselves (not the bin centres) and allowing a small slack.
TEST(Calibrate, MseThresholdBeatsMinMaxOnTheValuesThemselves) {
  const std::vector<float> v = with_outliers(10);
  auto error_at = [&](double t) {
    const double s = t / 127.0;
    double e = 0.0;
    for (float x : v) {
      const double q = std::clamp(std::nearbyint(x / s), -127.0, 127.0);
      e += (x - q * s) * (x - q * s);
    }
    return e;
  };
  const double t = quant::calibrate(tensor_of(v), quant::Calibrator::mse);
  EXPECT_LT(error_at(t), error_at(40.0));
  EXPECT_LT(error_at(t), error_at(t * 0.5));
  EXPECT_LT(error_at(t), error_at(t * 2.0));
}

TEST(Calibrate, AllZeroInputGivesThresholdZero) {
  for (auto c : {quant::Calibrator::minmax, quant::Calibrator::moving_average, quant::Calibrator::percentile,
                 quant::Calibrator::kl, quant::Calibrator::mse})
    EXPECT_EQ(quant::calibrate(Tensor::zeros({10}), c), 0.0) << quant::calibrator_name(c);
}

TEST(Observer, MinMaxOverBatchesAndTheMovingAverageRecurrence) {
  gb::Rng rng(12);
  quant::Observer mm(quant::Calibrator::minmax);
  quant::Observer ma(quant::Calibrator::moving_average, 2048, 99.99, 0.1);
  double lo = 0, hi = 0, avg_lo = 0, avg_hi = 0;
  for (int b = 0; b < 6; ++b) {
    const Tensor x = rng.normal({100}, 0.5 * b, 1.0 + b);
    mm.observe(x);
    ma.observe(x);
    const std::vector<double> v = x.to_vector();
    const double blo = *std::min_element(v.begin(), v.end()), bhi = *std::max_element(v.begin(), v.end());
    lo = b == 0 ? blo : std::min(lo, blo);
    hi = b == 0 ? bhi : std::max(hi, bhi);
    avg_lo = b == 0 ? blo : avg_lo + 0.1 * (blo - avg_lo);
    avg_hi = b == 0 ? bhi : avg_hi + 0.1 * (bhi - avg_hi);
  }
  EXPECT_EQ(mm.batches(), 6);
  EXPECT_EQ(mm.min(), lo);
  EXPECT_EQ(mm.max(), hi);
  EXPECT_DOUBLE_EQ(ma.min(), avg_lo);
  EXPECT_DOUBLE_EQ(ma.max(), avg_hi);
  EXPECT_DOUBLE_EQ(ma.threshold(), std::max(-avg_lo, avg_hi));
  EXPECT_EQ(mm.threshold(), std::max(-lo, hi));
}

// When the first batch holds the largest |x|, the running histogram is the histogram of all values;
// when a later batch is wider, the histogram is rebuilt and keeps every count.
TEST(Observer, RunningHistogramEqualsTheHistogramOfEverythingOrKeepsItsTotal) {
  const std::vector<float> v = with_outliers(13, 3000);
  std::vector<float> first(v.end() - 2, v.end()), rest(v.begin(), v.end() - 2);
  first.insert(first.end(), rest.begin(), rest.begin() + 1000);
  quant::Observer o(quant::Calibrator::kl);
  o.observe(tensor_of(first));
  o.observe(tensor_of(std::vector<float>(rest.begin() + 1000, rest.end())));
  EXPECT_EQ(o.histogram().counts, quant::abs_histogram(v).counts);
  EXPECT_EQ(o.histogram().max, 40.0);

  quant::Observer widening(quant::Calibrator::percentile, 64);
  widening.observe(tensor_of(rest));
  widening.observe(tensor_of(std::vector<float>(v.end() - 2, v.end())));
  EXPECT_EQ(widening.histogram().max, 40.0);
  EXPECT_NEAR(widening.histogram().total(), static_cast<double>(v.size()), 1e-9);
  // Everything below the old max (about 4) now lies in the first bins of width 40 / 64.
  double low = 0.0;
  for (std::size_t b = 0; b < 8; ++b) low += widening.histogram().counts[b];
  EXPECT_NEAR(low, static_cast<double>(rest.size()), 1e-9);
}

TEST(Observer, BadInputsAreErrors) {
  EXPECT_ERROR(quant::Observer().threshold(), "Observer::threshold", "at least one");
  EXPECT_ERROR(quant::Observer(quant::Calibrator::percentile, 2048, 0.0), "Observer", "(0, 100]");
  EXPECT_ERROR(quant::Observer(quant::Calibrator::kl, 128), "Observer", "128 bins");
  EXPECT_ERROR(quant::Observer(quant::Calibrator::minmax, 2048, 99.99, 0.0), "Observer", "averaging");
  quant::Observer o;
  EXPECT_ERROR(o.observe(f32({1.0, INFINITY})), "Observer::observe", "finite");
  EXPECT_ERROR(o.observe(Tensor::zeros({0})), "Observer::observe", "non-empty");
  EXPECT_TRUE(o.empty());
}

}  // namespace
