// simulated_ranks.hpp: the simulated transport of communicator.hpp: n ranks as threads of this process.
//
// run_simulated_ranks starts one thread per rank, each running the same rank program with its own
// Communicator, exactly as `mpirun -np n` starts processes. The threads take turns: one runs at a
// time and hands over only when it waits for a message, so a run is deterministic and code that keeps
// per-thread state (lib/autodiff's tape) needs no locks. A message costs the cluster's alpha + beta x
// bytes between the two devices (sim.hpp): the sender's clock advances by it, and the receiver's clock
// becomes at least the sender's clock after the send. A ring step therefore costs alpha + beta x chunk
// on every rank, and a ring all-reduce 2(n-1) of them: lesson 10's formula. Only communication takes
// simulated time here (compute is not modelled: see the Simulator for that).
//
// A rank that throws stops; a rank waiting for it then throws too ("rank r failed"), and when every
// rank still running is waiting for a message that nobody will send, they all throw a deadlock error
// that names who waits for whom. run_simulated_ranks rethrows the first failure (its own type, so a
// student kit's gb::NotImplemented stays NotImplemented).
#pragma once

#include <functional>
#include <vector>

#include "gb/parallel/communicator.hpp"
#include "gb/parallel/sim.hpp"

namespace gb::parallel {

// Runs program(world) on `ranks` simulated ranks; `cluster` gives the link costs (its device count is
// overwritten by `ranks`). Returns every rank's communicator statistics (seconds: the rank's simulated
// clock at the end), or throws the first failure. Throws gb::Error for ranks < 1.
std::vector<CommStats> run_simulated_ranks(int ranks, const std::function<void(Communicator& world)>& program,
                                           ClusterSpec cluster = {});

// The same, collecting what each rank's program returns (index = rank).
template <typename Result>
std::vector<Result> run_simulated_ranks_collect(int ranks, const std::function<Result(Communicator& world)>& program,
                                                ClusterSpec cluster = {}) {
  std::vector<Result> results(static_cast<std::size_t>(ranks > 0 ? ranks : 0));
  run_simulated_ranks(
      ranks, [&](Communicator& world) { results[static_cast<std::size_t>(world.rank())] = program(world); }, cluster);
  return results;
}

}  // namespace gb::parallel
