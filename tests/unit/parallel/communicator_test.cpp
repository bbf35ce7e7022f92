// communicator_test.cpp: the rank-side collectives of communicator.hpp on the simulated transport
// (threads): bit for bit lesson 10's global-view collectives (collectives.hpp), the ring's simulated time
// equal to the alpha-beta formula measured by all_reduce_cost, groups, and the failures a real run meets
// (a deadlock, a rank that throws, a message of the wrong size) as gb::Errors instead of hangs.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/collectives.hpp"
#include "gb/parallel/simulated_ranks.hpp"

namespace {

using namespace gb::parallel;
using gb::DType;
using gb::Tensor;

const LinkCost kLink{5e-6, 1.0 / 10e9};

ClusterSpec flat(int n) {
  ClusterSpec spec;
  spec.devices = n;
  spec.devices_per_node = n;
  spec.intra_node = spec.inter_node = kLink;
  return spec;
}

std::vector<Tensor> random_per_rank(int n, std::int64_t numel, DType dtype, std::uint64_t seed) {
  gb::Rng rng(seed);
  std::vector<Tensor> out;
  for (int r = 0; r < n; ++r) out.push_back(rng.normal({numel}, 0.0, 1.0).to(dtype));
  return out;
}

std::vector<Tensor> clones(const std::vector<Tensor>& v) {
  std::vector<Tensor> out;
  for (const Tensor& t : v) out.push_back(t.clone());
  return out;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.numel() == b.numel() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * gb::dtype_size(a.dtype())) == 0;
}

std::vector<int> everyone(int n) {
  std::vector<int> g;
  for (int r = 0; r < n; ++r) g.push_back(r);
  return g;
}

TEST(Communicator, AllReduceIsBitForBitTheGlobalRing) {
  for (DType dtype : {DType::f32, DType::f64}) {
    for (int n : {1, 2, 3, 4, 5}) {
      for (std::int64_t numel : {1, 7, 10, 33}) {
        for (ReduceOp op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max}) {
          const auto input = random_per_rank(n, numel, dtype, 100 + static_cast<std::uint64_t>(n * 37 + numel));
          std::vector<Tensor> global = clones(input), ranks = clones(input);
          if (n > 1) {  // lesson 10's collective needs a ring of two
            Simulator sim{Cluster(flat(n))};
            all_reduce(sim, everyone(n), global, AllReduceAlgorithm::ring, op);
            sim.run();
          }
          run_simulated_ranks(n, [&](Communicator& world) { world.all_reduce(ranks[static_cast<std::size_t>(world.rank())], op); });
          for (int r = 0; r < n; ++r) {
            EXPECT_TRUE(same_bits(ranks[static_cast<std::size_t>(r)], global[static_cast<std::size_t>(r)]))
                << "n " << n << " numel " << numel << " rank " << r;
          }
        }
      }
    }
  }
}

TEST(Communicator, ReduceScatterAndAllGatherAreBitForBitTheGlobalOnes) {
  for (int n : {2, 3, 4}) {
    const std::int64_t numel = 6 * n;
    const auto input = random_per_rank(n, numel, DType::f32, 7);
    std::vector<Tensor> global_out, rank_out, gathered_global, gathered_ranks;
    for (int r = 0; r < n; ++r) {
      global_out.push_back(Tensor::zeros({numel / n}));
      rank_out.push_back(Tensor::zeros({numel / n}));
      gathered_global.push_back(Tensor::zeros({numel}));
      gathered_ranks.push_back(Tensor::zeros({numel}));
    }
    Simulator sim{Cluster(flat(n))};
    reduce_scatter(sim, everyone(n), input, global_out, ReduceOp::mean);
    sim.run();
    Simulator sim2{Cluster(flat(n))};
    all_gather(sim2, everyone(n), global_out, gathered_global);
    sim2.run();
    run_simulated_ranks(n, [&](Communicator& world) {
      const auto r = static_cast<std::size_t>(world.rank());
      world.reduce_scatter(input[r], rank_out[r], ReduceOp::mean);
      world.all_gather(rank_out[r], gathered_ranks[r]);
    });
    for (int r = 0; r < n; ++r) {
      EXPECT_TRUE(same_bits(rank_out[static_cast<std::size_t>(r)], global_out[static_cast<std::size_t>(r)])) << "n " << n << " rank " << r;
      EXPECT_TRUE(same_bits(gathered_ranks[static_cast<std::size_t>(r)], gathered_global[static_cast<std::size_t>(r)]));
    }
  }
}

TEST(Communicator, BroadcastFromEveryRoot) {
  for (int n : {1, 2, 3, 5, 8}) {
    for (int root = 0; root < n; ++root) {
      auto data = random_per_rank(n, 5, DType::f64, static_cast<std::uint64_t>(root));
      const Tensor expected = data[static_cast<std::size_t>(root)].clone();
      run_simulated_ranks(n, [&](Communicator& world) { world.broadcast(data[static_cast<std::size_t>(world.rank())], root); });
      for (int r = 0; r < n; ++r) EXPECT_TRUE(same_bits(data[static_cast<std::size_t>(r)], expected)) << n << " " << root << " " << r;
    }
  }
}

