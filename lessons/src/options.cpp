// options.cpp: integer_option and number_option (options.hpp).
#include "gb/lessons/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "gb/core/error.hpp"

namespace gb::lessons {

std::int64_t integer_option(const std::string& command, const std::string& option, const std::string& text,
                            std::int64_t low, std::int64_t high) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || v < low || v > high)
    throw Error(command + " " + option, "an integer in [" + std::to_string(low) + ", " + std::to_string(high) + "]",
                "'" + text + "'");
  return v;
}

double number_option(const std::string& command, const std::string& option, const std::string& text, double low,
                     bool low_included, double high) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  const bool above = low_included ? v >= low : v > low;
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || !above || v > high) {
    char range[64];
    std::snprintf(range, sizeof range, "%c%g, %g]", low_included ? '[' : '(', low, high);
    throw Error(command + " " + option, std::string("a number in ") + range, "'" + text + "'");
  }
  return v;
}

}  // namespace gb::lessons
