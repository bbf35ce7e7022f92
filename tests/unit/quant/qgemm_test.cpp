// qgemm_test.cpp: the integer GEMM (lib/quant/src/qgemm*.cpp) and qlinear (the output stage is
// qrequantize_test.cpp).
// Every variant this CPU runs is checked bit for bit against `reference` on a table of shapes chosen
// to hit the edges of the fast kernels: odd m and n, k not a multiple of 4 (or 2), k across several
// KC = 256 blocks, m across MC = 144 rows, n across a 64-column tile, zero points at their extremes,
// per-channel weight zero points, row strides larger than the rows. The reference itself is checked
// against numbers worked out by hand and against the worst case of the overflow bound.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gb/core/rng.hpp"
#include "gb/quant/qgemm.hpp"
#include "test_helpers.hpp"

namespace {

namespace quant = gb::quant;
using quant::QGemmVariant;

std::vector<std::uint8_t> random_u8(gb::Rng& rng, std::int64_t count) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<std::uint8_t>(rng.randint(0, 256));
  return v;
}
std::vector<std::int8_t> random_i8(gb::Rng& rng, std::int64_t count) {
  std::vector<std::int8_t> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<std::int8_t>(rng.randint(-128, 128));
  return v;
}

// The concrete and the aliased variants this CPU runs, reference excluded.
std::vector<QGemmVariant> fast_variants() {
  std::vector<QGemmVariant> out;
  for (QGemmVariant v : quant::available_qgemm_variants()) {
    if (v != QGemmVariant::reference) out.push_back(v);
  }
  return out;
}

// One random problem with padded row strides; C's padding holds a sentinel the kernels must not touch.
struct Problem {
  std::int64_t m, n, k, lda, ldb, ldc;
  std::int32_t a_zero;
  std::vector<std::uint8_t> a;
  std::vector<std::int8_t> b;
  std::vector<std::int32_t> b_zero;  // empty: nullptr

  quant::QGemmArgs args(std::vector<std::int32_t>& c) const {
    c.assign(static_cast<std::size_t>(m * ldc), 12345);
    quant::QGemmArgs g;
    g.m = m;
    g.n = n;
    g.k = k;
    g.a = a.data();
    g.lda = lda;
    g.a_zero_point = a_zero;
    g.b = b.data();
    g.ldb = ldb;
    g.b_zero_point = b_zero.empty() ? nullptr : b_zero.data();
    g.c = c.data();
    g.ldc = ldc;
    return g;
  }
};

Problem random_problem(gb::Rng& rng, std::int64_t m, std::int64_t n, std::int64_t k, std::int32_t a_zero,
                       int b_zero_kind) {
  Problem p{m, n, k, k + rng.randint(0, 3), k + rng.randint(0, 3), n + rng.randint(0, 3), a_zero, {}, {}, {}};
  p.a = random_u8(rng, m * p.lda);
  p.b = random_i8(rng, n * p.ldb);
  if (b_zero_kind == 1) p.b_zero.assign(static_cast<std::size_t>(n), 127);
  if (b_zero_kind == 2) {  // per channel, extremes included
    for (std::int64_t j = 0; j < n; ++j) p.b_zero.push_back(j % 3 == 0 ? -128 : j % 3 == 1 ? 127 : static_cast<std::int32_t>(rng.randint(-128, 128)));
  }
  return p;
}

TEST(QGemmNames, RoundTripAndUnknownNamesAreErrors) {
  for (QGemmVariant v : quant::all_qgemm_variants()) {
    EXPECT_EQ(quant::qgemm_variant_from_name(quant::qgemm_variant_name(v)), v);
  }
  EXPECT_EQ(quant::all_qgemm_variants().size(), 7u);
  EXPECT_ERROR(quant::qgemm_variant_from_name("vnni512"), "qgemm_variant_from_name", "reference", "avx512vnni", "'vnni512'");
  EXPECT_TRUE(quant::qgemm_variant_available(QGemmVariant::reference));
  EXPECT_TRUE(quant::qgemm_variant_available(QGemmVariant::packed));
  EXPECT_TRUE(quant::qgemm_variant_available(QGemmVariant::best));
  const QGemmVariant best = quant::resolve_qgemm_variant(QGemmVariant::best);
  EXPECT_NE(best, QGemmVariant::best);
  EXPECT_NE(best, QGemmVariant::vnni);
  EXPECT_TRUE(quant::qgemm_variant_available(best));
  EXPECT_EQ(quant::resolve_qgemm_variant(QGemmVariant::avx2), QGemmVariant::avx2);
  if (quant::qgemm_variant_available(QGemmVariant::avx512vnni)) {
    EXPECT_EQ(quant::resolve_qgemm_variant(QGemmVariant::vnni), QGemmVariant::avx512vnni);
  }
}

