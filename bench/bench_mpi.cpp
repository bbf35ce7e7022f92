// bench_mpi.cpp: all-reduce on real MPI processes (issue 11): our ring (Communicator::all_reduce over
// MPI point-to-point messages) beside MPI_Allreduce (OpenMPI's own algorithm, the peer), over message
// sizes; then the alpha-beta model fitted to this machine and set against the simulator's.
//
//   bench_mpi                 starts itself under mpiexec with 2 and with 4 ranks (as `make bench` does)
//   mpiexec -np N bench_mpi   one world of N ranks
//
// Fit: a ping-pong between ranks 0 and 1 gives the one-way time of S bytes; least squares over the sizes
// (relative errors) give t = alpha + beta S (Hockney's model, the simulator's LinkCost). The ring all-reduce should then take
// 2 (n - 1) (alpha + beta S / n) (Thakur, Rabenseifner and Gropp 2005): all_reduce_cost on a cluster
// with the fitted link is the simulator's prediction, printed beside the measurement. The lessons'
// default links (NVLink-like 2 us and 200 GB/s, InfiniBand-like 10 us and 25 GB/s) are printed too:
// processes on one machine talk through shared memory, which is neither.
#include <benchmark/benchmark.h>
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gb/parallel/collectives.hpp"
#include "gb/parallel/mpi_transport.hpp"

namespace {

namespace par = gb::parallel;

const std::vector<std::int64_t> kSizes = {4, 64, 1024, 16384, 262144, 1048576, 4194304};  // bytes

int iterations(std::int64_t bytes) { return static_cast<int>(std::clamp<std::int64_t>((8LL << 20) / std::max<std::int64_t>(bytes, 4096), 5, 200)); }

// The slowest rank's time of `op`, per call, averaged over `n` calls (a collective ends when its last
// rank is done).
template <class Op>
double timed(int n, Op op) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  for (int i = 0; i < n; ++i) op();
  double mine = (MPI_Wtime() - start) / n, slowest = 0;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return slowest;
}

void ring(benchmark::State& state, std::int64_t bytes) {
  par::MpiTransport transport(60);
  par::Communicator world(transport);
  gb::Tensor x = gb::Tensor::full({bytes / 4}, 1.0);
  for (auto _ : state) state.SetIterationTime(timed(1, [&] { world.all_reduce(x); }));
  state.SetBytesProcessed(state.iterations() * bytes);
}

void native(benchmark::State& state, std::int64_t bytes) {
  gb::Tensor x = gb::Tensor::full({bytes / 4}, 1.0);
  for (auto _ : state) state.SetIterationTime(timed(1, [&] { par::native_all_reduce(x); }));
  state.SetBytesProcessed(state.iterations() * bytes);
}

// The least of five measurements of `n` / 5 calls each: on a shared machine noise only ever adds time.
template <class Op>
double best_of_five(int n, Op op) {
  double best = 1e300;
  for (int k = 0; k < 5; ++k) best = std::min(best, timed(std::max(1, n / 5), op));
  return best;
}

// One-way time of `bytes` between ranks 0 and 1 (half a round trip); the other ranks wait.
double ping_pong(par::Communicator& world, std::int64_t bytes) {
  gb::Tensor x = gb::Tensor::zeros({bytes / 4});
  const int n = iterations(bytes);
  return best_of_five(n, [&] {
           if (world.rank() == 0) {
             world.send(x, 1);
             world.recv(x, 1);
           } else if (world.rank() == 1) {
             world.recv(x, 0);
             world.send(x, 0);
           }
         }) / 2;
}

struct Fit {
  double alpha = 0, beta = 0;
};
// Weighted least squares of t = alpha + beta S with weights 1 / t^2 (relative errors): the sizes span six
// orders of magnitude, and a plain fit would be all large messages (alpha would come out negative).
Fit least_squares(const std::vector<double>& s, const std::vector<double>& t) {
  double w = 0, ws = 0, wt = 0, wss = 0, wst = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double wi = 1.0 / (t[i] * t[i]);
    w += wi, ws += wi * s[i], wt += wi * t[i], wss += wi * s[i] * s[i], wst += wi * s[i] * t[i];
  }
  Fit f;
  f.beta = (w * wst - ws * wt) / (w * wss - ws * ws);
  f.alpha = (wt - f.beta * ws) / w;
  return f;
}

