// collectives.cpp: the public collectives of collectives.hpp (lesson 10). Each checks its arguments and
// issues its messages with one of the algorithms of collectives_ring.cpp and collectives_tree.cpp:
//   broadcast, reduce      binomial tree, ceil(log2 n) rounds of alpha + S beta
//   all_reduce             ring, tree (binomial reduce then broadcast) or recursive doubling
//   reduce_scatter         the ring's first half;  all_gather: its second half
//   all_to_all             pairwise exchange: at step s = 1 .. n-1 rank r sends its chunk (r + s) mod n
//   send_recv              one message
#include <algorithm>
#include <string>

#include "collectives_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::parallel {

using detail::Buffers;
using detail::Messages;

const char* algorithm_name(AllReduceAlgorithm a) {
  switch (a) {
    case AllReduceAlgorithm::ring: return "ring";
    case AllReduceAlgorithm::tree: return "tree";
    case AllReduceAlgorithm::recursive_doubling: return "recursive_doubling";
  }
  return "?";
}

AllReduceAlgorithm algorithm_from_name(const std::string& name) {
  for (auto a : {AllReduceAlgorithm::ring, AllReduceAlgorithm::tree, AllReduceAlgorithm::recursive_doubling}) {
    if (name == algorithm_name(a)) return a;
  }
  throw Error("algorithm_from_name", "ring, tree or recursive_doubling", name);
}

namespace {

void check_root(const std::string& collective, int root, std::size_t n) {
  if (root < 0 || root >= static_cast<int>(n)) {
    throw Error(collective, "a root rank (a position in the group) in [0, " + std::to_string(n) + ")", std::to_string(root));
  }
}

// The all-reduce on checked (or dry) buffers, shared by all_reduce and all_reduce_cost.
Issued all_reduce_buffers(Simulator& sim, const std::vector<int>& group, const Buffers& b, AllReduceAlgorithm algorithm,
                          ReduceOp op, const std::vector<int>& after) {
  const int n = static_cast<int>(group.size());
  Messages m(sim, group, std::string("all-reduce (") + algorithm_name(algorithm) + ")", after);
  if (n == 1) return m.finish(0);  // one rank already holds the sum (and the mean, and the max)
  switch (algorithm) {
    case AllReduceAlgorithm::ring: {
      const std::vector<int> none(static_cast<std::size_t>(n), -1);
      const auto reduced = detail::ring_reduce_scatter(m, b, b, {}, op, none, {});
      detail::ring_all_gather(m, b, reduced, {});
      return m.finish(2 * (n - 1));
    }
    case AllReduceAlgorithm::tree: {
      const auto reduced = detail::binomial_reduce(m, b, 0, op);
      detail::binomial_broadcast(m, b, 0, reduced);
      return m.finish(2 * detail::ceil_log2(n));
    }
    case AllReduceAlgorithm::recursive_doubling:
      if ((n & (n - 1)) != 0) {
        throw Error("all_reduce (recursive_doubling)", "a power-of-two number of ranks (partners are r xor 2^k)",
                    std::to_string(n) + " ranks");
      }
      detail::recursive_doubling(m, b, op);
      return m.finish(detail::ceil_log2(n));
  }
  return m.finish(0);
}

}  // namespace

Issued broadcast(Simulator& sim, const std::vector<int>& group, std::vector<Tensor>& data, int root,
                 const std::vector<int>& after) {
  const Buffers b = detail::checked_buffers("broadcast", sim, group, data);
  check_root("broadcast", root, group.size());
  Messages m(sim, group, "broadcast", after);
  detail::binomial_broadcast(m, b, root, {});
  return m.finish(detail::ceil_log2(static_cast<int>(group.size())));
}

Issued reduce(Simulator& sim, const std::vector<int>& group, std::vector<Tensor>& data, int root, ReduceOp op,
              const std::vector<int>& after) {
  const Buffers b = detail::checked_buffers("reduce", sim, group, data);
  check_root("reduce", root, group.size());
  Messages m(sim, group, "reduce", after);
  detail::binomial_reduce(m, b, root, op);
  return m.finish(detail::ceil_log2(static_cast<int>(group.size())));
}

Issued all_reduce(Simulator& sim, const std::vector<int>& group, std::vector<Tensor>& data, AllReduceAlgorithm algorithm,
                  ReduceOp op, const std::vector<int>& after) {
  const Buffers b = detail::checked_buffers(std::string("all_reduce (") + algorithm_name(algorithm) + ")", sim, group, data);
  return all_reduce_buffers(sim, group, b, algorithm, op, after);
}

