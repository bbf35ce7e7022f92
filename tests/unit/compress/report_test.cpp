// report_test.cpp: the compress report (report.hpp): its format on a report written by hand (columns,
// differences in points, the closing sentence in every case), and a tiny end-to-end run on the digits
// (a few batches per epoch, so it stays fast under the sanitizers). tests/training/
// check_compress_report.py runs the real `glassbox compress-report`.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gb/compress/report.hpp"
#include "gb/core/error.hpp"

namespace c = gb::compress;

namespace {

c::CompressReport hand_made(std::vector<double> baseline, std::vector<double> distilled, double baseline_std,
                            double distilled_std) {
  c::CompressReport r;
  r.seed = 7;
  r.test_examples = 359;
  r.cnn_accuracy = 0.98;
  r.mlp_accuracy = 0.96;
  r.cnn_cost = {6186, 6186, 84224};
  r.mlp_cost = {17226, 17226, 17024};
  r.pruning.push_back({"cnn", "magnitude layer", 0.5, 0.5, {6186, 3170, 84224}, 0.95, 0.9825});
  r.pruning.push_back({"mlp", "gradual", 0.9, 0.9, {17226, 1904, 17024}, 0.5, 0.9301});
  r.pruning.push_back({"cnn", "filters L1", 0.25, 0.25, {3778, 3778, 49344}, 0.9, 0.99});
  double b = 0, d = 0;
  for (std::size_t i = 0; i < baseline.size(); ++i) {
    r.distillation.push_back({7 + i, 0.99, baseline[i], distilled[i]});
    b += baseline[i];
    d += distilled[i];
  }
  r.baseline_mean = b / static_cast<double>(baseline.size());
  r.distilled_mean = d / static_cast<double>(distilled.size());
  r.baseline_std = baseline_std;
  r.distilled_std = distilled_std;
  return r;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') + 1);
}

std::string line_starting(const std::string& text, const std::string& start) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(start, 0) == 0) return line;
  return "";
}

}  // namespace

TEST(CompressReportFormat, PruningRowsShowCostsAndPointsAgainstTheUnprunedModel) {
  const std::string text = c::format_compress_report(hand_made({0.95, 0.96}, {0.96, 0.97}, 0.01, 0.01));
  EXPECT_NE(text.find("seed 7, 359 test digits"), std::string::npos) << text;
  EXPECT_NE(text.find("cnn 0.9800 (6186 parameters, 84224 MACs per image)"), std::string::npos) << text;
  // cnn at 50%: 0.95 right after pruning is -3.00 points from 0.98, 0.9825 after fine-tuning +0.25.
  EXPECT_TRUE(std::regex_search(line_starting(text, "cnn    magnitude layer"),
                                std::regex(R"(0\.50 +0\.5000 +6186 +3170 +84224 +0\.9500 +-3\.00 +0\.9825 +\+0\.25$)")))
      << text;
  // The gradual MLP row compares with the MLP's 0.96.
  EXPECT_TRUE(std::regex_search(line_starting(text, "mlp    gradual"), std::regex(R"(0\.9301 +-2\.99$)"))) << text;
  EXPECT_TRUE(std::regex_search(line_starting(text, "cnn    filters L1"), std::regex(R"(3778 +3778 +49344 )"))) << text;
}

TEST(CompressReportFormat, OneDistillationRowPerSeedThenTheMeanAndTheSpread) {
  const std::string text = c::format_compress_report(hand_made({0.95, 0.96}, {0.96, 0.98}, 0.0071, 0.0141));
  EXPECT_TRUE(std::regex_search(line_starting(text, "7 "), std::regex(R"(^7 +0\.9900 +0\.9500 +0\.9600 +\+1\.00$)"))) << text;
  EXPECT_TRUE(std::regex_search(line_starting(text, "8 "), std::regex(R"(^8 +0\.9900 +0\.9600 +0\.9800 +\+2\.00$)"))) << text;
  EXPECT_TRUE(std::regex_search(line_starting(text, "mean"), std::regex(R"(0\.9550 +0\.9700 +\+1\.50$)"))) << text;
  EXPECT_TRUE(std::regex_search(line_starting(text, "spread"), std::regex(R"(0\.0071 +0\.0141$)"))) << text;
  EXPECT_NE(text.find("T = 4, lambda = 0.5, 20 epochs"), std::string::npos) << text;
}