void report_model(int rank, int n) {
  par::MpiTransport transport(60);
  par::Communicator world(transport);
  std::vector<double> sizes, one_way, measured, peer;
  for (std::int64_t bytes : kSizes) {
    sizes.push_back(static_cast<double>(bytes));
    one_way.push_back(ping_pong(world, bytes));
    gb::Tensor x = gb::Tensor::full({bytes / 4}, 1.0), y = x.clone();
    measured.push_back(best_of_five(iterations(bytes), [&] { world.all_reduce(x); }));
    peer.push_back(best_of_five(iterations(bytes), [&] { par::native_all_reduce(y); }));
  }
  const Fit link = least_squares(sizes, one_way);
  if (rank != 0) return;
  std::printf("\nalpha-beta fit of a ping-pong between ranks 0 and 1 (%d ranks on this machine):\n", n);
  std::printf("  alpha %.2f us, beta %.3f ns/byte (%.2f GB/s)\n", link.alpha * 1e6, link.beta * 1e9, 1e-9 / link.beta);
  par::ClusterSpec lesson;
  std::printf("  the lessons' links: NVLink-like alpha %.0f us, %.0f GB/s; InfiniBand-like alpha %.0f us, %.0f GB/s\n",
              lesson.intra_node.alpha * 1e6, 1e-9 / lesson.intra_node.beta, lesson.inter_node.alpha * 1e6, 1e-9 / lesson.inter_node.beta);
  std::printf("\n%10s %12s %12s %12s %10s %12s %10s\n", "bytes", "one-way us", "ring us", "model us", "ring/model", "MPI us",
              "ring/MPI");
  const par::LinkCost fitted{std::max(link.alpha, 0.0), std::max(link.beta, 0.0)};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const double model = par::all_reduce_cost(par::AllReduceAlgorithm::ring, n, kSizes[i], fitted).seconds;
    std::printf("%10lld %12.2f %12.2f %12.2f %10.2f %12.2f %10.2f\n", static_cast<long long>(kSizes[i]), one_way[i] * 1e6,
                measured[i] * 1e6, model * 1e6, measured[i] / model, peer[i] * 1e6, measured[i] / peer[i]);
  }
  const Fit ring_fit = least_squares(sizes, measured);
  std::printf("\nthe ring's own fit: t = %.2f us + S x %.3f ns/byte; the model says 2(n-1) alpha = %.2f us and 2(n-1)/n beta = %.3f ns/byte\n",
              ring_fit.alpha * 1e6, ring_fit.beta * 1e9, 2.0 * (n - 1) * fitted.alpha * 1e6, 2.0 * (n - 1) / n * fitted.beta * 1e9);
}

// Without mpiexec: run this program under it with 2 and 4 ranks, as root and oversubscribed if need be.
int launch_worlds(const char* self) {
  setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
  for (int n : {2, 4}) {
    std::printf("==== bench_mpi: mpiexec -np %d\n", n);
    std::fflush(stdout);
    const std::string command = "mpiexec -np " + std::to_string(n) + " " + self;
    if (std::system(command.c_str()) != 0) return 1;
  }
  return 0;
}

class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  if (!par::MpiSession::launched_by_mpirun()) return launch_worlds(argv[0]);
  par::MpiSession session(&argc, &argv);
  int rank = 0, n = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  if (n < 2) {
    std::fprintf(stderr, "bench_mpi: needs 2 ranks or more (mpiexec -np 2 bench_mpi)\n");
    return 1;
  }
  // Every rank runs every benchmark the same number of times (collectives must match), so iteration
  // counts are fixed instead of Google Benchmark's adaptive ones; the time is the slowest rank's.
  for (std::int64_t bytes : kSizes) {
    const std::string suffix = "/n" + std::to_string(n) + "/" + std::to_string(bytes);
    benchmark::RegisterBenchmark(("gb/ring_allreduce" + suffix).c_str(), ring, bytes)->UseManualTime()->Iterations(iterations(bytes));
    benchmark::RegisterBenchmark(("peer:mpi_allreduce" + suffix).c_str(), native, bytes)->UseManualTime()->Iterations(iterations(bytes));
  }
  benchmark::Initialize(&argc, argv);
  if (rank == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  report_model(rank, n);
  return 0;
}
