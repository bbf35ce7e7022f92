// ratio_main.cpp: main() for every benchmark program: runs the benchmarks, then prints each
// glassbox row beside its peer with the ratio. A benchmark named "gb/<case>" is paired with
// "peer:<name>/<case>" (e.g. "gb/matmul/64" with "peer:openblas/matmul/64").
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

namespace {

// The name without the suffixes Google Benchmark appends for run options ("/min_time:1.000",
// "/iterations:3", "/manual_time", "/real_time", "/repeats:2"), so "gb/x" pairs with "peer:p/x".
std::string case_name(std::string name) {
  for (const char* suffix : {"/min_time:", "/iterations:", "/repeats:", "/manual_time", "/real_time"}) {
    const std::size_t at = name.find(suffix);
    if (at != std::string::npos) {
      const std::size_t end = name.find('/', at + 1);
      name.erase(at, end == std::string::npos ? std::string::npos : end - at);
    }
  }
  return name;
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.error_occurred == false) times_[case_name(run.benchmark_name())] = run.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n%-40s %-28s %12s\n", "glassbox", "peer", "gb / peer");
    for (const auto& [name, gb_time] : times_) {
      if (name.rfind("gb/", 0) != 0) continue;
      const std::string rest = name.substr(3);
      for (const auto& [peer, peer_time] : times_) {
        auto slash = peer.find('/');
        if (peer.rfind("peer:", 0) == 0 && slash != std::string::npos && peer.substr(slash + 1) == rest) {
          std::printf("%-40s %-28s %11.2fx\n", name.c_str(), peer.substr(0, slash).c_str(), gb_time / peer_time);
        }
      }
    }
  }

 private:
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
