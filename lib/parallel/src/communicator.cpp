// communicator.cpp: groups, send/recv and the collectives of communicator.hpp, written once on a
// Transport. The ring below is collectives_ring.cpp seen from one rank: the same chunk table (ring.hpp),
// the same element loops (collectives_internal.hpp), so the same additions in the same order.
#include "gb/parallel/communicator.hpp"

#include <algorithm>
#include <set>

#include "collectives_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/ring.hpp"

namespace gb::parallel {

namespace {

std::string list_str(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// A group's channel: a hash of its world ranks in order (FNV-1a), kept in 1 .. 30000 because MPI
// guarantees tags up to 32767. Channel 0 is the world.
int channel_of(const std::vector<int>& world_ranks) {
  std::uint32_t h = 2166136261u;
  for (int r : world_ranks) {
    h ^= static_cast<std::uint32_t>(r) + 0x9e3779b9u;
    h *= 16777619u;
  }
  return 1 + static_cast<int>(h % 30000u);
}

void check_float(const std::string& op, const Tensor& t) {
  if (!t.defined() || (t.dtype() != DType::f32 && t.dtype() != DType::f64) || !t.is_contiguous()) {
    throw Error(op, "a contiguous f32 or f64 tensor",
                t.defined() ? std::string(dtype_name(t.dtype())) + (t.is_contiguous() ? "" : " (not contiguous)") : "undefined");
  }
}

std::int64_t bytes_of(const Tensor& t, std::int64_t elements) { return elements * static_cast<std::int64_t>(dtype_size(t.dtype())); }

char* byte_at(const Tensor& t, std::int64_t element) {
  return static_cast<char*>(const_cast<void*>(t.raw_data())) + bytes_of(t, element);
}

}  // namespace

Communicator::Communicator(Transport& transport) : transport_(&transport) {
  for (int r = 0; r < transport.world_size(); ++r) members_.push_back(r);
  rank_ = transport.world_rank();
}

Communicator::Communicator(Transport* transport, std::vector<int> members, int channel)
    : transport_(transport), members_(std::move(members)), channel_(channel) {
  rank_ = static_cast<int>(std::find(members_.begin(), members_.end(), transport->world_rank()) - members_.begin());
}

Communicator Communicator::group(const std::vector<int>& ranks) const {
  const std::set<int> distinct(ranks.begin(), ranks.end());
  if (ranks.empty() || distinct.size() != ranks.size() || *distinct.begin() < 0 || *distinct.rbegin() >= size()) {
    throw Error("Communicator::group", "distinct ranks in [0, " + std::to_string(size()) + ")", list_str(ranks));
  }
  if (!distinct.count(rank_)) {
    throw Error("Communicator::group", "a group that lists this rank (" + std::to_string(rank_) + ")", list_str(ranks));
  }
  std::vector<int> world;
  for (int r : ranks) world.push_back(members_[static_cast<std::size_t>(r)]);
  return Communicator(transport_, world, channel_of(world));
}

void Communicator::check_peer(const std::string& op, int peer) const {
  if (peer < 0 || peer >= size() || peer == rank_) {
    throw Error(op, "another rank of the group, in [0, " + std::to_string(size()) + ") except " + std::to_string(rank_),
                std::to_string(peer));
  }
}

void Communicator::send_raw(const void* data, std::int64_t bytes, int to) {
  const double start = transport_->seconds();
  transport_->send_bytes(data, bytes, members_[static_cast<std::size_t>(to)], channel_);
  stats_.messages_sent += 1;
  stats_.bytes_sent += bytes;
  stats_.seconds += transport_->seconds() - start;
}

void Communicator::recv_raw(void* into, std::int64_t bytes, int from) {
  const double start = transport_->seconds();
  transport_->recv_bytes(into, bytes, members_[static_cast<std::size_t>(from)], channel_);
  stats_.messages_received += 1;
  stats_.bytes_received += bytes;
  stats_.seconds += transport_->seconds() - start;
}

void Communicator::send(const Tensor& data, int to) {
  check_peer("Communicator::send", to);
  if (!data.defined() || !data.is_contiguous()) throw Error("Communicator::send", "a contiguous tensor", "a non-contiguous or undefined one");
  send_raw(data.raw_data(), bytes_of(data, data.numel()), to);
}

void Communicator::recv(Tensor& into, int from) {
  check_peer("Communicator::recv", from);
  if (!into.defined() || !into.is_contiguous()) throw Error("Communicator::recv", "a contiguous tensor", "a non-contiguous or undefined one");
  recv_raw(byte_at(into, 0), bytes_of(into, into.numel()), from);
}

// ---- the ring ------------------------------------------------------------------------------------------
// Rank r sends to r + 1 and receives from r - 1. Reduce-scatter: at step s send chunk
// ring_chunks(...).send of the running sums, receive chunk .receive and add it to the own values; after
// n - 1 steps rank r holds the whole sum of chunk r. All-gather: send the newest complete chunk on.

void Communicator::all_reduce(Tensor& data, ReduceOp op) {
  check_float("Communicator::all_reduce", data);
  const int n = size();
  if (n == 1) return;  // a mean over one rank divides by 1: nothing to do
  const int next = (rank_ + 1) % n, prev = (rank_ + n - 1) % n;
  const std::int64_t numel = data.numel();
  const Tensor flat = data.reshape({numel});
  Tensor incoming = Tensor::empty({ring_chunk_range(numel, n, 0).size}, data.dtype());
  for (int step = 0; step < n - 1; ++step) {
    const RingChunks c = ring_chunks(RingPhase::reduce_scatter, rank_, step, n);
    const ChunkRange out = ring_chunk_range(numel, n, c.send), in = ring_chunk_range(numel, n, c.receive);
    send_raw(byte_at(flat, out.begin), bytes_of(flat, out.size), next);
    recv_raw(byte_at(incoming, 0), bytes_of(flat, in.size), prev);
    detail::combine(flat, in.begin, incoming, 0, in.size, op);  // own + incoming, as collectives_ring.cpp
    if (step == n - 2 && op == ReduceOp::mean) detail::scale_elements(flat, in.begin, in.size, 1.0 / n);
  }
  for (int step = 0; step < n - 1; ++step) {
    const RingChunks c = ring_chunks(RingPhase::all_gather, rank_, step, n);
    const ChunkRange out = ring_chunk_range(numel, n, c.send), in = ring_chunk_range(numel, n, c.receive);
    send_raw(byte_at(flat, out.begin), bytes_of(flat, out.size), next);
    recv_raw(byte_at(flat, in.begin), bytes_of(flat, in.size), prev);
  }
}

void Communicator::reduce_scatter(const Tensor& in, Tensor& out, ReduceOp op) {
  check_float("Communicator::reduce_scatter", in);
  check_float("Communicator::reduce_scatter", out);
  const int n = size();
  if (in.numel() % n != 0 || out.numel() != in.numel() / n || out.dtype() != in.dtype()) {
    throw Error("Communicator::reduce_scatter",
                "an input whose numel the " + std::to_string(n) + " ranks divide and an output of numel / n of its dtype",
                "input " + std::to_string(in.numel()) + ", output " + std::to_string(out.numel()));
  }
  if (n == 1) {
    out.reshape({out.numel()}).copy_from(in.reshape({in.numel()}));
    return;
  }
  const int next = (rank_ + 1) % n, prev = (rank_ + n - 1) % n;
  const std::int64_t numel = in.numel();
  // The running sums travel in a scratch copy, so `in` is kept (collectives.hpp's contract).
  const Tensor work = in.reshape({numel}).clone();
  const Tensor own = in.reshape({numel}), result = out.reshape({out.numel()});
  Tensor incoming = Tensor::empty({numel / n}, in.dtype());
  for (int step = 0; step < n - 1; ++step) {
    const RingChunks c = ring_chunks(RingPhase::reduce_scatter, rank_, step, n);
    const ChunkRange send = ring_chunk_range(numel, n, c.send), recv = ring_chunk_range(numel, n, c.receive);
    send_raw(byte_at(work, send.begin), bytes_of(work, send.size), next);
    recv_raw(byte_at(incoming, 0), bytes_of(work, recv.size), prev);
    const bool last = step == n - 2;
    const Tensor& dst = last ? result : work;
    const std::int64_t at = last ? 0 : recv.begin;
    detail::copy_elements(dst, at, own, recv.begin, recv.size);
    detail::combine(dst, at, incoming, 0, recv.size, op);
    if (last && op == ReduceOp::mean) detail::scale_elements(dst, at, recv.size, 1.0 / n);
  }
}

void Communicator::all_gather(const Tensor& in, Tensor& out) {
  check_float("Communicator::all_gather", in);
  check_float("Communicator::all_gather", out);
  const int n = size();
  if (out.numel() != in.numel() * n || out.dtype() != in.dtype()) {
    throw Error("Communicator::all_gather", "an output of " + std::to_string(n) + " x " + std::to_string(in.numel()) + " elements of the input's dtype",
                std::to_string(out.numel()) + " elements");
  }
  const std::int64_t numel = out.numel();
  const Tensor flat = out.reshape({numel});
  detail::copy_elements(flat, rank_ * in.numel(), in.reshape({in.numel()}), 0, in.numel());
  const int next = (rank_ + 1) % n, prev = (rank_ + n - 1) % n;
  for (int step = 0; step < n - 1; ++step) {
    const RingChunks c = ring_chunks(RingPhase::all_gather, rank_, step, n);
    const ChunkRange send = ring_chunk_range(numel, n, c.send), recv = ring_chunk_range(numel, n, c.receive);
    send_raw(byte_at(flat, send.begin), bytes_of(flat, send.size), next);
    recv_raw(byte_at(flat, recv.begin), bytes_of(flat, recv.size), prev);
  }
}

void Communicator::broadcast(Tensor& data, int root) {
  if (root < 0 || root >= size()) {
    throw Error("Communicator::broadcast", "a root in [0, " + std::to_string(size()) + ")", std::to_string(root));
  }
  if (!data.defined() || !data.is_contiguous()) throw Error("Communicator::broadcast", "a contiguous tensor", "a non-contiguous or undefined one");
  // Binomial tree on ranks relative to the root: in round k, the ranks below 2^k send to rank + 2^k.
  const int n = size(), me = (rank_ - root + n) % n;
  const std::int64_t bytes = bytes_of(data, data.numel());
  for (int span = 1; span < n; span *= 2) {
    if (me < span && me + span < n) send_raw(data.raw_data(), bytes, (me + span + root) % n);
    else if (me >= span && me < 2 * span) recv_raw(byte_at(data, 0), bytes, (me - span + root) % n);
  }
}

void Communicator::barrier() {
  Tensor token = Tensor::zeros({1});
  all_reduce(token);
}

}  // namespace gb::parallel