TEST(CompressReportFormat, TheLastSentenceNamesTheWinnerInUnitsOfTheSpread) {
  // Pooled spread sqrt((0.006^2 + 0.008^2) / 2) = 0.00707 = 0.71 points; the difference 1.50 points: 2.1 spreads.
  std::string last = last_line(c::format_compress_report(hand_made({0.95, 0.96}, {0.965, 0.975}, 0.006, 0.008)));
  EXPECT_EQ(last.rfind("The distilled student won by 1.50 points", 0), 0u) << last;
  EXPECT_NE(last.find("2.1 times the spread (0.71 points"), std::string::npos) << last;
  // The baseline wins by less than one spread: said, and called noise.
  last = last_line(c::format_compress_report(hand_made({0.96, 0.97}, {0.955, 0.965}, 0.0071, 0.0071)));
  EXPECT_EQ(last.rfind("The baseline student (labels alone) won by 0.50 points", 0), 0u) << last;
  EXPECT_NE(last.find("0.7 times the spread"), std::string::npos) << last;
  EXPECT_NE(last.find("within the noise"), std::string::npos) << last;
  // One seed: no spread to compare with.
  last = last_line(c::format_compress_report(hand_made({0.95}, {0.96}, 0, 0)));
  EXPECT_NE(last.find("won by 1.00 points of test accuracy with one seed"), std::string::npos) << last;
  // A tie.
  last = last_line(c::format_compress_report(hand_made({0.95, 0.96}, {0.95, 0.96}, 0.0071, 0.0071)));
  EXPECT_EQ(last.rfind("Neither student won", 0), 0u) << last;
}

TEST(CompressReport, BadOptionsAreErrors) {
  const auto bad = [](auto change, const std::string& word) {
    c::CompressOptions o;
    change(o);
    try {
      c::compress_report(o);
      ADD_FAILURE() << "no gb::Error for " << word;
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  bad([](c::CompressOptions& o) { o.seeds = 0; }, "seeds");
  bad([](c::CompressOptions& o) { o.sparsities = {0.5, 1.5}; }, "sparsities");
  bad([](c::CompressOptions& o) { o.filter_fractions = {1.0}; }, "filter fractions");
  bad([](c::CompressOptions& o) { o.fine_tune.epochs = 0; }, "fine-tuning epochs");
  bad([](c::CompressOptions& o) { o.distill.temperature = 0; }, "temperature");
  bad([](c::CompressOptions& o) { o.distill.lambda = -1; }, "lambda");
  bad([](c::CompressOptions& o) { o.train_max_batches = -1; }, "train_max_batches");
}

TEST(CompressReport, ATinyRunHasEveryRowAndRepeatsWithItsSeed) {
  if (!std::filesystem::exists(gb::nn::default_digits_path())) GTEST_SKIP() << "no digits data (python3-sklearn)";
  c::CompressOptions o;
  o.seed = 1;
  o.seeds = 2;
  o.sparsities = {0.5, 0.9};
  o.filter_fractions = {0.5};
  o.train_epochs = 1;
  o.train_max_batches = 3;
  o.fine_tune.epochs = 1;
  o.fine_tune.max_batches = 2;
  o.distill.epochs = 1;
  o.distill.max_batches = 2;
  const c::CompressReport r = c::compress_report(o);
  EXPECT_EQ(r.test_examples, 359);
  ASSERT_EQ(r.pruning.size(), 2u * 2u * 2u + 1u + 1u + 2u);  // {cnn, mlp} x {layer, global} x 2 targets, filters, gradual, 2 dense
  for (const c::PruneRow& p : r.pruning) {
    EXPECT_GE(p.accuracy, 0.0);
    EXPECT_LE(p.accuracy, 1.0);
    if (p.method != "filters L1") {
      EXPECT_NEAR(p.sparsity, p.target, 1e-3) << p.model << " " << p.method;
      EXPECT_EQ(p.cost.parameters, (p.model == "cnn" ? r.cnn_cost : r.mlp_cost).parameters);
    }
  }
  const c::PruneRow& filters = r.pruning[8];
  EXPECT_EQ(filters.method, "filters L1");
  EXPECT_NEAR(filters.sparsity, 0.5, 1e-9);  // 8 of 16 and 16 of 32 filters
  EXPECT_LT(filters.cost.parameters, r.cnn_cost.parameters);
  EXPECT_LT(filters.cost.macs, r.cnn_cost.macs);
  EXPECT_EQ(r.pruning[9].method, "gradual");
  EXPECT_DOUBLE_EQ(r.pruning[9].target, 0.9);
  ASSERT_EQ(r.distillation.size(), 2u);
  EXPECT_EQ(r.distillation[0].seed, 1u);
  EXPECT_EQ(r.distillation[1].seed, 2u);
  EXPECT_NEAR(r.baseline_mean, (r.distillation[0].baseline + r.distillation[1].baseline) / 2, 1e-12);
  EXPECT_NEAR(r.distilled_std, std::fabs(r.distillation[0].distilled - r.distillation[1].distilled) / std::sqrt(2.0), 1e-12);
  EXPECT_EQ(c::format_compress_report(c::compress_report(o)), c::format_compress_report(r));
}
