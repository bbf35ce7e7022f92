// player_test.cpp: Player::seek gives exactly replay(k), whatever order the steps are visited in.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "gb/trace/replay.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

class PlayerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    recording = new Recording(testing::long_recording(200));
    expected = new std::vector<State>();
    for (std::int64_t k = -1; k < 200; ++k) expected->push_back(replay(*recording, k));
  }
  static void TearDownTestSuite() {
    delete expected;
    delete recording;
  }
  static const State& at(std::int64_t k) { return (*expected)[static_cast<std::size_t>(k + 1)]; }
  static Recording* recording;
  static std::vector<State>* expected;
};
Recording* PlayerTest::recording = nullptr;
std::vector<State>* PlayerTest::expected = nullptr;

TEST_F(PlayerTest, ForwardEqualsReplay) {
  Player player(*recording, 7);
  EXPECT_EQ(player.steps(), 200);
  for (std::int64_t k = -1; k < 200; ++k) EXPECT_TRUE(player.seek(k) == at(k)) << "step " << k;
}

TEST_F(PlayerTest, BackwardEqualsReplay) {
  Player player(*recording, 7);
  for (std::int64_t k = 199; k >= -1; --k) EXPECT_TRUE(player.seek(k) == at(k)) << "step " << k;
}

TEST_F(PlayerTest, ScrubbingInRandomOrderEqualsReplay) {
  Player player(*recording, 7);
  std::vector<std::int64_t> order;
  for (std::int64_t k = -1; k < 200; ++k) order.push_back(k);
  std::mt19937 rng(1234);
  std::shuffle(order.begin(), order.end(), rng);
  for (std::int64_t k : order) EXPECT_TRUE(player.seek(k) == at(k)) << "step " << k;
  // Back and forth around a snapshot boundary (steps 6, 13, ... start snapshots).
  for (std::int64_t k : {13, 12, 14, 13, 6, 7, 5, 199, -1, 0}) EXPECT_TRUE(player.seek(k) == at(k)) << "step " << k;
}

TEST_F(PlayerTest, AnySnapshotInterval) {
  for (std::int64_t every : {1, 2, 32, 500}) {
    Player player(*recording, every);
    for (std::int64_t k : {199, 0, 100, 37, -1, 38}) EXPECT_TRUE(player.seek(k) == at(k)) << every << " " << k;
  }
}

TEST_F(PlayerTest, RejectsBadArguments) {
  EXPECT_TRUE(testing::throws_error_with([&] { Player(*recording, 0); }, {"Player", "snapshot_every >= 1", "0"}));
  Player player(*recording, 7);
  EXPECT_TRUE(testing::throws_error_with([&] { player.seek(200); }, {"Player::seek", "[-1, 199]", "200"}));
  EXPECT_THROW(player.seek(-2), gb::Error);
}

TEST(Player, EmptyRecording) {
  Recording empty;
  Player player(empty, 3);
  EXPECT_EQ(player.steps(), 0);
  EXPECT_EQ(player.seek(-1).step, -1);
  EXPECT_THROW(player.seek(0), gb::Error);
}

}  // namespace
}  // namespace gb::trace
