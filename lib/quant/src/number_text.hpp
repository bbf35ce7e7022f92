// number_text.hpp: how lib/quant writes numbers into messages and tables.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>

namespace gb::quant::detail {

// 9 significant digits: what a gb::Error message shows of a scale or a threshold.
inline std::string num(double v) {
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

// A fixed number of decimals: the accuracy table's columns.
inline std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The difference of two accuracies (fractions) in percentage points, with its sign: "+0.00", "-0.28".
inline std::string points(double accuracy, double fp32) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.2f", (accuracy - fp32) * 100.0);
  return buf;
}

}  // namespace gb::quant::detail
