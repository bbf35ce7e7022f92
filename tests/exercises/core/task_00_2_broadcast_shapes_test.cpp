// Exercise core.broadcast.shape_rule (lesson 00-tour): the shape two operands broadcast to.
//
// Run only this exercise:  core_exercise_tests --gtest_filter='Task_00_2_BroadcastShapes.*'
// NumPy's rule: align the shapes on the right; missing leading sizes count as 1; two sizes agree
// when equal or when one of them is 1 (which stretches to the other, even to 0).
#include <gtest/gtest.h>

#include "exercise_checks.hpp"
#include "gb/core.hpp"

using gb::broadcast_shapes;
using gb::Shape;
using gb_exercise::error_message_of;

// Broadcasting is symmetric: check both orders.
static void expect_broadcast(const Shape& a, const Shape& b, const Shape& expected) {
  EXPECT_EQ(broadcast_shapes(a, b), expected) << gb::shape_str(a) << " and " << gb::shape_str(b);
  EXPECT_EQ(broadcast_shapes(b, a), expected) << gb::shape_str(b) << " and " << gb::shape_str(a);
}

TEST(Task_00_2_BroadcastShapes, EqualShapes) {
  expect_broadcast({2, 3}, {2, 3}, {2, 3});
  expect_broadcast({5}, {5}, {5});
  expect_broadcast({1, 1}, {1, 1}, {1, 1});
  expect_broadcast({4, 2, 7}, {4, 2, 7}, {4, 2, 7});
}

TEST(Task_00_2_BroadcastShapes, OneSideIsOne) {
  expect_broadcast({2, 1}, {2, 3}, {2, 3});
  expect_broadcast({1, 3}, {2, 3}, {2, 3});
  expect_broadcast({4, 1}, {1, 5}, {4, 5});
  expect_broadcast({8, 1, 6, 1}, {8, 7, 1, 5}, {8, 7, 6, 5});
}

TEST(Task_00_2_BroadcastShapes, MissingLeadingAxesCountAsOne) {
  expect_broadcast({2, 3}, {3}, {2, 3});
  expect_broadcast({3}, {5, 1, 3}, {5, 1, 3});
  expect_broadcast({1}, {2, 3}, {2, 3});
  // The example of the NumPy manual: [8, 1, 6, 1] and [7, 1, 5] -> [8, 7, 6, 5].
  expect_broadcast({8, 1, 6, 1}, {7, 1, 5}, {8, 7, 6, 5});
  expect_broadcast({5, 4}, {1}, {5, 4});
  expect_broadcast({15, 3, 5}, {3, 1}, {15, 3, 5});
}

TEST(Task_00_2_BroadcastShapes, Scalars) {
  expect_broadcast({}, {}, {});
  expect_broadcast({}, {2, 3}, {2, 3});
  expect_broadcast({}, {1}, {1});
  expect_broadcast({}, {0}, {0});
}

TEST(Task_00_2_BroadcastShapes, ZeroSizedAxes) {
  expect_broadcast({0}, {1}, {0});  // size 1 stretches to size 0
  expect_broadcast({0}, {0}, {0});
  expect_broadcast({0, 3}, {1, 3}, {0, 3});
  expect_broadcast({2, 0}, {0}, {2, 0});
  expect_broadcast({2, 1}, {1, 0}, {2, 0});
  // 0 and 3 are neither equal nor 1.
  const std::string message = error_message_of([] { broadcast_shapes({0}, {3}); });
  EXPECT_CONTAINS(message, "[0]");
  EXPECT_CONTAINS(message, "[3]");
}

TEST(Task_00_2_BroadcastShapes, IncompatibleShapesNameBothShapes) {
  const std::string message = error_message_of([] { broadcast_shapes({2, 3}, {4}, "add"); });
  EXPECT_EQ(message.rfind("add:", 0), 0u) << "the message starts with the op: " << message;
  EXPECT_CONTAINS(message, "[2, 3]");
  EXPECT_CONTAINS(message, "[4]");
  const std::string transposed = error_message_of([] { broadcast_shapes({2, 3}, {3, 2}); });
  EXPECT_CONTAINS(transposed, "broadcast_shapes");
  EXPECT_CONTAINS(transposed, "[2, 3]");
  EXPECT_CONTAINS(transposed, "[3, 2]");
  // A mismatch in a leading axis, after the trailing ones agreed.
  const std::string leading = error_message_of([] { broadcast_shapes({2, 4, 5}, {3, 1, 5}, "mul"); });
  EXPECT_EQ(leading.rfind("mul:", 0), 0u) << leading;
  EXPECT_CONTAINS(leading, "[2, 4, 5]");
  EXPECT_CONTAINS(leading, "[3, 1, 5]");
}
