// mpi_test_main.cpp: GoogleTest under mpiexec. Every rank runs every test in the same order (the tests
// call collectives); rank 0 prints the usual report, the other ranks only their failures, prefixed with
// their rank. A rank that fails exits non-zero, and so does mpiexec.
#include <gtest/gtest.h>

#include <cstdio>

#include "gb/parallel/mpi_transport.hpp"

namespace {

class FailuresOnly : public ::testing::EmptyTestEventListener {
 public:
  explicit FailuresOnly(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (result.failed()) {
      std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_, result.file_name() ? result.file_name() : "?", result.line_number(),
                   result.summary());
    }
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  gb::parallel::MpiSession session(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  const gb::parallel::MpiTransport probe;
  if (probe.world_rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailuresOnly(probe.world_rank()));
  }
  return RUN_ALL_TESTS();
}
