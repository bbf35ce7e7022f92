// prune.hpp: pruning (lesson 26): unstructured magnitude masks, iterative prune and retrain, the
// gradual schedule of Zhu and Gupta, and structured filter pruning by L1 norm (Li et al.).
//
// Unstructured pruning (Han et al. 2015) zeroes individual weights: the k weights of smallest |w| go,
// with k = round(sparsity * numel) (Python's round: half to even, as torch.nn.utils.prune computes
// it), and ties in |w| are broken by the flat index (the lower index is pruned first). A mask is a
// tensor of the weight's shape, 1 where the weight stays and 0 where it was pruned. Per layer, every
// prunable weight loses the same fraction; globally, one threshold over all of them decides, so the
// layers with many small weights lose more (torch.nn.utils.prune.global_unstructured).
//
// Retraining keeps the mask: after every optimizer step the pruned weights are set to zero again, so
// the network learns to do without them. Iterative pruning alternates pruning and retraining with a
// rising sparsity; the gradual schedule (Zhu and Gupta 2017, "To prune, or not to prune") raises it
// during training along
//     s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3     for t = t0, t0 + dt, ..., t0 + n dt,
// fast at first, when there are many redundant weights, and slowly at the end.
//
// Structured pruning removes whole filters of a convolution: the filters with the smallest L1 norm
// sum |W[oc, :, :, :]| go, with their bias, their BatchNorm channel and the matching input channels
// of the next layer (the next convolution's W[:, oc, :, :], or the next Linear's columns fed by that
// channel after Flatten). The result is a genuinely smaller nn::Sequential with fewer parameters and
// fewer multiply-adds, not a masked one.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/history.hpp"
#include "gb/nn/layers.hpp"

namespace gb::compress {

// --- unstructured magnitude masks -------------------------------------------------------------------------

// round(sparsity * numel), half to even. Throws gb::Error for a sparsity outside [0, 1].
std::int64_t prune_count(std::int64_t numel, double sparsity);

// The mask (f32, the weight's shape) that prunes prune_count(numel, sparsity) weights of smallest
// |w| (ties: the lower flat index first). Throws gb::Error for an undefined or non-f32 weight, an
// empty one, NaN/Inf in it, or a sparsity outside [0, 1].
Tensor magnitude_mask(const Tensor& weight, double sparsity);

// One threshold over all the weights together: prune_count(sum of numel, sparsity) weights of
// smallest |w| across the list (ties: earlier tensor, then lower index first). One mask per weight.
std::vector<Tensor> global_magnitude_masks(const std::vector<Tensor>& weights, double sparsity);

// Masks by parameter name ("0.weight", "4.weight", ...): state_dict names.
using Masks = std::map<std::string, Tensor>;

// The weights pruning applies to: the "weight" parameter of every Linear and Conv2d, in
// named_parameters() order (biases and BatchNorm parameters are few and are kept).
std::vector<std::string> prunable_parameters(const nn::Module& model);

enum class Scope { layer, global };
const char* scope_name(Scope scope);       // "layer", "global"
Scope scope_from_name(const std::string&);  // throws gb::Error for another name

// Magnitude masks for every prunable weight of the model at the given sparsity.
Masks magnitude_masks(const nn::Module& model, double sparsity, Scope scope);

// weight *= mask for every entry, in place (no tape). Throws gb::Error for an unknown name or a mask
// of another shape.
void apply_masks(nn::Module& model, const Masks& masks);

// Zeros among the prunable weights.
struct SparsityCount {
  std::int64_t zeros = 0;
  std::int64_t total = 0;
  double fraction() const { return total > 0 ? static_cast<double>(zeros) / static_cast<double>(total) : 0.0; }
};
SparsityCount count_sparsity(const nn::Module& model);

// --- retraining with masks --------------------------------------------------------------------------------

struct FineTuneOptions {
  std::int64_t epochs = 3;        // passes over split.train
  double lr = 1e-3;               // Adam, constant
  std::int64_t batch_size = 32;
  std::uint64_t seed = 0;         // the batch order and Dropout
  std::int64_t max_batches = 0;   // per epoch; 0: all (tests use a few)
};

// Trains `model` on split.train with cross-entropy and Adam, applying `masks` after every optimizer
// step (empty masks: plain training), and evaluates on split.test after every epoch (one History
// entry per epoch; step_loss per batch). Leaves the model in eval mode.
nn::History fine_tune(nn::Module& model, const Masks& masks, const nn::Split& split, const FineTuneOptions& options);

// --- iterative prune and retrain (Han et al.) -------------------------------------------------------------

struct PruneRound {
  double target = 0;            // the sparsity asked for
  double sparsity = 0;          // measured on the prunable weights after pruning
  double accuracy_pruned = 0;   // test accuracy right after pruning, before retraining
  double accuracy = 0;          // ... and after retraining
  Masks masks;                  // the masks of this round
};

// For each target in order (rising), prune `model` to it (weights pruned in an earlier round stay
// pruned: they have |w| = 0), then fine_tune with the masks. Throws gb::Error for targets that are not
// rising or outside [0, 1].
std::vector<PruneRound> iterative_pruning(nn::Module& model, const nn::Split& split, const std::vector<double>& targets,
                                          Scope scope, const FineTuneOptions& options);

// --- the gradual schedule (Zhu and Gupta 2017) -----------------------------------------------------------

struct GradualSchedule {
  double initial_sparsity = 0.0;  // s_i
  double final_sparsity = 0.9;    // s_f
  std::int64_t begin_step = 0;    // t0
  std::int64_t frequency = 1;     // dt: steps between two pruning events
  std::int64_t pruning_steps = 10;  // n: the number of increments after t0

