// options.hpp: reading the values of a subcommand's --options (`glassbox quant-report --seed 3`), with
// the gb::Error every bad value gets: "<command> <option>: expected an integer in [1, 100], given '0'".
#pragma once

#include <cstdint>
#include <string>

namespace gb::lessons {

// A whole decimal integer in [low, high].
std::int64_t integer_option(const std::string& command, const std::string& option, const std::string& text,
                            std::int64_t low, std::int64_t high);

// A finite number in (low, high] or [low, high] (low_included).
double number_option(const std::string& command, const std::string& option, const std::string& text, double low,
                     bool low_included, double high);

}  // namespace gb::lessons
