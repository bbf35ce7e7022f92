// distill_test.cpp: softmax with a temperature, the soft-target loss as an autodiff op, the distillation
// loss, the student and its training loop (distill.hpp). The custom op is checked against the same
// formula composed from nn::kl_div and autodiff's log_softmax/softmax (whose own oracle is PyTorch,
// tests/python/oracle/test_torch_nn.py); tests/python/oracle/test_torch_distill.py compares with torch.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gb/autodiff/tensor/ops.hpp"
#include "gb/compress/distill.hpp"
#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"

namespace ad = gb::autodiff;
namespace c = gb::compress;
namespace nn = gb::nn;
using ad::Variable;
using gb::DType;
using gb::Tensor;

namespace {

Tensor random_logits(std::int64_t n, std::int64_t classes, double scale, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n * classes));
  for (double& x : v) x = rng.normal(0.0, scale);
  return Tensor::from_values(v, {n, classes});
}

Tensor labels_of(std::int64_t n, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = static_cast<double>(rng.randint(0, 10));
  return Tensor::from_values(v, {n}, DType::i64);
}

// Stand-in digits: images in [0, 1] (multiples of 1/16) and labels 0..9, so no data file is needed.
nn::Dataset random_digits(std::int64_t n, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<double> pixels(static_cast<std::size_t>(n * 64));
  for (double& p : pixels) p = static_cast<double>(rng.randint(0, 17)) / 16.0;
  return {Tensor::from_values(pixels, {n, 1, 8, 8}), labels_of(n, seed + 1)};
}

// T^2 kl_div(log_softmax(s / T), softmax(t / T)), batch mean: the loss composed from library ops.
Variable composite_loss(const Variable& s, const Tensor& t, double T) {
  const Variable inv_t = ad::scalar_like(s, 1.0 / T);
  const Variable log_ps = ad::log_softmax(ad::mul(s, inv_t), -1);
  const Variable pt = ad::softmax(ad::mul(Variable(t), ad::scalar_like(s, 1.0 / T)), -1);
  return ad::mul(ad::scalar_like(s, T * T), nn::kl_div(log_ps, pt));
}

void expect_all_near(const std::vector<double>& a, const std::vector<double>& b, double tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tolerance) << "element " << i;
}

template <class F>
void expect_error(F&& f, const std::string& word) {
  try {
    f();
    ADD_FAILURE() << "no gb::Error; expected one mentioning '" << word << "'";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
  }
}

}  // namespace

// --- softmax with a temperature ---------------------------------------------------------------------------

TEST(SoftmaxWithTemperature, IsSoftmaxOfTheLogitsDividedByT) {
  const Tensor z = random_logits(5, 10, 3.0, 1);
  for (const double T : {1.0, 2.0, 10.0}) {
    const Tensor expected = ad::softmax(ad::mul(Variable(z), ad::scalar_like(Variable(z), 1.0 / T)), -1).value();
    expect_all_near(c::softmax_with_temperature(z, T).to_vector(), expected.to_vector(), 1e-6);
  }
}

TEST(SoftmaxWithTemperature, AHigherTemperatureIsFlatter) {
  // The largest probability falls and the smallest rises as T grows; every row still sums to 1.
  const Tensor z = Tensor::from_values({5.0, 1.0, 0.0, -2.0}, {1, 4});
  double previous_max = 2, previous_min = -1;
  for (const double T : {0.5, 1.0, 2.0, 4.0, 10.0, 100.0}) {
    const std::vector<double> p = c::softmax_with_temperature(z, T).to_vector();
    EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0, 1e-6);
    EXPECT_LT(p[0], previous_max);
    EXPECT_GT(p[3], previous_min);
    previous_max = p[0];
    previous_min = p[3];
  }
  EXPECT_NEAR(previous_max, 0.25, 0.02);  // T = 100: nearly uniform
}

TEST(SoftmaxWithTemperature, BadInputsAreErrors) {
  const Tensor z = random_logits(2, 3, 1.0, 2);
  expect_error([&] { c::softmax_with_temperature(z, 0.0); }, "temperature");
  expect_error([&] { c::softmax_with_temperature(z, -1.0); }, "temperature");
  expect_error([&] { c::softmax_with_temperature(z, std::numeric_limits<double>::quiet_NaN()); }, "temperature");
  expect_error([&] { c::softmax_with_temperature(z, std::numeric_limits<double>::infinity()); }, "temperature");
  expect_error([&] { c::softmax_with_temperature(Tensor::zeros({6}), 1.0); }, "[N, C]");
  expect_error([&] { c::softmax_with_temperature(Tensor::zeros({0, 3}), 1.0); }, "[N, C]");
  expect_error([&] { c::softmax_with_temperature(Tensor::zeros({2, 3}, DType::f64), 1.0); }, "f32");
  expect_error([&] { c::softmax_with_temperature(Tensor(), 1.0); }, "undefined");
  expect_error([&] { c::softmax_with_temperature(Tensor::from_values({1.0, NAN}, {1, 2}), 1.0); }, "finite");
}

