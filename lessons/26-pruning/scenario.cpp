// 26-pruning: unstructured magnitude pruning of the digits MLP (accuracy against sparsity, before and
// after retraining with the masks), the gradual schedule of Zhu and Gupta with one layer's mask filling
// with zeros, structured pruning of the digits CNN by filter L1 norm (what it really saves), and a
// pruned matrix stored as CSR. Every number comes from a real run of lib/compress; the scenario checks
// its own: the measured sparsities against the targets, the masks kept through retraining, the removed
// filters against the norms, and the CSR arrays against the dense matrix and its product.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/compress/prune.hpp"
#include "gb/compress/record.hpp"
#include "gb/compress/sparse.hpp"
#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/models.hpp"
#include "gb/nn/train.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_26_pruning;

namespace {

namespace c = gb::compress;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 26-pruning self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// A fraction as a percentage with one decimal: "68.5%".
std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", fraction * 100);
  return buf;
}

// A second model with the same weights: the lesson prunes copies and keeps the trained one intact.
std::shared_ptr<nn::Sequential> copy_of(const nn::Sequential& trained, const std::string& kind, std::uint64_t seed) {
  auto copy = nn::digits_model(kind, seed);
  copy->load_state_dict(trained.state_dict());
  copy->eval();
  return copy;
}

struct Settings {
  std::uint64_t seed = 0;
  std::int64_t epochs = 4, fine_tune_batches = 20;
  c::Scope scope = c::Scope::global;
  double final_sparsity = 0.9, filter_fraction = 0.5;
  std::string watch;
};

c::FineTuneOptions fine_tuning(const Settings& s) {
  c::FineTuneOptions options;
  options.epochs = 1;
  options.max_batches = s.fine_tune_batches;
  options.seed = s.seed;
  return options;
}

// --- 1. magnitude pruning, prune and retrain ------------------------------------------------------------
void magnitude(Recorder& rec, nn::Sequential& mlp, const nn::Split& split, const Settings& s) {
  rec.section("1. Magnitude pruning: the smallest weights go");
  const double dense = nn::evaluate(mlp, split.test).accuracy;
  const std::vector<double> targets = {0.5, 0.7, 0.8, 0.9, 0.95};
  const auto rounds = c::iterative_pruning(mlp, split, targets, s.scope, fine_tuning(s));
  check(rounds.size() == targets.size(), std::to_string(targets.size()) + " rounds", std::to_string(rounds.size()));
  for (const c::PruneRound& round : rounds)
    check(std::fabs(round.sparsity - round.target) < 0.005, "the measured sparsity within 0.5 points of " + num(round.target),
          num(round.sparsity));
  c::record_sparsity_curve(rec, rounds, dense);
  // Retraining moved the surviving weights but not the pruned ones: the zeros are still there.
  const c::SparsityCount after = c::count_sparsity(mlp);
  check(after.fraction() >= targets.back() - 0.005, "at least " + num(targets.back()) + " zeros after the last retraining",
        num(after.fraction()));
  rec.step("After the last retraining " + std::to_string(after.zeros) + " of the " + std::to_string(after.total) +
               " prunable weights are still exactly zero: the masks are applied after every optimizer step.",
           Level::op);
}

// --- 2. the gradual schedule -------------------------------------------------------------------------------
void gradual(Recorder& rec, nn::Sequential& mlp, const nn::Split& split, const Settings& s) {
  rec.section("2. The gradual schedule");
  c::GradualOptions options;
  options.schedule.initial_sparsity = 0.0;
  options.schedule.final_sparsity = s.final_sparsity;
  options.schedule.begin_step = 4;
  options.schedule.frequency = 3;
  options.schedule.pruning_steps = 10;  // events at steps 4, 7, ..., 34 of the 44 batches of one epoch
  options.train = fine_tuning(s);
  options.train.max_batches = 0;
  options.watch = s.watch;
  const c::GradualResult result = c::gradual_pruning(mlp, split, s.scope, options);
  const c::GradualSchedule& schedule = options.schedule;
  check(static_cast<std::int64_t>(result.events.size()) == schedule.pruning_steps + 1,
        std::to_string(schedule.pruning_steps + 1) + " pruning events", std::to_string(result.events.size()));
  // The formula, written again: s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3.
  for (const c::GradualEvent& event : result.events) {
    const double progress = static_cast<double>(event.step - schedule.begin_step) /
                            static_cast<double>(schedule.pruning_steps * schedule.frequency);
    const double expected = schedule.final_sparsity + (schedule.initial_sparsity - schedule.final_sparsity) * std::pow(1 - progress, 3);
    check(std::fabs(event.target - expected) < 1e-9, "s_t = " + num(expected) + " at step " + std::to_string(event.step),
          num(event.target));
    check(std::fabs(event.sparsity - event.target) < 0.005, "the measured sparsity near " + num(event.target), num(event.sparsity));
  }
  const std::int64_t pruned = c::record_gradual_pruning(rec, schedule, result, s.watch);
  const double end = c::count_sparsity(mlp).fraction();
  check(std::fabs(end - s.final_sparsity) < 0.005, "the final sparsity " + num(s.final_sparsity), num(end));
  rec.step("Training ends at " + percent(end) + " sparsity with test accuracy " + num(result.accuracy) + "; " + s.watch +
               " lost " + std::to_string(pruned) + " of its " + std::to_string(result.events.back().watched_mask.numel()) +
               " weights.",
           Level::op);
}

