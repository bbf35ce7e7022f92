// Task 10.1 (parallel.collectives.ring_chunks): which chunk each rank sends and receives at each step of
// the ring all-reduce (lib/parallel/src/collectives_ring.cpp, ring_chunks; the table is in ring.hpp).
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/ring.hpp"

using namespace gb::parallel;

// The table for 4 ranks, written out: reduce-scatter sends (r - s - 1) mod 4, all-gather (r - s) mod 4.
TEST(Task_10_1_RingChunks, TheTableForFourRanks) {
  const int rs[4][3] = {{3, 2, 1}, {0, 3, 2}, {1, 0, 3}, {2, 1, 0}};  // [rank][step]
  const int ag[4][3] = {{0, 3, 2}, {1, 0, 3}, {2, 1, 0}, {3, 2, 1}};
  for (int r = 0; r < 4; ++r) {
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(ring_chunks(RingPhase::reduce_scatter, r, s, 4).send, rs[r][s]) << "rank " << r << " step " << s;
      EXPECT_EQ(ring_chunks(RingPhase::all_gather, r, s, 4).send, ag[r][s]) << "rank " << r << " step " << s;
    }
  }
}

// What rank r receives is what rank r - 1 sends; each phase moves every chunk through every rank once.
TEST(Task_10_1_RingChunks, ReceivesAreTheLeftNeighboursSendsAndOwnershipEndsRight) {
  for (int n : {2, 3, 5, 8}) {
    for (auto phase : {RingPhase::reduce_scatter, RingPhase::all_gather}) {
      for (int r = 0; r < n; ++r) {
        std::set<int> received;
        for (int s = 0; s < n - 1; ++s) {
          const RingChunks c = ring_chunks(phase, r, s, n);
          EXPECT_EQ(c.receive, ring_chunks(phase, (r + n - 1) % n, s, n).send);
          if (s > 0 && phase == RingPhase::reduce_scatter) {
            EXPECT_EQ(c.send, ring_chunks(phase, r, s - 1, n).receive) << "forwards what it just reduced";
          }
          received.insert(c.receive);
        }
        EXPECT_EQ(static_cast<int>(received.size()), n - 1);
        if (phase == RingPhase::reduce_scatter) {
          EXPECT_EQ(ring_chunks(phase, r, n - 2, n).receive, r) << "rank r ends owning chunk r";
        } else {
          EXPECT_EQ(ring_chunks(phase, r, 0, n).send, r) << "the all-gather starts from the owned chunk";
          EXPECT_EQ(received.count(r), 0u) << "nobody sends rank r its own chunk";
        }
      }
    }
  }
}

TEST(Task_10_1_RingChunks, BadStepsAndRanksAreErrors) {
  EXPECT_EQ(ring_chunks(RingPhase::all_gather, 0, 2, 4).send, 2);  // the last step is a step
  EXPECT_THROW(ring_chunks(RingPhase::all_gather, 0, 3, 4), gb::Error);
  EXPECT_THROW(ring_chunks(RingPhase::all_gather, 4, 0, 4), gb::Error);
  EXPECT_THROW(ring_chunks(RingPhase::reduce_scatter, 0, 0, 1), gb::Error);
}

// The ring all-reduce built on the table gives the sum on every rank, and reduce-scatter chunk r on rank r.
TEST(Task_10_1_RingChunks, ARingAllReduceBuiltOnItIsRight) {
  for (int n : {2, 3, 4, 7}) {
    ClusterSpec spec;
    spec.devices = n;
    spec.devices_per_node = n;
    Simulator sim{Cluster(spec)};
    std::vector<int> group;
    std::vector<gb::Tensor> data, in, out;
    for (int r = 0; r < n; ++r) {
      group.push_back(r);
      std::vector<double> v;
      for (int i = 0; i < 2 * n + 1; ++i) v.push_back(100.0 * r + i);  // 2n + 1: uneven chunks
      data.push_back(gb::Tensor::from_values(v, {2 * n + 1}));
      in.push_back(gb::Tensor::from_values(std::vector<double>(v.begin(), v.begin() + 2 * n), {2 * n}));
      out.push_back(gb::Tensor::zeros({2}));
    }
    all_reduce(sim, group, data);
    reduce_scatter(sim, group, in, out);
    sim.run();
    const double ranks_sum = 100.0 * n * (n - 1) / 2;
    for (int r = 0; r < n; ++r) {
      const auto got = data[static_cast<std::size_t>(r)].to_vector();
      for (int i = 0; i < 2 * n + 1; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)], ranks_sum + n * i) << "n=" << n;
      const auto chunk = out[static_cast<std::size_t>(r)].to_vector();
      for (int i = 0; i < 2; ++i) EXPECT_EQ(chunk[static_cast<std::size_t>(i)], ranks_sum + n * (2 * r + i)) << "n=" << n;
    }
  }
}
