// record_text.hpp: how the recordings of lessons 26-27 write numbers into captions and tables.
#pragma once

#include <cstdio>
#include <string>

namespace gb::compress::detail {

// 4 significant digits: a caption's number.
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// A fixed number of decimals: accuracies (4) and sparsities as percentages (1).
inline std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A fraction as a percentage: "90.0%".
inline std::string percent(double fraction) { return fixed(fraction * 100.0, 1) + "%"; }

// The difference of two accuracies (fractions) in percentage points, with its sign: "+0.00", "-0.28".
inline std::string points(double accuracy, double reference) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f", (accuracy - reference) * 100.0);
  return buf;
}

}  // namespace gb::compress::detail
