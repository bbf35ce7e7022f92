// names_test.cpp: every enum name reads back to its value; unknown names are errors that list the choices.
#include <gtest/gtest.h>

#include "gb/trace/recording.hpp"
#include "trace_testing.hpp"

namespace gb::trace {
namespace {

TEST(Names, RoundTripEveryValue) {
  for (int i = 0; i <= static_cast<int>(ChangeKind::set_cursor); ++i) {
    const auto kind = static_cast<ChangeKind>(i);
    EXPECT_EQ(change_kind_from_name(change_kind_name(kind)), kind);
  }
  for (int i = 0; i <= static_cast<int>(SceneKind::text); ++i) {
    const auto kind = static_cast<SceneKind>(i);
    EXPECT_EQ(scene_kind_from_name(scene_kind_name(kind)), kind);
  }
  for (int i = 0; i <= static_cast<int>(Level::element); ++i) {
    const auto level = static_cast<Level>(i);
    EXPECT_EQ(level_from_name(level_name(level)), level);
  }
  for (int i = 0; i <= static_cast<int>(NodeState::done); ++i) {
    const auto state = static_cast<NodeState>(i);
    EXPECT_EQ(node_state_from_name(node_state_name(state)), state);
  }
  for (int i = 0; i <= static_cast<int>(SeriesKind::histogram); ++i) {
    const auto kind = static_cast<SeriesKind>(i);
    EXPECT_EQ(series_kind_from_name(series_kind_name(kind)), kind);
  }
}

TEST(Names, TheNamesOfTheHeader) {
  EXPECT_STREQ(change_kind_name(ChangeKind::write_cells), "write_cells");
  EXPECT_STREQ(scene_kind_name(SceneKind::timeline), "timeline");
  EXPECT_STREQ(level_name(Level::pass), "pass");
  EXPECT_STREQ(node_state_name(NodeState::running), "running");
  EXPECT_STREQ(series_kind_name(SeriesKind::scatter), "scatter");
}

TEST(Names, UnknownNamesAreErrors) {
  using testing::throws_error_with;
  EXPECT_TRUE(throws_error_with([] { level_from_name("Pass"); },
                                {"level_from_name: expected one of pass, op, tile, element, given 'Pass'"}));
  EXPECT_TRUE(throws_error_with([] { change_kind_from_name(""); }, {"change_kind_from_name", "set_cursor", "''"}));
  EXPECT_TRUE(throws_error_with([] { scene_kind_from_name("image"); }, {"scene_kind_from_name", "'image'"}));
  EXPECT_TRUE(throws_error_with([] { node_state_from_name("idle"); }, {"node_state_from_name", "'idle'"}));
  EXPECT_TRUE(throws_error_with([] { series_kind_from_name("bar"); }, {"series_kind_from_name", "'bar'"}));
}

}  // namespace
}  // namespace gb::trace