Issued reduce_scatter(Simulator& sim, const std::vector<int>& group, const std::vector<Tensor>& in,
                      std::vector<Tensor>& out, ReduceOp op, const std::vector<int>& after) {
  const Buffers b = detail::checked_buffers("reduce_scatter", sim, group, in);
  const Buffers o = detail::checked_buffers("reduce_scatter (out)", sim, group, out);
  const int n = static_cast<int>(group.size());
  if (b.numel % n != 0 || o.numel != b.numel / n || o.flat[0].dtype() != b.flat[0].dtype()) {
    throw Error("reduce_scatter", "inputs of numel divisible by the " + std::to_string(n) +
                                      " ranks and outputs of numel / n elements, one dtype",
                "inputs of " + std::to_string(b.numel) + " and outputs of " + std::to_string(o.numel) + " elements");
  }
  Messages m(sim, group, "reduce-scatter", after);
  if (n == 1) {  // the one chunk is the whole tensor
    const Tensor from = b.flat[0], to = o.flat[0];
    m.local(0, {}, [=] { detail::copy_elements(to, 0, from, 0, from.numel()); }, "copy");
    return m.finish(0);
  }
  // Partial sums travel in scratch buffers, so the inputs stay as they were.
  Buffers work = b;
  work.flat.clear();
  for (int r = 0; r < n; ++r) work.flat.push_back(Tensor::zeros({b.numel}, b.flat[0].dtype()));
  detail::ring_reduce_scatter(m, b, work, o.flat, op, std::vector<int>(static_cast<std::size_t>(n), -1), {});
  return m.finish(n - 1);
}

Issued all_gather(Simulator& sim, const std::vector<int>& group, const std::vector<Tensor>& in, std::vector<Tensor>& out,
                  const std::vector<int>& after) {
  const Buffers b = detail::checked_buffers("all_gather", sim, group, in);
  const Buffers o = detail::checked_buffers("all_gather (out)", sim, group, out);
  const int n = static_cast<int>(group.size());
  if (o.numel != b.numel * n || o.flat[0].dtype() != b.flat[0].dtype()) {
    throw Error("all_gather", "outputs of n x " + std::to_string(b.numel) + " = " + std::to_string(b.numel * n) +
                                  " elements of the inputs' dtype",
                std::to_string(o.numel) + " elements");
  }
  Messages m(sim, group, "all-gather", after);
  // Each rank first puts its own chunk in place in its output; the ring then passes the others round.
  std::vector<int> ready;
  for (int r = 0; r < n; ++r) {
    const Tensor from = b.flat[static_cast<std::size_t>(r)], to = o.flat[static_cast<std::size_t>(r)];
    const std::int64_t at = r * b.numel, count = b.numel;
    ready.push_back(m.local(r, {}, [=] { detail::copy_elements(to, at, from, 0, count); }, "own chunk"));
  }
  detail::ring_all_gather(m, o, ready, {});
  return m.finish(n - 1);
}

Issued all_to_all(Simulator& sim, const std::vector<int>& group, const std::vector<Tensor>& in, std::vector<Tensor>& out,
                  const std::vector<int>& after) {
  const Buffers b = detail::checked_buffers("all_to_all", sim, group, in);
  const Buffers o = detail::checked_buffers("all_to_all (out)", sim, group, out);
  const int n = static_cast<int>(group.size());
  if (in[0].ndim() < 1 || in[0].size(0) % n != 0 || in[0].shape() != out[0].shape() || in[0].dtype() != out[0].dtype()) {
    throw Error("all_to_all", "inputs whose dim 0 splits into " + std::to_string(n) + " chunks and outputs of their shape",
                "inputs " + shape_str(in[0].shape()) + ", outputs " + shape_str(out[0].shape()));
  }
  for (int r = 0; r < n; ++r) {
    if (in[static_cast<std::size_t>(r)].shares_storage_with(out[static_cast<std::size_t>(r)])) {
      throw Error("all_to_all", "outputs apart from the inputs", "rank " + std::to_string(r) + "'s output shares its input's storage");
    }
  }
  const std::int64_t chunk = b.numel / n;
  Messages m(sim, group, "all-to-all", after);
  // Chunk j of rank r lands at position r of rank j: rank r's own chunk stays, the rest go pairwise.
  auto move = [&](int r, int j) {
    const Tensor from = b.flat[static_cast<std::size_t>(r)], to = o.flat[static_cast<std::size_t>(j)];
    return [=] { detail::copy_elements(to, r * chunk, from, j * chunk, chunk); };
  };
  for (int r = 0; r < n; ++r) m.local(r, {}, move(r, r), "own chunk");
  for (int step = 1; step < n; ++step) {
    for (int r = 0; r < n; ++r) {
      const int j = (r + step) % n;
      m.send(r, j, b.bytes(chunk), {}, move(r, j), step, "chunk " + std::to_string(j));
    }
  }
  return m.finish(n - 1);
}

