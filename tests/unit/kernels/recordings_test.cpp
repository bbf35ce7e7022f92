// recordings_test.cpp: the recordings of lessons 18 and 19 are deterministic, replay to the numbers the
// library computes, and the kernels record nothing even when a recorder is attached.
#include <gtest/gtest.h>

#include "gb/core/error.hpp"
#include "gb/core/ops.hpp"
#include "gb/kernels/recordings.hpp"
#include "gb/trace/replay.hpp"

namespace kn = gb::kernels;
namespace tr = gb::trace;

namespace {

std::int64_t count_level(const tr::Recording& r, tr::Level level) {
  std::int64_t n = 0;
  for (const tr::Step& s : r.steps) n += s.level == level ? 1 : 0;
  return n;
}

}  // namespace

TEST(GemmRecording, DeterministicAndReplaysToTheProduct) {
  auto make = [](bool elements) {
    tr::Recorder rec("19-gemm", "GEMM blocking");
    const gb::Tensor c = kn::record_gemm_blocking(rec, 7, 6, 5, {4, 3, 4, 2, 2}, elements);
    return std::make_pair(rec.take(), c);
  };
  const auto [r1, c1] = make(false);
  const auto [r2, c2] = make(false);
  EXPECT_TRUE(r1 == r2);
  EXPECT_TRUE(gb::allclose(c1, c2, 0, 0));
  // The product is A B (the scenes' A and B).
  const tr::Scene* a = r1.find_scene("A");
  const tr::Scene* b = r1.find_scene("B");
  ASSERT_TRUE(a && b);
  const gb::Tensor ta = gb::Tensor::from_values(a->tensor.values, {7, 5}), tb = gb::Tensor::from_values(b->tensor.values, {5, 6});
  EXPECT_TRUE(gb::allclose(c1, gb::matmul(ta, tb), 0, 0));
  // Replayed to the end, scene C holds the product.
  const tr::State end = tr::replay(r1, static_cast<std::int64_t>(r1.steps.size()) - 1);
  EXPECT_EQ(end.find("C")->scene.tensor.values, c1.to_vector());
  // Loops: NC = 4 -> 2 column panels, KC = 3 -> 2 slices, MC = 4 -> 2 row blocks.
  // Tiles per (jc, pc, ic): ceil(mc/2) * ceil(nc/2): blocks of 4 and 3 rows, panels of 4 and 2 columns.
  EXPECT_EQ(count_level(r1, tr::Level::pass), 1);
  EXPECT_EQ(count_level(r1, tr::Level::op), 2 * 2 * (1 + 2));  // pack B once per (jc, pc), pack A per ic
  EXPECT_EQ(count_level(r1, tr::Level::tile), 2 * ((2 + 2) * 2 + (2 + 2) * 1));
  EXPECT_EQ(count_level(r1, tr::Level::element), 0);
  const auto [r3, c3] = make(true);
  EXPECT_GT(count_level(r3, tr::Level::element), 0);
  EXPECT_NO_THROW(tr::validate(r3));
}

TEST(GemmRecording, RejectsSizesNotWorthWatching) {
  tr::Recorder rec("19-gemm", "GEMM blocking");
  EXPECT_THROW(kn::record_gemm_blocking(rec, 0, 4, 4), gb::Error);
  EXPECT_THROW(kn::record_gemm_blocking(rec, 64, 4, 4), gb::Error);
  EXPECT_THROW(kn::record_gemm_blocking(rec, 4, 4, 4, {0, 1, 1, 1, 1}), gb::Error);
}

TEST(LayoutRecording, TheStripEndsAsToLayout) {
  auto make = [] {
    tr::Recorder rec("18-memory-layout", "NCHW to NC4HW4");
    const gb::Tensor blocked = kn::record_layout_strip(rec, {1, 6, 2, 3}, 4);
    return std::make_pair(rec.take(), blocked);
  };
  const auto [r1, b1] = make();
  const auto [r2, b2] = make();
  EXPECT_TRUE(r1 == r2);
  EXPECT_EQ(b1.shape(), (gb::Shape{1, 2, 2, 3, 4}));
  const tr::State end = tr::replay(r1, static_cast<std::int64_t>(r1.steps.size()) - 1);
  EXPECT_EQ(end.find("blocked")->scene.tensor.values, b1.to_vector());
  EXPECT_EQ(count_level(r1, tr::Level::element), kn::stored_numel(kn::Layout::nc4hw4(), {1, 6, 2, 3}));
  EXPECT_EQ(count_level(r1, tr::Level::op), 2);
  tr::Recorder rec("18-memory-layout", "too big");
  EXPECT_THROW(kn::record_layout_strip(rec, {4, 16, 4, 4}, 4), gb::Error);
  EXPECT_THROW(kn::record_layout_strip(rec, {1, 4, 2, 2}, 3), gb::Error);
}

TEST(KernelRecording, KernelsRecordNothingEvenWithARecorderAttached) {
  tr::Recorder rec("19-gemm", "attached");
  tr::ScopedRecorder attach(rec);
  const gb::Tensor a = gb::Tensor::ones({9, 9});
  for (kn::Variant v : kn::available_variants()) (void)kn::gemm(a, a, v);
  (void)kn::to_layout(gb::Tensor::ones({1, 5, 2, 2}), kn::Layout::nchw(), kn::Layout::nc4hw4());
  EXPECT_TRUE(rec.recording().steps.empty());
  EXPECT_TRUE(rec.recording().scenes.empty());
}