TEST(Communicator, RingTimeAndBytesAreTheAlphaBetaFormula) {
  // S bytes over n ranks: 2(n-1) steps of alpha + beta S/n, measured against lesson 10's simulator.
  for (int n : {2, 4, 8}) {
    const std::int64_t numel = 1024 * n;
    const auto input = random_per_rank(n, numel, DType::f32, 3);
    std::vector<Tensor> data = clones(input);
    const auto stats = run_simulated_ranks(n, [&](Communicator& world) { world.all_reduce(data[static_cast<std::size_t>(world.rank())]); }, flat(n));
    const CollectiveCost cost = all_reduce_cost(AllReduceAlgorithm::ring, n, numel * 4, kLink);
    for (const CommStats& s : stats) {
      EXPECT_NEAR(s.seconds, cost.seconds, 1e-12 * cost.seconds) << n;
      EXPECT_EQ(s.bytes_sent, cost.bytes_sent_per_rank) << n;
      EXPECT_EQ(s.messages_sent, 2 * (n - 1));
    }
  }
}

TEST(Communicator, GroupsKeepTheirMessagesApart) {
  // Four ranks: pairs {0, 1} and {2, 3} all-reduce at the same time, and the even ranks {0, 2} too.
  std::vector<double> pair_sum(4), even_sum(4);
  run_simulated_ranks(4, [&](Communicator& world) {
    const int r = world.rank();
    Communicator pair = world.group(r < 2 ? std::vector<int>{0, 1} : std::vector<int>{2, 3});
    Tensor x = Tensor::full({1}, static_cast<double>(1 << r), DType::f64);
    Tensor y = x.clone();
    if (r % 2 == 0) {
      Communicator even = world.group({0, 2});
      EXPECT_EQ(even.size(), 2);
      EXPECT_EQ(even.rank(), r / 2);
      even.all_reduce(y);
      even_sum[static_cast<std::size_t>(r)] = y.item();
    }
    pair.all_reduce(x);
    pair_sum[static_cast<std::size_t>(r)] = x.item();
  });
  EXPECT_EQ(pair_sum, (std::vector<double>{3, 3, 12, 12}));
  EXPECT_EQ(even_sum[0], 5);
  EXPECT_EQ(even_sum[2], 5);
}

TEST(Communicator, SendAndRecvKeepOrder) {
  std::vector<double> got;
  run_simulated_ranks(2, [&](Communicator& world) {
    if (world.rank() == 0) {
      for (int i = 0; i < 3; ++i) world.send(Tensor::full({2}, i, DType::f32), 1);
    } else {
      for (int i = 0; i < 3; ++i) {
        Tensor t = Tensor::zeros({2});
        world.recv(t, 0);
        got.push_back(t.at({1}));
      }
    }
  });
  EXPECT_EQ(got, (std::vector<double>{0, 1, 2}));
}

TEST(Communicator, ADeadlockIsAnErrorNamingWhoWaits) {
  try {
    run_simulated_ranks(2, [](Communicator& world) {
      Tensor t = Tensor::zeros({1});
      world.recv(t, 1 - world.rank());  // both receive first: nobody ever sends
    });
    FAIL() << "no error";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rank 0 waits for rank 1"), std::string::npos) << e.what();
  }
}

TEST(Communicator, AFailedRankFailsItsPeersAndTheRun) {
  try {
    // Ranks 0 and 1 wait for rank 2, which throws: whichever thread runs first, rank 2's error is the first
    // failure (the others only fail because of it). Point to point only, so nothing else can fail first.
    run_simulated_ranks(3, [](Communicator& world) {
      if (world.rank() == 2) throw gb::Error("my step", "a good batch", "a bad one");
      Tensor t = Tensor::zeros({4});
      world.recv(t, 2);
    });
    FAIL() << "no error";
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    EXPECT_NE(std::string(e.what()).find("my step"), std::string::npos) << e.what();  // the first failure
  }
}

TEST(Communicator, BadArgumentsAreErrors) {
  EXPECT_THROW(run_simulated_ranks(0, [](Communicator&) {}), gb::Error);
  EXPECT_THROW(run_simulated_ranks(2, [](Communicator& world) {
                 if (world.rank() == 0) world.send(Tensor::zeros({3}), 1);
                 else {
                   Tensor t = Tensor::zeros({4});
                   world.recv(t, 0);  // 12 bytes sent, 16 expected
                 }
               }),
               gb::Error);
  EXPECT_THROW(run_simulated_ranks(2, [](Communicator& world) { world.send(Tensor::zeros({1}), world.rank()); }), gb::Error);
  EXPECT_THROW(run_simulated_ranks(2, [](Communicator& world) { (void)world.group({5}); }), gb::Error);
  EXPECT_THROW(run_simulated_ranks(2, [](Communicator& world) { (void)world.group({1 - world.rank()}); }), gb::Error);
  EXPECT_THROW(run_simulated_ranks(3, [](Communicator& world) {
                 Tensor in = Tensor::zeros({4}), out = Tensor::zeros({1});
                 world.reduce_scatter(in, out);  // 3 does not divide 4
               }),
               gb::Error);
  EXPECT_THROW(run_simulated_ranks(2, [](Communicator& world) {
                 Tensor t = Tensor::zeros({2}, DType::i64);
                 world.all_reduce(t);
               }),
               gb::Error);
}

}  // namespace
