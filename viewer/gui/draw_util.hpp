// draw_util.hpp: helpers every panel shares: colors, number formatting, axis ticks, dashed lines, arrows.
#pragma once

#include <imgui.h>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace gb::viewer {

ImU32 rgba(int r, int g, int b, int a = 255);

// The colors that mean the same thing in every panel.
namespace colors {
inline constexpr ImU32 highlight = IM_COL32(255, 140, 0, 255);  // lit by the current step
inline constexpr ImU32 read = IM_COL32(60, 140, 255, 255);      // tensor cells read
inline constexpr ImU32 written = IM_COL32(230, 40, 40, 255);    // tensor cells written
inline constexpr ImU32 grid = IM_COL32(255, 255, 255, 28);
inline constexpr ImU32 axis = IM_COL32(200, 200, 200, 160);
inline constexpr ImU32 label = IM_COL32(210, 210, 210, 255);
inline constexpr ImU32 faint = IM_COL32(150, 150, 150, 255);
}  // namespace colors

// A color per name that stays the same across runs (spans by category, counters by name).
ImU32 category_color(std::string_view name);
// The color of a timeline span's category: a fixed palette for the kinds every lesson shares (forward,
// backward, communication, idle/bubble, compute, schedule, optimizer, memory), matched by substring,
// then category_color for any other name. `name` is the palette entry it matched (for the legend).
ImU32 span_kind_color(std::string_view category, std::string* name = nullptr);
bool is_idle_kind(std::string_view category);  // idle, bubble, wait: drawn hatched
// The i-th color of a qualitative palette (plot series).
ImU32 series_color(std::size_t index);
// t in [0, 1] -> blue (0), white (0.5), red (1).
ImU32 diverging_color(double t);
// Black or white, whichever reads better on `background`.
ImU32 text_on(ImU32 background);

// Short numbers for cells, ticks and tooltips: up to 4 significant digits.
std::string format_number(double v);

// A closed interval grown by add(); empty until the first finite value.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v);
  bool empty() const { return !(lo <= hi); }
  // Makes the range usable as an axis: a default when empty, some width when lo == hi, then pads.
  Range padded(double fraction) const;
  double span() const { return hi - lo; }
};

// About `target` round tick values (1, 2, 5 x 10^k steps) inside [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target);

// Linear map of a data interval onto a pixel interval.
struct Axis {
  double lo = 0, hi = 1;    // data
  float p0 = 0, p1 = 1;     // pixels (p1 < p0 for a y axis pointing up)
  float operator()(double v) const { return p0 + static_cast<float>((v - lo) / (hi - lo)) * (p1 - p0); }
  double inverse(float p) const { return lo + (p - p0) / (p1 - p0) * (hi - lo); }
};

void dashed_line(ImDrawList* draw, ImVec2 a, ImVec2 b, ImU32 color, float dash = 5, float thickness = 1);
// A filled triangle with its point at `tip`, pointing away from `from`.
void arrow_head(ImDrawList* draw, ImVec2 from, ImVec2 tip, float size, ImU32 color);
// Text centered on `center`.
void centered_text(ImDrawList* draw, ImFont* font, float size, ImVec2 center, ImU32 color, const std::string& text);

bool mouse_in(ImVec2 min, ImVec2 max);

}  // namespace gb::viewer
