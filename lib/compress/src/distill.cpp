// distill.cpp: softmax with a temperature and the soft-target loss of knowledge distillation, with its
// hand-written backward (distill.hpp; Hinton, Vinyals and Dean 2015, "Distilling the Knowledge in a
// Neural Network").
//
// The soft-target loss compares two distributions over the C classes, row by row:
//     p_t = softmax(teacher / T)      the target (constants: the teacher is not trained)
//     p_s = softmax(student / T)      what the student says at the same temperature
//     L   = T^2 / N  sum_n  KL(p_t || p_s) = T^2 / N  sum_n sum_c p_t (log p_t - log p_s)
// Its gradient is short enough to write by hand, which is why it is one custom autodiff op here
// rather than a chain of log_softmax, mul and sum: with log p_s,c = z_c / T - log sum_j exp(z_j / T),
//     dL / dz_c = T^2 / N * (-(1 / T) p_t,c + (1 / T) p_s,c sum_j p_t,j) = T (p_s,c - p_t,c) / N
// (sum_j p_t,j = 1). The factor T^2 in L cancels the 1 / T^2 that the two softmaxes put in front of
// this difference's size, so the soft term pulls as hard at T = 10 as at T = 1.
#include <cmath>
#include <string>
#include <vector>

#include "distill_checks.hpp"
#include "gb/autodiff/tensor/ops.hpp"
#include "gb/compress/distill.hpp"
#include "gb/core/error.hpp"
#include "gb/nn/functional.hpp"

