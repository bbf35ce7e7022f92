// collectives_tree.cpp: the latency-bound algorithms (lesson 10), whole buffers in log2 n rounds.
//
// Binomial tree (broadcast, reduce; the tree all-reduce is one then the other): in round k of the
// broadcast every rank that already has the data (relative ranks v < 2^k) sends it to v + 2^k, so the
// number of ranks that hold it doubles each round: ceil(log2 n) rounds of alpha + S beta (Thakur,
// Rabenseifner and Gropp 2005, section 4.1). The reduce runs the same tree backwards: in round k the
// ranks v = 2^k mod 2^(k+1) send their partial sums to v - 2^k.
// Recursive doubling: in round k rank r and its partner r xor 2^k exchange their whole buffers and both
// reduce, so after log2 n rounds everyone holds the full reduction: log2 n (alpha + S beta) (section 4.4).
// Each rank sends at most one message per round, so the comm streams never serialise two of a round.
#include <string>

#include "collectives_internal.hpp"
#include "gb/core/error.hpp"

namespace gb::parallel::detail {

int ceil_log2(int n) {
  int k = 0;
  while ((1 << k) < n) ++k;
  return k;
}

std::vector<int> binomial_broadcast(Messages& m, const Buffers& buffers, int root, const std::vector<int>& ready) {
  const int n = m.size();
  std::vector<int> received(static_cast<std::size_t>(n), -1);  // per rank: the message that brought the data
  received[static_cast<std::size_t>(root)] = ready.empty() ? -1 : ready[static_cast<std::size_t>(root)];
  for (int k = 0; k < ceil_log2(n); ++k) {
    for (int v = 0; v < (1 << k) && v + (1 << k) < n; ++v) {
      const int p = (v + root) % n, q = (v + (1 << k) + root) % n;  // relative ranks back to ranks
      std::function<void()> action;
      if (!buffers.dry()) {
        const Tensor src = buffers.flat[static_cast<std::size_t>(p)], dst = buffers.flat[static_cast<std::size_t>(q)];
        const std::int64_t numel = buffers.numel;
        action = [=] { copy_elements(dst, 0, src, 0, numel); };
      }
      std::vector<int> after;
      if (received[static_cast<std::size_t>(p)] >= 0) after.push_back(received[static_cast<std::size_t>(p)]);
      received[static_cast<std::size_t>(q)] =
          m.send(p, q, buffers.bytes(buffers.numel), after, std::move(action), k, "broadcast round " + std::to_string(k));
    }
  }
  return received;
}

std::vector<int> binomial_reduce(Messages& m, const Buffers& buffers, int root, ReduceOp op) {
  const int n = m.size();
  std::vector<std::vector<int>> received(static_cast<std::size_t>(n));  // per rank: partial sums it took in
  for (int k = 0; k < ceil_log2(n); ++k) {
    for (int v = 1 << k; v < n; v += 1 << (k + 1)) {  // v = 2^k mod 2^(k+1)
      const int p = (v + root) % n, q = (v - (1 << k) + root) % n;
      std::function<void()> action;
      if (!buffers.dry()) {
        const Tensor src = buffers.flat[static_cast<std::size_t>(p)], dst = buffers.flat[static_cast<std::size_t>(q)];
        const std::int64_t numel = buffers.numel;
        action = [=] { combine(dst, 0, src, 0, numel, op); };
      }
      // The sender waits for every partial sum it takes in; the receiver takes in one at a time (one
      // receive port, the model of Thakur et al.), so round k's message also waits for its previous one.
      std::vector<int> after = received[static_cast<std::size_t>(p)];
      if (!received[static_cast<std::size_t>(q)].empty()) after.push_back(received[static_cast<std::size_t>(q)].back());
      const int id = m.send(p, q, buffers.bytes(buffers.numel), after, std::move(action), k, "reduce round " + std::to_string(k));
      received[static_cast<std::size_t>(q)].push_back(id);
    }
  }
  // The root's result is complete once its last partial sum has arrived; a mean divides by n there.
  std::function<void()> finish;
  if (!buffers.dry() && op == ReduceOp::mean) {
    const Tensor t = buffers.flat[static_cast<std::size_t>(root)];
    const std::int64_t numel = buffers.numel;
    finish = [=] { scale_elements(t, 0, numel, 1.0 / n); };
  }
  std::vector<int> written(static_cast<std::size_t>(n), -1);
  written[static_cast<std::size_t>(root)] =
      m.local(root, received[static_cast<std::size_t>(root)], std::move(finish), op == ReduceOp::mean ? "divide by n" : "reduced");
  return written;
}

void recursive_doubling(Messages& m, const Buffers& buffers, ReduceOp op) {
  const int n = m.size();
  const int rounds = ceil_log2(n);
  // The partner's buffer lands in a receive buffer first: both ranks of a pair read each other's values
  // at the same moment, so neither may overwrite its own before the other has read it.
  std::vector<Tensor> incoming;
  if (!buffers.dry()) {
    for (int r = 0; r < n; ++r) incoming.push_back(Tensor::zeros({buffers.numel}, buffers.flat[0].dtype()));
  }
  std::vector<int> reduced(static_cast<std::size_t>(n), -1);  // per rank: its reduction of the last round
  for (int k = 0; k < rounds; ++k) {
    std::vector<int> arrived(static_cast<std::size_t>(n), -1);
    for (int r = 0; r < n; ++r) {
      const int partner = r ^ (1 << k);
      std::function<void()> action;
      if (!buffers.dry()) {
        const Tensor src = buffers.flat[static_cast<std::size_t>(r)], dst = incoming[static_cast<std::size_t>(partner)];
        const std::int64_t numel = buffers.numel;
        action = [=] { copy_elements(dst, 0, src, 0, numel); };
      }
      // Wait for our own previous reduction (we send its result) and the partner's (it has read its
      // receive buffer, which this message overwrites).
      std::vector<int> after;
      for (int t : {reduced[static_cast<std::size_t>(r)], reduced[static_cast<std::size_t>(partner)]}) {
        if (t >= 0) after.push_back(t);
      }
      arrived[static_cast<std::size_t>(partner)] = m.send(r, partner, buffers.bytes(buffers.numel), after, std::move(action),
                                                          k, "exchange round " + std::to_string(k));
    }
    for (int r = 0; r < n; ++r) {
      std::function<void()> action;
      if (!buffers.dry()) {
        const Tensor t = buffers.flat[static_cast<std::size_t>(r)], in = incoming[static_cast<std::size_t>(r)];
        const std::int64_t numel = buffers.numel;
        const bool divide = op == ReduceOp::mean && k == rounds - 1;
        action = [=] {
          combine(t, 0, in, 0, numel, op);
          if (divide) scale_elements(t, 0, numel, 1.0 / n);
        };
      }
      reduced[static_cast<std::size_t>(r)] = m.local(r, {arrived[static_cast<std::size_t>(r)]}, std::move(action), "reduce");
    }
  }
}

}  // namespace gb::parallel::detail
