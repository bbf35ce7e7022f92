// progress.cpp: the training progress bar (progress.hpp).
#include "progress.hpp"

#include <cstdio>
#include <ostream>
#include <string>

namespace gb::nn {

namespace {

constexpr int kWidth = 20;  // characters of the bar

std::string format(const char* pattern, double a, double b = 0) {
  char buf[96];
  std::snprintf(buf, sizeof buf, pattern, a, b);
  return buf;
}

// "  3/10": i right-aligned to the width of n, so the columns stay put.
std::string counter(std::int64_t i, std::int64_t n) {
  const std::string total = std::to_string(n), done = std::to_string(i);
  return std::string(total.size() > done.size() ? total.size() - done.size() : 0, ' ') + done + "/" + total;
}

}  // namespace

void ProgressBar::start_epoch(std::int64_t epoch, std::int64_t batches) {
  epoch_ = epoch;
  batches_ = batches;
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(std::int64_t done, double loss, double accuracy) {
  if (out_ == nullptr || !interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;  // redraw ~10 times a second
  last_draw_ = now;
  const double seconds = elapsed();
  const double eta = done > 0 ? seconds / static_cast<double>(done) * static_cast<double>(batches_ - done) : 0;
  const int filled = batches_ > 0 ? static_cast<int>(kWidth * done / batches_) : kWidth;
  std::string line = "epoch " + counter(epoch_ + 1, epochs_) + " [" + std::string(static_cast<std::size_t>(filled), '#') +
                     std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] " +
                     counter(done, batches_) + format("  loss %.4f  acc %.4f", loss, accuracy) + format("  ETA %.1fs", eta);
  const std::size_t width = line.size();
  if (line.size() < drawn_) line += std::string(drawn_ - line.size(), ' ');  // wipe a longer previous line
  drawn_ = width;
  *out_ << '\r' << line << std::flush;
}

void ProgressBar::end_epoch(double loss, double accuracy, double test_loss, double test_accuracy, double lr,
                            double seconds) {
  if (out_ == nullptr) return;
  std::string line = "epoch " + counter(epoch_ + 1, epochs_) + " " + counter(batches_, batches_) +
                     format("  loss %.4f  acc %.4f", loss, accuracy) +
                     format("  test_loss %.4f  test_acc %.4f", test_loss, test_accuracy) +
                     format("  lr %.3g  %.2fs", lr, seconds);
  if (interactive_) {
    if (line.size() < drawn_) line += std::string(drawn_ - line.size(), ' ');
    *out_ << '\r';
    drawn_ = 0;
  }
  *out_ << line << '\n' << std::flush;
}

}  // namespace gb::nn
