// error.hpp: gb::Error, the one exception every glassbox operation throws on bad input.
//
// A message a student can act on names three things: the operation, what it expected, what it was
// given ("add: expected shapes that broadcast, given [2, 3] and [4]"). gb::NotImplemented marks an
// exercise that is still to be written in the student kit (DESIGN.md section 5).
#pragma once

#include <stdexcept>
#include <string>

namespace gb {

class Error : public std::runtime_error {
 public:
  Error(std::string op, std::string expected, std::string given);
  const std::string& op() const { return op_; }
  const std::string& expected() const { return expected_; }
  const std::string& given() const { return given_; }

 private:
  std::string op_, expected_, given_;
};

// Thrown by GB_TODO("task.id") in the student kit: the message names the task and its lesson.
class NotImplemented : public Error {
 public:
  explicit NotImplemented(std::string task);
  const std::string& task() const { return task_; }

 private:
  std::string task_;
};

// Looks up the lesson of an exercise task (filled from tests/exercises/tasks.json at build time).
std::string lesson_of_task(const std::string& task);

}  // namespace gb

// The student kit replaces each `// BEGIN EXERCISE(id)` ... `// END EXERCISE` region by GB_TODO("id").
#define GB_TODO(task_id) throw ::gb::NotImplemented(task_id)
