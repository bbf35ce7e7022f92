// distill_train.cpp: the student of lesson 27 and its training loop, with or without a teacher
// (distill.hpp).
//
// A fair comparison changes one thing only. The baseline and the distilled student start from the same
// weights (student_mlp(seed)), see the same batches in the same order (DataLoader(seed)), take as many
// Adam steps with the same cosine schedule, and are evaluated on the same test digits after every
// epoch. The only difference is the loss: cross-entropy on the labels, or
//     distillation_loss = T^2 KL(p_teacher(T) || p_student(T)) + lambda CE(student, labels).
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "gb/compress/distill.hpp"
#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/optim.hpp"
#include "gb/nn/train.hpp"

namespace gb::compress {

namespace {

void check_options(const DistillOptions& o, const nn::Split& split) {
  const std::string op = "train_student";
  if (!(o.temperature > 0) || !std::isfinite(o.temperature))
    throw Error(op, "a temperature > 0 (finite)", std::to_string(o.temperature));
  if (!(o.lambda >= 0) || !std::isfinite(o.lambda)) throw Error(op, "lambda >= 0 (finite)", std::to_string(o.lambda));
  if (o.epochs < 1) throw Error(op, "epochs >= 1", std::to_string(o.epochs));
  if (!(o.lr > 0) || !std::isfinite(o.lr)) throw Error(op, "a learning rate > 0 (finite)", std::to_string(o.lr));
  if (o.batch_size < 1) throw Error(op, "a batch size >= 1", std::to_string(o.batch_size));
  if (o.max_batches < 0) throw Error(op, "max_batches >= 0 (0: every batch)", std::to_string(o.max_batches));
  if (split.train.size() == 0 || split.test.size() == 0)
    throw Error(op, "a split with training and test examples",
                std::to_string(split.train.size()) + " training and " + std::to_string(split.test.size()) + " test");
}

// The teacher's logits for every training image, once: in eval mode (BatchNorm's running statistics,
// no Dropout), so they are the same whatever batch an image lands in, and without a tape (the teacher
// is not trained). The teacher's mode is restored afterwards.
Tensor teacher_logits(nn::Module& teacher, const nn::Dataset& train) {
  autodiff::NoGradGuard no_tape;
  const bool was_training = teacher.training();
  teacher.eval();
  Tensor logits = teacher(Variable(train.images)).value().contiguous();
  teacher.train(was_training);
  if (logits.ndim() != 2 || logits.size(0) != train.size())
    throw Error("train_student", "a teacher returning logits [N, C] for N images",
                shape_str(logits.shape()) + " for " + std::to_string(train.size()) + " images");
  return logits;
}

// Rows order[begin], ..., order[end - 1] of a [N, C] tensor: the teacher's logits of one batch, picked
// exactly as DataLoader::batch picks its images.
Tensor rows_of(const Tensor& all, const std::vector<std::int64_t>& order, std::int64_t begin, std::int64_t end) {
  const std::int64_t classes = all.size(1);
  Tensor out = Tensor::empty({end - begin, classes}, DType::f32);
  for (std::int64_t i = begin; i < end; ++i) {
    const float* from = all.data<float>() + order[static_cast<std::size_t>(i)] * classes;
    std::copy(from, from + classes, out.data<float>() + (i - begin) * classes);
  }
  return out;
}

}  // namespace

std::shared_ptr<nn::Sequential> student_mlp(std::uint64_t seed, std::int64_t hidden) {
  if (hidden < 1) throw Error("student_mlp", "a hidden width >= 1", std::to_string(hidden));
  Rng rng(seed);  // both layers' initial weights, in layer order: one seed, one student
  auto model = std::make_shared<nn::Sequential>();
  model->add(std::make_shared<nn::Flatten>())  // [N, 1, 8, 8] -> [N, 64]
      .add(std::make_shared<nn::Linear>(64, hidden, rng))
      .add(std::make_shared<nn::ReLU>())
      .add(std::make_shared<nn::Linear>(hidden, 10, rng));
  return model;
}

nn::History train_student(nn::Sequential& student, nn::Module* teacher, const nn::Split& split,
                          const DistillOptions& o) {
  check_options(o, split);
  const Tensor soft_targets = teacher != nullptr ? teacher_logits(*teacher, split.train) : Tensor();
  nn::AdamOptions adam;
  adam.lr = o.lr;
  nn::Adam optimizer(student.parameters(), adam);
  nn::CosineAnnealingLR schedule(optimizer, o.epochs);
  const nn::DataLoader loader(split.train, o.batch_size, /*shuffle=*/true, o.seed);
  std::int64_t batches = loader.batches_per_epoch();
  if (o.max_batches > 0) batches = std::min(batches, o.max_batches);
  nn::History history;
  for (std::int64_t epoch = 0; epoch < o.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    student.train();
    const std::vector<std::int64_t> order = loader.epoch_order(epoch);  // the same for both students
    const double lr = optimizer.lr();
    double loss_sum = 0, correct = 0, seen = 0;
    for (std::int64_t i = 0; i < batches; ++i) {
      const nn::Batch b = loader.batch(order, i);
      const Variable logits = student(Variable(b.images));
      const std::int64_t begin = i * o.batch_size, end = begin + b.labels.numel();
      const Variable loss =
          teacher != nullptr
              ? distillation_loss(logits, rows_of(soft_targets, order, begin, end), b.labels, o.temperature, o.lambda)
              : nn::cross_entropy(logits, b.labels);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      const double value = loss.value().item();
      const auto n = static_cast<double>(b.labels.numel());
      loss_sum += value * n;
      correct += std::round(nn::accuracy(logits.value(), b.labels) * n);
      seen += n;
      history.step_loss.push_back(value);
    }
    schedule.step();  // the learning rate of the next epoch: half a cosine over the run
    const nn::Evaluation on_test = nn::evaluate(student, split.test);
    // train_loss is the loss the student minimised (distillation_loss with a teacher, else cross-entropy).
    history.train_loss.push_back(loss_sum / seen);
    history.train_accuracy.push_back(correct / seen);
    history.test_loss.push_back(on_test.loss);
    history.test_accuracy.push_back(on_test.accuracy);
    history.lr.push_back(lr);
    history.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  student.eval();
  return history;
}

}  // namespace gb::compress
