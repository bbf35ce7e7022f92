// record_text.hpp: how lib/parallel's recordings print a number in captions and labels.
#pragma once

#include <cstdio>
#include <string>

namespace gb::parallel::detail {

// Four significant digits ("%.4g"): 0.0001234, 12.35, 1.235e+06.
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace gb::parallel::detail
