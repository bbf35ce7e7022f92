// rank_training_pp_test.cpp: pipeline parallelism as a rank program (pp_rank_train, rank_training.hpp)
// on simulated ranks. Oracles: lesson 14's global-view step (pipeline_train_step: each stage's weights
// bit for bit, since every stage runs the same micro-batches in the same order) and one device on the
// whole batch (within 1e-5: the micro-batches sum the gradient in another order). Also: the messages
// each stage sends (counted from the schedule and the binomial-tree broadcast), determinism, a wrong
// order that deadlocks (reported, not hung), and bad arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/nn/functional.hpp"
#include "gb/nn/optim.hpp"
#include "gb/parallel/pipeline_training.hpp"
#include "gb/parallel/rank_training.hpp"
#include "gb/parallel/simulated_ranks.hpp"
#include "pipeline_spec.hpp"

namespace {

using gb::Tensor;
using gb::parallel::Communicator;
using gb::parallel::PipelineRankConfig;
using gb::parallel::RankRun;
using gb::parallel::Schedule;
namespace pp = gb::parallel;
namespace nn = gb::nn;

// 4 Linears and 3 ReLUs = 7 layers; every boundary between stages (p <= 4) carries 16 columns.
const std::vector<std::int64_t> kWidths = {8, 16, 16, 16, 4};
const std::int64_t kRows = 10;  // not divisible by 3, 4 or 8: micro-batches of unequal length

struct Data {
  Tensor x, y;
};
Data data(std::int64_t n = kRows, std::int64_t in = 8, std::int64_t out = 4) {
  gb::Rng rng(11);
  return {rng.normal({n, in}), rng.normal({n, out})};
}

PipelineRankConfig config(Schedule schedule, int m) {
  PipelineRankConfig c;
  c.widths = kWidths;
  c.seed = 5;
  c.schedule = schedule;
  c.microbatches = m;
  c.steps = 3;
  c.lr = 0.05;
  return c;
}

std::vector<RankRun> run_ranks(int p, const PipelineRankConfig& c, const Data& d) {
  return pp::run_simulated_ranks_collect<RankRun>(p, [&](Communicator& world) { return pp::pp_rank_train(world, c, d.x, d.y); });
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * gb::dtype_size(a.dtype())) == 0;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto x = a.to_vector(), y = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

struct Reference {
  std::vector<double> losses;
  std::vector<std::map<std::string, Tensor>> stages;  // piece k's state_dict, prefixed "stage<k>."
  std::map<std::string, Tensor> model;                // the whole model's state_dict
};

// Lesson 14's global view: every stage in one program, pipeline_train_step with plain SGD.
Reference global_pipeline(int p, const PipelineRankConfig& c, const Data& d) {
  auto model = pp::mlp_stack(c.widths, c.seed);
  const auto pieces = pp::split_into_pieces(*model, p);
  nn::SGD optimizer(model->parameters(), nn::SGDOptions{c.lr, 0, 0, false, 0});
  Reference out;
  for (int step = 0; step < c.steps; ++step) {
    out.losses.push_back(pp::pipeline_train_step(pieces, optimizer, d.x, d.y, gb_pipeline_test::spec(c.schedule, p, c.microbatches)).loss);
  }
  for (int k = 0; k < p; ++k) {
    std::map<std::string, Tensor> named;
    for (const auto& [name, value] : pieces[static_cast<std::size_t>(k)]->state_dict()) named["stage" + std::to_string(k) + "." + name] = value;
    out.stages.push_back(named);
  }
  out.model = model->state_dict();
  return out;
}

// One device: the plain full-batch MSE step of lib/nn.
Reference one_device(const PipelineRankConfig& c, const Data& d) {
  auto model = pp::mlp_stack(c.widths, c.seed);
  nn::SGD optimizer(model->parameters(), nn::SGDOptions{c.lr, 0, 0, false, 0});
  Reference out;
  for (int step = 0; step < c.steps; ++step) {
    optimizer.zero_grad();
    const auto loss = nn::mse_loss((*model)(gb::autodiff::Variable(d.x)), gb::autodiff::Variable(d.y));
    loss.backward();
    optimizer.step();
    out.losses.push_back(loss.value().item());
  }
  out.model = model->state_dict();
  return out;
}

// "stage<r>.<j>.weight" -> "<r L / p + j>.weight": a stage's layer j is the model's layer r L / p + j.
std::string model_name(const std::string& stage_name, int p) {
  const int layers = 2 * static_cast<int>(kWidths.size() - 1) - 1;
  const std::size_t dot = stage_name.find('.'), dot2 = stage_name.find('.', dot + 1);
  const int r = std::stoi(stage_name.substr(5, dot - 5)), j = std::stoi(stage_name.substr(dot + 1, dot2 - dot - 1));
  return std::to_string(r * layers / p + j) + stage_name.substr(dot2);
}

// Messages a rank sends in a binomial-tree broadcast (communicator.cpp): relative rank me < span sends
// to me + span in the round of each span = 1, 2, 4, ... below n.
int tree_sends(int rank, int root, int n) {
  const int me = (rank - root + n) % n;
  int sends = 0;
  for (int span = 1; span < n; span *= 2) sends += me < span && me + span < n ? 1 : 0;
  return sends;
}

}  // namespace

