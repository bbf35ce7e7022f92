// record.hpp: the recordings lessons 26 (pruning) and 27 (knowledge distillation) draw. Every value
// drawn comes from the library's own runs (the results passed in, or a call made here); each function
// adds its scenes to `rec` and one step per thing that happens, under the recorder's current section.
//
// Lesson 26                                       Lesson 27 (record_distill.cpp)
//   record_sparsity_curve   (record_prune.cpp)      record_temperature_softmax
//   record_gradual_pruning  (record_prune.cpp)      record_temperature_table
//   record_filter_norms     (record_filters.cpp)    record_distillation_curves
//   record_cost_table       (record_filters.cpp)    record_distillation_table
//   record_csr_example      (record_sparse.cpp)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gb/compress/distill.hpp"
#include "gb/compress/prune.hpp"
#include "gb/compress/sparse.hpp"
#include "gb/core/tensor.hpp"
#include "gb/nn/history.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::compress {

// --- lesson 26: pruning ----------------------------------------------------------------------------------

// A Plot of test accuracy against sparsity: the dense model at sparsity 0, then one point per round
// right after pruning ("pruned") and after retraining with the masks ("fine-tuned"). One step per
// round. Throws gb::Error for no rounds.
void record_sparsity_curve(trace::Recorder& rec, const std::vector<PruneRound>& rounds, double dense_accuracy,
                           const std::string& scene_id = "sparsity_accuracy");

// The gradual schedule as it runs, one step per pruning event, in two scenes:
//   "<prefix>schedule": a Plot over optimizer steps of the formula s_t (a line over every step up to a
//     little past end_step), the sparsity measured at each event and the test accuracy there;
//   "<prefix>mask": a Tensor scene of the watched layer's mask ([out, in], a convolution's filters one
//     per row), all ones at first; each event writes the cells whose mask changed (0: pruned).
// Returns the number of the watched layer's weights pruned at the end. Throws gb::Error for a result
// without events, or events without a watched mask (GradualOptions::watch) or with masks of different
// shapes.
std::int64_t record_gradual_pruning(trace::Recorder& rec, const GradualSchedule& schedule, const GradualResult& result,
                                    const std::string& layer, const std::string& prefix = "");

// The L1 norm of every filter of a convolution as bars (a histogram over filter indices: bin i spans
// [i, i + 1)), in two series, "kept" and "pruned", so the removed filters stand out. One step.
// Throws gb::Error for a removed index outside the filters.
void record_filter_norms(trace::Recorder& rec, const Tensor& conv_weight, const std::vector<std::int64_t>& removed,
                         const std::string& layer, const std::string& scene_id = "filter_norms");

// One row of the cost table: a model, what it costs and how well it classifies.
struct CostRow {
  std::string model;
  ModelCost cost;
  double accuracy_pruned = 0;  // right after pruning (the dense model: its accuracy)
  double accuracy = 0;         // after fine-tuning
};
// A Table of parameters, nonzero parameters, multiply-adds per image and accuracy, one step per row.
void record_cost_table(trace::Recorder& rec, const std::vector<CostRow>& rows, const std::string& scene_id = "costs");

// A small pruned matrix and its CSR arrays: Tensor scenes "<prefix>dense", "<prefix>row_ptr",
// "<prefix>col_index" and "<prefix>values"; one step per row moves that row's nonzeros into the
// arrays. Returns to_csr(dense). Throws gb::Error (from to_csr) for a matrix that is not 2-D f32,
// and for one with more than 64 rows or columns (an example, not a layer).
CsrMatrix record_csr_example(trace::Recorder& rec, const Tensor& dense, const std::string& prefix = "csr_");

// --- lesson 27: knowledge distillation (record_distill.cpp) -----------------------------------------------

// One Plot per temperature ("<prefix>T<t>", e.g. "softmax_T4"), with the teacher's and the student's
// softmax(z / T) over the classes of one example as interleaved bars: class c's teacher bar spans
// [c, c + 0.5), the student's [c + 0.5, c + 1). `teacher_logits` and `student_logits` are [C] or
// [1, C]; `title` names the example ("test digit 0 (a 1)"), each scene is titled "T = 4, <title>". One
// step per temperature. Throws gb::Error for mismatched logits or a bad temperature.
void record_temperature_softmax(trace::Recorder& rec, const Tensor& teacher_logits, const Tensor& student_logits,
                                const std::vector<double>& temperatures, const std::string& title,
                                const std::string& prefix = "softmax_");

// What the T^2 factor does, one row per temperature over a batch of logits [N, C]: KL(p_t || p_s),
// T^2 KL (soft_target_loss), and the RMS of the gradient with respect to the student's logits with
// the T^2 (soft_target_grad) and without it (divided by T^2). Returns the gradient RMS with T^2 per
// temperature.
std::vector<double> record_temperature_table(trace::Recorder& rec, const Tensor& student_logits,
                                             const Tensor& teacher_logits, const std::vector<double>& temperatures,
                                             const std::string& scene_id = "temperature");

// A Plot of test accuracy per epoch: the student trained on the labels alone ("baseline"), the
// student trained with the teacher ("distilled"), and the teacher as a flat line. One step per epoch.
// Throws gb::Error for histories of different lengths or empty ones.
void record_distillation_curves(trace::Recorder& rec, const nn::History& baseline, const nn::History& distilled,
                                double teacher_accuracy, const std::string& scene_id = "distill_curves");

// One row of the accuracy table.
struct DistillTableRow {
  std::string model;       // "teacher (CNN)", "student, labels only", ...
  ModelCost cost;
  double accuracy = 0;
};
// A Table of parameters, multiply-adds and test accuracy (and the difference to the first row, the
// teacher, in points), one step per row.
void record_distillation_table(trace::Recorder& rec, const std::vector<DistillTableRow>& rows,
                               const std::string& scene_id = "accuracy");

}  // namespace gb::compress