TEST(QGemmReference, MatchesAWorkedExample) {
  // a = [[1, 2, 3], [4, 5, 6]] with a_zero 2; b = [[1, 0, -1], [2, 2, 2]] with zero points 0 and 1:
  //   acc[0,0] = (-1)(1) + 0(0) + 1(-1) = -2     acc[0,1] = (-1)(1) + 0(1) + 1(1) = 0
  //   acc[1,0] = 2(1) + 3(0) + 4(-1) = -2        acc[1,1] = (2 + 3 + 4)(1) = 9
  const std::vector<std::uint8_t> a{1, 2, 3, 4, 5, 6};
  const std::vector<std::int8_t> b{1, 0, -1, 2, 2, 2};
  const std::vector<std::int32_t> b_zero{0, 1};
  for (QGemmVariant v : quant::available_qgemm_variants()) {
    std::vector<std::int32_t> c(4, 99);
    quant::QGemmArgs g;
    g.m = 2;
    g.n = 2;
    g.k = 3;
    g.a = a.data();
    g.lda = 3;
    g.a_zero_point = 2;
    g.b = b.data();
    g.ldb = 3;
    g.b_zero_point = b_zero.data();
    g.c = c.data();
    g.ldc = 2;
    quant::qgemm_s32(v, g);
    EXPECT_EQ(c, (std::vector<std::int32_t>{-2, 0, -2, 9})) << quant::qgemm_variant_name(v);
  }
}

TEST(QGemm, EveryVariantEqualsTheReferenceBitForBit) {
  struct Shape {
    std::int64_t m, n, k;
  };
  // 1 x 1 x 1; odd everything; k % 4 = 1, 2, 3; k across KC blocks (256, 513, 777); m across MC (144):
  // 145, 301; n across the 64-wide and 16-wide tiles: 65, 130; a Linear layer's batch of 1.
  const Shape shapes[] = {{1, 1, 1},   {3, 5, 7},    {7, 17, 2},   {6, 64, 4},     {13, 33, 3},   {5, 65, 257},
                          {145, 19, 9}, {12, 130, 513}, {301, 70, 31}, {1, 10, 777},  {37, 1, 1030}, {64, 64, 64}};
  const std::int32_t a_zeros[] = {0, 255, 128, 3};
  gb::Rng rng(7);
  int cases = 0;
  for (const Shape& s : shapes) {
    for (std::int32_t a_zero : a_zeros) {
      const int b_zero_kind = cases % 3;  // none, all 127, per channel
      const Problem p = random_problem(rng, s.m, s.n, s.k, a_zero, b_zero_kind);
      std::vector<std::int32_t> expected, got;
      quant::qgemm_s32(QGemmVariant::reference, p.args(expected));
      for (QGemmVariant v : fast_variants()) {
        quant::qgemm_s32(v, p.args(got));
        ASSERT_EQ(got, expected) << quant::qgemm_variant_name(v) << " m=" << s.m << " n=" << s.n << " k=" << s.k
                                 << " a_zero=" << a_zero << " b_zero kind " << b_zero_kind;
      }
      ++cases;
    }
  }
}

