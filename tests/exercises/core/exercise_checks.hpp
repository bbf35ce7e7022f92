// exercise_checks.hpp: helpers for exercise tests that must fail while the exercise is a GB_TODO.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gb/core/error.hpp"

namespace gb_exercise {

// Runs f, which must throw a gb::Error of its own. The student kit's gb::NotImplemented is also a
// gb::Error, so a plain EXPECT_THROW(f(), gb::Error) would pass before the exercise is written:
// here it counts as a failure. Returns the message, for checks on what it names.
template <class F> std::string error_message_of(F&& f) {
  try {
    f();
  } catch (const gb::NotImplemented& e) {
    ADD_FAILURE() << "the exercise is not written yet: " << e.what();
    return "";
  } catch (const gb::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a gb::Error, but nothing was thrown";
  return "";
}

}  // namespace gb_exercise

// EXPECT_CONTAINS(message, "[2, 3]"): the message names this part of the input.
#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "\"" << (text) << "\" does not name " << (part)
