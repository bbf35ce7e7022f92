// schedule_test.cpp: the gradual schedule against Zhu and Gupta's published formula (2017, eq. 1):
//     s_t = s_f + (s_i - s_f) (1 - (t - t0) / (n dt))^3    for t in {t0, t0 + dt, ..., t0 + n dt}
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "gb/compress/prune.hpp"
#include "gb/core/error.hpp"

namespace {

namespace cp = gb::compress;

// The paper's formula, written out here from the paper (not from the library).
double zhu_gupta(double si, double sf, double t, double t0, double n, double dt) {
  return sf + (si - sf) * std::pow(1.0 - (t - t0) / (n * dt), 3.0);
}

TEST(GradualSchedule, MatchesThePublishedFormulaAtEveryPruningStep) {
  for (const cp::GradualSchedule s : {cp::GradualSchedule{0.0, 0.9, 0, 1, 10}, cp::GradualSchedule{0.05, 0.875, 100, 25, 7},
                                      cp::GradualSchedule{0.5, 0.5, 3, 2, 4}, cp::GradualSchedule{0.0, 1.0, 10, 3, 1}}) {
    for (std::int64_t k = 0; k <= s.pruning_steps; ++k) {
      const std::int64_t t = s.begin_step + k * s.frequency;
      EXPECT_TRUE(s.is_pruning_step(t)) << t;
      EXPECT_NEAR(s.sparsity_at(t),
                  zhu_gupta(s.initial_sparsity, s.final_sparsity, static_cast<double>(t), static_cast<double>(s.begin_step),
                            static_cast<double>(s.pruning_steps), static_cast<double>(s.frequency)),
                  1e-12)
          << "step " << t;
    }
    EXPECT_EQ(s.end_step(), s.begin_step + s.pruning_steps * s.frequency);
    EXPECT_NEAR(s.sparsity_at(s.begin_step), s.initial_sparsity, 1e-15);  // s_f + (s_i - s_f): rounded once
    EXPECT_NEAR(s.sparsity_at(s.end_step()), s.final_sparsity, 1e-15);
  }
}

TEST(GradualSchedule, HoldsBetweenEventsAndIsFlatBeforeAndAfter) {
  const cp::GradualSchedule s{0.1, 0.8, 20, 5, 6};  // events at 20, 25, ..., 50
  for (std::int64_t t = -3; t < 20; ++t) {
    EXPECT_DOUBLE_EQ(s.sparsity_at(t), 0.1) << t;
    EXPECT_FALSE(s.is_pruning_step(t)) << t;
  }
  for (std::int64_t t = 20; t < 50; ++t) {
    const std::int64_t event = t - (t - 20) % 5;  // the last event at or before t
    EXPECT_DOUBLE_EQ(s.sparsity_at(t), s.sparsity_at(event)) << t;
    EXPECT_EQ(s.is_pruning_step(t), t == event) << t;
  }
  for (std::int64_t t = 50; t < 80; ++t) EXPECT_DOUBLE_EQ(s.sparsity_at(t), 0.8) << t;
  EXPECT_TRUE(s.is_pruning_step(50));
  EXPECT_FALSE(s.is_pruning_step(55));
  // It only rises, and it rises fastest at first (the cube).
  double last = 0, last_increment = 1;
  for (std::int64_t k = 1; k <= 6; ++k) {
    const double now = s.sparsity_at(20 + 5 * k), increment = now - s.sparsity_at(20 + 5 * (k - 1));
    EXPECT_GT(now, last);
    EXPECT_LT(increment, last_increment);
    last = now;
    last_increment = increment;
  }
}

TEST(GradualSchedule, BadSchedulesAreErrors) {
  auto message = [](const cp::GradualSchedule& s) {
    try {
      s.check();
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({0.5, 0.4, 0, 1, 10}).find("initial_sparsity <= final_sparsity"), std::string::npos);
  EXPECT_NE(message({0.0, 1.5, 0, 1, 10}).find("final_sparsity"), std::string::npos);
  EXPECT_NE(message({-0.1, 0.5, 0, 1, 10}).find("initial_sparsity"), std::string::npos);
  EXPECT_NE(message({0.0, 0.9, 0, 0, 10}).find("frequency"), std::string::npos);
  EXPECT_NE(message({0.0, 0.9, 0, 1, 0}).find("pruning_steps"), std::string::npos);
  EXPECT_NE(message({0.0, 0.9, -1, 1, 10}).find("begin_step"), std::string::npos);
  EXPECT_THROW((cp::GradualSchedule{0.0, 0.9, 0, 0, 10}.sparsity_at(3)), gb::Error);
  EXPECT_THROW((cp::GradualSchedule{0.0, 0.9, 0, 0, 10}.is_pruning_step(3)), gb::Error);
}

}  // namespace
