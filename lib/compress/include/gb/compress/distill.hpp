// distill.hpp: knowledge distillation (lesson 27): softmax with a temperature, the soft-target loss
// and its gradient, and a small student trained from a teacher's soft targets (Hinton et al. 2015).
//
// A trained teacher's logits carry more than its answer: at temperature T the softmax
//     p_i(T) = exp(z_i / T) / sum_j exp(z_j / T)
// spreads probability over the wrong classes too ("a 3 that looks a bit like an 8"), and the larger T,
// the flatter. The student learns from
//     L = T^2 KL(p_teacher(T) || p_student(T)) + lambda CE(student logits, labels)
// with KL averaged over the batch (torch's kl_div(..., reduction="batchmean")). The T^2 keeps the soft
// term's gradient the same size whatever T: d(T^2 KL)/d z_student = T (p_student(T) - p_teacher(T)) / N.
//
// The teacher is the digits CNN (nn::digits_cnn, trained by nn::train_digits); the student is a small
// MLP (student_mlp), trained once with L (distilled) and once from the labels alone (the baseline), from
// the same initial weights and the same batches.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/autodiff/tensor/variable.hpp"
#include "gb/core/tensor.hpp"
#include "gb/nn/data.hpp"
#include "gb/nn/history.hpp"
#include "gb/nn/layers.hpp"

namespace gb::compress {

using autodiff::Variable;

// softmax(logits / T) along the last axis of [N, C] f32 logits (the row maximum subtracted first).
// Throws gb::Error for a non-positive or non-finite T, or logits that are not 2-D f32.
Tensor softmax_with_temperature(const Tensor& logits, double temperature);

// T^2 KL(softmax(teacher / T) || softmax(student / T)), averaged over the N rows: one number, with a
// backward that gives T (softmax(student / T) - softmax(teacher / T)) / N to the student logits (the
// teacher's logits are constants). Throws gb::Error for mismatched shapes or a bad T.
Variable soft_target_loss(const Variable& student_logits, const Tensor& teacher_logits, double temperature);

// The gradient above as a tensor: what soft_target_loss's backward hands to the student logits
// (multiplied by the incoming gradient). Exercise compress.distill.soft_target_grad.
Tensor soft_target_grad(const Tensor& student_logits, const Tensor& teacher_logits, double temperature);

// soft_target_loss + lambda * nn::cross_entropy(student_logits, labels).
Variable distillation_loss(const Variable& student_logits, const Tensor& teacher_logits, const Tensor& labels,
                           double temperature, double lambda);

// The student: Flatten -> Linear(64, hidden) -> ReLU -> Linear(hidden, 10), weights from Rng(seed).
std::shared_ptr<nn::Sequential> student_mlp(std::uint64_t seed = 0, std::int64_t hidden = 32);

struct DistillOptions {
  double temperature = 4.0;
  double lambda = 0.5;            // weight of the hard-label cross-entropy
  std::int64_t epochs = 20;
  double lr = 3e-3;               // Adam, cosine schedule over the epochs
  std::int64_t batch_size = 32;
  std::uint64_t seed = 0;         // the student's weights and the batch order
  std::int64_t hidden = 32;       // the student's hidden width
  std::int64_t max_batches = 0;   // per epoch; 0: all (tests use a few)
};

// Trains `student` on split.train: with a teacher, on distillation_loss against the teacher's logits
// (computed in eval mode, without a tape); without one (teacher == nullptr), on the cross-entropy alone.
// Evaluates on split.test after every epoch (one History entry per epoch). Leaves the student in eval mode.
nn::History train_student(nn::Sequential& student, nn::Module* teacher, const nn::Split& split,
                          const DistillOptions& options);

}  // namespace gb::compress
