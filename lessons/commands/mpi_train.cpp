// mpi_train.cpp: `glassbox mpi-train [--strategy ddp|zero|tp|pp] [--steps N] [--check] [--timeout S]`,
// started by mpirun: `mpirun -np 4 glassbox mpi-train --strategy ddp --check` (docs/mpi.md).
//
// Every process runs the same rank program of gb::parallel (rank_training.hpp) on the MPI transport:
// DDP and ZeRO on the digits MLP, tensor parallelism on lesson 13's small transformer, pipeline
// parallelism (1F1B) on an MLP stack, one stage per process. Rank 0 prints the losses and every rank's
// traffic. --check runs the same program on simulated ranks inside every process and compares its own
// results bit for bit (then the loss against one device). --fail-rank R --fail-mode kill|stall|error
// makes rank R die, hang or throw before training, to see how a run ends when a rank is lost: mpirun
// reports a killed rank, the communicator's timeout a stuck one, and MPI_Abort ends the job on an error.
#include <cmath>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/lessons/commands.hpp"
#include "gb/lessons/options.hpp"
#include "gb/nn/data.hpp"
#include "gb/parallel/rank_training.hpp"
#include "gb/parallel/simulated_ranks.hpp"
#ifdef GB_HAVE_MPI
#include "gb/parallel/mpi_transport.hpp"
#endif

namespace gb::lessons {

namespace {

namespace par = gb::parallel;
const std::string command = "mpi-train";

struct Options {
  std::string strategy = "ddp";
  std::int64_t steps = 10;
  bool check = false;
  double timeout = 60;
  int fail_rank = -1;
  std::string fail_mode = "kill";
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (option == "--check") {
      o.check = true;
      continue;
    }
    if (i + 1 >= args.size()) throw Error(command + " " + option, "a value after it", "nothing");
    const std::string& value = args[++i];
    if (option == "--strategy") o.strategy = value;
    else if (option == "--steps") o.steps = integer_option(command, option, value, 1, 10000);
    else if (option == "--timeout") o.timeout = number_option(command, option, value, 0, false, 86400);
    else if (option == "--fail-rank") o.fail_rank = static_cast<int>(integer_option(command, option, value, 0, 1 << 20));
    else if (option == "--fail-mode") o.fail_mode = value;
    else throw Error(command, "one of --strategy, --steps, --check, --timeout, --fail-rank, --fail-mode", "'" + option + "'");
  }
  if (o.strategy != "ddp" && o.strategy != "zero" && o.strategy != "tp" && o.strategy != "pp") {
    throw Error(command + " --strategy", "ddp, zero, tp or pp", "'" + o.strategy + "'");
  }
  if (o.fail_mode != "kill" && o.fail_mode != "stall" && o.fail_mode != "error") {
    throw Error(command + " --fail-mode", "kill, stall or error", "'" + o.fail_mode + "'");
  }
  return o;
}

// ---- the four runs: the same program for the MPI world, the simulated ranks and one device ----------
struct Job {
  std::function<par::RankRun(par::Communicator&)> program;
  std::function<std::vector<double>()> one_device;  // the losses of one device on the whole batch
  std::string model;
};

const nn::Dataset& digits() {
  static const nn::Dataset d = nn::load_digits();
  return d;
}

Job make_job(const Options& o, int ranks) {
  Job job;
  if (o.strategy == "ddp" || o.strategy == "zero") {
    par::DataParallelConfig c;
    c.devices = ranks;
    c.batch_size = 48 * ((ranks + 47) / 48);  // 48: 1, 2, 3, 4, 6, 8, 12, 16, 24 and 48 ranks divide it
    if (c.batch_size % ranks != 0) throw Error(command, "a number of ranks dividing 48 (1, 2, 3, 4, 6, 8, ...)", std::to_string(ranks));
    c.steps = o.steps;
    c.optimizer = o.strategy == "zero" ? "adam" : "sgd";
    c.lr = o.strategy == "zero" ? 1e-3 : 0.05;
    const bool zero = o.strategy == "zero";
    job.program = [c, zero](par::Communicator& w) { return zero ? par::zero_rank_train(w, digits(), c) : par::ddp_rank_train(w, digits(), c); };
    job.one_device = [c] { return par::train_single_device(digits(), c).losses; };
    job.model = std::string("the digits MLP, a global batch of 48, ") + (zero ? "Adam on 1/N shards" : "SGD with momentum");
    return job;
  }
  if (o.strategy == "tp") {
    par::TpModelSpec spec;  // vocabulary 16, hidden 8, 4 heads, MLP 32, 2 layers: t in 1, 2, 4
    const par::TpModelWeights init = par::init_tp_model(spec, 1);
    Rng rng(2);
    Tensor ids = Tensor::zeros({spec.batch * spec.seq}, DType::i64), labels = ids.clone();
    for (std::int64_t i = 0; i < ids.numel(); ++i) {
      ids.data<std::int64_t>()[i] = rng.randint(0, spec.vocab);
      labels.data<std::int64_t>()[i] = (ids.data<std::int64_t>()[i] + 1) % spec.vocab;  // learn "the next id"
    }
    const int steps = static_cast<int>(o.steps);
    job.program = [=](par::Communicator& w) { return par::tp_rank_train(w, spec, init, ids, labels, steps, 0.1); };
    job.one_device = [=] { return par::train_single_device(spec, init, ids, labels, steps, 0.1).losses; };
    job.model = "lesson 13's transformer (vocabulary 16, hidden 8, 4 heads, MLP 32, 2 layers), SGD";
    return job;
  }
  par::PipelineRankConfig c;
  c.widths = {8, 32, 32, 32, 32, 32, 32, 32, 4};  // eight Linear layers: up to eight stages
  c.schedule = par::Schedule::one_f_one_b;
  c.microbatches = 8;
  c.steps = static_cast<int>(o.steps);
  Rng rng(3);
  const Tensor inputs = rng.normal({64, 8}, 0.0, 1.0), map = rng.normal({8, 4}, 0.0, 0.5);
  Tensor targets = Tensor::zeros({64, 4});
  for (std::int64_t i = 0; i < 64; ++i)
    for (std::int64_t j = 0; j < 4; ++j) {
      double s = 0;
      for (std::int64_t k = 0; k < 8; ++k) s += inputs.at({i, k}) * map.at({k, j});
      targets.set({i, j}, std::tanh(s));
    }
  job.program = [=](par::Communicator& w) { return par::pp_rank_train(w, c, inputs, targets); };
  job.one_device = [=] {
    par::PipelineRankConfig one = c;
    one.microbatches = 1;  // one stage, the whole batch: one device (tests/unit/parallel checks the equality)
    return par::run_simulated_ranks_collect<par::RankRun>(1, [&](par::Communicator& w) { return par::pp_rank_train(w, one, inputs, targets); })
        .at(0)
        .losses;
  };
  job.model = "an MLP of 8 Linear layers (8-32-...-32-4), 64 rows in 8 micro-batches, 1F1B, SGD";
  return job;
}

std::string number(double v, const char* format = "%.6g") {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

#ifdef GB_HAVE_MPI
bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * dtype_size(a.dtype())) == 0;
}

