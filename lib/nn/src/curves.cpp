// curves.cpp: the learning curves of a run as a Recording (train.hpp), for the viewer, notebooks and
// `glassbox train --record`: a loss plot and an accuracy plot, one Step per epoch.
#include <cstdio>

#include "gb/nn/train.hpp"
#include "gb/trace/recorder.hpp"

namespace gb::nn {

namespace {

std::string fixed(double v, int digits) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

trace::Recording training_recording(const History& history, const TrainConfig& config) {
  trace::Recorder rec("01-what-a-framework-does", "Training a " + config.model + " on the 8x8 digits");
  rec.set_parameter("model", config.model);
  rec.set_parameter("optimizer", config.optimizer);
  rec.set_parameter("seed", std::to_string(config.seed));
  rec.set_parameter("batch_size", std::to_string(config.batch_size));
  rec.set_parameter("epochs", std::to_string(history.epochs()));
  rec.add_scene(trace::plot_scene("loss", "Cross-entropy loss per epoch", "epoch", "loss"));
  rec.recording().scenes.back().plot.series = {{"train", trace::SeriesKind::line, {}, {}},
                                               {"test", trace::SeriesKind::line, {}, {}}};
  rec.add_scene(trace::plot_scene("accuracy", "Accuracy per epoch", "epoch", "accuracy"));
  rec.recording().scenes.back().plot.series = {{"train", trace::SeriesKind::line, {}, {}},
                                               {"test", trace::SeriesKind::line, {}, {}}};
  for (std::int64_t e = 0; e < history.epochs(); ++e) {
    const auto i = static_cast<std::size_t>(e);
    const auto x = static_cast<double>(e + 1);
    rec.step("Epoch " + std::to_string(e + 1) + " (lr " + fixed(history.lr[i], 5) + ") ends with train loss " +
                 fixed(history.train_loss[i], 4) + " and test accuracy " + fixed(history.test_accuracy[i], 4) + ".",
             trace::Level::pass)
        .add_point("loss", "train", x, history.train_loss[i])
        .add_point("loss", "test", x, history.test_loss[i])
        .add_point("accuracy", "train", x, history.train_accuracy[i])
        .add_point("accuracy", "test", x, history.test_accuracy[i]);
  }
  return rec.take();
}

}  // namespace gb::nn