namespace gb::compress {

namespace ad = gb::autodiff;

namespace {

// log softmax(z / T) of one row of C logits, in double, the row maximum subtracted first:
//     log p_c = (z_c - max) / T - log sum_j exp((z_j - max) / T)
// (exp of a non-positive number never overflows, and one term of the sum is exactly 1).
void log_softmax_row(const float* z, std::int64_t classes, double temperature, double* out) {
  double max = z[0];
  for (std::int64_t c = 1; c < classes; ++c) max = std::fmax(max, static_cast<double>(z[c]));
  double sum = 0;
  for (std::int64_t c = 0; c < classes; ++c) {
    out[c] = (static_cast<double>(z[c]) - max) / temperature;
    sum += std::exp(out[c]);
  }
  const double log_sum = std::log(sum);
  for (std::int64_t c = 0; c < classes; ++c) out[c] -= log_sum;
}

}  // namespace

Tensor softmax_with_temperature(const Tensor& logits_in, double temperature) {
  const std::string op = "softmax_with_temperature";
  detail::check_temperature(op, temperature);
  const Tensor logits = detail::logits_2d(op, "logits", logits_in);
  const std::int64_t n = logits.size(0), classes = logits.size(1);
  Tensor p = Tensor::empty(logits.shape(), DType::f32);
  std::vector<double> log_p(static_cast<std::size_t>(classes));
  for (std::int64_t row = 0; row < n; ++row) {
    log_softmax_row(logits.data<float>() + row * classes, classes, temperature, log_p.data());
    for (std::int64_t c = 0; c < classes; ++c)
      p.data<float>()[row * classes + c] = static_cast<float>(std::exp(log_p[static_cast<std::size_t>(c)]));
  }
  return p;
}

Tensor soft_target_grad(const Tensor& student_in, const Tensor& teacher_in, double temperature) {
  const std::string op = "soft_target_grad";
  const auto [student, teacher] = detail::logit_pair(op, student_in, teacher_in, temperature);
  Tensor grad = Tensor::empty(student.shape(), DType::f32);
  // BEGIN EXERCISE(compress.distill.soft_target_grad)
  // d(T^2 KL(p_t || p_s), batch mean) / d student = T (p_s - p_t) / N, element by element, N the number
  // of rows. The two softmaxes are close at a high T, so their difference is taken in double (from
  // log_softmax_row, above) before it is rounded to float32 once.
  const std::int64_t n = student.size(0), classes = student.size(1);
  std::vector<double> log_p_student(static_cast<std::size_t>(classes)), log_p_teacher(static_cast<std::size_t>(classes));
  for (std::int64_t row = 0; row < n; ++row) {
    log_softmax_row(student.data<float>() + row * classes, classes, temperature, log_p_student.data());
    log_softmax_row(teacher.data<float>() + row * classes, classes, temperature, log_p_teacher.data());
    for (std::size_t c = 0; c < log_p_student.size(); ++c) {
      const double difference = std::exp(log_p_student[c]) - std::exp(log_p_teacher[c]);
      grad.data<float>()[row * classes + static_cast<std::int64_t>(c)] =
          static_cast<float>(temperature * difference / static_cast<double>(n));
    }
  }
  // END EXERCISE
  return grad;
}

Variable soft_target_loss(const Variable& student_logits, const Tensor& teacher_in, double temperature) {
  const std::string op = "soft_target_loss";
  if (!student_logits.defined()) throw Error(op, "defined student logits", "an undefined Variable");
  const auto [student, teacher] = detail::logit_pair(op, student_logits.value(), teacher_in, temperature);
  double loss = 0;
  // BEGIN EXERCISE(compress.distill.soft_target_loss)
  // loss = T^2 / N sum over the N rows of KL(p_t || p_s) = sum_c p_t,c (log p_t,c - log p_s,c), with
  // both rows as log-probabilities at temperature T from log_softmax_row (above). A class to which the
  // teacher gives probability 0 (exp underflowed) adds 0: 0 log 0 = 0 by convention, as in torch.
  const std::int64_t n = student.size(0), classes = student.size(1);
  std::vector<double> log_p_student(static_cast<std::size_t>(classes)), log_p_teacher(static_cast<std::size_t>(classes));
  double kl_sum = 0;
  for (std::int64_t row = 0; row < n; ++row) {
    log_softmax_row(student.data<float>() + row * classes, classes, temperature, log_p_student.data());
    log_softmax_row(teacher.data<float>() + row * classes, classes, temperature, log_p_teacher.data());
    for (std::size_t c = 0; c < log_p_teacher.size(); ++c) {
      const double p_teacher = std::exp(log_p_teacher[c]);
      if (p_teacher > 0) kl_sum += p_teacher * (log_p_teacher[c] - log_p_student[c]);
    }
  }
  loss = temperature * temperature * kl_sum / static_cast<double>(n);
  // END EXERCISE
  // The backward is soft_target_grad (the exercise above it), times the incoming gradient (a scalar).
  // The teacher's logits are the caller's tensor: the tape keeps its own copy of them.
  return ad::record_op(op, Tensor::scalar(loss, DType::f32), {student_logits}, {student, teacher.clone()},
                       [temperature](const ad::VjpContext& ctx) {
                         const Tensor grad = soft_target_grad(ctx.node.saved[0], ctx.node.saved[1], temperature);
                         // create_graph: the gradient is a constant times the adjoint, differentiable again.
                         return std::vector<Variable>{ad::mul(ctx.adjoint, ad::constant(grad))};
                       });
}

Variable distillation_loss(const Variable& student_logits, const Tensor& teacher_logits, const Tensor& labels,
                           double temperature, double lambda) {
  const std::string op = "distillation_loss";
  if (!std::isfinite(lambda) || lambda < 0) throw Error(op, "a weight lambda >= 0 (finite)", std::to_string(lambda));
  // L = T^2 KL(p_t || p_s) + lambda CE(student, labels): the soft targets and the true labels together.
  const Variable soft = soft_target_loss(student_logits, teacher_logits, temperature);
  const Variable hard = nn::cross_entropy(student_logits, labels);
  return ad::add(soft, ad::mul(ad::scalar_like(hard, lambda), hard));
}

}  // namespace gb::compress