// --- 3. structured pruning of the CNN ----------------------------------------------------------------------
void filters(Recorder& rec, nn::Sequential& cnn, const nn::Split& split, const Settings& s) {
  rec.section("3. Structured pruning: whole filters");
  const c::FilterPruning smaller = c::prune_filters(cnn, s.filter_fraction);
  const auto state = cnn.state_dict();
  for (const auto& [layer, removed] : smaller.removed) {
    const Tensor weight = state.at(layer + ".weight");
    // The removed filters are the ones of smallest L1 norm: none kept is smaller than one removed.
    const std::vector<double> norms = c::filter_l1_norms(weight).to_vector();
    double largest_removed = 0, smallest_kept = 1e300;
    for (std::size_t f = 0; f < norms.size(); ++f) {
      if (std::find(removed.begin(), removed.end(), static_cast<std::int64_t>(f)) != removed.end())
        largest_removed = std::max(largest_removed, norms[f]);
      else
        smallest_kept = std::min(smallest_kept, norms[f]);
    }
    check(largest_removed <= smallest_kept, "removed filters no larger than kept ones in conv " + layer,
          num(largest_removed) + " > " + num(smallest_kept));
    c::record_filter_norms(rec, weight, removed, layer, "filter_norms_" + layer);
  }
  const std::vector<std::int64_t> image = {1, 8, 8};
  c::CostRow dense{"Dense CNN", c::model_cost(cnn, image), 0, 0};
  dense.accuracy = dense.accuracy_pruned = nn::evaluate(cnn, split.test).accuracy;

  c::CostRow structured{"Filters L1 " + percent(s.filter_fraction), c::model_cost(*smaller.model, image), 0, 0};
  structured.accuracy_pruned = nn::evaluate(*smaller.model, split.test).accuracy;
  structured.accuracy = c::fine_tune(*smaller.model, {}, split, fine_tuning(s)).test_accuracy.back();
  check(structured.cost.parameters < dense.cost.parameters && structured.cost.macs < dense.cost.macs,
        "fewer parameters and multiply-adds after removing filters",
        std::to_string(structured.cost.parameters) + " parameters, " + std::to_string(structured.cost.macs) + " multiply-adds");

  // The same number of weights removed one by one: the zeros are still stored and multiplied.
  const double sparsity = 1.0 - static_cast<double>(structured.cost.parameters) / static_cast<double>(dense.cost.parameters);
  auto masked = copy_of(cnn, "cnn", s.seed);
  const c::Masks masks = c::magnitude_masks(*masked, sparsity, s.scope);
  c::apply_masks(*masked, masks);
  c::CostRow unstructured{"Magnitude " + percent(sparsity) + " (masked)", c::model_cost(*masked, image), 0, 0};
  unstructured.accuracy_pruned = nn::evaluate(*masked, split.test).accuracy;
  unstructured.accuracy = c::fine_tune(*masked, masks, split, fine_tuning(s)).test_accuracy.back();
  check(unstructured.cost.macs == dense.cost.macs && unstructured.cost.parameters == dense.cost.parameters,
        "a masked model of the dense model's size", std::to_string(unstructured.cost.parameters) + " parameters");
  c::record_cost_table(rec, {dense, structured, unstructured});
}

