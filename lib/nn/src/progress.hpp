// progress.hpp: the terminal progress bar of the training loop (internal to gb_nn).
//
// On a terminal the bar redraws one line in place with '\r' after every few batches:
//   epoch  3/10 [##########..........]  12/45  loss 0.1234  acc 0.9612  ETA 0.8s
// Elsewhere (a file, a pipe, a test's stringstream) carriage returns would pile up, so it prints
// only the summary line of each epoch:
//   epoch  3/10  45/45  loss 0.1234  acc 0.9612  test_loss 0.1000  test_acc 0.9722  lr 0.003  1.2s
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>

namespace gb::nn {

class ProgressBar {
 public:
  ProgressBar(std::ostream* out, bool interactive, std::int64_t epochs) : out_(out), interactive_(interactive), epochs_(epochs) {}
  void start_epoch(std::int64_t epoch, std::int64_t batches);
  void update(std::int64_t done, double loss, double accuracy);  // after batch `done` (1-based)
  void end_epoch(double loss, double accuracy, double test_loss, double test_accuracy, double lr, double seconds);
  double elapsed() const;  // seconds since start_epoch

 private:
  std::ostream* out_;
  bool interactive_;
  std::int64_t epochs_, epoch_ = 0, batches_ = 0;
  std::size_t drawn_ = 0;  // characters of the line on screen (cleared by the next draw)
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace gb::nn
