// error_of.hpp: the message of the gb::Error a call throws, for the gb_compress unit tests.
//
// Unlike EXPECT_ERROR (tests/unit/core/test_helpers.hpp), gb::NotImplemented is let through: in the
// student kit these tests must fail with the missing exercise's name, not with a wrong message.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gb/core/error.hpp"

namespace gb_test {

template <class F> std::string error_of(F&& f) {
  try {
    f();
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a gb::Error";
  return "";
}

}  // namespace gb_test