// --- the soft-target loss as an autodiff op ----------------------------------------------------------------

TEST(SoftTargetLoss, ValueAndGradientEqualTheKlDivComposite) {
  for (const double T : {1.0, 2.0, 4.0, 10.0}) {
    const Tensor s = random_logits(7, 10, 3.0, 10), t = random_logits(7, 10, 3.0, 11);
    Variable ours(s.clone(), true), theirs(s.clone(), true);
    const Variable a = c::soft_target_loss(ours, t, T), b = composite_loss(theirs, t, T);
    EXPECT_NEAR(a.value().item(), b.value().item(), 1e-5 * (1 + std::fabs(b.value().item()))) << "T = " << T;
    a.backward();
    b.backward();
    expect_all_near(ours.grad().value().to_vector(), theirs.grad().value().to_vector(), 1e-6);
  }
}

TEST(SoftTargetLoss, TheBackwardIsSoftTargetGradTimesTheIncomingGradient) {
  const Tensor s = random_logits(4, 6, 2.0, 20), t = random_logits(4, 6, 2.0, 21);
  Variable x(s, true);
  ad::mul(c::soft_target_loss(x, t, 3.0), ad::scalar_like(x, -2.5)).backward();
  std::vector<double> expected = c::soft_target_grad(s, t, 3.0).to_vector();
  for (double& g : expected) g *= -2.5;
  expect_all_near(x.grad().value().to_vector(), expected, 1e-6);
}

