// test_helpers.hpp: small helpers shared by the gb_core unit tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gb/core.hpp"

namespace gb_test {

inline const std::vector<gb::DType> kAllDTypes = {gb::DType::f32, gb::DType::f64, gb::DType::i8,
                                                  gb::DType::u8,  gb::DType::i32, gb::DType::i64};

// The message of the gb::Error that f throws (an empty string and a test failure otherwise).
template <class F> std::string error_message_of(F&& f) {
  try {
    f();
  } catch (const gb::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected a gb::Error, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected a gb::Error, but nothing was thrown";
  return "";
}

using Values = std::vector<double>;

}  // namespace gb_test

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "\"" << (text) << "\" does not name " << (part)

// EXPECT_ERROR(statement, "part", ...): statement throws a gb::Error whose message names each part.
#define EXPECT_ERROR(statement, ...)                                                        \
  do {                                                                                      \
    const std::string gb_message_ = gb_test::error_message_of([&] { (void)(statement); }); \
    for (const char* gb_part_ : {__VA_ARGS__}) EXPECT_CONTAINS(gb_message_, gb_part_);     \
  } while (0)
