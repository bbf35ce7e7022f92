// error.cpp: gb::Error ("<op>: expected <expected>, given <given>") and gb::NotImplemented.
#include "gb/core/error.hpp"

#include <utility>

#include "task_lessons.hpp"

namespace gb {

Error::Error(std::string op, std::string expected, std::string given)
    : std::runtime_error(op + ": expected " + expected + ", given " + given),
      op_(std::move(op)),
      expected_(std::move(expected)),
      given_(std::move(given)) {}

// "core.broadcast.shape_rule: expected your implementation of this exercise (lesson 00-tour),
//  given GB_TODO: not implemented yet"
NotImplemented::NotImplemented(std::string task)
    : Error(task, "your implementation of this exercise (lesson " + lesson_of_task(task) + ")",
            "GB_TODO: not implemented yet"),
      task_(std::move(task)) {}

std::string lesson_of_task(const std::string& task) {
  // The table is generated at configure time from tests/exercises/tasks.json (see CMakeLists.txt).
  for (const detail::TaskLesson& entry : detail::task_lessons()) {
    if (task == entry.task) return entry.lesson;
  }
  return "?";
}

}  // namespace gb
