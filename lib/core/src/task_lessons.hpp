// task_lessons.hpp: the exercise table (task id -> lesson), generated from tests/exercises/tasks.json.
#pragma once

#include <vector>

namespace gb::detail {

struct TaskLesson {
  const char* task;
  const char* lesson;
};

// Defined in the task_lessons.cpp that CMake writes into the build folder.
const std::vector<TaskLesson>& task_lessons();

}  // namespace gb::detail