TEST(QGemm, TheOverflowBoundIsReachedExactlyAndNotPassed) {
  // The worst case |a - a_zero| = |b - b_zero| = 255 at k = kQGemmMaxK: 255 * 255 * 33025 = 2147450625,
  // 33022 short of INT32_MAX. Rows of A: all 0, all 255; rows of B: all -128 (b_zero 127: -255 each),
  // all 127 (b_zero -128: +255 each).
  const std::int64_t k = quant::kQGemmMaxK;
  EXPECT_EQ(k, 33025);
  EXPECT_LE(k * 255 * 255, std::int64_t{std::numeric_limits<std::int32_t>::max()});
  EXPECT_GT((k + 1) * 255 * 255, std::int64_t{std::numeric_limits<std::int32_t>::max()});
  std::vector<std::uint8_t> a(static_cast<std::size_t>(2 * k));
  std::fill(a.begin(), a.begin() + k, std::uint8_t{0});
  std::fill(a.begin() + k, a.end(), std::uint8_t{255});
  std::vector<std::int8_t> b(static_cast<std::size_t>(2 * k));
  std::fill(b.begin(), b.begin() + k, std::int8_t{-128});
  std::fill(b.begin() + k, b.end(), std::int8_t{127});
  const std::vector<std::int32_t> b_zero{127, -128};
  // a_zero = 255: row 0 is -255 everywhere, row 1 is 0. Column 0: b - b_zero = -255; column 1: +255.
  for (QGemmVariant v : quant::available_qgemm_variants()) {
    std::vector<std::int32_t> c(4, 0);
    quant::QGemmArgs g;
    g.m = 2;
    g.n = 2;
    g.k = k;
    g.a = a.data();
    g.lda = k;
    g.a_zero_point = 255;
    g.b = b.data();
    g.ldb = k;
    g.b_zero_point = b_zero.data();
    g.c = c.data();
    g.ldc = 2;
    quant::qgemm_s32(v, g);
    EXPECT_EQ(c, (std::vector<std::int32_t>{2147450625, -2147450625, 0, 0})) << quant::qgemm_variant_name(v);
    g.a_zero_point = 0;  // row 0: -0, row 1: +255
    quant::qgemm_s32(v, g);
    EXPECT_EQ(c, (std::vector<std::int32_t>{0, 0, -2147450625, 2147450625})) << quant::qgemm_variant_name(v);
  }
}

TEST(QGemm, KZeroWritesZerosAndEmptyResultsTouchNothing) {
  std::vector<std::int32_t> c(6, 7);
  quant::QGemmArgs g;
  g.m = 2;
  g.n = 3;
  g.k = 0;
  g.c = c.data();
  g.ldc = 3;
  for (QGemmVariant v : quant::available_qgemm_variants()) {
    c.assign(6, 7);
    quant::qgemm_s32(v, g);
    EXPECT_EQ(c, std::vector<std::int32_t>(6, 0));
  }
  quant::QGemmArgs empty;  // m = n = k = 0, every pointer null: nothing to do
  quant::qgemm_s32(QGemmVariant::best, empty);
}

TEST(QGemm, BadArgumentsAreErrorsThatNameTheProblem) {
  gb::Rng rng(3);
  const Problem p = random_problem(rng, 4, 5, 6, 10, 0);
  std::vector<std::int32_t> c;
  quant::QGemmArgs g = p.args(c);
  g.k = quant::kQGemmMaxK + 1;
  g.lda = g.ldb = g.k;
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::best, g), "qgemm_s32", "k <= 33025", "33026");
  g = p.args(c);
  g.a_zero_point = 256;
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::best, g), "qgemm_s32", "[0, 255]", "256");
  g = p.args(c);
  const std::vector<std::int32_t> bad_zero{0, 0, 128, 0, 0};
  g.b_zero_point = bad_zero.data();
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::best, g), "[-128, 127]", "b_zero_point[2] = 128");
  g = p.args(c);
  g.ldc = 4;
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::reference, g), "ldc >= n = 5", "ldc = 4");
  g = p.args(c);
  g.lda = 5;
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::packed, g), "lda >= k = 6", "lda = 5");
  g = p.args(c);
  g.b = nullptr;
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::best, g), "A and B pointers", "nullptr");
  g = p.args(c);
  g.m = -1;
  EXPECT_ERROR(quant::qgemm_s32(QGemmVariant::best, g), "m, n, k >= 0", "-1");
  for (QGemmVariant v : quant::all_qgemm_variants()) {
    if (!quant::qgemm_variant_available(v)) {
      EXPECT_ERROR(quant::qgemm_s32(v, p.args(c)), "a variant this CPU can run", quant::qgemm_variant_name(v));
    }
  }
}

