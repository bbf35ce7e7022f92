// record_prune.cpp: the recordings of lesson 26's unstructured pruning: accuracy against sparsity
// (before and after retraining), and the gradual schedule as it runs, with one layer's mask filling
// with zeros event by event. Every value drawn comes from the runs passed in.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/compress/record.hpp"
#include "gb/core/error.hpp"
#include "gb/trace/tensor_scene.hpp"
#include "record_text.hpp"

namespace gb::compress {

using detail::fixed;
using detail::num;
using detail::percent;

void record_sparsity_curve(trace::Recorder& rec, const std::vector<PruneRound>& rounds, double dense_accuracy,
                           const std::string& scene_id) {
  if (rounds.empty()) throw Error("record_sparsity_curve", "at least one pruning round", "none");
  trace::Scene scene = trace::plot_scene(scene_id, "Accuracy against sparsity",
                                         "sparsity of the prunable weights", "test accuracy");
  scene.plot.series = {{"pruned", trace::SeriesKind::line, {}, {}}, {"fine-tuned", trace::SeriesKind::line, {}, {}}};
  rec.add_scene(std::move(scene));
  rec.step("Unpruned, the model classifies " + fixed(dense_accuracy, 4) + " of the test digits correctly.", trace::Level::op)
      .add_point(scene_id, "pruned", 0.0, dense_accuracy)
      .add_point(scene_id, "fine-tuned", 0.0, dense_accuracy);
  for (const PruneRound& round : rounds) {
    rec.step("Pruned to " + percent(round.sparsity) + " zeros (target " + percent(round.target) + "), the model scores " +
                 fixed(round.accuracy_pruned, 4) + "; retrained with the masks fixed, it recovers to " +
                 fixed(round.accuracy, 4) + ".",
             trace::Level::op)
        .add_point(scene_id, "pruned", round.sparsity, round.accuracy_pruned)
        .add_point(scene_id, "fine-tuned", round.sparsity, round.accuracy);
  }
}

namespace {

// A mask as the heatmap draws it: [out, everything else] (a Linear's [out, in] as it is; a
// convolution's [OC, IC, KH, KW] one filter per row).
Tensor mask_rows(const Tensor& mask) {
  const std::int64_t rows = mask.ndim() == 0 ? 1 : mask.size(0);
  return mask.contiguous().reshape({rows, mask.numel() / std::max<std::int64_t>(rows, 1)});
}

}  // namespace

std::int64_t record_gradual_pruning(trace::Recorder& rec, const GradualSchedule& schedule, const GradualResult& result,
                                    const std::string& layer, const std::string& prefix) {
  const std::string op = "record_gradual_pruning";
  if (result.events.empty()) throw Error(op, "a gradual run with pruning events", "none");
  const Tensor first = result.events.front().watched_mask;
  if (!first.defined()) throw Error(op, "events with the mask of " + layer + " (GradualOptions::watch)", "no mask");
  const std::string schedule_id = prefix + "schedule", mask_id = prefix + "mask";

  // The schedule's formula over every optimizer step, a little past its end.
  const std::int64_t last = std::max(schedule.end_step(), result.events.back().step) + 2 * schedule.frequency;
  std::vector<double> steps, targets;
  for (std::int64_t t = 0; t <= last; ++t) {
    steps.push_back(static_cast<double>(t));
    targets.push_back(schedule.sparsity_at(t));
  }
  trace::Scene plot = trace::plot_scene(schedule_id, "Gradual schedule: sparsity, accuracy",
                                        "optimizer step", "sparsity / test accuracy");
  plot.plot.series = {{"s_t (schedule)", trace::SeriesKind::line, {}, {}},
                      {"measured sparsity", trace::SeriesKind::scatter, {}, {}},
                      {"test accuracy", trace::SeriesKind::line, {}, {}}};
  plot.plot.thresholds = {{"t0", static_cast<double>(schedule.begin_step)},
                          {"t0 + n dt", static_cast<double>(schedule.end_step())}};
  rec.add_scene(std::move(plot));
  const Tensor start = mask_rows(Tensor::ones(first.shape()));
  rec.add_scene(trace::tensor_scene(mask_id, "Mask of " + layer + " (0: pruned)",
                                    start));
  rec.step("The schedule s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3 rises from " + percent(schedule.initial_sparsity) +
               " to " + percent(schedule.final_sparsity) + " between steps " + std::to_string(schedule.begin_step) + " and " +
               std::to_string(schedule.end_step()) + ", fast at first and slowly at the end.",
           trace::Level::op)
      .set_series(schedule_id, "s_t (schedule)", steps, targets);

  std::vector<double> previous = start.to_vector();
  for (const GradualEvent& event : result.events) {
    if (!event.watched_mask.defined() || event.watched_mask.shape() != first.shape())
      throw Error(op, "a mask of " + layer + " of the same shape at every event", "another at step " + std::to_string(event.step));
    const std::vector<double> now = mask_rows(event.watched_mask).to_vector();
    std::vector<std::int64_t> cells;
    std::vector<double> values;
    std::int64_t pruned = 0;
    for (std::size_t i = 0; i < now.size(); ++i) {
      pruned += now[i] == 0.0;
      if (now[i] != previous[i]) {
        cells.push_back(static_cast<std::int64_t>(i));
        values.push_back(now[i]);
      }
    }
    previous = now;
    rec.step("At step " + std::to_string(event.step) + " the schedule asks for " + percent(event.target) + ": " +
                 std::to_string(cells.size()) + " more weights of " + layer + " go (" + std::to_string(pruned) + " of " +
                 std::to_string(now.size()) + " pruned), and the test accuracy is " + fixed(event.accuracy, 4) + ".",
             trace::Level::op)
        .add_point(schedule_id, "measured sparsity", static_cast<double>(event.step), event.sparsity)
        .add_point(schedule_id, "test accuracy", static_cast<double>(event.step), event.accuracy)
        .write_cells(mask_id, cells, values);
  }
  std::int64_t pruned = 0;
  for (double m : previous) pruned += m == 0.0;
  return pruned;
}

}  // namespace gb::compress
