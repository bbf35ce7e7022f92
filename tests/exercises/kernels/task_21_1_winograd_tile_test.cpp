// Exercise kernels.winograd.tile_transform (lesson 21-winograd): sandwich / winograd_tile_transform in
// lib/kernels/src/winograd.cpp, the two-sided transform out = a x a^T for `lanes` tiles at once:
//   V = BT d B (a = BT),  U = G g GT (a = G),  Y = AT M A (a = AT)
// x[(k*cols + q)*lanes + l] is element (k, q) of tile l. Every Winograd stage but the GEMMs uses it.
//
// Run only this exercise:  kernels_exercise_tests --gtest_filter='Task_21_1_WinogradTile.*'
#include <gtest/gtest.h>

#include "conv_test_helpers.hpp"
#include "gb/kernels/winograd.hpp"

using namespace gb_conv_test;

namespace {
// a x a^T the slow way, for one tile.
std::vector<float> reference(const std::vector<float>& a, std::int64_t rows, std::int64_t cols, const std::vector<float>& x) {
  std::vector<float> out(static_cast<std::size_t>(rows * rows), 0.0f);
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < rows; ++j)
      for (std::int64_t k = 0; k < cols; ++k)
        for (std::int64_t q = 0; q < cols; ++q)
          out[static_cast<std::size_t>(i * rows + j)] += a[static_cast<std::size_t>(i * cols + k)] *
                                                         x[static_cast<std::size_t>(k * cols + q)] *
                                                         a[static_cast<std::size_t>(j * cols + q)];
  return out;
}
}  // namespace

TEST(Task_21_1_WinogradTile, InputTransformF2x2ByHand) {
  // d = 1..16 (4x4). BT d B: row 0 of BT d is d0 - d2 = [-8, -8, -8, -8]; then times B (= BT^T)
  // column 0: (-8) - (-8) = 0 ... every entry of V for a linear ramp follows from the differences.
  std::vector<float> d(16);
  for (int i = 0; i < 16; ++i) d[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  std::vector<float> v(16);
  const kn::WinogradMatrices& f = kn::winograd_matrices(2);
  kn::winograd_tile_transform(f.bt.data(), 4, 4, d.data(), 1, v.data());
  EXPECT_EQ(v, reference(f.bt, 4, 4, d));
  EXPECT_EQ(v[0], 0.0f);     // (d00 - d20) - (d02 - d22) = -8 - (-8)
  EXPECT_EQ(v[5], 34.0f);    // (d11 + d21) + (d12 + d22) = 6 + 10 + 7 + 11
}

TEST(Task_21_1_WinogradTile, EveryTransformOfBothVariantsWithLanes) {
  gb::Rng rng(12);
  for (std::int64_t m : {2, 4}) {
    const kn::WinogradMatrices& f = kn::winograd_matrices(m);
    struct Case { const std::vector<float>* a; std::int64_t rows, cols; };
    for (const Case& c : {Case{&f.bt, f.alpha, f.alpha}, Case{&f.g, f.alpha, 3}, Case{&f.at, m, f.alpha}}) {
      for (std::int64_t lanes : {1, 3, 16}) {
        std::vector<float> x(static_cast<std::size_t>(c.cols * c.cols * lanes)), out(static_cast<std::size_t>(c.rows * c.rows * lanes));
        for (float& v : x) v = static_cast<float>(rng.uniform(-1, 1));
        kn::winograd_tile_transform(c.a->data(), c.rows, c.cols, x.data(), lanes, out.data());
        for (std::int64_t l = 0; l < lanes; ++l) {
          std::vector<float> tile(static_cast<std::size_t>(c.cols * c.cols));
          for (std::size_t e = 0; e < tile.size(); ++e) tile[e] = x[e * static_cast<std::size_t>(lanes) + static_cast<std::size_t>(l)];
          const std::vector<float> expected = reference(*c.a, c.rows, c.cols, tile);
          for (std::size_t e = 0; e < expected.size(); ++e)
            ASSERT_NEAR(out[e * static_cast<std::size_t>(lanes) + static_cast<std::size_t>(l)], expected[e], 1e-4)
                << "m = " << m << ", rows " << c.rows << ", lane " << l << ", element " << e;
        }
      }
    }
  }
}

TEST(Task_21_1_WinogradTile, ATileOfF2x2EqualsDirectCorrelation) {
  // Y = AT [(G g GT) (.) (BT d B)] A on one 4x4 tile equals the 2x2 direct correlation.
  gb::Rng rng(13);
  const kn::WinogradMatrices& f = kn::winograd_matrices(2);
  std::vector<float> d(16), g(9), u(16), v(16), m(16), y(4);
  for (float& e : d) e = static_cast<float>(rng.uniform(-1, 1));
  for (float& e : g) e = static_cast<float>(rng.uniform(-1, 1));
  kn::winograd_tile_transform(f.g.data(), 4, 3, g.data(), 1, u.data());
  kn::winograd_tile_transform(f.bt.data(), 4, 4, d.data(), 1, v.data());
  for (int i = 0; i < 16; ++i) m[static_cast<std::size_t>(i)] = u[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(i)];
  kn::winograd_tile_transform(f.at.data(), 2, 4, m.data(), 1, y.data());
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c) {
      float expected = 0;
      for (int kh = 0; kh < 3; ++kh)
        for (int kw = 0; kw < 3; ++kw) expected += d[static_cast<std::size_t>((r + kh) * 4 + c + kw)] * g[static_cast<std::size_t>(kh * 3 + kw)];
      EXPECT_NEAR(y[static_cast<std::size_t>(r * 2 + c)], expected, 1e-5);
    }
}

// The fast Winograd engine runs the same transforms written out as add/sub sequences, not the
// exercise's generic form: this check passes in the student kit too, so it is not in the task's suite.
TEST(WinogradEngine, ConvolutionEqualsDirect) {
  gb::Rng rng(14);
  for (int i = 0; i < 8; ++i) {
    const ConvCase c = random_case(rng, true);
    check_against_direct(kn::ConvAlgo::winograd_2x2, c, 400 + static_cast<std::uint64_t>(i));
    check_against_direct(kn::ConvAlgo::winograd_4x4, c, 400 + static_cast<std::uint64_t>(i), 5e-4);
  }
}