TEST(QGemmIndirect, GathersRowsThroughPointersLikeThePlainGemm) {
  // Each row of A is `taps` segments of `channels` bytes anywhere in memory (some shared, as the
  // zero-point vector of a convolution's padding is); the result must equal the GEMM on the gathered rows.
  gb::Rng rng(11);
  struct Case {
    std::int64_t m, n, taps, channels;
  };
  for (const Case& cs : {Case{1, 1, 1, 1}, Case{7, 9, 9, 3}, Case{20, 65, 9, 16}, Case{150, 17, 25, 13}, Case{9, 5, 2, 300}}) {
    const std::int64_t k = cs.taps * cs.channels;
    const std::vector<std::uint8_t> pool = random_u8(rng, 50 * cs.channels);  // 50 candidate segments
    std::vector<const std::uint8_t*> ind(static_cast<std::size_t>(cs.m * cs.taps));
    std::vector<std::uint8_t> gathered(static_cast<std::size_t>(cs.m * k));
    for (std::int64_t i = 0; i < cs.m; ++i) {
      for (std::int64_t t = 0; t < cs.taps; ++t) {
        const std::uint8_t* seg = pool.data() + rng.randint(0, 50) * cs.channels;
        ind[static_cast<std::size_t>(i * cs.taps + t)] = seg;
        std::copy(seg, seg + cs.channels, gathered.begin() + i * k + t * cs.channels);
      }
    }
    Problem p = random_problem(rng, cs.m, cs.n, k, 77, 2);
    p.a = gathered;
    p.lda = k;
    std::vector<std::int32_t> expected, got;
    quant::qgemm_s32(QGemmVariant::reference, p.args(expected));
    for (QGemmVariant v : quant::available_qgemm_variants()) {
      quant::qgemm_s32_indirect(v, quant::QIndirectA{ind.data(), cs.taps, cs.channels}, p.args(got));
      ASSERT_EQ(got, expected) << quant::qgemm_variant_name(v) << " m=" << cs.m << " taps=" << cs.taps;
    }
  }
  std::vector<std::int32_t> c(1);
  quant::QGemmArgs g;
  g.m = g.n = 1;
  g.k = 5;
  EXPECT_ERROR(quant::qgemm_s32_indirect(QGemmVariant::best, quant::QIndirectA{nullptr, 2, 2}, g), "taps * channels == k = 5");
}

quant::QParams u8_params(double scale, std::int32_t zero) { return {gb::DType::u8, {scale}, {zero}, -1, false}; }
quant::QParams i8_params(std::vector<double> scales, std::vector<std::int32_t> zeros) {
  const std::int64_t axis = scales.size() > 1 ? 0 : -1;
  return {gb::DType::i8, std::move(scales), std::move(zeros), axis, false};
}

// --- qlinear ------------------------------------------------------------------------------------------

quant::QTensor random_qtensor(gb::Rng& rng, const gb::Shape& shape, const quant::QParams& p) {
  const std::int64_t count = gb::shape_numel(shape);
  gb::Tensor t = gb::Tensor::empty(shape, p.dtype);
  if (p.dtype == gb::DType::u8) {
    const auto v = random_u8(rng, count);
    std::copy(v.begin(), v.end(), t.data<std::uint8_t>());
  } else {
    const auto v = random_i8(rng, count);
    std::copy(v.begin(), v.end(), t.data<std::int8_t>());
  }
  return {t, p};
}

