// conv_recordings_test.cpp: the recordings of lessons 20 and 22 compute what conv2d computes, say
// what the lessons say (one step per output cell, one row of the column matrix per step, halos,
// pointers into the input or the zero vector) and are deterministic (same inputs, same bytes).
#include <gtest/gtest.h>

#include <functional>

#include "conv_test_helpers.hpp"
#include "gb/core/error.hpp"
#include "gb/kernels/conv_recordings.hpp"
#include "gb/kernels/indirect.hpp"
#include "gb/trace/json.hpp"

using namespace gb_conv_test;

namespace {

std::string record_json(const std::function<void(gb::trace::Recorder&)>& f) {
  gb::trace::Recorder rec("lesson", "title");
  f(rec);
  return gb::trace::to_json(rec.take(), -1);
}

std::size_t steps_at(const gb::trace::Recording& r, gb::trace::Level level) {
  std::size_t n = 0;
  for (const gb::trace::Step& s : r.steps) n += s.level == level ? 1 : 0;
  return n;
}

// conv2d(direct) on the deterministic inputs the recordings use (x: i % 7 - 3, w: (i + 1) % 3 - 1).
gb::Tensor direct_on_small_values(gb::Shape xs, gb::Shape ws, kn::Conv2dParams p) {
  std::vector<double> xv(static_cast<std::size_t>(gb::shape_numel(xs))), wv(static_cast<std::size_t>(gb::shape_numel(ws)));
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = static_cast<double>(static_cast<std::int64_t>(i) % 7 - 3);
  for (std::size_t i = 0; i < wv.size(); ++i) wv[i] = static_cast<double>(static_cast<std::int64_t>(i + 1) % 3 - 1);
  return kn::conv2d(gb::Tensor::from_values(xv, xs), gb::Tensor::from_values(wv, ws), gb::Tensor(), p, kn::ConvAlgo::direct);
}

}  // namespace

TEST(ConvRecording, SlidingWindowOneStepPerOutputCell) {
  gb::trace::Recorder rec("20-convolution-and-im2col", "sliding window");
  const gb::Tensor y = kn::record_sliding_window(rec, 5, 6, 3, 2, 1);
  EXPECT_EQ(max_abs_diff(y, direct_on_small_values({1, 1, 5, 6}, {1, 1, 3, 3}, kn::Conv2dParams::square(2, 1))), 0);
  EXPECT_EQ(steps_at(rec.recording(), gb::trace::Level::op), static_cast<std::size_t>(3 * 3));
  EXPECT_EQ(rec.recording().find_scene("input")->tensor.rows, 7);  // padded
  gb::trace::Recorder fine("20", "t");
  kn::record_sliding_window(fine, 4, 4, 3, 1, 0, true);
  EXPECT_EQ(steps_at(fine.recording(), gb::trace::Level::element), static_cast<std::size_t>(4 * 9));
  EXPECT_THROW(kn::record_sliding_window(rec, 40, 4, 3), gb::Error);
}

TEST(ConvRecording, Im2ColRowByRowThenTheGemm) {
  gb::trace::Recorder rec("20-convolution-and-im2col", "im2col");
  const gb::Tensor y = kn::record_im2col(rec, 2, 5, 5, 3, 3, 1, 1);
  EXPECT_EQ(max_abs_diff(y, direct_on_small_values({1, 2, 5, 5}, {3, 2, 3, 3}, kn::Conv2dParams::square(1, 1))), 0);
  EXPECT_EQ(steps_at(rec.recording(), gb::trace::Level::op), static_cast<std::size_t>(2 * 9 + 3));
  const gb::trace::Scene* col = rec.recording().find_scene("col");
  ASSERT_NE(col, nullptr);
  EXPECT_EQ(col->tensor.rows, 18);
  EXPECT_EQ(col->tensor.cols, 25);
}

TEST(ConvRecording, SpatialPackTilesAndHalos) {
  gb::trace::Recorder rec("20-convolution-and-im2col", "spatial pack");
  const gb::Tensor y = kn::record_spatial_pack(rec, 8, 8, 3, 3, 1, 1);
  EXPECT_EQ(max_abs_diff(y, direct_on_small_values({1, 1, 8, 8}, {1, 1, 3, 3}, kn::Conv2dParams::square(1, 1))), 0);
  std::size_t rows = 0;
  for (const gb::trace::Step& s : rec.recording().steps)
    for (const gb::trace::Change& c : s.changes) rows += c.kind == gb::trace::ChangeKind::add_row ? 1 : 0;
  EXPECT_EQ(rows, 9u);  // 8x8 outputs in 3x3 tiles: 3 x 3 tiles
  EXPECT_EQ(rec.recording().find_scene("packed")->tensor.rows, 5);  // 3 + 2 halo rows
}

TEST(ConvRecording, IndirectionArrowsIntoTheInputAndTheZeroVector) {
  gb::trace::Recorder rec("22-indirect-convolution", "indirection");
  const gb::Tensor y = kn::record_indirection(rec, 2, 4, 4, 3, 3, 1, 1);
  EXPECT_EQ(max_abs_diff(y, direct_on_small_values({1, 2, 4, 4}, {3, 2, 3, 3}, kn::Conv2dParams::square(1, 1))), 0);
  std::size_t edges = 0, to_zero = 0;
  for (const gb::trace::Step& s : rec.recording().steps)
    for (const gb::trace::Change& c : s.changes)
      if (c.kind == gb::trace::ChangeKind::add_edge) {
        ++edges;
        to_zero += c.edge.to == "zero" ? 1 : 0;
      }
  EXPECT_EQ(edges, 16u * 9u);
  EXPECT_EQ(to_zero, 16u * 9u - 100u);  // 4x4 input, padding 1: 100 of the 144 taps land inside
  const std::size_t calls = static_cast<std::size_t>((16 + kn::kIndirectMR - 1) / kn::kIndirectMR);
  EXPECT_EQ(steps_at(rec.recording(), gb::trace::Level::tile), calls);
}

TEST(ConvRecording, Deterministic) {
  EXPECT_EQ(record_json([](auto& r) { kn::record_sliding_window(r, 5, 5, 3, 1, 1, true); }),
            record_json([](auto& r) { kn::record_sliding_window(r, 5, 5, 3, 1, 1, true); }));
  EXPECT_EQ(record_json([](auto& r) { kn::record_im2col(r, 2, 4, 4, 2, 3); }),
            record_json([](auto& r) { kn::record_im2col(r, 2, 4, 4, 2, 3); }));
  EXPECT_EQ(record_json([](auto& r) { kn::record_spatial_pack(r, 9, 7, 3, 4, 2, 1); }),
            record_json([](auto& r) { kn::record_spatial_pack(r, 9, 7, 3, 4, 2, 1); }));
  EXPECT_EQ(record_json([](auto& r) { kn::record_winograd_tile(r, 4); }),
            record_json([](auto& r) { kn::record_winograd_tile(r, 4); }));
  EXPECT_EQ(record_json([](auto& r) { kn::record_indirection(r, 2, 3, 3, 2, 3, 1, 1); }),
            record_json([](auto& r) { kn::record_indirection(r, 2, 3, 3, 2, 3, 1, 1); }));
}