// How many things in this rank's MPI run differ from its simulated run (0: the same bits).
double differences(const par::RankRun& real, const par::RankRun& simulated) {
  double count = real.losses == simulated.losses ? 0 : 1;
  if (real.parameters.size() != simulated.parameters.size()) count += 1;
  for (const auto& [name, t] : simulated.parameters) count += real.parameters.count(name) && same_bits(real.parameters.at(name), t) ? 0 : 1;
  if (real.stats.bytes_sent != simulated.stats.bytes_sent || real.stats.messages_sent != simulated.stats.messages_sent) count += 1;
  return count;
}

void fail_on_purpose(const Options& o, int rank) {
  if (rank != o.fail_rank) return;
  std::fprintf(stderr, "glassbox mpi-train: rank %d fails on purpose (--fail-mode %s)\n", rank, o.fail_mode.c_str());
  if (o.fail_mode == "kill") std::raise(SIGKILL);
  if (o.fail_mode == "stall") std::this_thread::sleep_for(std::chrono::hours(1));
  throw Error(command + " rank " + std::to_string(rank), "a rank that trains", "--fail-mode error");
}

int train(const Options& o, par::Communicator& world, std::ostream& out) {
  const int n = world.size(), rank = world.rank();
  const Job job = make_job(o, n);
  if (o.fail_rank >= n) throw Error(command + " --fail-rank", "a rank in [0, " + std::to_string(n) + ")", std::to_string(o.fail_rank));
  if (rank == 0) {
    out << "mpi-train: " << o.strategy << " on " << n << " MPI process" << (n == 1 ? "" : "es") << " (transport " << world.backend()
        << ", ring collectives), " << o.steps << " steps\n  model: " << job.model << "\n";
    if (!par::MpiSession::launched_by_mpirun()) out << "  (one process: start more with `mpirun -np 4 glassbox mpi-train ...`, see docs/mpi.md)\n";
    out.flush();
  }
  fail_on_purpose(o, rank);
  const double start = world.seconds();
  const par::RankRun run = job.program(world);
  const double wall = world.seconds() - start;
  // Every rank's traffic, gathered to print one table on rank 0.
  Tensor mine = Tensor::from_values({static_cast<double>(run.stats.bytes_sent), static_cast<double>(run.stats.messages_sent), run.stats.seconds},
                                    {3}, DType::f64);
  Tensor all = Tensor::zeros({3 * n}, DType::f64);
  world.all_gather(mine, all);
  if (rank == 0) {
    out << "step  loss\n";
    for (std::size_t s = 0; s < run.losses.size(); ++s) out << number(static_cast<double>(s + 1), "%4.0f") << "  " << number(run.losses[s], "%.6f") << "\n";
    out << "rank  bytes sent  messages  seconds in communication\n";
    for (int r = 0; r < n; ++r) {
      out << number(r, "%4.0f") << "  " << number(all.at({3 * r}), "%10.0f") << "  " << number(all.at({3 * r + 1}), "%8.0f") << "  "
          << number(all.at({3 * r + 2}), "%.6f") << "\n";
    }
    out << "wall time " << number(wall, "%.3f") << " s on rank 0\n";
  }
  if (!o.check) return 0;
  const std::vector<par::RankRun> simulated = par::run_simulated_ranks_collect<par::RankRun>(n, job.program);
  Tensor diff = Tensor::full({1}, differences(run, simulated[static_cast<std::size_t>(rank)]), DType::f64);
  world.all_reduce(diff);
  if (rank != 0) return diff.item() == 0 ? 0 : 1;
  if (diff.item() != 0) {
    out << "check: FAILED: " << diff.item() << " results differ from the same program on " << n << " simulated ranks\n";
    return 1;
  }
  out << "check: every rank's losses, " << run.parameters.size() << " parameter tensors and bytes sent are bit for bit those of the same program on "
      << n << " simulated rank" << (n == 1 ? "" : "s") << "\n";
  const std::vector<double> one = job.one_device();
  double worst = 0;
  for (std::size_t s = 0; s < one.size() && s < run.losses.size(); ++s) worst = std::max(worst, std::fabs(one[s] - run.losses[s]));
  out << "one device: largest |loss difference| " << number(worst, "%.3g") << " over " << one.size() << " steps"
      << (worst > 0 ? " (the same sums, added in another order)" : "") << "\n";
  return 0;
}

