// report_format.cpp: the tables `glassbox compress-report` prints (report.hpp, format_compress_report).
//
// Accuracies are fractions with four digits, differences are in percentage points with a sign, costs
// are integers. No timings: a seed repeats the whole text bit for bit.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "gb/compress/report.hpp"

namespace gb::compress {

namespace {

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The difference of two accuracies (fractions) in points, with its sign: "+0.56", "-2.23".
std::string points(double accuracy, double reference) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f", (accuracy - reference) * 100.0);
  return buf;
}

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }
std::string right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// A table: a header and rows of cells; the first `left` columns are aligned left, the others right,
// two spaces between columns.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  std::size_t left) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  std::ostringstream out;
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c)
      text += (c == 0 ? "" : "  ") + (c < left ? pad(cells[c], width[c]) : right(cells[c], width[c]));
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out.str();
}

// The last sentence: which student won, by how many points, and how many spreads that is. The spread
// is the pooled sample standard deviation of the two students' accuracies over the seeds,
// sqrt((s_baseline^2 + s_distilled^2) / 2): a difference well under one spread could be the seeds.
std::string verdict(const CompressReport& r) {
  const double difference = (r.distilled_mean - r.baseline_mean) * 100.0;  // points
  const double spread = std::sqrt((r.baseline_std * r.baseline_std + r.distilled_std * r.distilled_std) / 2) * 100.0;
  const std::size_t seeds = r.distillation.size();
  std::ostringstream out;
  if (difference == 0) {
    out << "Neither student won: both reach " << fixed(r.distilled_mean, 4) << " on average over " << seeds
        << (seeds == 1 ? " seed." : " seeds.");
    return out.str();
  }
  out << (difference > 0 ? "The distilled student won" : "The baseline student (labels alone) won") << " by "
      << fixed(std::fabs(difference), 2) << " points of test accuracy";
  if (seeds < 2) {
    out << " with one seed, so there is no spread to measure that against.";
  } else if (spread == 0) {
    out << " over " << seeds << " seeds, whose accuracies did not vary (spread 0).";
  } else {
    const double spreads = std::fabs(difference) / spread;
    out << ", " << fixed(spreads, 1) << " times the spread (" << fixed(spread, 2)
        << " points, the pooled sample standard deviation over " << seeds << " seeds)"
        << (spreads < 1 ? ": within the noise of the seeds." : ".");
  }
  return out.str();
}

}  // namespace

std::string format_compress_report(const CompressReport& r) {
  std::ostringstream out;
  out << "compress-report: seed " << r.seed << ", " << r.test_examples << " test digits\n";
  out << "unpruned: cnn " << fixed(r.cnn_accuracy, 4) << " (" << r.cnn_cost.parameters << " parameters, "
      << r.cnn_cost.macs << " MACs per image), mlp " << fixed(r.mlp_accuracy, 4) << " (" << r.mlp_cost.parameters
      << " parameters, " << r.mlp_cost.macs << " MACs per image)\n\n";

  // Lesson 26: each row starts from the unpruned model of its kind.
  out << "pruning (accuracy right after pruning, then after fine-tuning with the masks; vs the unpruned model in points):\n";
  std::vector<std::vector<std::string>> rows;
  for (const PruneRow& p : r.pruning) {
    const double unpruned = p.model == "cnn" ? r.cnn_accuracy : r.mlp_accuracy;
    rows.push_back({p.model, p.method, fixed(p.target, 2), fixed(p.sparsity, 4), std::to_string(p.cost.parameters),
                    std::to_string(p.cost.nonzero_parameters), std::to_string(p.cost.macs), fixed(p.accuracy_pruned, 4),
                    points(p.accuracy_pruned, unpruned), fixed(p.accuracy, 4), points(p.accuracy, unpruned)});
  }
  out << table({"model", "method", "target", "sparsity", "parameters", "nonzero", "MACs", "pruned", "vs unpruned",
                "fine-tuned", "vs unpruned"},
               rows, 2);

  // Lesson 27: the same student architecture, weights and batches, with and without the teacher.
  const DistillOptions& d = r.distill;
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", d.lr);
  char settings[160];
  std::snprintf(settings, sizeof settings, "T = %g, lambda = %g, %lld epochs, Adam lr %s (cosine), batch %lld",
                d.temperature, d.lambda, static_cast<long long>(d.epochs), lr, static_cast<long long>(d.batch_size));
  out << "\ndistillation: the cnn teacher into a student mlp 64-" << d.hidden << "-10 (" << settings
      << "); both students start from the same weights and see the same batches:\n";
  rows.clear();
  for (const DistillRow& row : r.distillation)
    rows.push_back({std::to_string(row.seed), fixed(row.teacher, 4), fixed(row.baseline, 4), fixed(row.distilled, 4),
                    points(row.distilled, row.baseline)});
  rows.push_back({"mean", "", fixed(r.baseline_mean, 4), fixed(r.distilled_mean, 4), points(r.distilled_mean, r.baseline_mean)});
  rows.push_back({"spread", "", fixed(r.baseline_std, 4), fixed(r.distilled_std, 4), ""});
  out << table({"seed", "teacher", "baseline", "distilled", "distilled - baseline"}, rows, 1);
  out << verdict(r) << "\n";
  return out.str();
}

}  // namespace gb::compress
