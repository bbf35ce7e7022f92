// catalogue.cpp: every lesson of the course, one line each. Add a lesson here after writing
// lessons/NN-slug/scenario.cpp (docs/architecture.md, "How to add a lesson").
#include "gb/lessons/registry.hpp"

namespace gb::lessons {

Lesson lesson_00_tour();

std::vector<Lesson> catalogue() {
  return {
      lesson_00_tour(),
  };
}

}  // namespace gb::lessons