int run_mpi_train(const std::vector<std::string>& args, std::ostream& out) {
  const Options o = parse(args);
  par::MpiSession session(nullptr, nullptr);
  par::MpiTransport transport(o.timeout);
  par::Communicator world(transport);
  try {
    return train(o, world, out);
  } catch (const std::exception& e) {
    // Alone, the error would leave the other ranks waiting for this one until their timeout: end them all.
    std::fprintf(stderr, "glassbox mpi-train: rank %d: %s\n", world.rank(), e.what());
    std::fflush(stderr);
    if (world.size() > 1) {
      // MPI_Abort kills every rank at once; a moment first lets mpirun forward the line above.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      par::MpiSession::abort(1);
    }
    return 1;
  }
}
#else
int run_mpi_train(const std::vector<std::string>& args, std::ostream&) {
  parse(args);
  throw Error(command, "glassbox built with MPI (install libopenmpi-dev openmpi-bin: tools/install-deps.sh)", "a build without MPI");
}
#endif

}  // namespace

Command mpi_train_command() {
  return {"mpi-train",
          "mpi-train [--strategy ddp|zero|tp|pp] [--steps N] [--check] [--timeout S] [--fail-rank R --fail-mode kill|stall|error]  "
          "(start with mpirun -np N)",
          "train with DDP, ZeRO, tensor or pipeline parallelism on MPI processes; --check compares with simulated ranks bit for bit",
          run_mpi_train};
}

}  // namespace gb::lessons
