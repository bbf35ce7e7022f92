// qat.hpp: quantization-aware training, the accuracy report of lessons 24-25, and their recordings.
//
// QAT fine-tunes the fake-quant model (ptq.hpp): the forward pass already computes with int8 weights
// and uint8 activations (fake_quant.hpp), so the loss sees the rounding, and the straight-through
// estimator lets the gradient reach the float weights underneath. Starting from the PTQ model (its
// activation ranges calibrated, BatchNorm folded with the running statistics), a short schedule (about
// 10% of the original epochs, a small learning rate) moves the weights to where the grid hurts least;
// the observers keep averaging the ranges while it trains (moving average, frozen in eval mode).
// Then the model exports to the integer Int8Model like any calibrated one.
//
// The report trains the digits model once (gb::nn::train_digits, a fixed seed) and measures the test
// accuracy of: fp32, PTQ dynamic, PTQ static with each calibrator, the static model with its most
// sensitive layers left in float, QAT (fake quant) and QAT exported to int8.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/nn/history.hpp"
#include "gb/nn/train.hpp"
#include "gb/quant/ptq.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::quant {

// --- QAT ---------------------------------------------------------------------------------------------------

struct QatOptions {
  std::int64_t epochs = 0;       // 0: max(1, round(10% of the model's default epochs))
  double lr = 1e-4;              // Adam, constant: a nudge, not a new training run
  std::int64_t batch_size = 32;
  std::uint64_t seed = 0;        // the batch order (and Dropout)
  std::int64_t max_batches = 0;  // per epoch; 0: all (tests use a few)
};

struct QatResult {
  nn::History history;        // one entry per epoch (the fine-tuning curve); step_loss per batch
  double start_accuracy = 0;  // of the fake-quant model on the test set before fine-tuning (the PTQ start)
  double accuracy = 0;        // ... and after
};

// Fine-tunes `model` (calibrated: every activation grid observed) on split.train and evaluates on
// split.test after every epoch. The activation observers keep observing in training mode.
QatResult quantization_aware_training(QuantModel& model, const nn::Split& split, const QatOptions& options,
                                      const std::string& model_name = "cnn");

// --- the report ----------------------------------------------------------------------------------------------

struct ReportOptions {
  std::string model = "cnn";                // "cnn" or "mlp"
  std::uint64_t seed = 0;                   // training, the split, the calibration batches
  std::int64_t epochs = 0;                  // fp32 training epochs; 0: the model's default
  std::int64_t calibration_batches = 16;    // of 32 training images each
  std::int64_t skip_sensitive = 1;          // the static row with the k most sensitive layers in float
  Calibrator sensitivity_calibrator = Calibrator::minmax;  // the calibration sensitivity is measured with
  QatOptions qat;
  std::string data_path = nn::default_digits_path();
};

struct ReportRow {
  std::string method;   // "fp32", "PTQ dynamic", "PTQ static kl", "QAT int8", ...
  std::string how;      // one phrase: what runs (e.g. "int8 kernels, uint8 activations")
  double accuracy = 0;   // on the 359 test digits
  double agreement = 1;  // the fraction of test digits where it predicts what fp32 predicts
  double logit_rms = 0;  // RMS difference of its logits to fp32's (the noise quantization adds)
  double seconds = 0;    // to build this row (calibration, fine-tuning) and evaluate it
};

struct QuantReport {
  std::string model;
  std::uint64_t seed = 0;
  std::int64_t calibration_batches = 0;
  std::int64_t test_examples = 0;
  std::vector<ReportRow> rows;                 // the first is fp32
  std::vector<LayerSensitivity> sensitivity;   // per layer, with the sensitivity calibrator
  std::string sensitivity_calibrator;
  nn::History training;                        // the fp32 run
  std::shared_ptr<nn::Sequential> fp32_model;  // the trained float model (eval mode)
  nn::History qat;                             // the QAT fine-tuning
  double qat_start_accuracy = 0;               // the fake-quant model before it
  nn::Dataset test;                            // the held-out digits every row is measured on
  std::vector<std::string> int8_layers;        // Int8Model::str() of the QAT export, line by line
  double fp32_accuracy() const { return rows.empty() ? 0.0 : rows.front().accuracy; }
  const ReportRow& row(const std::string& method) const;  // gb::Error naming the methods when absent
};

QuantReport quant_report(const ReportOptions& options);
// The table as `glassbox quant-report` prints it: aligned columns, accuracy as a fraction with four
// digits, the difference to fp32 in points (percent), the agreement with fp32's predictions and the
// RMS logit error, then the layer sensitivity.
std::string format_report(const QuantReport& report);

// --- recordings (record_qat.cpp) ---------------------------------------------------------------------------

// The accuracy table as a Table scene `scene_id` (columns method, accuracy, vs fp32 (points),
// agreement, logit RMS, how) with one step per row, in the recorder's current section: lesson 25
// draws it, and lesson 24 can too (it needs only a QuantReport; no timings are recorded, so the
// recording stays deterministic).
void record_accuracy_table(trace::Recorder& rec, const QuantReport& report, const std::string& scene_id = "accuracy");

// The fake-quant staircase on [lo, hi]: a Plot scene with the series "x" (the identity, two points), "fake_quant(x)"
// (the staircase, computed by fake_quant) and "STE mask" (its straight-through gradient, by
// backward), thresholds at the ends of the grid S (qmin - Z) and S (qmax - Z). Returns the number of
// x samples where the recorded gradient is 1.
std::int64_t record_fake_quant_staircase(trace::Recorder& rec, const QParams& p, double lo, double hi,
                                         std::int64_t samples = 401, const std::string& scene_id = "staircase");

// The fine-tuning curve: a Plot scene with the test accuracy before fine-tuning (epoch 0) and after
// each epoch, the epoch's mean train loss, and every batch's loss (x in epochs: batch k of an epoch
// of n batches at e + (k + 1) / n); one step for the start, then one per epoch.
void record_qat_curve(trace::Recorder& rec, const nn::History& history, double start_accuracy,
                      const std::string& scene_id = "qat_curve");

}  // namespace gb::quant