TEST(QLinear, IsTheGemmThenTheRequantizationForEveryVariant) {
  gb::Rng rng(5);
  const quant::QTensor x = random_qtensor(rng, {9, 37}, u8_params(0.02, 130));
  std::vector<double> scales;
  std::vector<std::int32_t> zeros;
  for (int j = 0; j < 11; ++j) {
    scales.push_back(0.001 * (j + 1));
    zeros.push_back(j % 2 == 0 ? 0 : -5 * j);
  }
  const quant::QTensor w = random_qtensor(rng, {11, 37}, i8_params(scales, zeros));
  const gb::Tensor bias = rng.normal({11}, 0.0, 0.5);
  const quant::QParams out = u8_params(0.05, 60);
  // Expected: the reference GEMM, then requantize_rows, composed by hand.
  std::vector<std::int32_t> acc(9 * 11);
  quant::QGemmArgs g;
  g.m = 9;
  g.n = 11;
  g.k = 37;
  g.a = x.values.data<std::uint8_t>();
  g.lda = 37;
  g.a_zero_point = 130;
  g.b = w.values.data<std::int8_t>();
  g.ldb = 37;
  g.b_zero_point = zeros.data();
  g.c = acc.data();
  g.ldc = 11;
  quant::qgemm_s32(QGemmVariant::reference, g);
  std::vector<std::uint8_t> expected(9 * 11);
  quant::requantize_rows(acc.data(), 9, 11, 11, quant::make_requantization(x.params, w.params, bias, out), expected.data(), 11);
  for (QGemmVariant v : quant::available_qgemm_variants()) {
    const quant::QTensor y = quant::qlinear(x, w, bias, out, false, v);
    ASSERT_EQ(y.values.shape(), (gb::Shape{9, 11}));
    EXPECT_EQ(y.values.dtype(), gb::DType::u8);
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), y.values.data<std::uint8_t>())) << quant::qgemm_variant_name(v);
  }
}

TEST(QLinear, AgreesWithTheFloatLinearWithinOneStep) {
  // The integer pipeline only rounds twice (bias to the accumulator grid, the fixed-point product), so
  // the output is within one step of quantizing the exact real result.
  gb::Rng rng(9);
  const quant::QTensor x = random_qtensor(rng, {6, 50}, u8_params(0.01, 100));
  const quant::QTensor w = random_qtensor(rng, {8, 50}, i8_params({0.004}, {3}));
  const gb::Tensor bias = rng.normal({8}, 0.0, 0.2);
  const quant::QParams out = u8_params(0.02, 120);
  for (bool relu : {false, true}) {
    const quant::QTensor y = quant::qlinear(x, w, bias, out, relu);
    for (std::int64_t i = 0; i < 6; ++i) {
      for (std::int64_t j = 0; j < 8; ++j) {
        double real = bias.at({j});
        for (std::int64_t k = 0; k < 50; ++k) {
          real += 0.01 * (x.values.at({i, k}) - 100) * 0.004 * (w.values.at({j, k}) - 3);
        }
        if (relu) real = std::max(real, 0.0);
        const double ideal = std::clamp(std::nearbyint(real / 0.02) + 120, 0.0, 255.0);
        EXPECT_LE(std::abs(y.values.at({i, j}) - ideal), 1.0) << i << ", " << j << " relu " << relu;
      }
    }
  }
}

TEST(QLinear, BadOperandsAreErrors) {
  gb::Rng rng(2);
  const quant::QTensor x = random_qtensor(rng, {3, 4}, u8_params(0.1, 0));
  const quant::QTensor w = random_qtensor(rng, {5, 4}, i8_params({0.1}, {0}));
  const quant::QParams out = u8_params(0.1, 0);
  const quant::QTensor w_bad = random_qtensor(rng, {5, 3}, i8_params({0.1}, {0}));
  EXPECT_ERROR(quant::qlinear(x, w_bad, gb::Tensor(), out), "qlinear", "K = 4", "[5, 3]");
  EXPECT_ERROR(quant::qlinear(w, w, gb::Tensor(), out), "qlinear", "x of dtype u8", "i8");
  EXPECT_ERROR(quant::qlinear(x, w, gb::Tensor::zeros({4}), out), "a bias of shape [5]", "[4]");
  EXPECT_ERROR(quant::qlinear(x, w, gb::Tensor(), i8_params({0.1}, {0})), "output params of dtype u8", "i8");
  const quant::QTensor w_axis1{w.values, {gb::DType::i8, {0.1, 0.1, 0.1, 0.1}, {0, 0, 0, 0}, 1, false}};
  EXPECT_ERROR(quant::qlinear(x, w_axis1, gb::Tensor(), out), "along axis 0 with 5 channels");
  const quant::QTensor x_zero_bad{x.values, u8_params(0.1, 300)};
  EXPECT_ERROR(quant::qlinear(x_zero_bad, w, gb::Tensor(), out), "zero points in [0, 255]", "300");
}

}  // namespace
