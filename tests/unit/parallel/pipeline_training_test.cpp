// pipeline_training_test.cpp: pipeline-parallel training with the real math run by the simulated
// schedule reproduces training on one device with the whole batch (lesson 14). The oracle is the plain
// single-device step of lib/nn on the same model and data; the tolerance is 1e-5 relative (f32, the
// micro-batches sum the gradient in another order).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"
#include "gb/parallel/pipeline_training.hpp"
#include "pipeline_spec.hpp"

namespace {

using gb::Tensor;
using gb::parallel::PipelineSpec;
using gb::parallel::Schedule;
namespace pp = gb::parallel;
namespace nn = gb::nn;

const std::vector<std::int64_t> kWidths = {6, 16, 16, 16, 3};  // 7 layers: Linear, ReLU, ..., Linear

struct Data {
  Tensor x, y;
};
Data data(std::int64_t n) {
  gb::Rng rng(7);
  return {rng.normal({n, 6}), rng.normal({n, 3})};
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::fabs(v));
  return m;
}
double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

enum class Opt { sgd, adam };
std::unique_ptr<nn::Optimizer> optimizer(const nn::Module& model, Opt kind) {
  if (kind == Opt::sgd) return std::make_unique<nn::SGD>(model.parameters(), nn::SGDOptions{0.05, 0.9, 0, false, 0});
  nn::AdamOptions o;
  o.lr = 0.01;
  return std::make_unique<nn::Adam>(model.parameters(), o);
}

// Three steps on one device and three pipelined; the losses and the parameters after them must agree.
void expect_same_training(const PipelineSpec& spec, Opt kind, std::int64_t n = 12) {
  const std::string what = std::string(pp::schedule_name(spec.schedule)) + " p=" + std::to_string(spec.stages) +
                           " m=" + std::to_string(spec.microbatches) + " v=" + std::to_string(spec.chunks) +
                           (spec.recompute ? " recompute" : "") + (kind == Opt::sgd ? " sgd" : " adam");
  const Data d = data(n);
  auto single = pp::mlp_stack(kWidths, 3), piped = pp::mlp_stack(kWidths, 3);
  auto single_opt = optimizer(*single, kind), piped_opt = optimizer(*piped, kind);
  const auto pieces = pp::split_into_pieces(*piped, spec.stages * spec.chunks);
  for (int step = 0; step < 3; ++step) {
    single_opt->zero_grad();
    const auto loss = nn::mse_loss((*single)(gb::autodiff::Variable(d.x)), gb::autodiff::Variable(d.y));
    loss.backward();
    single_opt->step();
    const double expected = loss.value().to_vector()[0];
    const pp::PipelineStepResult r = pp::pipeline_train_step(pieces, *piped_opt, d.x, d.y, spec);
    EXPECT_NEAR(r.loss, expected, 1e-5 * std::fabs(expected)) << what << " step " << step;
    EXPECT_EQ(r.run.events.size(), static_cast<std::size_t>(2 * spec.stages * spec.chunks * spec.microbatches));
  }
  const auto a = piped->state_dict(), b = single->state_dict();
  for (const auto& [name, value] : b) EXPECT_LE(max_abs_diff(a.at(name), value), 1e-5 * max_abs(value)) << what << " " << name;
  // The parameters did move: the comparison is not between two untouched models.
  EXPECT_GT(max_abs_diff(b.at("0.weight"), pp::mlp_stack(kWidths, 3)->state_dict().at("0.weight")), 1e-3) << what;
}

using gb_pipeline_test::spec;

}  // namespace

TEST(PipelineTraining, GPipeMatchesOneDevice) {
  expect_same_training(spec(Schedule::gpipe, 4, 4), Opt::sgd);
  expect_same_training(spec(Schedule::gpipe, 3, 4), Opt::adam, 10);  // micro-batches of 3, 3, 2, 2 rows
}

TEST(PipelineTraining, OneFOneBMatchesOneDevice) {
  expect_same_training(spec(Schedule::one_f_one_b, 4, 6), Opt::sgd);
  expect_same_training(spec(Schedule::one_f_one_b, 2, 3), Opt::adam);
}

TEST(PipelineTraining, InterleavedAndNaiveMatchOneDevice) {
  expect_same_training(spec(Schedule::interleaved, 2, 4, 2), Opt::sgd);
  expect_same_training(spec(Schedule::interleaved, 3, 3, 2), Opt::adam);
  expect_same_training(spec(Schedule::naive, 3, 2), Opt::sgd);
}

TEST(PipelineTraining, RecomputationGivesTheSameSteps) {
  expect_same_training(spec(Schedule::gpipe, 4, 4, 1, true), Opt::sgd);
  expect_same_training(spec(Schedule::one_f_one_b, 3, 6, 1, true), Opt::adam);
}

TEST(PipelineTraining, SplitSharesTheLayers) {
  auto model = pp::mlp_stack(kWidths, 1);
  const auto pieces = pp::split_into_pieces(*model, 3);  // 7 layers: 2, 2, 3
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0]->size(), 2u);
  EXPECT_EQ(pieces[2]->size(), 3u);
  EXPECT_EQ(pieces[0]->at(0).get(), model->at(0).get());
  std::int64_t total = 0;
  for (const auto& p : pieces) total += p->parameter_count();
  EXPECT_EQ(total, model->parameter_count());
}

TEST(PipelineTraining, BadInputIsAnError) {
  auto model = pp::mlp_stack(kWidths, 1);
  auto opt = optimizer(*model, Opt::sgd);
  const Data d = data(4);
  EXPECT_THROW(pp::split_into_pieces(*model, 8), gb::Error);
  EXPECT_THROW(pp::split_into_pieces(*model, 0), gb::Error);
  EXPECT_THROW(pp::mlp_stack({6}, 0), gb::Error);
  const auto pieces = pp::split_into_pieces(*model, 4);
  EXPECT_THROW(pp::pipeline_train_step(pieces, *opt, d.x, d.y, spec(Schedule::gpipe, 2, 2)), gb::Error);  // 4 pieces, 2 stages
  EXPECT_THROW(pp::pipeline_train_step(pieces, *opt, d.x, d.y, spec(Schedule::gpipe, 4, 5)), gb::Error);  // 4 rows, 5 micro-batches
  EXPECT_THROW(pp::pipeline_train_step(pieces, *opt, d.x, data(5).y, spec(Schedule::gpipe, 4, 2)), gb::Error);
}