TEST(RankTrainingPp, EachStageIsBitForBitTheGlobalPipelineAndCloseToOneDevice) {
  const Data d = data();
  double worst_loss_global = 0, worst_weight_device = 0, worst_loss_device = 0;
  for (int p : {1, 2, 4, 7}) {  // 7: one layer per stage, the ReLU-only stages have no parameters
    for (Schedule schedule : {Schedule::gpipe, Schedule::one_f_one_b}) {
      for (int m : {1, 3, 4, 8}) {
        if (p == 7 && m != 4) continue;
        const std::string what = std::string(pp::schedule_name(schedule)) + " p=" + std::to_string(p) + " m=" + std::to_string(m);
        const PipelineRankConfig c = config(schedule, m);
        const std::vector<RankRun> ranks = run_ranks(p, c, d);
        const Reference global = global_pipeline(p, c, d), device = one_device(c, d);
        ASSERT_EQ(ranks.size(), static_cast<std::size_t>(p));
        std::size_t names = 0;
        for (int r = 0; r < p; ++r) {
          const RankRun& run = ranks[static_cast<std::size_t>(r)];
          // Every rank reports the last stage's losses (broadcast), and those are the global view's:
          // the same n_i / N x loss_i summed in the same micro-batch order, so even bit for bit.
          ASSERT_EQ(run.losses.size(), 3u) << what;
          for (std::size_t s = 0; s < 3; ++s) {
            EXPECT_EQ(run.losses[s], ranks.back().losses[s]) << what << " rank " << r;
            EXPECT_NEAR(run.losses[s], global.losses[s], 1e-12) << what;
            worst_loss_global = std::max(worst_loss_global, std::fabs(run.losses[s] - global.losses[s]));
            EXPECT_NEAR(run.losses[s], device.losses[s], 1e-5) << what;
            worst_loss_device = std::max(worst_loss_device, std::fabs(run.losses[s] - device.losses[s]));
          }
          const auto& expected = global.stages[static_cast<std::size_t>(r)];
          ASSERT_EQ(run.parameters.size(), expected.size()) << what << " rank " << r;
          for (const auto& [name, value] : expected) {
            ASSERT_EQ(run.parameters.count(name), 1u) << what << " " << name;
            EXPECT_TRUE(same_bits(run.parameters.at(name), value)) << what << " " << name;
            const Tensor& single = device.model.at(model_name(name, p));
            EXPECT_LE(max_abs_diff(run.parameters.at(name), single), 1e-5) << what << " " << name;
            worst_weight_device = std::max(worst_weight_device, max_abs_diff(run.parameters.at(name), single));
          }
          names += run.parameters.size();
        }
        EXPECT_EQ(names, device.model.size()) << what;  // the stages together hold the whole model
      }
    }
  }
  // The weights did move (else agreeing would prove nothing).
  const Reference moved = one_device(config(Schedule::gpipe, 1), d);
  EXPECT_GT(max_abs_diff(moved.model.at("0.weight"), pp::mlp_stack(kWidths, 5)->state_dict().at("0.weight")), 1e-4);
  std::cout << "[pp_rank_train] max |loss - global| " << worst_loss_global << ", max |loss - one device| " << worst_loss_device
            << ", max |weight - one device| " << worst_weight_device << "\n";
}

TEST(RankTrainingPp, TwoRunsAreBitIdentical) {
  const Data d = data();
  for (Schedule schedule : {Schedule::gpipe, Schedule::one_f_one_b}) {
    const PipelineRankConfig c = config(schedule, 3);
    const auto a = run_ranks(4, c, d), b = run_ranks(4, c, d);
    for (std::size_t r = 0; r < 4; ++r) {
      EXPECT_EQ(a[r].losses, b[r].losses);
      ASSERT_EQ(a[r].parameters.size(), b[r].parameters.size());
      for (const auto& [name, value] : a[r].parameters) EXPECT_TRUE(same_bits(value, b[r].parameters.at(name))) << name;
      EXPECT_EQ(a[r].stats.messages_sent, b[r].stats.messages_sent);
      EXPECT_EQ(a[r].stats.bytes_sent, b[r].stats.bytes_sent);
      EXPECT_EQ(a[r].stats.messages_received, b[r].stats.messages_received);
      EXPECT_EQ(a[r].stats.seconds, b[r].stats.seconds);  // the simulated clock too
    }
  }
}

