// parallel_ddp_lessons_tests.cpp: lesson 11-data-parallel, checked on what its recording holds,
// independently of the scenario's own checks: the sampler's shards against DistributedSampler's rules
// (cover the data, indices[r::world], padding from the start), the buckets against the bucket rule
// recomputed here from the layer sizes, the overlap timelines' spans (communication before the end of
// backward only with overlap; the exposed communication recomputed from the spans), and the training
// runs against one device within the library's stated tolerance (1e-5).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/trace/replay.hpp"

namespace {

using gb::trace::Recording;
using gb::trace::Scene;

const Recording& lesson() {
  static const Recording r = gb::lessons::run("11-data-parallel");
  return r;
}

Scene last(const Recording& r, const std::string& id) {
  const auto state = gb::trace::replay(r, static_cast<std::int64_t>(r.steps.size()) - 1);
  const auto* s = state.find(id);
  if (s == nullptr) throw gb::Error("parallel_ddp_lessons_tests", "a scene " + id, "none");
  return s->scene;
}

// The "measured" cell of the summary row whose quantity starts with `quantity`.
double summary(const Recording& r, const std::string& quantity) {
  for (const auto& row : last(r, "summary").table.rows)
    if (row.at(0).rfind(quantity, 0) == 0) return std::stod(row.at(1));
  throw gb::Error("parallel_ddp_lessons_tests", "a summary row " + quantity, "none");
}

// DDP's bucket rule, written again from its description (torch's compute_bucket_assignment_by_size on
// the parameters in reverse order): walk from the last parameter to the first, close the open bucket as
// soon as it holds at least its cap (the first cap for the first bucket), never split a parameter.
std::vector<std::vector<int>> expected_buckets(const std::vector<std::int64_t>& bytes, double first_cap, double cap) {
  std::vector<std::vector<int>> buckets(1);
  double held = 0;
  for (int p = static_cast<int>(bytes.size()) - 1; p >= 0; --p) {
    buckets.back().push_back(p);
    held += static_cast<double>(bytes[static_cast<std::size_t>(p)]);
    if (held >= (buckets.size() == 1 ? first_cap : cap)) {
      buckets.emplace_back();
      held = 0;
    }
  }
  if (buckets.back().empty()) buckets.pop_back();
  return buckets;
}

// The drawn model: `layers` Linear(h, h) layers, registered weight then bias.
std::vector<std::int64_t> layer_bytes(int layers, std::int64_t h) {
  std::vector<std::int64_t> bytes;
  for (int l = 0; l < layers; ++l) {
    bytes.push_back(4 * h * h);
    bytes.push_back(4 * h);
  }
  return bytes;
}

// Row b of the bucket_slots tensor: the parameter indices of bucket b, empty slots (-1) dropped.
std::vector<std::vector<int>> drawn_buckets(const Recording& r) {
  const Scene t = last(r, "bucket_slots");
  const std::size_t rows = static_cast<std::size_t>(t.tensor.rows), cols = static_cast<std::size_t>(t.tensor.cols);
  std::vector<std::vector<int>> buckets(rows);
  for (std::size_t b = 0; b < rows; ++b)
    for (std::size_t c = 0; c < cols; ++c)
      if (t.tensor.values[b * cols + c] >= 0) buckets[b].push_back(static_cast<int>(t.tensor.values[b * cols + c]));
  return buckets;
}

}  // namespace

TEST(Lesson11, TheShardsCoverTheDataInterleavedAndPaddedFromTheStart) {
  const int world = 4, n = 10, per_rank = 3;  // the defaults: ceil(10 / 4) = 3
  std::vector<std::vector<double>> epochs;
  for (const std::string id : {"shards_epoch_0", "shards_epoch_1"}) {
    const Scene t = last(lesson(), id);
    ASSERT_EQ(t.tensor.rows, world);
    ASSERT_EQ(t.tensor.cols, per_rank);
    // Rank r reads positions r, r + world, ...: reading the columns rank by rank gives back the list.
    std::vector<int> list;
    for (int i = 0; i < per_rank; ++i)
      for (int r = 0; r < world; ++r) list.push_back(static_cast<int>(t.tensor.values[static_cast<std::size_t>(r * per_rank + i)]));
    const std::set<int> first(list.begin(), list.begin() + n);
    EXPECT_EQ(first.size(), static_cast<std::size_t>(n)) << id << ": the first N positions are a permutation";
    EXPECT_EQ(*first.begin(), 0);
    EXPECT_EQ(*first.rbegin(), n - 1);
    for (int i = n; i < world * per_rank; ++i) EXPECT_EQ(list[i], list[i - n]) << id << ": padding repeats the start";
    epochs.push_back(t.tensor.values);
  }
  EXPECT_NE(epochs[0], epochs[1]) << "set_epoch draws another permutation";
}

TEST(Lesson11, TheBucketsFollowTheBucketRule) {
  const auto expected = expected_buckets(layer_bytes(8, 256), 0.25 * (1 << 20), 0.5 * (1 << 20));
  EXPECT_EQ(drawn_buckets(lesson()), expected);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(last(lesson(), "buckets").table.rows.size(), expected.size());
}

