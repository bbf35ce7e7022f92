// mpi_collectives_test.cpp: the communicator's collectives on MPI processes against the same calls on
// simulated ranks (threads in this process): the same bits, the same bytes and messages, because the
// ring fixes the order of the additions. MPI_Allreduce (the library's own algorithm) agrees to rounding
// only. A peer that never sends is a timeout error, not a hang.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gb/core/error.hpp"
#include "gb/core/rng.hpp"
#include "gb/parallel/mpi_transport.hpp"
#include "gb/parallel/simulated_ranks.hpp"

namespace {

using namespace gb::parallel;
using gb::DType;
using gb::Tensor;

// Every process can make every rank's input: rank r's comes from Rng(seed + r).
Tensor input_of(int rank, std::int64_t numel, DType dtype, std::uint64_t seed) {
  gb::Rng rng(seed + static_cast<std::uint64_t>(rank));
  return rng.normal({numel}, 0.0, 1.0).to(dtype);
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.numel() == b.numel() &&
         std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * gb::dtype_size(a.dtype())) == 0;
}

// What every collective leaves on this rank, in order.
struct Outcome {
  std::vector<Tensor> results;
  CommStats stats;
};

Outcome all_collectives(Communicator& world, DType dtype) {
  const int n = world.size(), r = world.rank();
  Outcome out;
  for (std::int64_t numel : {1, 7, 33, 1000}) {
    for (ReduceOp op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max}) {
      Tensor x = input_of(r, numel, dtype, 10 + static_cast<std::uint64_t>(numel));
      world.all_reduce(x, op);
      out.results.push_back(x);
    }
  }
  const Tensor whole = input_of(r, 6 * n, dtype, 77);
  Tensor mine = Tensor::zeros({6}, dtype), gathered = Tensor::zeros({6 * n}, dtype);
  world.reduce_scatter(whole, mine, ReduceOp::mean);
  world.all_gather(mine, gathered);
  out.results.push_back(mine);
  out.results.push_back(gathered);
  for (int root = 0; root < n; ++root) {
    Tensor b = input_of(r, 5, dtype, 300 + static_cast<std::uint64_t>(root));
    world.broadcast(b, root);
    out.results.push_back(b);
  }
  if (r == 0 || r == n - 1) {  // a group of two (rank 0 and the last): only its members make it
    Communicator pair = world.group({0, n - 1});
    Tensor p = input_of(r, 9, dtype, 500);
    pair.all_reduce(p);
    out.results.push_back(p);
  }
  out.stats = world.stats();
  return out;
}

}  // namespace

TEST(MpiCollectives, TheWorldHasSeveralRanks) {
  MpiTransport transport;
  EXPECT_GE(transport.world_size(), 2) << "run this program with mpiexec -np 2 (or more)";
  EXPECT_EQ(transport.name(), "mpi");
}

TEST(MpiCollectives, EqualTheSimulatedRanksBitForBit) {
  MpiTransport transport(30);
  for (DType dtype : {DType::f32, DType::f64}) {
    Communicator world(transport);  // fresh statistics for each run
    const Outcome real = all_collectives(world, dtype);
    const std::vector<Outcome> simulated =
        run_simulated_ranks_collect<Outcome>(world.size(), [&](Communicator& w) { return all_collectives(w, dtype); });
    const Outcome& mine = simulated[static_cast<std::size_t>(world.rank())];
    ASSERT_EQ(real.results.size(), mine.results.size());
    for (std::size_t i = 0; i < real.results.size(); ++i) EXPECT_TRUE(same_bits(real.results[i], mine.results[i])) << "result " << i;
    EXPECT_EQ(real.stats.bytes_sent, mine.stats.bytes_sent);
    EXPECT_EQ(real.stats.messages_sent, mine.stats.messages_sent);
    EXPECT_EQ(real.stats.bytes_received, mine.stats.bytes_received);
  }
}

TEST(MpiCollectives, MpiAllreduceAgreesToRoundingOnly) {
  // MPI_Allreduce picks its own algorithm (and so its own order of additions): equal to the ring
  // within a few f32 ulps of the magnitudes added, not bit for bit.
  MpiTransport transport(30);
  Communicator world(transport);
  const int n = world.size();
  Tensor ring = input_of(world.rank(), 4096, DType::f32, 900), native = ring.clone();
  world.all_reduce(ring);
  native_all_reduce(native);
  double worst = 0, scale = 0;
  for (std::int64_t i = 0; i < ring.numel(); ++i) {
    worst = std::max(worst, std::fabs(static_cast<double>(ring.data<float>()[i]) - native.data<float>()[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(native.data<float>()[i])));
  }
  EXPECT_LE(worst, 4.0 * n * 1.2e-7 * std::max(scale, 1.0)) << worst;
}

TEST(MpiTransport, ASilentPeerIsATimeoutErrorNotAHang) {
  MpiTransport quick(0.3);
  Communicator world(quick);
  if (world.rank() == 0) {
    // A group of its own (its own channel, made by rank 0 alone): the barrier's messages below cannot
    // answer this recv.
    Communicator pair = world.group({0, 1});
    Tensor t = Tensor::zeros({1});
    try {
      pair.recv(t, 1);  // rank 1 never sends on this channel
      FAIL() << "no error";
    } catch (const gb::NotImplemented&) {
      throw;
    } catch (const gb::Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("within 0.3 s"), std::string::npos) << what;
      EXPECT_NE(what.find("rank 1 has failed, is stuck"), std::string::npos) << what;
    }
  }
  MpiTransport transport(30);
  Communicator(transport).barrier();  // the ranks go on together
}

TEST(MpiTransport, BadArgumentsAreErrors) {
  MpiTransport transport(30);
  Communicator world(transport);
  EXPECT_THROW(MpiTransport(0.0), gb::Error);
  EXPECT_THROW(world.send(Tensor::zeros({1}), world.rank()), gb::Error);
  EXPECT_THROW(transport.send_bytes("", 0, world.size(), 0), gb::Error);
  Tensor ints = Tensor::zeros({2}, DType::i64);
  EXPECT_THROW(native_all_reduce(ints), gb::Error);
}