TEST(RankTrainingPp, MessagesAreTheScheduleAndTheLossBroadcast) {
  const Data d = data();
  for (int p : {2, 3, 4}) {
    for (Schedule schedule : {Schedule::gpipe, Schedule::one_f_one_b}) {
      for (int m : {3, 4}) {
        const PipelineRankConfig c = config(schedule, m);
        const auto ranks = run_ranks(p, c, d);
        for (int r = 0; r < p; ++r) {
          const pp::CommStats& s = ranks[static_cast<std::size_t>(r)].stats;
          // Per step: m activations forward (r < p - 1), m gradients back (r > 0), each micro-batch's
          // rows x 16 f32, so N x 16 x 4 bytes per direction; then the loss (one f64) down the tree.
          const int forward = r < p - 1 ? m : 0, backward = r > 0 ? m : 0, tree = tree_sends(r, p - 1, p);
          const int in_forward = r > 0 ? m : 0, in_backward = r < p - 1 ? m : 0, in_tree = r == p - 1 ? 0 : 1;
          const std::int64_t direction_bytes = kRows * 16 * 4;
          const std::string what = "p=" + std::to_string(p) + " m=" + std::to_string(m) + " rank " + std::to_string(r);
          EXPECT_EQ(s.messages_sent, c.steps * (forward + backward + tree)) << what;
          EXPECT_EQ(s.messages_received, c.steps * (in_forward + in_backward + in_tree)) << what;
          EXPECT_EQ(s.bytes_sent, c.steps * ((forward > 0) * direction_bytes + (backward > 0) * direction_bytes + 8 * tree)) << what;
          EXPECT_EQ(s.bytes_received, c.steps * ((in_forward > 0) * direction_bytes + (in_backward > 0) * direction_bytes + 8 * in_tree))
              << what;
        }
      }
    }
  }
}

// The order matters: a stage that skips 1F1B's warm-up (stage 0 running F0 B0 F1 B1 ..., the naive
// order) waits for B0's gradient while stage 1 waits for F1's activation, which stage 0 would send only
// after B0. Nobody can move: the simulated transport reports the deadlock instead of hanging. The same
// program with every stage on one_f_one_b_order finishes.
TEST(RankTrainingPp, AWrongOrderIsAReportedDeadlock) {
  const int p = 3, m = 4;
  auto program = [&](bool wrong) {
    return [=](Communicator& world) {
      const int r = world.rank();
      const auto order = wrong && r == 0 ? pp::naive_order(r, p, m) : pp::one_f_one_b_order(r, p, m);
      for (const pp::Operation& op : order) {
        Tensor message = Tensor::zeros({2});
        if (op.phase == pp::Phase::forward) {
          if (r > 0) world.recv(message, r - 1);
          if (r < p - 1) world.send(message, r + 1);
        } else {
          if (r < p - 1) world.recv(message, r + 1);
          if (r > 0) world.send(message, r - 1);
        }
      }
    };
  };
  EXPECT_NO_THROW(pp::run_simulated_ranks(p, program(false)));
  try {
    pp::run_simulated_ranks(p, program(true));
    ADD_FAILURE() << "a wrong order must deadlock";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
  }
}

TEST(RankTrainingPp, BadArgumentsAreErrors) {
  auto expect_error = [](int p, const PipelineRankConfig& c, const Data& d, const std::string& what) {
    try {
      run_ranks(p, c, d);
      ADD_FAILURE() << what << ": no error";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error&) {
    }
  };
  const Data d = data();
  PipelineRankConfig c = config(Schedule::one_f_one_b, 4);
  expect_error(2, config(Schedule::gpipe, 11), d, "fewer rows than micro-batches");
  expect_error(2, c, Data{d.x, data(9).y}, "inputs and targets of different lengths");
  expect_error(2, c, data(kRows, 7, 4), "inputs of the wrong width");
  expect_error(2, c, data(kRows, 8, 5), "targets of the wrong width");
  expect_error(2, c, Data{Tensor::zeros({kRows}), d.y}, "1-d inputs");
  expect_error(8, c, d, "more stages than the 7 layers");
  expect_error(2, config(Schedule::naive, 4), d, "the naive schedule");
  expect_error(2, config(Schedule::interleaved, 4), d, "the interleaved schedule");
  c.steps = 0;
  expect_error(2, c, d, "no steps");
  c = config(Schedule::gpipe, 0);
  expect_error(2, c, d, "no micro-batches");
}