TEST(Lesson11, TorchsCapsPutTheSmallModelInTwoBuckets) {
  const Recording r = gb::lessons::run("11-data-parallel", {{"first_bucket_mb", "1"}, {"bucket_cap_mb", "25"}, {"steps", "2"}});
  const auto expected = expected_buckets(layer_bytes(8, 256), 1 << 20, 25 << 20);
  EXPECT_EQ(drawn_buckets(r), expected);
  EXPECT_EQ(expected.size(), 2u);
}

TEST(Lesson11, EachBucketsAllReduceStartsWhenReadyAndInOrder) {
  const Scene table = last(lesson(), "buckets");
  double previous_start = 0, previous_end = 0;
  for (const auto& row : table.table.rows) {
    const double ready = std::stod(row.at(3)), start = std::stod(row.at(4)), end = std::stod(row.at(5));
    EXPECT_GE(start, ready * (1 - 1e-3)) << "bucket " << row[0] << " cannot start before its gradients are ready";
    EXPECT_GT(end, start);
    EXPECT_GE(start, previous_start);
    EXPECT_GE(end, previous_end);
    previous_start = start;
    previous_end = end;
  }
}

TEST(Lesson11, OnlyOverlapSendsDuringTheBackward) {
  for (const std::string id : {"with_overlap", "without_overlap"}) {
    const Scene t = last(lesson(), id);
    double backward_end = 0, first_message = 1e300;
    for (const auto& span : t.timeline.spans) {
      if (span.category == "backward") backward_end = std::max(backward_end, span.start + span.duration);
      if (span.category == "communication") first_message = std::min(first_message, span.start);
    }
    if (id == "with_overlap") {
      EXPECT_LT(first_message, backward_end) << "a bucket's all-reduce runs while backward goes on";
    } else {
      EXPECT_GE(first_message, backward_end * (1 - 1e-9)) << "without overlap every all-reduce waits for the whole backward";
    }
  }
}

TEST(Lesson11, ExposedCommunicationRecomputedFromTheSpans) {
  // Step time minus device 0's compute (its forward and backward spans never overlap each other).
  auto exposed = [](const Scene& t) {
    double end = 0, compute = 0;
    for (const auto& span : t.timeline.spans) {
      end = std::max(end, span.start + span.duration);
      if (span.lane == "device 0" && span.category != "communication") compute += span.duration;
    }
    return end - compute;
  };
  const double with = exposed(last(lesson(), "with_overlap")), without = exposed(last(lesson(), "without_overlap"));
  EXPECT_NEAR(with, summary(lesson(), "exposed communication with overlap"), 1e-3 * without);
  EXPECT_NEAR(without, summary(lesson(), "exposed communication without overlap"), 1e-3 * without);
  EXPECT_LT(with, without / 2) << "overlap hides most of the communication at the defaults";
  // Without overlap nothing is hidden: everything the ranks communicate is exposed.
  EXPECT_NEAR(without, summary(lesson(), "communication per rank"), 1e-3 * without);
  EXPECT_NEAR(summary(lesson(), "step time without overlap") - summary(lesson(), "step time with overlap"), without - with, 1e-3 * without);
}

TEST(Lesson11, UnusedParametersAreNamedThenFound) {
  bool named = false, found = false;
  for (const auto& step : lesson().steps) {
    if (step.section != "5. Unused parameters") continue;
    named = named || step.caption.find("given no gradient for 7.weight, 7.bias") != std::string::npos;
    found = found || step.caption.find("With find_unused_parameters, 7.weight, 7.bias") != std::string::npos;
  }
  EXPECT_TRUE(named);
  EXPECT_TRUE(found);
}

TEST(Lesson11, SynchronousTrainingEqualsOneDeviceAndStaleDoesNot) {
  const double tolerance = 1e-5;  // data_parallel.hpp: equal up to the order of the f32 additions
  EXPECT_LT(summary(lesson(), "DDP: max |weights - one device|"), tolerance);
  EXPECT_LT(summary(lesson(), "parameter server, synchronous"), tolerance);
  EXPECT_GT(summary(lesson(), "parameter server, staleness 2"), 100 * tolerance);
  EXPECT_EQ(summary(lesson(), "DDP: max |weights of rank r"), 0.0);
  const Scene plot = last(lesson(), "losses");
  std::vector<double> one;
  for (const auto& series : plot.plot.series)
    if (series.name == "one device") one = series.y;
  ASSERT_EQ(one.size(), 20u);
  for (const auto& series : plot.plot.series) {
    ASSERT_EQ(series.y.size(), one.size()) << series.name;
    const bool stale = series.name.find("staleness") != std::string::npos;
    // The same weights at the start: the first losses differ only by rounding (a mean of shard means).
    EXPECT_NEAR(series.y.front(), one.front(), 1e-6) << series.name;
    double worst = 0;
    for (std::size_t i = 0; i < one.size(); ++i) worst = std::max(worst, std::fabs(series.y[i] - one[i]));
    if (stale) {
      EXPECT_GT(worst, 1e-4) << series.name;
    } else {
      EXPECT_LT(worst, 1e-5) << series.name;
    }
  }
}

TEST(Lesson11, BadParametersNameThemselves) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"devices", "1"}, {"bucket_cap_mb", "0"}, {"first_bucket_mb", "-1"}, {"layers", "100"}, {"steps", "1"}}) {
    try {
      gb::lessons::run("11-data-parallel", {{name, value}});
      ADD_FAILURE() << name << " = " << value << " must throw";
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}
