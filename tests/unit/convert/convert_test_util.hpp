// convert_test_util.hpp: what several convert_unit_tests files share.
#pragma once

#include <functional>
#include <string>

#include "gb/convert/onnx_import.hpp"
#include "gb/core/error.hpp"

namespace convert_test {

// The message of the gb::Error f throws ("" when none); Unsupported reads "unsupported: ...". NotImplemented
// (the student kit) passes through, so a missing exercise is never mistaken for a rejected input.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const gb::NotImplemented&) {
    throw;
  } catch (const gb::convert::Unsupported& e) {
    return std::string("unsupported: ") + e.what();
  } catch (const gb::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace convert_test
