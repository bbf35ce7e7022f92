// mpi_transport.cpp: communicator.hpp's Transport on MPI point-to-point messages (mpi_transport.hpp).
#include "gb/parallel/mpi_transport.hpp"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <sched.h>

#include "gb/core/error.hpp"

namespace gb::parallel {

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(argc, argv);
  // Errors come back as return codes (then gb::Error) instead of MPI's default of aborting.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

bool MpiSession::launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
}

void MpiSession::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
}

struct MpiTransport::Pending {
  MPI_Request request = MPI_REQUEST_NULL;
  std::vector<char> bytes;
};

namespace {

void check(int code, const std::string& op) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(op, "MPI_SUCCESS", std::string(text, static_cast<std::size_t>(length)));
}

int checked_count(std::int64_t bytes, const std::string& op) {
  if (bytes < 0 || bytes > INT_MAX) throw Error(op, "a message of 0 .. 2^31 - 1 bytes", std::to_string(bytes));
  return static_cast<int>(bytes);
}

}  // namespace

MpiTransport::MpiTransport(double timeout_seconds) : timeout_(timeout_seconds) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw Error("MpiTransport", "MPI initialised first (an MpiSession)", "MPI not initialised");
  if (!(timeout_seconds > 0)) throw Error("MpiTransport", "a timeout > 0 seconds", std::to_string(timeout_seconds));
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiTransport::~MpiTransport() {
  const double deadline = MPI_Wtime() + timeout_;
  while (!pending_.empty() && MPI_Wtime() < deadline) {
    complete_finished_sends();
    if (!pending_.empty()) sched_yield();
  }
  for (auto& p : pending_) MPI_Request_free(&p->request);  // a peer never took it: let MPI drop it
}

double MpiTransport::seconds() const { return MPI_Wtime(); }

void MpiTransport::complete_finished_sends() {
  while (!pending_.empty()) {
    int done = 0;
    MPI_Test(&pending_.front()->request, &done, MPI_STATUS_IGNORE);
    if (!done) return;
    pending_.pop_front();
  }
}

void MpiTransport::send_bytes(const void* data, std::int64_t bytes, int to, int channel) {
  const std::string op = "MPI send from rank " + std::to_string(rank_) + " to rank " + std::to_string(to);
  if (to < 0 || to >= size_ || to == rank_) throw Error(op, "another rank in [0, " + std::to_string(size_) + ")", std::to_string(to));
  const int count = checked_count(bytes, op);
  auto p = std::make_unique<Pending>();
  p->bytes.assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
  check(MPI_Isend(p->bytes.data(), count, MPI_BYTE, to, channel, MPI_COMM_WORLD, &p->request), op);
  pending_.push_back(std::move(p));
  complete_finished_sends();
}

void MpiTransport::recv_bytes(void* into, std::int64_t bytes, int from, int channel) {
  const std::string op = "MPI recv on rank " + std::to_string(rank_) + " from rank " + std::to_string(from);
  if (from < 0 || from >= size_ || from == rank_) throw Error(op, "another rank in [0, " + std::to_string(size_) + ")", std::to_string(from));
  const int count = checked_count(bytes, op);
  const double deadline = MPI_Wtime() + timeout_;
  MPI_Status status;
  for (long spins = 0;; ++spins) {
    int arrived = 0;
    check(MPI_Iprobe(from, channel, MPI_COMM_WORLD, &arrived, &status), op);
    if (arrived) break;
    complete_finished_sends();  // our own sends progress while we wait
    if (MPI_Wtime() > deadline) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout_);
      throw Error(op, std::string("a message within ") + seconds + " s",
                  "none: rank " + std::to_string(from) + " has failed, is stuck, or sends in another order");
    }
    // Spin briefly for latency, then give the core away: on an oversubscribed machine the peer may
    // need this very core to send.
    if (spins > 1000) sched_yield();
  }
  int size = 0;
  MPI_Get_count(&status, MPI_BYTE, &size);
  if (size != count) {
    throw Error(op, "a message of " + std::to_string(count) + " bytes", std::to_string(size) + " bytes");
  }
  check(MPI_Recv(into, count, MPI_BYTE, from, channel, MPI_COMM_WORLD, MPI_STATUS_IGNORE), op);
}

void native_all_reduce(Tensor& data) {
  if (!data.defined() || !data.is_contiguous() || (data.dtype() != DType::f32 && data.dtype() != DType::f64)) {
    throw Error("native_all_reduce", "a contiguous f32 or f64 tensor", data.defined() ? dtype_name(data.dtype()) : "undefined");
  }
  const MPI_Datatype type = data.dtype() == DType::f32 ? MPI_FLOAT : MPI_DOUBLE;
  check(MPI_Allreduce(MPI_IN_PLACE, data.raw_data(), checked_count(data.numel(), "native_all_reduce"), type, MPI_SUM, MPI_COMM_WORLD),
        "native_all_reduce");
}

}  // namespace gb::parallel
