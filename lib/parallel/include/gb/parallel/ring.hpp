// ring.hpp: the schedule of the ring all-reduce (lesson 10): which chunk each rank sends at each step.
//
// n ranks stand in a ring, rank r sends to r + 1 and receives from r - 1 (mod n). Each rank's buffer
// is cut into n chunks. The all-reduce is two phases of n - 1 steps each:
//
//   reduce-scatter  step s: rank r sends chunk (r - s - 1) mod n; the receiver adds it to its own copy.
//                   A chunk travels n - 1 hops, collecting one rank's contribution per hop, and ends,
//                   complete, on the rank of its number: after the phase rank r owns chunk r.
//   all-gather      step s: rank r sends chunk (r - s) mod n (first the one it owns); the receiver
//                   overwrites its copy. After n - 1 steps every rank holds every complete chunk.
//
// What rank r receives at step s is what rank r - 1 sends. Every rank sends S/n bytes per step, so the
// whole all-reduce sends 2(n - 1)/n x S per rank, whatever n: the ring is bandwidth-optimal.
#pragma once

#include <cstdint>

namespace gb::parallel {

enum class RingPhase { reduce_scatter, all_gather };
const char* ring_phase_name(RingPhase phase);  // "reduce-scatter", "all-gather"

struct RingChunks {
  int send = 0;     // the chunk rank r sends to r + 1
  int receive = 0;  // the chunk rank r receives from r - 1
};

// The chunks of rank `rank` at step `step` (0 .. n - 2) of `phase` in a ring of n ranks (the table
// above). Throws gb::Error for n < 2, a rank outside [0, n) or a step outside [0, n - 1).
RingChunks ring_chunks(RingPhase phase, int rank, int step, int n);

// Chunk c of a buffer of `numel` elements cut into n chunks: [begin, begin + size). When n does not
// divide numel the first numel mod n chunks hold one element more, so sizes differ by at most one
// (torch.tensor_split's rule); when n > numel the last chunks are empty. Throws gb::Error for n < 1,
// numel < 0 or a chunk outside [0, n).
struct ChunkRange {
  std::int64_t begin = 0, size = 0;
};
ChunkRange ring_chunk_range(std::int64_t numel, int n, int chunk);

}  // namespace gb::parallel
