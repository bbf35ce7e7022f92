// Unit tests: gb::Error, gb::NotImplemented and the task table, dtypes.
#include "test_helpers.hpp"

using gb::DType;

TEST(Error, WhatNamesOpExpectedAndGiven) {
  const gb::Error e("add", "shapes that broadcast", "[2, 3] and [4]");
  EXPECT_STREQ(e.what(), "add: expected shapes that broadcast, given [2, 3] and [4]");
  EXPECT_EQ(e.op(), "add");
  EXPECT_EQ(e.expected(), "shapes that broadcast");
  EXPECT_EQ(e.given(), "[2, 3] and [4]");
  const std::runtime_error& base = e;  // catchable as a standard exception
  EXPECT_STREQ(base.what(), e.what());
}

TEST(Error, NotImplementedNamesTaskAndLesson) {
  const gb::NotImplemented e("core.broadcast.shape_rule");
  EXPECT_STREQ(e.what(),
               "core.broadcast.shape_rule: expected your implementation of this exercise (lesson 00-tour), "
               "given GB_TODO: not implemented yet");
  EXPECT_EQ(e.task(), "core.broadcast.shape_rule");
  EXPECT_EQ(e.op(), "core.broadcast.shape_rule");
}

TEST(Error, LessonOfTaskComesFromTasksJson) {
  EXPECT_EQ(gb::lesson_of_task("core.tensor.strided_offset"), "00-tour");
  EXPECT_EQ(gb::lesson_of_task("core.broadcast.shape_rule"), "00-tour");
  EXPECT_EQ(gb::lesson_of_task("no.such.task"), "?");
  EXPECT_EQ(gb::lesson_of_task(""), "?");
  EXPECT_CONTAINS(gb::NotImplemented("no.such.task").what(), "(lesson ?)");
}

TEST(Error, GbTodoThrowsNotImplemented) {
  auto todo = []() -> int { GB_TODO("core.tensor.strided_offset"); };
  EXPECT_THROW(todo(), gb::NotImplemented);
  EXPECT_THROW(todo(), gb::Error);  // a NotImplemented is a gb::Error
  try {
    todo();
  } catch (const gb::NotImplemented& e) {
    EXPECT_EQ(e.task(), "core.tensor.strided_offset");
    EXPECT_CONTAINS(e.what(), "lesson 00-tour");
  }
}

TEST(DType, SizesAndNames) {
  EXPECT_EQ(gb::dtype_size(DType::f32), 4u);
  EXPECT_EQ(gb::dtype_size(DType::f64), 8u);
  EXPECT_EQ(gb::dtype_size(DType::i8), 1u);
  EXPECT_EQ(gb::dtype_size(DType::u8), 1u);
  EXPECT_EQ(gb::dtype_size(DType::i32), 4u);
  EXPECT_EQ(gb::dtype_size(DType::i64), 8u);
  const std::vector<std::string> names = {"f32", "f64", "i8", "u8", "i32", "i64"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(gb::dtype_name(gb_test::kAllDTypes[i]), names[i]);
    EXPECT_EQ(gb::dtype_from_name(names[i]), gb_test::kAllDTypes[i]);
  }
}

TEST(DType, UnknownNameIsAnError) {
  EXPECT_ERROR(gb::dtype_from_name("f16"), "dtype_from_name", "\"f16\"");
  EXPECT_ERROR(gb::dtype_from_name(""), "dtype_from_name");
  EXPECT_ERROR(gb::dtype_from_name("F32"), "dtype_from_name");
}

TEST(DType, FloatingAndDispatch) {
  EXPECT_TRUE(gb::is_floating(DType::f32));
  EXPECT_TRUE(gb::is_floating(DType::f64));
  for (DType d : {DType::i8, DType::u8, DType::i32, DType::i64}) EXPECT_FALSE(gb::is_floating(d));
  static_assert(gb::dtype_of<float>() == DType::f32);
  static_assert(gb::dtype_of<std::int64_t>() == DType::i64);
  for (DType d : gb_test::kAllDTypes) {
    const DType back = gb::dispatch_dtype(d, [](auto tag) { return gb::dtype_of<decltype(tag)>(); });
    EXPECT_EQ(back, d);
  }
}
