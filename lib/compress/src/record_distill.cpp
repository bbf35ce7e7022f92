// record_distill.cpp: the recordings of lesson 27: the teacher's and the student's softmax at several
// temperatures, what the T^2 factor does to the soft loss and its gradient, the students' learning
// curves, and the accuracy table. Every value drawn is computed by distill.cpp or passed in.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "gb/compress/record.hpp"
#include "gb/core/error.hpp"
#include "record_text.hpp"

namespace gb::compress {

using detail::fixed;
using detail::num;
using detail::points;

namespace {

// [C] or [1, C] logits as one row [1, C].
Tensor one_row(const Tensor& logits, const std::string& op, const std::string& what) {
  if (!logits.defined() || logits.ndim() < 1 || logits.ndim() > 2 || (logits.ndim() == 2 && logits.size(0) != 1))
    throw Error(op, what + " logits of shape [C] or [1, C]", logits.defined() ? shape_str(logits.shape()) : "undefined");
  return logits.contiguous().reshape({1, logits.size(-1)});
}

double rms(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  return v.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(v.size()));
}

}  // namespace

void record_temperature_softmax(trace::Recorder& rec, const Tensor& teacher_logits, const Tensor& student_logits,
                                const std::vector<double>& temperatures, const std::string& title,
                                const std::string& prefix) {
  const std::string op = "record_temperature_softmax";
  const Tensor teacher = one_row(teacher_logits, op, "teacher"), student = one_row(student_logits, op, "student");
  if (teacher.shape() != student.shape())
    throw Error(op, "teacher and student logits of one shape", shape_str(teacher.shape()) + " vs " + shape_str(student.shape()));
  const std::int64_t classes = teacher.size(1);
  // The teacher's answer: its largest logit (the same at every T).
  const std::vector<double> z = teacher.to_vector();
  std::size_t answer = 0;
  for (std::size_t c = 1; c < z.size(); ++c)
    if (z[c] > z[answer]) answer = c;
  // Interleaved bars: class c's teacher bar spans [c, c + 0.5), the student's [c + 0.5, c + 1).
  std::vector<double> edges;
  for (std::int64_t i = 0; i <= 2 * classes; ++i) edges.push_back(0.5 * static_cast<double>(i));
  for (double t : temperatures) {
    const std::vector<double> p = softmax_with_temperature(teacher, t).to_vector();  // checks T
    const std::vector<double> q = softmax_with_temperature(student, t).to_vector();
    std::vector<double> teacher_bars(edges.size() - 1, 0.0), student_bars(edges.size() - 1, 0.0);
    for (std::size_t c = 0; c < p.size(); ++c) {
      teacher_bars[2 * c] = p[c];
      student_bars[2 * c + 1] = q[c];
    }
    const std::string id = prefix + "T" + num(t);
    trace::Scene scene = trace::plot_scene(id, "T = " + num(t) + ", " + title, "class (teacher left, student right)",
                                           "probability");
    scene.plot.series = {{"teacher", trace::SeriesKind::histogram, {}, {}}, {"student", trace::SeriesKind::histogram, {}, {}}};
    rec.add_scene(std::move(scene));
    rec.step("At T = " + num(t) + " the teacher gives its answer " + std::to_string(answer) + " probability " +
                 fixed(p[answer], 3) + " and the other classes " + fixed(1.0 - p[answer], 3) + " together; the student gives it " +
                 fixed(q[answer], 3) + ".",
             trace::Level::op)
        .set_series(id, "teacher", edges, teacher_bars)
        .set_series(id, "student", edges, student_bars);
  }
}

std::vector<double> record_temperature_table(trace::Recorder& rec, const Tensor& student_logits,
                                             const Tensor& teacher_logits, const std::vector<double>& temperatures,
                                             const std::string& scene_id) {
  rec.add_scene(trace::table_scene(scene_id, "Soft loss and gradient per T",
                                   {"T", "KL", "T^2 KL", "grad RMS, no T^2", "grad RMS"}));
  std::vector<double> with_t2;
  for (double t : temperatures) {
    const double loss = soft_target_loss(autodiff::Variable(student_logits), teacher_logits, t).value().item();
    const double grad = rms(soft_target_grad(student_logits, teacher_logits, t).to_vector());
    const double kl = loss / (t * t), bare = grad / (t * t);
    with_t2.push_back(grad);
    rec.step("At T = " + num(t) + " the KL divergence is " + num(kl) + "; without T^2 its gradient would have RMS " + num(bare) +
                 ", with T^2 it has " + num(grad) + ".",
             trace::Level::op)
        .add_row(scene_id, {num(t), num(kl), num(loss), num(bare), num(grad)});
  }
  return with_t2;
}

void record_distillation_curves(trace::Recorder& rec, const nn::History& baseline, const nn::History& distilled,
                                double teacher_accuracy, const std::string& scene_id) {
  const std::string op = "record_distillation_curves";
  if (baseline.epochs() == 0 || baseline.epochs() != distilled.epochs())
    throw Error(op, "two histories of the same number of epochs (at least one)",
                std::to_string(baseline.epochs()) + " and " + std::to_string(distilled.epochs()));
  trace::Scene scene = trace::plot_scene(scene_id, "Test accuracy per epoch", "epoch", "test accuracy");
  scene.plot.series = {{"teacher", trace::SeriesKind::line, {}, {}},
                       {"student, labels only", trace::SeriesKind::line, {}, {}},
                       {"student, distilled", trace::SeriesKind::line, {}, {}}};
  rec.add_scene(std::move(scene));
  for (std::int64_t e = 0; e < baseline.epochs(); ++e) {
    const auto i = static_cast<std::size_t>(e);
    const double x = static_cast<double>(e + 1);
    rec.step("Epoch " + std::to_string(e + 1) + ": the student trained on the labels alone scores " +
                 fixed(baseline.test_accuracy[i], 4) + ", the one trained with the teacher " + fixed(distilled.test_accuracy[i], 4) +
                 ".",
             trace::Level::op)
        .add_point(scene_id, "teacher", x, teacher_accuracy)
        .add_point(scene_id, "student, labels only", x, baseline.test_accuracy[i])
        .add_point(scene_id, "student, distilled", x, distilled.test_accuracy[i]);
  }
}

void record_distillation_table(trace::Recorder& rec, const std::vector<DistillTableRow>& rows, const std::string& scene_id) {
  if (rows.empty()) throw Error("record_distillation_table", "at least one row (the teacher first)", "none");
  rec.add_scene(trace::table_scene(scene_id, "Teacher and students",
                                   {"model", "params", "MACs", "accuracy", "vs teacher"}));
  const double teacher = rows.front().accuracy;
  for (const DistillTableRow& row : rows) {
    rec.step(row.model + ": " + std::to_string(row.cost.parameters) + " parameters, " + std::to_string(row.cost.macs) +
                 " multiply-adds per image, test accuracy " + fixed(row.accuracy, 4) + ".",
             trace::Level::op)
        .add_row(scene_id, {row.model, std::to_string(row.cost.parameters), std::to_string(row.cost.macs),
                            fixed(row.accuracy, 4), points(row.accuracy, teacher)});
  }
}

}  // namespace gb::compress
