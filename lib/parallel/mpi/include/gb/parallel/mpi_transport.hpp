// mpi_transport.hpp: the MPI transport of communicator.hpp: every rank a process started by mpirun.
//
//   mpirun -np 4 glassbox mpi-train --strategy ddp            (as root on a small machine, add
//   mpirun --allow-run-as-root --oversubscribe -np 4 ...       see docs/mpi.md)
//
// A message is MPI_Isend of a private copy of the bytes (so send returns at once, like the simulated
// transport, and a ring or a 1F1B pipeline cannot deadlock on it) and a polled receive: MPI_Iprobe until
// the message is there or the timeout has passed, then MPI_Recv. The poll is what turns a dead or stuck
// peer into a gb::Error instead of a process waiting for ever: a blocking MPI_Recv has no timeout.
// (A rank that dies is usually noticed first by mpirun itself, which then ends the whole job; a rank that
// hangs is not, and that is what the timeout is for.) The group's channel is the MPI tag.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "gb/parallel/communicator.hpp"

namespace gb::parallel {

// MPI_Init in the constructor, MPI_Finalize in the destructor (once per process).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  // Started by mpirun/mpiexec (OpenMPI's or MPICH's environment variables), not as a lone process.
  static bool launched_by_mpirun();
  // Ends every rank of the job at once (MPI_Abort): what a rank does after an error it cannot recover.
  [[noreturn]] static void abort(int code);
};

class MpiTransport : public Transport {
 public:
  // MPI must be initialised (MpiSession). timeout_seconds: how long recv waits for a message (> 0).
  explicit MpiTransport(double timeout_seconds = 60);
  ~MpiTransport() override;  // waits (up to the timeout) for the sends still in flight
  MpiTransport(const MpiTransport&) = delete;
  MpiTransport& operator=(const MpiTransport&) = delete;

  int world_rank() const override { return rank_; }
  int world_size() const override { return size_; }
  std::string name() const override { return "mpi"; }
  void send_bytes(const void* data, std::int64_t bytes, int to, int channel) override;
  void recv_bytes(void* into, std::int64_t bytes, int from, int channel) override;
  double seconds() const override;
  double timeout() const { return timeout_; }

 private:
  struct Pending;  // one MPI_Isend in flight and the copy of its bytes
  void complete_finished_sends();
  int rank_ = 0, size_ = 1;
  double timeout_;
  std::deque<std::unique_ptr<Pending>> pending_;
};

// MPI_Allreduce (sum) of this rank's contiguous f32/f64 tensor, in place, over MPI_COMM_WORLD: the MPI
// library's own algorithm, the benchmark's peer. Its reduction order is the library's choice, so it
// agrees with the ring only to rounding. No timeout (it is one blocking MPI call).
void native_all_reduce(Tensor& data);

}  // namespace gb::parallel