// --- 4. CSR --------------------------------------------------------------------------------------------------
void csr(Recorder& rec, const nn::Sequential& cnn, const nn::Sequential& pruned_mlp) {
  rec.section("4. Sparse storage: CSR");
  // A 6 x 10 corner of the CNN's classifier (its last Linear), 60% pruned by magnitude: small enough to
  // read every entry.
  const Tensor corner = cnn.state_dict().at(c::prunable_parameters(cnn).back()).slice(0, 0, 6).slice(1, 0, 10).contiguous();
  const std::vector<double> w = corner.to_vector(), m = c::magnitude_mask(corner, 0.6).to_vector();
  std::vector<double> kept(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) kept[i] = m[i] == 0.0 ? 0.0 : w[i];  // +0, never -0
  const Tensor dense = Tensor::from_values(kept, {6, 10});
  const c::CsrMatrix a = c::record_csr_example(rec, dense);
  check(max_abs_diff(c::to_dense(a), dense) == 0, "to_dense(to_csr(A)) == A", "a difference");
  // The product, row by row over the nonzeros, against the dense sum over every k.
  const Tensor x = Tensor::from_values(std::vector<double>{1, -2, 0.5, 3, -1, 2, 0, 1, -0.5, 4}, {10, 1});
  const std::vector<double> y = c::spmm(a, x).to_vector(), xv = x.to_vector();
  for (std::size_t r = 0; r < 6; ++r) {
    double expected = 0;
    for (std::size_t k = 0; k < 10; ++k) expected += kept[r * 10 + k] * xv[k];
    check(std::fabs(y[r] - expected) < 1e-5, "spmm row " + std::to_string(r) + " = " + num(expected), num(y[r]));
  }
  rec.step("spmm(A, x) visits only the " + std::to_string(a.nnz()) + " stored values and gives the dense product A x exactly.",
           Level::op);
  const Tensor layer = pruned_mlp.state_dict().at("3.weight");
  const c::CsrMatrix big = c::to_csr(layer);
  const std::int64_t dense_bytes = layer.numel() * 4;
  rec.step("The MLP's pruned 3.weight (" + percent(1 - big.density()) + " zeros) takes " + std::to_string(big.bytes()) +
               " bytes in CSR against " + std::to_string(dense_bytes) + " dense: 8 bytes per nonzero, a saving only beyond 50% sparsity.",
           Level::op);
}

trace::Recording pruning(const Params& params) {
  Recorder rec("26-pruning", "Pruning: magnitude, gradual, filters, sparse storage");
  Settings s;
  s.seed = static_cast<std::uint64_t>(param_int(params, "seed"));
  s.epochs = param_int(params, "epochs");
  s.fine_tune_batches = param_int(params, "fine_tune_batches");
  s.final_sparsity = param_double(params, "final_sparsity");
  s.filter_fraction = param_double(params, "filter_fraction");
  s.watch = params.at("watch");
  const std::string scope = params.at("scope");
  const auto names = c::prunable_parameters(*nn::digits_mlp(s.seed));
  if (std::find(names.begin(), names.end(), s.watch) == names.end())
    throw Error("lesson 26 parameter watch", "a prunable weight of the MLP (1.weight, 3.weight or 5.weight)", s.watch);
  if (s.epochs < 1 || s.epochs > 100) throw Error("lesson 26 parameter epochs", "1..100", std::to_string(s.epochs));
  if (s.fine_tune_batches < 1 || s.fine_tune_batches > 1000)
    throw Error("lesson 26 parameter fine_tune_batches", "1..1000", std::to_string(s.fine_tune_batches));
  if (!(s.final_sparsity > 0 && s.final_sparsity < 1))
    throw Error("lesson 26 parameter final_sparsity", "0 < final_sparsity < 1", num(s.final_sparsity));
  if (!(s.filter_fraction > 0 && s.filter_fraction < 1))
    throw Error("lesson 26 parameter filter_fraction", "0 < filter_fraction < 1", num(s.filter_fraction));
  if (scope != "layer" && scope != "global") throw Error("lesson 26 parameter scope", "layer or global", scope);
  s.scope = c::scope_from_name(scope);

  nn::TrainConfig config;
  config.seed = s.seed;
  config.epochs = s.epochs;
  std::shared_ptr<nn::Sequential> mlp, cnn;
  nn::Split split;
  {
    trace::ScopedPause pause;  // training is lesson 01's subject; here its results
    config.model = "mlp";
    mlp = nn::train_digits(config).model;
    config.model = "cnn";
    cnn = nn::train_digits(config).model;
    split = nn::train_test_split(nn::load_digits(config.data_path), config.test_fraction, s.seed);
  }
  auto gradual_mlp = copy_of(*mlp, "mlp", s.seed);

  magnitude(rec, *mlp, split, s);
  gradual(rec, *gradual_mlp, split, s);
  filters(rec, *cnn, split, s);
  csr(rec, *cnn, *mlp);
  return rec.take();
}

}  // namespace

Lesson lesson_26_pruning() {
  return {"26-pruning",
          "Pruning: magnitude, gradual, filters, sparse storage",
          "Part IV, compression",
          {{"seed", "0", "seed of the training runs, the split and the batch order"},
           {"epochs", "4", "fp32 training epochs of the digits MLP and CNN before pruning"},
           {"fine_tune_batches", "20", "batches of retraining after each pruning (one epoch is 45)"},
           {"scope", "global", "layer (every weight loses the same fraction) or global (one threshold)"},
           {"final_sparsity", "0.9", "s_f of the gradual schedule"},
           {"watch", "5.weight", "the MLP weight whose mask section 2 draws (1.weight, 3.weight or 5.weight)"},
           {"filter_fraction", "0.5", "fraction of the filters of each convolution removed in section 3"}},
          lesson_text_26_pruning,
          pruning};
}

}  // namespace gb::lessons