TEST(SoftTargetLoss, BadInputsAreErrors) {
  const Tensor s = random_logits(3, 4, 1.0, 30);
  expect_error([&] { c::soft_target_loss(Variable(s), random_logits(3, 5, 1.0, 31), 2.0); }, "teacher logits shaped");
  expect_error([&] { c::soft_target_loss(Variable(s), random_logits(2, 4, 1.0, 31), 2.0); }, "[3, 4]");
  expect_error([&] { c::soft_target_loss(Variable(s), s, 0.0); }, "temperature");
  expect_error([&] { c::soft_target_loss(Variable(), s, 1.0); }, "undefined");
  expect_error([&] { c::soft_target_loss(Variable(s), Tensor(), 1.0); }, "teacher");
  expect_error([&] { c::soft_target_loss(Variable(s), Tensor::from_values({INFINITY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {3, 4}), 1.0); },
               "finite");
  expect_error([&] { c::soft_target_grad(s, random_logits(4, 3, 1.0, 32), 1.0); }, "soft_target_grad");
}

// --- the distillation loss ---------------------------------------------------------------------------------

TEST(DistillationLoss, IsTheSoftTermPlusLambdaTimesCrossEntropy) {
  const Tensor s = random_logits(8, 10, 2.0, 40), t = random_logits(8, 10, 2.0, 41), y = labels_of(8, 42);
  for (const double lambda : {0.0, 0.5, 3.0}) {
    Variable x(s.clone(), true);
    const Variable loss = c::distillation_loss(x, t, y, 4.0, lambda);
    const double soft = c::soft_target_loss(Variable(s), t, 4.0).value().item();
    const double hard = nn::cross_entropy(Variable(s), y).value().item();
    EXPECT_NEAR(loss.value().item(), soft + lambda * hard, 1e-5);
    loss.backward();
    // d CE / d z = (softmax(z) - onehot(y)) / N, the published gradient of cross-entropy.
    const std::vector<double> soft_grad = c::soft_target_grad(s, t, 4.0).to_vector();
    const std::vector<double> p = c::softmax_with_temperature(s, 1.0).to_vector();
    std::vector<double> expected(soft_grad.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::size_t row = i / 10, k = i % 10;
      const double onehot = static_cast<double>(k) == y.to_vector()[row] ? 1.0 : 0.0;
      expected[i] = soft_grad[i] + lambda * (p[i] - onehot) / 8.0;
    }
    expect_all_near(x.grad().value().to_vector(), expected, 1e-6);
  }
}

TEST(DistillationLoss, BadWeightsAndLabelsAreErrors) {
  const Tensor s = random_logits(2, 10, 1.0, 50);
  expect_error([&] { c::distillation_loss(Variable(s), s, labels_of(2, 1), 2.0, -0.5); }, "lambda");
  expect_error([&] { c::distillation_loss(Variable(s), s, labels_of(2, 1), 2.0, NAN); }, "lambda");
  expect_error([&] { c::distillation_loss(Variable(s), s, labels_of(3, 1), 2.0, 0.5); }, "labels");
}

// --- the student and its training loop ---------------------------------------------------------------------

TEST(StudentMlp, IsASmallSeededPerceptron) {
  const auto a = c::student_mlp(3, 16), b = c::student_mlp(3, 16), other = c::student_mlp(4, 16);
  EXPECT_EQ(a->parameter_count(), 64 * 16 + 16 + 16 * 10 + 10);
  EXPECT_EQ(c::student_mlp()->parameter_count(), 64 * 32 + 32 + 32 * 10 + 10);
  EXPECT_EQ(a->named_parameters()[0].second.value().to_vector(), b->named_parameters()[0].second.value().to_vector());
  EXPECT_NE(a->named_parameters()[0].second.value().to_vector(), other->named_parameters()[0].second.value().to_vector());
  EXPECT_EQ((*a)(Variable(Tensor::zeros({5, 1, 8, 8}))).shape(), (gb::Shape{5, 10}));
  expect_error([] { c::student_mlp(0, 0); }, "hidden");
}

TEST(TrainStudent, RunsEvaluatesEachEpochAndRepeatsWithASeed) {
  const nn::Split split{random_digits(96, 1), random_digits(40, 2)};
  c::DistillOptions o;
  o.epochs = 2;
  o.max_batches = 3;
  o.batch_size = 16;
  o.seed = 5;
  auto teacher = c::student_mlp(9, 24);
  teacher->train();
  const std::vector<double> teacher_weights = teacher->named_parameters()[0].second.value().to_vector();
  auto student = c::student_mlp(5, 8);
  const nn::History h = c::train_student(*student, teacher.get(), split, o);
  EXPECT_EQ(h.epochs(), 2);
  EXPECT_EQ(h.test_accuracy.size(), 2u);
  EXPECT_EQ(h.step_loss.size(), 6u);
  EXPECT_LT(h.lr[1], h.lr[0]);  // the cosine schedule
  EXPECT_FALSE(student->training());
  EXPECT_TRUE(teacher->training());  // the teacher's mode is restored, and it is not trained
  EXPECT_EQ(teacher->named_parameters()[0].second.value().to_vector(), teacher_weights);
  auto again = c::student_mlp(5, 8);
  EXPECT_EQ(c::train_student(*again, teacher.get(), split, o).step_loss, h.step_loss);
  // Without a teacher: the same batches, a different loss.
  auto baseline = c::student_mlp(5, 8);
  const nn::History hb = c::train_student(*baseline, nullptr, split, o);
  EXPECT_EQ(hb.step_loss.size(), 6u);
  EXPECT_NE(hb.step_loss, h.step_loss);
}

TEST(TrainStudent, AStudentThatAlreadyAgreesWithItsTeacherHasNothingToLearn) {
  // Teacher and student are the same network and lambda = 0: every soft-target loss is 0 and so is
  // every gradient, so Adam never moves a weight. (This fails if the teacher's logits were taken for
  // other images than the batch's, or in another mode.)
  const nn::Split split{random_digits(64, 3), random_digits(20, 4)};
  c::DistillOptions o;
  o.epochs = 2;
  o.batch_size = 16;
  o.lambda = 0;
  o.seed = 8;
  auto teacher = c::student_mlp(2, 12), student = c::student_mlp(2, 12);
  const std::vector<double> before = student->named_parameters()[0].second.value().to_vector();
  const nn::History h = c::train_student(*student, teacher.get(), split, o);
  for (double loss : h.step_loss) EXPECT_NEAR(loss, 0.0, 1e-6);
  EXPECT_EQ(student->named_parameters()[0].second.value().to_vector(), before);
}

TEST(TrainStudent, BadOptionsAreErrors) {
  const nn::Split split{random_digits(16, 5), random_digits(8, 6)};
  auto student = c::student_mlp(0, 4);
  const auto bad = [&](auto change, const std::string& word) {
    c::DistillOptions o;
    o.epochs = 1;
    change(o);
    expect_error([&] { c::train_student(*student, nullptr, split, o); }, word);
  };
  bad([](c::DistillOptions& o) { o.epochs = 0; }, "epochs");
  bad([](c::DistillOptions& o) { o.lr = 0; }, "learning rate");
  bad([](c::DistillOptions& o) { o.temperature = -1; }, "temperature");
  bad([](c::DistillOptions& o) { o.lambda = -1; }, "lambda");
  bad([](c::DistillOptions& o) { o.batch_size = 0; }, "batch size");
  bad([](c::DistillOptions& o) { o.max_batches = -1; }, "max_batches");
  expect_error([&] { c::train_student(*student, nullptr, nn::Split{random_digits(16, 5), nn::Dataset{}}, c::DistillOptions{}); },
               "test");
}
