// train_test.cpp: the training loop on a few batches of digits: determinism, resuming, evaluation,
// progress output and the learning-curve Recording. (Full runs and accuracies: tests/training.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "gb/nn/models.hpp"
#include "gb/nn/train.hpp"
#include "test_helpers.hpp"

namespace {

namespace nn = gb::nn;
namespace fs = std::filesystem;

// A small slice of the digits, loaded once: 96 examples to train on, 40 to test.
struct Slice {
  nn::Dataset train, test;
};
const Slice& slice() {
  static const Slice s = [] {
    const nn::Split split = nn::train_test_split(nn::load_digits(), 0.2, 0);
    std::vector<std::int64_t> train(96), test(40);
    for (std::size_t i = 0; i < train.size(); ++i) train[i] = static_cast<std::int64_t>(i);
    for (std::size_t i = 0; i < test.size(); ++i) test[i] = static_cast<std::int64_t>(i);
    return Slice{split.train.subset(train), split.test.subset(test)};
  }();
  return s;
}

// Everything one run holds; `epochs` is the run's length (the cosine schedule spans it).
struct DigitsRun {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<nn::Adam> optimizer;
  std::unique_ptr<nn::CosineAnnealingLR> schedule;
  nn::DataLoader loader;
  nn::TrainingState state;
  DigitsRun(const std::string& name, std::int64_t epochs)
      : model(nn::digits_model(name, 5)),
        optimizer(std::make_unique<nn::Adam>(model->parameters(), nn::AdamOptions{.lr = 0.01})),
        schedule(std::make_unique<nn::CosineAnnealingLR>(*optimizer, epochs)),
        loader(slice().train, 16, true, 5) {
    state.seed = 5;
    state.batch_size = 16;
  }
  void fit(std::int64_t epochs, std::int64_t stop_after, const std::string& checkpoint = "", std::ostream* out = nullptr) {
    nn::FitOptions o;
    o.epochs = epochs;
    o.stop_after = stop_after;
    o.max_batches = 3;
    o.checkpoint = checkpoint;
    o.progress = out;
    nn::fit(*model, *optimizer, schedule.get(), loader, slice().test, nn::model_rngs(*model), state, o);
  }
  std::vector<std::vector<double>> values() const {
    std::vector<std::vector<double>> out;
    for (const auto& [name, t] : model->state_dict()) out.push_back(t.to_vector());
    return out;
  }
};

TEST(TrainModels, ShapesAndParameterCounts) {
  const auto mlp = nn::digits_mlp(0), cnn = nn::digits_cnn(0);
  EXPECT_EQ(mlp->parameter_count(), 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10);
  EXPECT_EQ(cnn->parameter_count(), (16 * 9 + 16) + 2 * 16 + (32 * 16 * 9 + 32) + 2 * 32 + (128 * 10 + 10));
  const gb::autodiff::Variable x(slice().test.images.slice(0, 0, 4));
  EXPECT_EQ((*mlp)(x).shape(), (gb::Shape{4, 10}));
  EXPECT_EQ((*cnn)(x).shape(), (gb::Shape{4, 10}));
  EXPECT_EQ(nn::model_rngs(*cnn).size(), 1u);
  EXPECT_EQ(nn::model_rngs(*cnn)[0].first, "model.9");
  EXPECT_TRUE(nn::model_rngs(*mlp).empty());
  EXPECT_ERROR(nn::digits_model("rnn"), "mlp or cnn", "'rnn'");
  // The same seed builds the same weights.
  EXPECT_EQ(nn::digits_cnn(3)->state_dict().at("0.weight").to_vector(), nn::digits_cnn(3)->state_dict().at("0.weight").to_vector());
  EXPECT_NE(nn::digits_cnn(3)->state_dict().at("0.weight").to_vector(), cnn->state_dict().at("0.weight").to_vector());
}

TEST(TrainLoop, TwoRunsWithTheSameSeedGiveTheSameLosses) {
  DigitsRun a("cnn", 2), b("cnn", 2);
  a.fit(2, 0);
  b.fit(2, 0);
  ASSERT_EQ(a.state.history.step_loss.size(), 6u);
  EXPECT_EQ(a.state.history.step_loss, b.state.history.step_loss);
  EXPECT_EQ(a.state.history.test_loss, b.state.history.test_loss);
  EXPECT_EQ(a.values(), b.values());
  EXPECT_EQ(a.state.epoch, 2);
  EXPECT_EQ(a.state.step, 6);
  EXPECT_EQ(a.state.history.lr[0], 0.01);
}

TEST(TrainLoop, ResumedRunIsIdenticalToAnUninterruptedOne) {
  const fs::path dir = fs::temp_directory_path() / ("gb_train_test_resume_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "run.gbckpt").string();
  DigitsRun straight("cnn", 4);
  straight.fit(4, 0);

  DigitsRun first("cnn", 4);
  first.fit(4, /*stop_after=*/2, file);  // interrupted after epoch 2
  DigitsRun second("cnn", 4);                  // a new process: fresh model, optimizer, schedule
  second.state = nn::load_checkpoint(file, *second.model, *second.optimizer, second.schedule.get(),
                                     nn::model_rngs(*second.model));
  EXPECT_EQ(second.state.epoch, 2);
  second.fit(4, 0);
  EXPECT_EQ(second.state.history.step_loss, straight.state.history.step_loss);
  EXPECT_EQ(second.state.history.train_loss, straight.state.history.train_loss);
  EXPECT_EQ(second.state.history.test_accuracy, straight.state.history.test_accuracy);
  EXPECT_EQ(second.state.history.lr, straight.state.history.lr);
  EXPECT_EQ(second.values(), straight.values()) << "parameters and BatchNorm buffers, bit for bit";
  fs::remove_all(dir);
}

TEST(TrainLoop, TrainingLowersTheLossOfTheMlp) {
  DigitsRun run("mlp", 6);
  run.fit(6, 0);
  const auto& h = run.state.history;
  EXPECT_LT(h.train_loss.back(), h.train_loss.front());
  EXPECT_GT(h.test_accuracy.back(), 0.5);
}

TEST(TrainLoop, ProgressIsOneLinePerEpochOffATerminal) {
  DigitsRun run("mlp", 2);
  std::ostringstream out;
  run.fit(2, 0, "", &out);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_CONTAINS(text, "epoch 1/2");
  EXPECT_CONTAINS(text, "test_acc");
  EXPECT_FALSE(nn::is_terminal(out));
}

TEST(TrainEvaluate, AccuracyAndLossInEvalModeThenTheModeIsRestored) {
  auto model = nn::digits_cnn(1);
  model->train();
  const nn::Evaluation e = nn::evaluate(*model, slice().test, 7);
  EXPECT_TRUE(model->training());
  EXPECT_GE(e.accuracy, 0.0);
  EXPECT_LE(e.accuracy, 1.0);
  EXPECT_GT(e.loss, 0.0);
  const nn::Evaluation again = nn::evaluate(*model, slice().test, 40);  // batching does not matter in eval mode
  EXPECT_NEAR(again.loss, e.loss, 1e-5);
  EXPECT_EQ(again.accuracy, e.accuracy);
  EXPECT_ERROR(nn::evaluate(*model, slice().test, 0), "batch size");
}

TEST(TrainConfigCheck, BadConfigurationsAreErrors) {
  nn::TrainConfig c;
  EXPECT_NO_THROW(nn::check_config(c));
  c.model = "transformer";
  EXPECT_ERROR(nn::check_config(c), "mlp or cnn", "'transformer'");
  c = {};
  c.optimizer = "rmsprop";
  EXPECT_ERROR(nn::check_config(c), "sgd, adam or adamw");
  c = {};
  c.schedule = "linear";
  EXPECT_ERROR(nn::check_config(c), "none, step or cosine");
  c = {};
  c.batch_size = 0;
  EXPECT_ERROR(nn::check_config(c), "batch size");
  c = {};
  c.lr = -1;
  EXPECT_ERROR(nn::check_config(c), "learning rate");
  c = {};
  c.data_path = "/nonexistent/digits.csv.gz";
  EXPECT_ERROR(nn::train_digits(c), "python3-sklearn");
}

TEST(TrainDigits, ShortRunThroughTheConfigAndItsRecording) {
  nn::TrainConfig c;
  c.model = "mlp";
  c.epochs = 2;
  c.max_batches = 2;
  c.optimizer = "sgd";
  c.schedule = "step";
  const nn::TrainResult r = nn::train_digits(c);
  EXPECT_EQ(r.history.epochs(), 2);
  EXPECT_EQ(r.history.step_loss.size(), 4u);
  EXPECT_EQ(r.test.accuracy, r.history.test_accuracy.back());
  const gb::trace::Recording rec = nn::training_recording(r.history, c);
  EXPECT_EQ(rec.lesson, "01-what-a-framework-does");
  ASSERT_EQ(rec.steps.size(), 2u);
  ASSERT_NE(rec.find_scene("loss"), nullptr);
  ASSERT_NE(rec.find_scene("accuracy"), nullptr);
  for (const auto& step : rec.steps) {
    EXPECT_EQ(step.caption.back(), '.');
    EXPECT_EQ(step.changes.size(), 4u);
  }
  EXPECT_EQ(rec.steps[1].changes[0].y, r.history.train_loss[1]);
  EXPECT_EQ(rec.parameters.at("model"), "mlp");
}

}  // namespace
