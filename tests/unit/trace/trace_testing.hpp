// trace_testing.hpp: recordings and checks shared by the gb_trace tests.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "gb/core/error.hpp"
#include "gb/trace/recording.hpp"

namespace gb::trace::testing {

// Every scene kind and every change kind, with NaN, infinities, -0.0, unicode text, escapes and
// empty vectors; replays without error.
Recording every_kind_recording();

// `steps` steps mixing every change kind over one scene of each kind; replays without error.
Recording long_recording(int steps);

// Passes when f() throws gb::Error whose message contains every one of `parts`.
template <class F>
::testing::AssertionResult throws_error_with(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const gb::Error& e) {
    const std::string message = e.what();
    for (const std::string& part : parts)
      if (message.find(part) == std::string::npos)
        return ::testing::AssertionFailure() << "message \"" << message << "\" lacks \"" << part << "\"";
    return ::testing::AssertionSuccess();
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-gb::Error: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

}  // namespace gb::trace::testing