  // Throws gb::Error for sparsities outside [0, 1], s_i > s_f, frequency < 1, pruning_steps < 1 or
  // begin_step < 0.
  void check() const;
  // The formula at the last pruning event t' <= t (t' = t0 + dt floor((t - t0) / dt)); s_i before t0
  // and s_f from t0 + n dt on.
  double sparsity_at(std::int64_t step) const;
  // Is step one of t0, t0 + dt, ..., t0 + n dt?
  bool is_pruning_step(std::int64_t step) const;
  std::int64_t end_step() const { return begin_step + frequency * pruning_steps; }
};

struct GradualOptions {
  GradualSchedule schedule;       // steps are optimizer steps (batches)
  FineTuneOptions train;          // epochs must cover schedule.end_step() batches and some more
  std::string watch = "";         // a prunable parameter whose mask is kept at every pruning event ("": none)
};

struct GradualEvent {
  std::int64_t step = 0;      // the batch at which the masks were recomputed
  double target = 0;          // sparsity_at(step)
  double sparsity = 0;        // measured
  double accuracy = 0;        // test accuracy right after pruning at this step
  Tensor watched_mask;        // the mask of options.watch at this event (undefined when not watching)
};

struct GradualResult {
  std::vector<GradualEvent> events;
  nn::History history;        // per epoch
  double accuracy = 0;        // test accuracy at the end
};

// Trains with the gradual schedule: at each pruning step the masks are recomputed by magnitude at
// sparsity_at(step) (scope as given) and applied after every optimizer step until the next event.
GradualResult gradual_pruning(nn::Module& model, const nn::Split& split, Scope scope, const GradualOptions& options);

// --- structured filter pruning (Li et al. 2017) ---------------------------------------------------------

// L1 norm of each filter: [OC] f32, sum over (ic, kh, kw) of |W[oc, ic, kh, kw]|. Throws gb::Error for
// a weight that is not a 4-D f32 tensor.
Tensor filter_l1_norms(const Tensor& conv_weight);

// The `count` filters of smallest L1 norm (ties: the lower index first), returned in increasing index
// order. Throws gb::Error for a count outside [0, OC - 1] (a layer keeps at least one filter).
std::vector<std::int64_t> filters_to_prune(const Tensor& conv_weight, std::int64_t count);

struct FilterPruning {
  std::shared_ptr<nn::Sequential> model;                   // the smaller model (a new one; eval mode)
  std::map<std::string, std::vector<std::int64_t>> removed;  // Conv2d child name ("0", "4") -> removed filters
};

// Removes round(fraction * OC) filters (half to even, at most OC - 1) from every Conv2d of `model`
// (a Sequential of Conv2d, BatchNorm, ReLU, MaxPool2d, AvgPool2d, Flatten, Dropout, Linear), with their
// bias, the following BatchNorm's channel (weight, bias, running statistics) and the next Conv2d's
// input channels or the next Linear's input features (after Flatten: every feature of the channel).
// The input model is not changed. Throws gb::Error for a fraction outside [0, 1), a layer it cannot
// follow (it names the layer), or a Conv2d with groups != 1.
FilterPruning prune_filters(const nn::Sequential& model, double fraction);

// What a model costs for one image of the given shape (e.g. {1, 8, 8}): learned scalars and
// multiply-adds of its Conv2d and Linear layers (the others are counted as free).
struct ModelCost {
  std::int64_t parameters = 0;
  std::int64_t nonzero_parameters = 0;  // parameters that are not exactly 0 (what pruning leaves)
  std::int64_t macs = 0;                // multiply-adds per image
};
ModelCost model_cost(const nn::Sequential& model, const std::vector<std::int64_t>& image_shape);

}  // namespace gb::compress
