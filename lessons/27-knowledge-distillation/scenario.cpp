// 27-knowledge-distillation: the digits CNN teaches a small MLP. The teacher's and the student's
// softmax at T = 1, 4 and 10 on one test digit, what the T^2 factor does to the soft loss and its
// gradient, the learning curves of the student trained with the teacher and of the same student
// trained on the labels alone, and the accuracy table. Every number comes from a real run of
// lib/compress; the scenario checks its own: probabilities that sum to 1 and flatten as T rises, the
// soft loss's backward against its formula, and each student's last curve point against a fresh
// evaluation.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/autodiff/tensor/variable.hpp"
#include "gb/compress/distill.hpp"
#include "gb/compress/prune.hpp"
#include "gb/compress/record.hpp"
#include "gb/core.hpp"
#include "gb/lessons/checks.hpp"
#include "gb/lessons/registry.hpp"
#include "gb/nn/train.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::lessons {

extern const char* const lesson_text_27_knowledge_distillation;

namespace {

namespace c = gb::compress;
using trace::Level;
using trace::Recorder;

void check(bool ok, const std::string& what, const std::string& given) {
  if (!ok) throw Error("lesson 27-knowledge-distillation self-check", what, given);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The model's logits for some images, in eval mode and without a tape.
Tensor logits_of(nn::Module& model, const Tensor& images) {
  autodiff::NoGradGuard no_tape;
  model.eval();
  return model(autodiff::Variable(images)).value();
}

// Shannon entropy of each row's softmax at T, averaged: how flat the distribution is.
double entropy(const Tensor& logits, double temperature) {
  const std::vector<double> p = c::softmax_with_temperature(logits, temperature).to_vector();
  double h = 0;
  for (double v : p) h -= v > 0 ? v * std::log(v) : 0.0;
  return h / static_cast<double>(logits.size(0));
}

// --- 1. the softmax at three temperatures ---------------------------------------------------------------
void temperatures(Recorder& rec, nn::Module& teacher, nn::Module& student, const nn::Dataset& test, std::int64_t digit) {
  rec.section("1. Softmax with a temperature");
  const Tensor image = test.images.slice(0, digit, digit + 1);
  const Tensor z_teacher = logits_of(teacher, image), z_student = logits_of(student, image);
  const std::vector<double> ts = {1, 4, 10};
  double previous = -1;
  for (double t : ts) {
    double sum = 0;
    for (double p : c::softmax_with_temperature(z_teacher, t).to_vector()) sum += p;
    check(std::fabs(sum - 1) < 1e-5, "teacher probabilities that sum to 1 at T = " + num(t), num(sum));
    const double h = entropy(z_teacher, t);
    check(h > previous, "a flatter teacher distribution (higher entropy) at T = " + num(t), num(h) + " after " + num(previous));
    previous = h;
  }
  const auto label = static_cast<std::int64_t>(test.labels.at({digit}));
  c::record_temperature_softmax(rec, z_teacher, z_student, ts, "test digit " + std::to_string(digit) + " (a " + std::to_string(label) + ")");
}

// --- 2. the soft loss, its gradient and the T^2 ----------------------------------------------------------
void soft_loss(Recorder& rec, nn::Module& teacher, nn::Module& student, const nn::Dataset& test, double temperature) {
  rec.section("2. The soft-target loss and its T^2");
  const Tensor images = test.images.slice(0, 0, std::min<std::int64_t>(64, test.size()));
  const Tensor z_teacher = logits_of(teacher, images), z_student = logits_of(student, images);
  // The backward of the loss against the formula T (softmax(z_s / T) - softmax(z_t / T)) / N, written here.
  const autodiff::Variable zs(z_student, /*requires_grad=*/true, "student logits");
  c::soft_target_loss(zs, z_teacher, temperature).backward();
  const std::vector<double> p_s = c::softmax_with_temperature(z_student, temperature).to_vector();
  const std::vector<double> p_t = c::softmax_with_temperature(z_teacher, temperature).to_vector();
  const std::vector<double> grad = zs.grad().value().to_vector();
  const auto n = static_cast<double>(images.size(0));
  double diff = 0;
  for (std::size_t i = 0; i < grad.size(); ++i) diff = std::max(diff, std::fabs(grad[i] - temperature * (p_s[i] - p_t[i]) / n));
  check(diff < 1e-6, "the soft loss's backward equal to T (p_s - p_t) / N", sci(diff));
  const std::vector<double> rms = c::record_temperature_table(rec, z_student, z_teacher, {1, 2, 4, 10});
  rec.step("On these " + std::to_string(images.size(0)) + " digits the backward pass gives T (p_student - p_teacher) / N to within " +
               sci(diff) + "; with T^2 its RMS lies between " + num(*std::min_element(rms.begin(), rms.end())) +
               " and " + num(*std::max_element(rms.begin(), rms.end())) + " from T = 1 to 10.",
           Level::op);
}

trace::Recording distillation(const Params& params) {
  Recorder rec("27-knowledge-distillation", "Knowledge distillation: temperature, soft targets, teacher to student");
  const auto seed = static_cast<std::uint64_t>(param_int(params, "seed"));
  const std::int64_t epochs = param_int(params, "epochs"), student_epochs = param_int(params, "student_epochs");
  const std::int64_t batches = param_int(params, "batches"), hidden = param_int(params, "hidden");
  const std::int64_t digit = param_int(params, "digit");
  const double temperature = param_double(params, "temperature"), lambda = param_double(params, "lambda");
  if (epochs < 1 || epochs > 100) throw Error("lesson 27 parameter epochs", "1..100", std::to_string(epochs));
  if (student_epochs < 1 || student_epochs > 100)
    throw Error("lesson 27 parameter student_epochs", "1..100", std::to_string(student_epochs));
  if (batches < 0 || batches > 1000) throw Error("lesson 27 parameter batches", "0..1000", std::to_string(batches));
  if (hidden < 1 || hidden > 1024) throw Error("lesson 27 parameter hidden", "1..1024", std::to_string(hidden));
  if (!(temperature >= 1 && temperature <= 100)) throw Error("lesson 27 parameter temperature", "1 <= T <= 100", num(temperature));
  if (digit < 0) throw Error("lesson 27 parameter digit", "a test index >= 0", std::to_string(digit));
  if (!(lambda >= 0 && lambda <= 10)) throw Error("lesson 27 parameter lambda", "0 <= lambda <= 10", num(lambda));

  nn::TrainConfig config;
  config.model = "cnn";
  config.seed = seed;
  config.epochs = epochs;
  c::DistillOptions options;
  options.temperature = temperature;
  options.lambda = lambda;
  options.epochs = student_epochs;
  options.seed = seed;
  options.hidden = hidden;
  options.max_batches = batches;
  std::shared_ptr<nn::Sequential> teacher, baseline, distilled;
  nn::Split split;
  nn::History baseline_history, distilled_history;
  {
    trace::ScopedPause pause;  // training is lesson 01's subject; here its results
    teacher = nn::train_digits(config).model;
    split = nn::train_test_split(nn::load_digits(config.data_path), config.test_fraction, seed);
    if (digit < 0 || digit >= split.test.size())
      throw Error("lesson 27 parameter digit", "a test index 0.." + std::to_string(split.test.size() - 1), std::to_string(digit));
    // The same initial weights and the same batches: the teacher is the only difference.
    baseline = c::student_mlp(seed, hidden);
    distilled = c::student_mlp(seed, hidden);
    baseline_history = c::train_student(*baseline, nullptr, split, options);
    distilled_history = c::train_student(*distilled, teacher.get(), split, options);
  }
  temperatures(rec, *teacher, *distilled, split.test, digit);
  soft_loss(rec, *teacher, *distilled, split.test, temperature);

  rec.section("3. Teacher to student");
  const double teacher_accuracy = nn::evaluate(*teacher, split.test).accuracy;
  check(baseline_history.epochs() == student_epochs && distilled_history.epochs() == student_epochs,
        std::to_string(student_epochs) + " epochs in each student's history",
        std::to_string(baseline_history.epochs()) + " and " + std::to_string(distilled_history.epochs()));
  c::record_distillation_curves(rec, baseline_history, distilled_history, teacher_accuracy);

  rec.section("4. The accuracy table");
  const std::vector<std::int64_t> image = {1, 8, 8};
  const std::vector<c::DistillTableRow> rows = {
      {"Teacher (CNN)", c::model_cost(*teacher, image), teacher_accuracy},
      {"Student, labels only", c::model_cost(*baseline, image), nn::evaluate(*baseline, split.test).accuracy},
      {"Student, distilled (T = " + num(temperature) + ")", c::model_cost(*distilled, image),
       nn::evaluate(*distilled, split.test).accuracy}};
  // A fresh evaluation of each student gives its curve's last point: the curves are the models.
  check(rows[1].accuracy == baseline_history.test_accuracy.back() && rows[2].accuracy == distilled_history.test_accuracy.back(),
        "the students' accuracies equal to their curves' last points", num(rows[1].accuracy) + ", " + num(rows[2].accuracy));
  check(rows[1].cost.parameters < rows[0].cost.parameters, "a student smaller than its teacher",
        std::to_string(rows[1].cost.parameters) + " parameters");
  c::record_distillation_table(rec, rows);
  const double gain = (rows[2].accuracy - rows[1].accuracy) * 100;
  rec.step("On this seed the distilled student scores " + num(gain) +
               " points against the one trained on the labels alone; glassbox compress-report repeats both over seeds to tell a gain from the noise.",
           Level::op);
  return rec.take();
}

}  // namespace

Lesson lesson_27_knowledge_distillation() {
  return {"27-knowledge-distillation",
          "Knowledge distillation: temperature, soft targets, teacher to student",
          "Part IV, compression",
          {{"seed", "0", "seed of the teacher's training, the split, the students' weights and batches"},
           {"epochs", "6", "fp32 training epochs of the teacher (the digits CNN)"},
           {"student_epochs", "12", "training epochs of each student"},
           {"batches", "0", "batches per student epoch (0: all 45)"},
           {"hidden", "32", "hidden width of the student MLP"},
           {"temperature", "4", "T of the soft targets"},
           {"lambda", "0.5", "weight of the hard-label cross-entropy"},
           {"digit", "0", "the test digit whose softmax section 1 draws"}},
          lesson_text_27_knowledge_distillation,
          distillation};
}

}  // namespace gb::lessons
