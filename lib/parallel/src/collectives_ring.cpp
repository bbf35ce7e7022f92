// collectives_ring.cpp: the ring (lesson 10): the chunk schedule of ring.hpp, then the reduce-scatter
// and all-gather phases built on it. A message at step s + 1 leaves a rank only once what it received
// at step s has arrived (it sends what it just received, reduced with its own copy).
#include <string>

#include "collectives_internal.hpp"
#include "gb/core/error.hpp"
#include "gb/parallel/ring.hpp"

namespace gb::parallel {

const char* ring_phase_name(RingPhase phase) {
  return phase == RingPhase::reduce_scatter ? "reduce-scatter" : "all-gather";
}

RingChunks ring_chunks(RingPhase phase, int rank, int step, int n) {
  if (n < 2) throw Error("ring_chunks", "a ring of at least 2 ranks", std::to_string(n));
  if (rank < 0 || rank >= n) {
    throw Error("ring_chunks", "a rank in [0, " + std::to_string(n) + ")", std::to_string(rank));
  }
  if (step < 0 || step >= n - 1) {
    throw Error("ring_chunks", "a step in [0, " + std::to_string(n - 1) + ")", std::to_string(step));
  }
  RingChunks chunks;
  // BEGIN EXERCISE(parallel.collectives.ring_chunks)
  // Rank r - 1 sends to r, so r receives at step s what r - 1 sends then. The + 2n keeps the C++
  // remainder non-negative.
  const int shift = phase == RingPhase::reduce_scatter ? 1 : 0;
  chunks.send = (rank - step - shift + 2 * n) % n;
  chunks.receive = (rank - 1 - step - shift + 2 * n) % n;
  // END EXERCISE
  return chunks;
}

ChunkRange ring_chunk_range(std::int64_t numel, int n, int chunk) {
  if (n < 1) throw Error("ring_chunk_range", "at least 1 chunk", std::to_string(n));
  if (numel < 0) throw Error("ring_chunk_range", "numel >= 0", std::to_string(numel));
  if (chunk < 0 || chunk >= n) {
    throw Error("ring_chunk_range", "a chunk in [0, " + std::to_string(n) + ")", std::to_string(chunk));
  }
  const std::int64_t base = numel / n, extra = numel % n;  // the first `extra` chunks get one more
  const std::int64_t c = chunk;
  return {c * base + std::min(c, extra), base + (c < extra ? 1 : 0)};
}

namespace detail {

namespace {

int next(int r, int n) { return (r + 1) % n; }

}  // namespace

std::vector<int> ring_reduce_scatter(Messages& m, const Buffers& in, const Buffers& work,
                                     const std::vector<Tensor>& owned, ReduceOp op, const std::vector<int>& ready,
                                     const RingObserver& observe) {
  const int n = m.size();
  // received[r]: the message that brought rank r its chunk at the previous step (-1 before step 0).
  std::vector<int> received = ready;
  for (int step = 0; step < n - 1; ++step) {
    const bool last = step == n - 2;
    std::vector<int> now(static_cast<std::size_t>(n), -1);
    for (int p = 0; p < n; ++p) {
      const int q = next(p, n);
      const int c = ring_chunks(RingPhase::reduce_scatter, p, step, n).send;
      const ChunkRange range = ring_chunk_range(work.numel, n, c);
      std::function<void()> action;
      if (!work.dry()) {
        const int task = m.sim().task_count();  // the id this message will get
        const Tensor incoming = step == 0 ? in.flat[static_cast<std::size_t>(p)] : work.flat[static_cast<std::size_t>(p)];
        const Tensor own = in.flat[static_cast<std::size_t>(q)];
        const bool to_owned = last && !owned.empty();
        const Tensor dst = to_owned ? owned[static_cast<std::size_t>(q)] : work.flat[static_cast<std::size_t>(q)];
        const std::int64_t at = to_owned ? 0 : range.begin;
        action = [=] {
          // dst = op(own, incoming); in place (all_reduce) own is dst and the copy does nothing.
          copy_elements(dst, at, own, range.begin, range.size);
          combine(dst, at, incoming, range.begin, range.size, op);
          if (last && op == ReduceOp::mean) scale_elements(dst, at, range.size, 1.0 / n);
          if (observe) observe({task, RingPhase::reduce_scatter, step, p, q, c});
        };
      }
      std::vector<int> after;
      if (received[static_cast<std::size_t>(p)] >= 0) after.push_back(received[static_cast<std::size_t>(p)]);
      now[static_cast<std::size_t>(q)] =
          m.send(p, q, work.bytes(range.size), after, std::move(action), step, "reduce-scatter chunk " + std::to_string(c));
    }
    received = now;
  }
  return received;
}

std::vector<int> ring_all_gather(Messages& m, const Buffers& buffers, const std::vector<int>& ready,
                                 const RingObserver& observe) {
  const int n = m.size();
  std::vector<int> received = ready;
  for (int step = 0; step < n - 1; ++step) {
    std::vector<int> now(static_cast<std::size_t>(n), -1);
    for (int p = 0; p < n; ++p) {
      const int q = next(p, n);
      const int c = ring_chunks(RingPhase::all_gather, p, step, n).send;
      const ChunkRange range = ring_chunk_range(buffers.numel, n, c);
      std::function<void()> action;
      if (!buffers.dry()) {
        const int task = m.sim().task_count();
        const Tensor src = buffers.flat[static_cast<std::size_t>(p)], dst = buffers.flat[static_cast<std::size_t>(q)];
        action = [=] {
          copy_elements(dst, range.begin, src, range.begin, range.size);
          if (observe) observe({task, RingPhase::all_gather, step, p, q, c});
        };
      }
      std::vector<int> after;
      if (received[static_cast<std::size_t>(p)] >= 0) after.push_back(received[static_cast<std::size_t>(p)]);
      now[static_cast<std::size_t>(q)] =
          m.send(p, q, buffers.bytes(range.size), after, std::move(action), step, "all-gather chunk " + std::to_string(c));
    }
    received = now;
  }
  return received;
}

}  // namespace detail
}  // namespace gb::parallel