int send_recv(Simulator& sim, int from, int to, const Tensor& data, Tensor into, const std::vector<int>& after) {
  detail::check_group("send_recv", sim, {from, to});
  if (!data.defined() || !into.defined() || !data.is_contiguous() || !into.is_contiguous() ||
      data.numel() != into.numel() || data.dtype() != into.dtype()) {
    throw Error("send_recv", "two defined contiguous tensors of one numel and dtype",
                (data.defined() ? shape_str(data.shape()) : std::string("undefined")) + " into " +
                    (into.defined() ? shape_str(into.shape()) : std::string("undefined")));
  }
  Messages m(sim, {from, to}, "send", after);
  const std::int64_t count = data.numel();
  return m.send(0, 1, count * static_cast<std::int64_t>(dtype_size(data.dtype())), {},
                [=] { detail::copy_elements(into, 0, data, 0, count); }, 0, "message");
}

namespace {
void check_bytes(const std::string& collective, std::int64_t bytes) {
  if (bytes < 0) throw Error(collective, "a byte count >= 0", std::to_string(bytes));
}
}  // namespace

Issued timed_all_reduce(Simulator& sim, const std::vector<int>& group, std::int64_t bytes, AllReduceAlgorithm algorithm,
                        const std::vector<int>& after) {
  const std::string name = std::string("timed_all_reduce (") + algorithm_name(algorithm) + ")";
  detail::check_group(name, sim, group);
  check_bytes(name, bytes);
  return all_reduce_buffers(sim, group, detail::dry_buffers(bytes), algorithm, ReduceOp::sum, after);
}

Issued timed_reduce_scatter(Simulator& sim, const std::vector<int>& group, std::int64_t bytes,
                            const std::vector<int>& after) {
  detail::check_group("timed_reduce_scatter", sim, group);
  check_bytes("timed_reduce_scatter", bytes);
  const int n = static_cast<int>(group.size());
  Messages m(sim, group, "reduce-scatter", after);
  if (n == 1) return m.finish(0);
  const Buffers b = detail::dry_buffers(bytes);
  detail::ring_reduce_scatter(m, b, b, {}, ReduceOp::sum, std::vector<int>(static_cast<std::size_t>(n), -1), {});
  return m.finish(n - 1);
}

Issued timed_all_gather(Simulator& sim, const std::vector<int>& group, std::int64_t bytes, const std::vector<int>& after) {
  detail::check_group("timed_all_gather", sim, group);
  check_bytes("timed_all_gather", bytes);
  const int n = static_cast<int>(group.size());
  Messages m(sim, group, "all-gather", after);
  if (n == 1) return m.finish(0);
  detail::ring_all_gather(m, detail::dry_buffers(bytes * n), std::vector<int>(static_cast<std::size_t>(n), -1), {});
  return m.finish(n - 1);
}

int timed_send(Simulator& sim, int from, int to, std::int64_t bytes, const std::vector<int>& after) {
  detail::check_group("timed_send", sim, {from, to});
  check_bytes("timed_send", bytes);
  Messages m(sim, {from, to}, "send/recv", after);
  return m.send(0, 1, bytes, {}, {}, 0, "message");
}

CollectiveCost all_reduce_cost(AllReduceAlgorithm algorithm, int n, std::int64_t bytes, LinkCost link) {
  if (n < 1) throw Error("all_reduce_cost", "at least 1 rank", std::to_string(n));
  if (bytes < 0) throw Error("all_reduce_cost", "a byte count >= 0", std::to_string(bytes));
  ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = n;  // flat: every pair at `link`
  spec.intra_node = spec.inter_node = link;
  spec.memory_bytes = 0;
  Simulator sim{Cluster(spec)};
  std::vector<int> group(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) group[static_cast<std::size_t>(r)] = r;
  const Issued issued = all_reduce_buffers(sim, group, detail::dry_buffers(bytes), algorithm, ReduceOp::sum, {});
  const Execution ex = sim.run();
  CollectiveCost cost;
  cost.seconds = ex.makespan;
  cost.bytes_sent_per_rank = *std::max_element(issued.bytes_sent.begin(), issued.bytes_sent.end());
  cost.steps = issued.steps;
  return cost;
}

}  // namespace gb::parallel
