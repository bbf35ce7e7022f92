// communicator.hpp: one rank's view of a group of processes (issue 11: the same code on the simulator
// and on real MPI processes).
//
// The lessons' simulator (sim.hpp, collectives.hpp) sees the whole cluster at once: one program holds
// every rank's tensors. A real distributed program is written the other way round, SPMD: every process
// runs the same program, knows only its own rank, and meets the others through a communicator
// (torch.distributed's process group, MPI's MPI_Comm, NCCL's ncclComm). This header is that view.
//
// A Communicator is a list of member ranks over a Transport that moves bytes between ranks. There are
// two transports, and the code above them is the same:
//   simulated  (simulated_ranks.hpp) every rank is a thread of this process; a message is a buffer in a
//              mailbox, and each rank keeps a simulated clock that a message advances by the cluster's
//              alpha + beta x bytes (sim.hpp's LinkCost), so communication times follow lesson 10.
//   mpi        (lib/parallel/mpi, mpi_transport.hpp) every rank is a process started by `mpirun -np N`;
//              a message is MPI_Isend / MPI_Irecv; the clock is MPI_Wtime.
// The collectives are written once, here, on send and recv: the ring all-reduce of ring.hpp
// (reduce-scatter then all-gather, chunk (r - s - 1) mod n at step s), with the element loops of
// collectives.hpp. So a result does not depend on the transport: an all-reduce over MPI equals, bit for
// bit, the simulated one and lesson 10's `all_reduce(sim, ...)`; the reduction order is fixed by the
// ring, not by who arrives first. (MPI_Allreduce itself may add in another order: `native_all_reduce`
// in mpi_transport.hpp, the benchmark's peer, agrees only to rounding.)
//
// Rules every rank program follows, as with MPI: the members of a group call its collectives in the
// same order with tensors of the same shape and dtype; send never blocks (the data is copied into a
// buffer, like MPI_Bsend), so a ring in which everyone sends before receiving cannot deadlock; recv
// blocks until the next message from that rank on this group arrives (messages between two ranks of
// one group arrive in the order sent). Anything that goes wrong is a gb::Error, never a hang: a size
// or dtype mismatch, a peer that failed, every rank waiting (the simulated transport detects the
// deadlock), or no message within the transport's timeout (MPI: a rank killed or stuck).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gb/core/tensor.hpp"
#include "gb/parallel/collectives.hpp"

namespace gb::parallel {

// What moves bytes between the ranks of the world (all ranks: 0 .. world_size - 1). A channel keeps
// the messages of different groups apart (an MPI tag). Implementations: simulated_ranks.cpp, mpi/.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual int world_rank() const = 0;
  virtual int world_size() const = 0;
  virtual std::string name() const = 0;  // "simulated" or "mpi"
  // Copies `bytes` bytes out of `data` and queues them for world rank `to`; returns at once.
  virtual void send_bytes(const void* data, std::int64_t bytes, int to, int channel) = 0;
  // Waits for the next message from world rank `from` on `channel` and copies it into `into`; throws
  // gb::Error when its size is not `bytes`, when `from` failed, on a deadlock or after the timeout.
  virtual void recv_bytes(void* into, std::int64_t bytes, int from, int channel) = 0;
  // The rank's clock in seconds: simulated time (simulated) or wall time (MPI_Wtime).
  virtual double seconds() const = 0;
};

// Counted on each communicator (a group's own traffic), for tests, benchmarks and mpi-train's report.
struct CommStats {
  std::int64_t messages_sent = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t messages_received = 0;
  std::int64_t bytes_received = 0;
  double seconds = 0;  // time spent inside this communicator's calls, by the transport's clock
};

class Communicator {
 public:
  // The world: every rank of the transport, in order. The transport must outlive the communicator and
  // every group made from it.
  explicit Communicator(Transport& transport);

  int rank() const { return rank_; }  // this process's position in the group
  int size() const { return static_cast<int>(members_.size()); }
  const std::vector<int>& members() const { return members_; }  // world ranks, in group order
  std::string backend() const { return transport_->name(); }
  const CommStats& stats() const { return stats_; }
  double seconds() const { return transport_->seconds(); }

  // A communicator over some of this group's ranks, in the given order (positions in this group):
  // torch.distributed.new_group / MPI_Comm_create_group. Only members call it, and nothing else needs
  // to happen on the other ranks. Its channel is derived from the world ranks listed, so two groups
  // made with the same ranks in the same order share a channel (and are interchangeable).
  // Throws gb::Error for an empty list, repeated or unknown ranks, or when this rank is not listed.
  Communicator group(const std::vector<int>& ranks) const;

  // ---- point to point (to, from: ranks of this group) ------------------------------------------------
  // send copies a contiguous tensor (any dtype) out and returns; recv fills a contiguous tensor of the
  // same numel and dtype. Throws gb::Error for a rank outside the group, itself, or a non-contiguous
  // tensor, and recv for a message of another size.
  void send(const Tensor& data, int to);
  void recv(Tensor& into, int from);

  // ---- collectives (every member calls them, in the same order) ------------------------------------
  // The contracts of collectives.hpp, for this rank's tensor: contiguous f32 or f64.
  // all_reduce in place: the ring (reduce-scatter then all-gather, 2(n-1) steps; a mean divides once,
  // at the end of the reduce-scatter, as collectives.hpp does).
  void all_reduce(Tensor& data, ReduceOp op = ReduceOp::sum);
  // in: the whole tensor (numel divisible by n); out: numel / n elements, this rank's chunk of the result.
  void reduce_scatter(const Tensor& in, Tensor& out, ReduceOp op = ReduceOp::sum);
  // in: this rank's chunk; out: n x in.numel() elements, every rank's chunk in rank order.
  void all_gather(const Tensor& in, Tensor& out);
  // root's values into every rank's tensor (same numel and dtype, any dtype): a binomial tree.
  void broadcast(Tensor& data, int root);
  // Returns once every member has called it.
  void barrier();

 private:
  Communicator(Transport* transport, std::vector<int> members, int channel);
  void check_peer(const std::string& op, int peer) const;
  void send_raw(const void* data, std::int64_t bytes, int to);
  void recv_raw(void* into, std::int64_t bytes, int from);

  Transport* transport_;
  std::vector<int> members_;  // world ranks
  int rank_ = 0;
  int channel_ = 0;
  CommStats stats_;
};

}  // namespace gb::parallel
